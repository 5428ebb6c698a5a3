// Per-worker pools of idle backend connections. A connection is logged in as one user
// with one set of client capabilities, so it can only serve sessions that match; within
// that, sessions borrow per statement or transaction and give back when they hold no
// state that lives on the connection. No locks: a pool belongs to one worker thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/asio.hpp"
#include "proxy/backend.hpp"

namespace causeway::proxy {

struct PoolKey {
  std::size_t server = 0;
  std::string user;
  protocol::Caps caps = 0;  // the capabilities that change how the server behaves
  std::uint8_t charset = 0;
  std::uint32_t mariadb_caps = 0;
  // For sessions without a database: a connection that ever had one cannot drop it again.
  bool no_database = false;
  bool operator==(const PoolKey&) const = default;
};

struct PoolKeyHash {
  std::size_t operator()(const PoolKey& k) const noexcept;
};

struct PoolLimits {
  std::uint32_t max_per_server = 0;  // open connections per server on this worker; 0 = no limit
  std::chrono::milliseconds idle_timeout{60'000};
  std::uint32_t min_idle = 0;  // idle connections kept ready per key (warm-up)
  std::chrono::milliseconds connect_timeout{5'000};
};

class BackendPool {
 public:
  BackendPool(asio::io_context& ctx, std::vector<Endpoint> servers, PoolLimits limits);

  // Warm-up: how to log in for `key` (from a session that used it), so the pool can keep
  // `min_idle` connections of that kind ready in the background.
  void remember(const PoolKey& key, const BackendLogin& login);

  // An idle connection for `key`, preferring one whose session state has `signature`.
  std::unique_ptr<Backend> take(const PoolKey& key, std::uint64_t signature);
  // A reload changed the server slots (they only grow; removed ones are flagged): new
  // slots get counters, idle connections to removed servers close.
  void set_servers(std::vector<Endpoint> servers);

  // Back into the pool (closed connections and those to removed servers are dropped).
  void give(const PoolKey& key, std::unique_ptr<Backend> backend);

  // Open connections to a server on this worker (idle + in use); a Backend counts itself
  // through the counter the pool hands out.
  std::uint32_t* open_counter(std::size_t server) { return &open_[server]; }
  std::uint32_t open(std::size_t server) const { return open_[server]; }
  std::size_t idle(std::size_t server) const;
  bool at_limit(std::size_t server) const {
    return limits_.max_per_server != 0 && open_[server] + warming_total_[server] >= limits_.max_per_server;
  }
  // The server refused a login for its max_connections: until `until` this worker asks it
  // for no new connection (sessions wait for one to come back instead).
  void refuse(std::size_t server, std::chrono::steady_clock::time_point until) { refused_until_[server] = until; }
  std::chrono::steady_clock::time_point refused_until(std::size_t server) const { return refused_until_[server]; }
  bool refusing(std::size_t server, std::chrono::steady_clock::time_point now) const {
    return refused_until_[server] > now;
  }
  // Closes the connection to `server` idle the longest, whatever its user or capabilities:
  // room for a session whose own kind has none idle. False when none is idle.
  bool evict_idle(std::size_t server);
  // Waits until a connection to the key's server is given back or closed, up to `timeout`.
  awaitable<void> wait(const PoolKey& key, std::chrono::milliseconds timeout);
  // Wakes the waiter for `server` waiting longest: a connection was closed, or given back
  // (`key`: then the longest waiting for that kind, if any).
  void notify(std::size_t server, const PoolKey* key = nullptr);
  // Sessions wait for a connection of this kind: newcomers queue behind them.
  bool has_waiters(const PoolKey& key) const;

  // Closes connections idle for longer than the idle timeout; runs until the context stops.
  awaitable<void> sweep();
  // Shutdown: closes every idle connection; connections given back later are closed too.
  void close();

 private:
  struct Idle {
    std::unique_ptr<Backend> backend;
    std::chrono::steady_clock::time_point since;
  };
  // Opens connections for `key` in the background until min_idle are idle or warming.
  void top_up(const PoolKey& key);
  awaitable<void> warm(PoolKey key);

  asio::io_context& ctx_;
  std::vector<Endpoint> servers_;
  PoolLimits limits_;
  std::unordered_map<PoolKey, BackendLogin, PoolKeyHash> logins_;
  std::unordered_map<PoolKey, std::uint32_t, PoolKeyHash> warming_;
  std::vector<std::uint32_t> warming_total_;
  std::unordered_map<PoolKey, std::vector<Idle>, PoolKeyHash> idle_;
  std::deque<std::uint32_t> open_;  // a deque: backends keep pointers to their counter while it grows
  struct Waiting {
    asio::steady_timer* timer;
    const PoolKey* key;
  };
  std::deque<std::deque<Waiting>> waiters_;  // grows without moving (waiters hold references)
  std::vector<std::chrono::steady_clock::time_point> refused_until_;
  bool closed_ = false;
};

}  // namespace causeway::proxy

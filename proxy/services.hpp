// What sessions share: the validated config as a runtime snapshot, user credentials,
// TLS and RSA material. Immutable after start-up except the caching_sha2 cache.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "proxy/accounts.hpp"
#include "proxy/asio.hpp"
#include "proxy/backend.hpp"
#include "proxy/protocol/auth.hpp"
#include "routing/router.hpp"
#include "routing/rules.hpp"
#include "routing/topology.hpp"

namespace causeway::proxy {

struct UserEntry {
  std::string name;
  std::optional<std::string> password;                // clear text
  std::optional<protocol::auth::Sha1> double_sha1;    // from password_hash
  config::AuthPlugin plugin = config::AuthPlugin::MysqlNativePassword;
  routing::Consistency consistency = routing::Consistency::ReadYourWrites;  // the user's, else the default
};

// The config in the shape the data path wants it.
struct Runtime {
  std::shared_ptr<const config::Config> config;
  std::unordered_map<std::string, UserEntry> users;
  std::vector<Endpoint> servers;
  routing::RoutePolicy policy;
  // Until the monitor reports, servers are taken to be as configured: up, replicas
  // replicating. Without a monitor this stays the topology.
  routing::TopologyPtr configured_topology;
  routing::RuleSetPtr rules;  // ordered routing rules from the config (may be empty)
  // Commit GTIDs are asked of backends (session tracking) only when the binlog streams can
  // tell which replica has them.
  bool track_gtids = false;

  // Server slots: names (empty for a slot whose server a reload removed) and endpoints,
  // index-aligned with every topology snapshot. `previous` (a reload) keeps its slots:
  // an unchanged server keeps its index, a new or moved one gets a new slot at the end.
  std::vector<std::string> table;
  bool servers_changed = false;  // this reload added or removed slots

  static std::shared_ptr<const Runtime> build(std::shared_ptr<const config::Config> cfg,
                                              const Runtime* previous = nullptr);
  const UserEntry* find_user(const std::string& name) const {
    auto it = users.find(name);
    return it == users.end() ? nullptr : &it->second;
  }
};

// Users who completed a full caching_sha2_password authentication since start-up may use
// the fast path afterwards, as on a MySQL server. Touched only during authentication.
class Sha2Cache {
 public:
  bool contains(const std::string& user, std::string_view password) const;
  void add(const std::string& user, std::string_view password);

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, protocol::auth::Sha256> entries_;
};

class Session;
struct Worker;

// Every logged-in session by its causeway connection id, for KILL. Touched when a session
// logs in or ends and by KILL, never on the data path.
class SessionRegistry {
 public:
  struct Entry {
    Worker* worker = nullptr;
    Session* session = nullptr;  // valid only on `worker`'s thread, while registered
    std::string user;
    // What the session runs now: running_on(server index, backend thread id); 0 when idle.
    std::shared_ptr<const std::atomic<std::uint64_t>> running;
    static std::uint64_t running_on(std::size_t server, std::uint32_t thread) {
      return (std::uint64_t(server + 1) << 32) | thread;
    }
    static std::size_t running_server(std::uint64_t running) { return static_cast<std::size_t>((running >> 32) - 1); }
    static std::uint32_t running_thread(std::uint64_t running) { return static_cast<std::uint32_t>(running); }
  };
  void add(std::uint32_t id, Entry entry);
  void remove(std::uint32_t id);
  std::optional<Entry> find(std::uint32_t id) const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::uint32_t, Entry> entries_;
};

// Every commit GTID causeway has acknowledged to any client (consistency.scope: global).
// Sessions add to it before the OK reaches their client, so any read that client could
// have caused afterwards finds it here. Workers keep a copy and refresh it only when the
// version moved: the lock is taken once per change per worker, never per packet.
class AcknowledgedCommits {
 public:
  void add(const replication::GtidSet& gtids) {
    std::lock_guard lock(mutex_);
    set_.unite(gtids);
    version_.fetch_add(1, std::memory_order_release);
  }
  // Brings `copy` up to date; `seen` is the version it has.
  void refresh(replication::GtidSet& copy, std::uint64_t& seen) const {
    if (version_.load(std::memory_order_acquire) == seen) return;
    std::lock_guard lock(mutex_);
    copy = set_;
    seen = version_.load(std::memory_order_relaxed);
  }

 private:
  mutable std::mutex mutex_;
  replication::GtidSet set_;
  std::atomic<std::uint64_t> version_{0};
};

struct Services {
  std::shared_ptr<const Runtime> runtime;
  AcknowledgedCommits acknowledged;
  std::shared_ptr<const protocol::auth::RsaKey> rsa_key;
  std::unique_ptr<asio::ssl::context> tls;  // null when TLS to clients is off
  Sha2Cache sha2_cache;
  // Connection ids causeway announces in its greeting. Drivers send them back in KILL; the
  // range starts above any server thread id so such a KILL can never reach, and kill, an
  // unrelated server thread.
  static constexpr std::uint32_t first_connection_id = 1u << 31;
  std::atomic<std::uint32_t> next_connection_id{first_connection_id};
  std::atomic<std::int64_t> active_clients{0};
  SessionRegistry sessions;
  std::string server_version;  // announced to clients
  // MariaDB capabilities offered to clients (when the version says MariaDB): those causeway
  // relays that the primary had at start-up (all of them when it could not be reached).
  std::uint32_t mariadb_caps = protocol::mariadb_cap::relayable;
  AccountDirectory accounts;   // account_discovery: mysql.user as last read
};

}  // namespace causeway::proxy

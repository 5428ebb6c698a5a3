#include "proxy/pool.hpp"

#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>

namespace causeway::proxy {

namespace {

// A connection that sat idle may have been closed by the server (wait_timeout, restart):
// peek without blocking. Readable with zero bytes, or readable at all, means unusable.
bool still_open(Backend& b) {
  char byte;
  const ssize_t n = ::recv(b.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// Checked only after this long idle: a connection given back a moment ago is alive, and
// the peek would cost a syscall per statement.
constexpr std::chrono::milliseconds check_after{1000};

}  // namespace

std::size_t PoolKeyHash::operator()(const PoolKey& k) const noexcept {
  std::size_t h = std::hash<std::string>{}(k.user);
  h ^= (k.server + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2));
  h ^= (std::size_t(k.caps) << 8 | k.charset | std::size_t(k.mariadb_caps) << 40 | std::size_t(k.no_database) << 39) +
       0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h;
}

BackendPool::BackendPool(asio::io_context& ctx, std::vector<Endpoint> servers, PoolLimits limits)
    : ctx_(ctx),
      servers_(std::move(servers)),
      limits_(limits),
      warming_total_(servers_.size(), 0),
      open_(servers_.size(), 0),
      waiters_(servers_.size()),
      refused_until_(servers_.size()) {}

void BackendPool::remember(const PoolKey& key, const BackendLogin& login) {
  if (limits_.min_idle == 0 || closed_) return;
  if (logins_.try_emplace(key, login).second) top_up(key);
}

void BackendPool::top_up(const PoolKey& key) {
  if (limits_.min_idle == 0 || closed_ || !logins_.contains(key)) return;
  auto it = idle_.find(key);
  const std::size_t idle = it == idle_.end() ? 0 : it->second.size();
  auto& warming = warming_[key];
  while (idle + warming < limits_.min_idle && !at_limit(key.server) &&
         !refusing(key.server, std::chrono::steady_clock::now())) {
    ++warming;
    ++warming_total_[key.server];
    auto task = [this, key]() -> awaitable<void> { co_await warm(key); };
    asio::co_spawn(ctx_, task, asio::detached);
  }
}

awaitable<void> BackendPool::warm(PoolKey key) {
  auto backend = std::make_unique<Backend>(ctx_.get_executor(), servers_[key.server]);
  const BackendLogin login = logins_.at(key);
  auto err = co_await backend->connect(login, limits_.connect_timeout);
  --warming_[key];
  --warming_total_[key.server];
  if (err || closed_) co_return;  // a failed warm-up is retried by the next take or give
  // Sessions of this key expect responses framed their way (as Session::open_backend checks).
  if (!backend->frames_for(login)) {
    backend->close();
    co_return;
  }
  backend->count_in(open_counter(key.server), this, key.server);
  give(key, std::move(backend));
}

std::unique_ptr<Backend> BackendPool::take(const PoolKey& key, std::uint64_t signature) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  const auto now = std::chrono::steady_clock::now();
  while (!list.empty()) {
    // Most recently used first (warm); but a connection in the session's own state wins.
    std::size_t pick = list.size() - 1;
    for (std::size_t i = list.size(); i-- > 0;) {
      if (list[i].backend->applied.signature == signature) {
        pick = i;
        break;
      }
    }
    Idle entry = std::move(list[pick]);
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(pick));
    // Idle on the server's side since causeway last wrote to it, which may be long before
    // it came back to the pool (a session kept it for a follow-up statement).
    if (now - entry.backend->last_write() >= check_after && !still_open(*entry.backend)) {
      entry.backend->close();
      continue;  // its destructor counts it out
    }
    top_up(key);  // keep the warm-up reserve
    return std::move(entry.backend);
  }
  return nullptr;
}

void BackendPool::give(const PoolKey& key, std::unique_ptr<Backend> backend) {
  if (!backend || !backend->is_open() || closed_) return;
  // Bytes the server sent that no response took: whatever the connection is in the middle
  // of, it is not a state another session can start from.
  if (!backend->reader().buffered().empty()) {
    spdlog::warn("backend '{}': {} unread bytes after a response; closing the connection instead of pooling it",
                 servers_[key.server].name, backend->reader().buffered().size());
    backend->close();
    notify(key.server);
    return;
  }
  if (servers_[key.server].removed) {  // a reload dropped the server: this one ends here
    backend->close();
    notify(key.server);
    return;
  }
  idle_[key].push_back(Idle{std::move(backend), std::chrono::steady_clock::now()});
  notify(key.server, &key);
}

void BackendPool::set_servers(std::vector<Endpoint> servers) {
  servers_ = std::move(servers);
  warming_total_.resize(servers_.size(), 0);
  open_.resize(servers_.size(), 0);
  waiters_.resize(servers_.size());
  refused_until_.resize(servers_.size());
  for (auto it = idle_.begin(); it != idle_.end();) {
    if (!servers_[it->first.server].removed) {
      ++it;
      continue;
    }
    for (auto& i : it->second) i.backend->close();
    it = idle_.erase(it);
  }
  for (auto it = logins_.begin(); it != logins_.end();) {
    it = servers_[it->first.server].removed ? logins_.erase(it) : std::next(it);
  }
}

bool BackendPool::evict_idle(std::size_t server) {
  std::vector<Idle>* oldest_list = nullptr;
  for (auto& [key, list] : idle_) {
    // Each list is in the order connections came back: its front is its oldest.
    if (key.server != server || list.empty()) continue;
    if (oldest_list == nullptr || list.front().since < oldest_list->front().since) oldest_list = &list;
  }
  if (oldest_list == nullptr) return false;
  oldest_list->front().backend->close();
  oldest_list->erase(oldest_list->begin());  // its destructor counts it out
  return true;
}

std::size_t BackendPool::idle(std::size_t server) const {
  std::size_t n = 0;
  for (const auto& [key, list] : idle_) {
    if (key.server == server) n += list.size();
  }
  return n;
}

awaitable<void> BackendPool::wait(const PoolKey& key, std::chrono::milliseconds timeout) {
  // Registered for exactly as long as it exists: a waiting session destroyed at shutdown
  // leaves no dangling timer behind.
  struct Waiter {
    std::deque<Waiting>& queue;
    asio::steady_timer timer;
    Waiter(std::deque<Waiting>& q, asio::io_context& ctx, const PoolKey& key) : queue(q), timer(ctx) {
      queue.push_back({&timer, &key});
    }
    ~Waiter() {
      std::erase_if(queue, [this](const Waiting& w) { return w.timer == &timer; });
    }
  };
  Waiter waiter(waiters_[key.server], ctx_, key);
  waiter.timer.expires_after(timeout);
  boost::system::error_code ec;
  co_await waiter.timer.async_wait(use_ec(ec));
}

bool BackendPool::has_waiters(const PoolKey& key) const {
  const auto& q = waiters_[key.server];
  return std::any_of(q.begin(), q.end(), [&](const Waiting& w) { return *w.key == key; });
}

void BackendPool::close() {
  closed_ = true;
  idle_.clear();  // each Backend closes its socket as it goes
}

void BackendPool::notify(std::size_t server, const PoolKey* key) {
  auto& q = waiters_[server];
  if (q.empty()) return;
  auto it = q.begin();
  if (key != nullptr) {
    const auto same = std::find_if(q.begin(), q.end(), [&](const Waiting& w) { return *w.key == *key; });
    if (same != q.end()) it = same;
  }
  asio::steady_timer* t = it->timer;
  q.erase(it);
  t->cancel();
}

awaitable<void> BackendPool::sweep() {
  asio::steady_timer timer(ctx_);
  for (;;) {
    timer.expires_after(std::max(limits_.idle_timeout / 4, std::chrono::milliseconds(100)));
    boost::system::error_code ec;
    co_await timer.async_wait(use_ec(ec));
    if (ec) co_return;
    const auto now = std::chrono::steady_clock::now();
    for (auto& [key, list] : idle_) {
      std::erase_if(list, [&](Idle& e) {
        if (now - e.since < limits_.idle_timeout) return false;
        e.backend->close();
        return true;
      });
    }
  }
}

}  // namespace causeway::proxy

#include "proxy/server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <csignal>

#include "proxy/protocol/frame.hpp"
#include "proxy/protocol/packets.hpp"
#include "proxy/rules_from_config.hpp"
#include "proxy/session.hpp"
#include "proxy/status_server.hpp"

namespace causeway::proxy {

using namespace boost::asio::experimental::awaitable_operators;

namespace {

// Announced when the primary cannot be reached at start-up to learn its own version.
constexpr const char* fallback_version = "8.0.36-causeway";

// The per-server connection limit is shared out between the workers.
PoolLimits pool_limits(const config::Config& cfg, unsigned workers) {
  PoolLimits limits;
  const auto total = cfg.pool.max_connections_per_server;
  limits.max_per_server = total == 0 ? 0 : std::max(1u, total / workers);
  limits.idle_timeout = cfg.pool.idle_timeout;
  limits.min_idle = cfg.pool.min_idle;
  limits.connect_timeout = cfg.timeouts.backend_connect;
  return limits;
}

std::unique_ptr<asio::ssl::context> make_tls(const config::Tls& tls) {
  if (!tls.enabled()) return nullptr;
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                   asio::ssl::context::single_dh_use);
  ctx->use_certificate_chain_file(tls.cert_file);
  ctx->use_private_key_file(tls.key_file, asio::ssl::context::pem);
  return ctx;
}

}  // namespace

Greeting probe_greeting(const Endpoint& endpoint, std::chrono::milliseconds timeout) {
  asio::io_context ctx{1};
  Greeting greeting;
  auto probe = [&]() -> awaitable<void> {
    tcp::socket socket(ctx);
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(endpoint.host, ec);
    if (ec) co_return;
    co_await socket.async_connect(tcp::endpoint(address, endpoint.port), use_ec(ec));
    if (ec) co_return;
    protocol::FrameReader reader;
    protocol::Packet pkt;
    for (;;) {
      std::error_code pec;
      const auto st = reader.next(pkt, pec);
      if (st == protocol::FrameStatus::error) co_return;
      if (st == protocol::FrameStatus::packet) break;
      const std::size_t n = co_await socket.async_read_some(to_buffer(reader.prepare()), use_ec(ec));
      if (ec) co_return;
      reader.commit(n);
    }
    protocol::Handshake hs;
    if (protocol::decode_handshake(pkt.payload, hs)) co_return;
    greeting.version = hs.server_version;
    // MariaDB announces its extended capabilities with CLIENT_MYSQL off.
    greeting.mariadb_caps = (hs.capabilities & protocol::cap::long_password) ? 0 : hs.mariadb_capabilities;
  };
  asio::co_spawn(ctx, probe, asio::detached);
  ctx.run_for(timeout);
  return greeting;
}

Server::Server(std::shared_ptr<const config::Config> cfg, std::string config_path)
    : config_path_(std::move(config_path)) {
  services_.runtime = Runtime::build(cfg);
  services_.rsa_key = protocol::auth::RsaKey::generate();
  services_.tls = make_tls(cfg->tls);
  // The primary's greeting: its version (unless server_version is set) and the MariaDB
  // capabilities causeway may offer (only those the primary has: extended metadata came
  // with MariaDB 10.5, and a backend without it cannot serve a client that has it).
  const auto& primary = services_.runtime->servers[routing::primary_index(*services_.runtime->configured_topology)];
  const Greeting greeting = probe_greeting(primary, cfg->timeouts.backend_connect);
  if (greeting.mariadb_caps) services_.mariadb_caps &= *greeting.mariadb_caps;
  services_.server_version = cfg->server_version;
  if (services_.server_version.empty()) {
    services_.server_version = greeting.version;
    if (services_.server_version.empty()) {
      spdlog::warn("cannot read the version of primary '{}' ({}:{}); announcing '{}' (set server_version)",
                   primary.name, primary.host, primary.port, fallback_version);
      services_.server_version = fallback_version;
    }
  }
  unsigned n = cfg->workers != 0 ? cfg->workers : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>(services_, i);
    w->runtime = services_.runtime;
    w->topology = services_.runtime->configured_topology;
    w->outstanding.assign(services_.runtime->servers.size(), 0);
    w->statements_by_server = std::vector<Counter>(services_.runtime->servers.size());
    w->rule_hits = std::vector<Counter>(services_.runtime->rules ? services_.runtime->rules->size() : 0);
    w->pool = std::make_unique<BackendPool>(w->ctx, services_.runtime->servers, pool_limits(*cfg, n));
    workers_.push_back(std::move(w));
  }
  open_listeners();
  open_status();
}

Server::~Server() {
  services_.accounts.stop();  // its reader posts to the workers' event loops
  stop_monitor();
  for (auto& w : workers_) w->ctx.stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

// The monitor's snapshots reach each worker through its own event loop: workers read their
// copy without locks. Snapshots come as fast as transactions commit, so a worker that has
// not yet picked up the last one is not posted to again: it takes the newest when it runs.
void Server::publish(routing::TopologyPtr topology) {
  {
    std::lock_guard lock(latest_mutex_);
    latest_ = std::move(topology);
  }
  for (auto& w : workers_) {
    if (w->topology_pending.exchange(true, std::memory_order_acq_rel)) continue;
    asio::post(w->ctx, [this, worker = w.get()] {
      worker->topology_pending.store(false, std::memory_order_release);
      {
        std::lock_guard lock(latest_mutex_);
        worker->topology = latest_;
      }
      worker->topology_changed();
    });
  }
}

// What consistency cost over the run, for operators and tests/bench (the status port
// shows the same live).
void Server::log_consistency_summary() const {
  using replication::LogHistogram;
  LogHistogram::Totals waits{};
  std::uint64_t timeouts = 0, fallbacks = 0, commits = 0;
  for (const auto& w : workers_) {
    w->stats.consistency_wait.add_to(waits);
    timeouts += w->stats.decisions[static_cast<std::size_t>(routing::Reason::ConsistencyTimeout)].get();
    fallbacks += w->stats.decisions[static_cast<std::size_t>(routing::Reason::ConsistencyFallback)].get();
    commits += w->stats.commit_gtids.get();
  }
  spdlog::info("consistency: {} commit GTIDs captured; {} reads waited for a replica (p50 {} us, p99 {} us, "
               "max {} us), {} reached their deadline, {} went to the primary without waiting",
               commits, LogHistogram::total(waits), LogHistogram::quantile(waits, 0.5),
               LogHistogram::quantile(waits, 0.99), LogHistogram::quantile(waits, 1.0), timeouts, fallbacks);
  if (!monitor_) return;
  for (const auto& [name, t] : monitor_->freshness()) {
    if (LogHistogram::total(t) == 0) continue;
    spdlog::info("tracker freshness '{}': {} transactions, stream to visible p50 {} us, p99 {} us", name,
                 LogHistogram::total(t), LogHistogram::quantile(t, 0.5), LogHistogram::quantile(t, 0.99));
  }
}

void Server::stop_monitor() {
  if (monitor_) monitor_->stop();
}

namespace {

// What a reload cannot change: sockets, threads and the server list that sessions, pools
// and the monitor are built on. Empty when the new config may replace the old one.
std::string needs_restart(const config::Config& old, const config::Config& next) {
  const auto same_listeners = [&] {
    if (old.listeners.size() != next.listeners.size()) return false;
    for (std::size_t i = 0; i < old.listeners.size(); ++i) {
      const auto &a = old.listeners[i], &b = next.listeners[i];
      if (a.address != b.address || a.port != b.port) return false;
    }
    return true;
  };
  std::vector<std::string> keys;
  if (!same_listeners()) keys.push_back("listeners");
  if (old.workers != next.workers) keys.push_back("workers");
  if (old.tls.cert_file != next.tls.cert_file || old.tls.key_file != next.tls.key_file || old.tls.require != next.tls.require)
    keys.push_back("tls");
  if (old.status.address != next.status.address || old.status.port != next.status.port) keys.push_back("status");
  if (old.server_version != next.server_version) keys.push_back("server_version");
  if (old.pool.max_connections_per_server != next.pool.max_connections_per_server ||
      old.pool.min_idle != next.pool.min_idle || old.pool.idle_timeout != next.pool.idle_timeout)
    keys.push_back("pool");
  if (keys.empty()) return {};
  std::string out = "these settings only change at start-up; restart causeway to apply them:";
  for (const auto& k : keys) out += " " + k + ",";
  out.pop_back();
  return out;
}

// Roles and weights live in the topology the monitor builds: a change restarts it.
bool same_servers(const config::Config& a, const config::Config& b) {
  if (a.servers.size() != b.servers.size()) return false;
  for (std::size_t i = 0; i < a.servers.size(); ++i) {
    const auto &x = a.servers[i], &y = b.servers[i];
    if (x.name != y.name || x.host != y.host || x.port != y.port || x.role != y.role || x.weight != y.weight ||
        config::backend_tls_for(a, x) != config::backend_tls_for(b, y))
      return false;
  }
  return true;
}

bool same_account(const auto& a, const auto& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->user == b->user && a->password == b->password);
}

}  // namespace

Server::ReloadResult Server::reload() {
  if (config_path_.empty()) return {false, "no configuration file to reload"};
  if (stopping_) return {false, "causeway is shutting down"};
  std::shared_ptr<const config::Config> next;
  try {
    next = std::make_shared<const config::Config>(config::load_file(config_path_));
  } catch (const config::Error& e) {
    return {false, e.what()};
  } catch (const std::exception& e) {
    return {false, fmt::format("{}: {}", config_path_, e.what())};
  }
  const auto& old = *services_.runtime->config;
  if (auto why = needs_restart(old, *next); !why.empty()) return {false, why};

  std::shared_ptr<const Runtime> runtime;
  try {
    runtime = Runtime::build(next, services_.runtime.get());
  } catch (const std::runtime_error& e) {  // a TLS file that validation could read but not load
    return {false, fmt::format("{}: {}", config_path_, e.what())};
  }
  const bool servers_changed = runtime->servers_changed || !same_servers(old, *next);
  const bool restart_monitor = servers_changed ||
      !same_account(old.monitor, next->monitor) || !same_account(old.replication, next->replication) ||
      (old.monitor && next->monitor &&
       (old.monitor->interval != next->monitor->interval || old.monitor->timeout != next->monitor->timeout)) ||
      (old.replication && next->replication &&
       (old.replication->heartbeat != next->replication->heartbeat ||
        old.replication->poll_interval != next->replication->poll_interval ||
        old.replication->server_id != next->replication->server_id));
  services_.runtime = runtime;
  const std::size_t rules = runtime->rules ? runtime->rules->size() : 0;
  for (auto& w : workers_) {
    asio::post(w->ctx, [worker = w.get(), runtime, rules, servers_changed] {
      if (servers_changed) {
        // Slots only grow and keep their index: give the new ones counters and pools, and
        // take the topology as configured until the restarted monitor reports.
        const std::size_t n = runtime->servers.size();
        worker->outstanding.resize(n, 0);
        std::vector<Counter> statements(n);
        for (std::size_t i = 0; i < worker->statements_by_server.size(); ++i)
          statements[i].add(worker->statements_by_server[i].get());
        worker->statements_by_server.swap(statements);
        worker->topology = runtime->configured_topology;
      }
      // Always: a reload re-reads the servers' TLS files (a rotated CA or certificate).
      worker->pool->set_servers(runtime->servers);
      worker->runtime = runtime;
      worker->rule_hits = std::vector<Counter>(rules);  // counts start again with the new rules
      if (servers_changed) worker->topology_changed();
    });
  }
  spdlog::set_level(spdlog::level::from_str(next->log_level));
  if (restart_monitor) {
    // Drained servers stay drained across the restart.
    std::vector<std::string> drained;
    if (monitor_)
      for (const auto& s : monitor_->current()->servers)
        if (s.drained) drained.push_back(s.name);
    stop_monitor();
    monitor_.reset();
    start_monitor();
    if (monitor_)
      for (const auto& name : drained) monitor_->set_drained(name, true);
  }
  return {true, fmt::format("configuration reloaded from {}: {} users, {} rules{}{}", config_path_,
                            runtime->users.size(), rules, servers_changed ? "; servers changed" : "",
                            restart_monitor ? "; monitor and streams restarted" : "")};
}

void Server::start_monitor() {
  const auto& cfg = *services_.runtime->config;
  if (!cfg.monitor) {
    spdlog::warn("no monitor account configured: servers are taken to be as configured and never leave rotation");
    return;
  }
  // One spec per server slot, so the monitor's indices are the sessions' and pools'.
  std::vector<replication::ServerSpec> specs;
  const auto& table = services_.runtime->servers;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const auto& t = services_.runtime->configured_topology->servers[i];
    specs.push_back({table[i].name, table[i].host, table[i].port, t.configured_role, t.weight, table[i].removed,
                     client_tls(table[i].tls_settings)});
  }
  replication::MonitorSettings settings{cfg.monitor->user, cfg.monitor->password, cfg.monitor->interval,
                                        cfg.monitor->timeout};
  std::optional<replication::StreamSettings> streams;
  if (const auto& r = cfg.replication) {
    streams = replication::StreamSettings{r->user, r->password, r->heartbeat, r->poll_interval,
                                          cfg.timeouts.backend_connect, r->server_id};
  } else {
    spdlog::warn("no replication account configured: GTIDs are not tracked, so reads that need a session's own "
                 "writes go to the primary");
  }
  monitor_ = std::make_unique<replication::Monitor>(std::move(specs), std::move(settings),
                                                    [this](routing::TopologyPtr t) { publish(std::move(t)); },
                                                    std::move(streams));
  monitor_->start();
}

void Server::open_listeners() {
  for (const auto& l : services_.runtime->config->listeners) {
    const std::string host = l.address == "localhost" ? "127.0.0.1" : l.address;
    tcp::endpoint ep(asio::ip::make_address(host), l.port);
    auto acceptor = std::make_unique<tcp::acceptor>(main_ctx_);
    acceptor->open(ep.protocol());
    acceptor->set_option(tcp::acceptor::reuse_address(true));
    boost::system::error_code ec;
    acceptor->bind(ep, ec);
    if (ec) throw std::runtime_error(fmt::format("listener '{}': cannot listen on {}:{}: {}", l.name, host, l.port, ec.message()));
    acceptor->listen(asio::socket_base::max_listen_connections);
    spdlog::info("listener '{}' on {}:{}", l.name, host, l.port);
    acceptors_.push_back(std::move(acceptor));
  }
}

// The status port lives on the main event loop, as reload and drain do: the hooks read
// what those change without locks.
void Server::open_status() {
  const auto& where = services_.runtime->config->status;
  if (where.port == 0) return;
  StatusHooks hooks;
  hooks.runtime = [this] { return services_.runtime; };
  hooks.monitor = [this] { return monitor_.get(); };
  hooks.stopping = [this] { return stopping_; };
  hooks.reload = [this] { return reload(); };
  status_ = std::make_unique<StatusServer>(main_ctx_, where, workers_, std::move(hooks));
}

awaitable<void> Server::accept_loop(tcp::acceptor& acceptor) {
  while (!stopping_) {
    Worker& worker = *workers_[next_worker_++ % workers_.size()];
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(worker.ctx, use_ec(ec));
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) co_return;
      // Out of file descriptors and the like: say so and retry shortly rather than spin.
      spdlog::error("accept failed: {}", ec.message());
      asio::steady_timer pause(main_ctx_, std::chrono::milliseconds(100));
      co_await pause.async_wait(use_ec(ec));
      continue;
    }
    asio::post(worker.ctx, [&worker, s = std::move(socket)]() mutable { spawn_session(worker, std::move(s)); });
  }
}

std::int64_t Server::active_sessions() const {
  std::int64_t n = 0;
  for (const auto& w : workers_) n += w->stats.client_connections_active.get();
  return n;
}

awaitable<void> Server::wait_for_signal() {
  asio::signal_set signals(main_ctx_, SIGTERM, SIGINT, SIGHUP);
  for (;;) {
    boost::system::error_code ec;
    const int sig = co_await signals.async_wait(use_ec(ec));
    if (ec) co_return;
    if (sig == SIGHUP) {
      const auto r = reload();
      if (r.ok) spdlog::info("SIGHUP: {}", r.message);
      else spdlog::error("SIGHUP: configuration not reloaded, the running one stays:\n{}", r.message);
      continue;
    }
    spdlog::info("received signal {}; stopping: no new connections, running statements may finish", sig);
    co_await drain();
    co_return;
  }
}

// Stop accepting; idle sessions close now, busy ones after their current statement;
// whatever still runs after shutdown_grace is cut.
awaitable<void> Server::drain() {
  stopping_ = true;
  for (auto& a : acceptors_) {
    boost::system::error_code ignored;
    a->close(ignored);
  }
  for (auto& w : workers_) {
    asio::post(w->ctx, [worker = w.get()] {
      worker->stopping = true;
      // Copy: request_stop may end a session, which erases itself from the set.
      std::vector<Session*> sessions(worker->sessions.begin(), worker->sessions.end());
      for (Session* s : sessions) s->request_stop();
    });
  }
  const auto grace = services_.runtime->config->timeouts.shutdown_grace;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  asio::steady_timer tick(main_ctx_);
  // Shutdown is not on the data path: polling the session counters here is fine.
  while (active_sessions() > 0 && std::chrono::steady_clock::now() < deadline) {
    tick.expires_after(std::chrono::milliseconds(20));
    boost::system::error_code ec;
    co_await tick.async_wait(use_ec(ec));
  }
  if (const auto left = active_sessions(); left > 0) {
    spdlog::warn("shutdown grace of {} ms over; closing {} sessions", grace.count(), left);
  }
  if (status_) status_->stop();
  main_ctx_.stop();
}

int Server::run() {
  std::signal(SIGPIPE, SIG_IGN);
  for (auto& w : workers_) {
    auto sweep = [pool = w->pool.get()]() -> awaitable<void> { co_await pool->sweep(); };
    asio::co_spawn(w->ctx, sweep, asio::detached);
    auto watch = [worker = w.get()]() -> awaitable<void> { co_await watch_running_statements(*worker); };
    asio::co_spawn(w->ctx, watch, asio::detached);
    threads_.emplace_back([worker = w.get()] {
      auto guard = asio::make_work_guard(worker->ctx);
      worker->ctx.run();
    });
  }
  for (auto& a : acceptors_) {
    auto loop = [this, acc = a.get()]() -> awaitable<void> { co_await accept_loop(*acc); };
    asio::co_spawn(main_ctx_, loop, asio::detached);
  }
  if (status_) status_->start();
  auto signals = [this]() -> awaitable<void> { co_await wait_for_signal(); };
  asio::co_spawn(main_ctx_, signals, [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  start_monitor();
  spdlog::info("causeway ready: {} workers, announcing server version '{}'", workers_.size(), services_.server_version);
  main_ctx_.run();
  log_consistency_summary();
  stop_monitor();
  for (auto& w : workers_) w->ctx.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  spdlog::info("causeway stopped");
  return 0;
}

}  // namespace causeway::proxy

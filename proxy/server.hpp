// The proxy process: worker threads, listeners, signals and graceful shutdown.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "proxy/asio.hpp"
#include "proxy/services.hpp"
#include "proxy/worker.hpp"
#include "replication/monitor.hpp"

namespace causeway::proxy {

class StatusServer;

class Server {
 public:
  // `config_path` is re-read by reload(); empty: reload is refused.
  Server(std::shared_ptr<const config::Config> cfg, std::string config_path = {});
  ~Server();
  // Runs until SIGTERM/SIGINT and a graceful drain; returns the process exit code. SIGHUP
  // reloads the configuration.
  int run();

  // Re-reads the config file. A valid one replaces the running config: new logins,
  // statements and rules use it, running sessions are not broken (each takes the new
  // config at its next command). An invalid one, or one that changes what can only change
  // at start-up, is rejected and the old config stays. Runs on the main thread.
  struct ReloadResult {
    bool ok = false;
    std::string message;  // what changed, or every located error / the reason
  };
  ReloadResult reload();

 private:
  void open_listeners();
  void open_status();
  void start_monitor();
  void stop_monitor();
  void publish(routing::TopologyPtr topology);
  void log_consistency_summary() const;
  awaitable<void> accept_loop(tcp::acceptor& acceptor);
  awaitable<void> wait_for_signal();
  awaitable<void> drain();
  std::int64_t active_sessions() const;

  const std::string config_path_;
  Services services_;
  asio::io_context main_ctx_{1};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors_;
  std::unique_ptr<StatusServer> status_;  // null when status.port is 0
  std::unique_ptr<replication::Monitor> monitor_;
  std::mutex latest_mutex_;          // the newest snapshot, for workers to pick up
  routing::TopologyPtr latest_;
  std::size_t next_worker_ = 0;
  bool stopping_ = false;
};

// What a server's greeting says; empty version and no capabilities when unreachable.
struct Greeting {
  std::string version;
  std::optional<std::uint32_t> mariadb_caps;  // MariaDB's extended capabilities (0 for MySQL)
};
Greeting probe_greeting(const Endpoint& endpoint, std::chrono::milliseconds timeout);

}  // namespace causeway::proxy

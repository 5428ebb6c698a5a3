// The status port: HTTP/1.1 (Boost.Beast) on its own listener, served on the Server's
// main event loop, never on a worker's. Metrics, the JSON API, the dashboard and the admin
// actions; what each endpoint returns is docs/status-api.md.
//
// Worker state that is not atomic (pools, decision rings, per-rule and per-server counters)
// is copied by a small coroutine run on each worker's own io_context; the status coroutine
// awaits it. Nothing on the data path takes a lock for the status port.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "proxy/asio.hpp"
#include "proxy/server.hpp"
#include "proxy/worker.hpp"
#include "replication/monitor.hpp"

namespace causeway::proxy {

namespace status {
struct Snapshot;
}

// What the status port asks of the Server; every hook is called on the status port's
// thread (the Server's main event loop), where the Server changes these.
struct StatusHooks {
  std::function<std::shared_ptr<const Runtime>()> runtime;  // the running config
  std::function<replication::Monitor*()> monitor;           // null without a monitor
  std::function<bool()> stopping;                           // shutdown has begun
  std::function<Server::ReloadResult()> reload;
};

class StatusServer {
 public:
  static constexpr std::size_t max_connections = 64;
  static constexpr std::size_t header_limit = 8 * 1024;
  static constexpr std::size_t body_limit = 64 * 1024;
  static constexpr std::chrono::seconds read_timeout{10};  // per request, also between keep-alive requests
  static constexpr std::chrono::seconds write_timeout{10};

  // Binds and listens on `where` (throws std::runtime_error naming the address if it
  // cannot); serves nothing until start().
  StatusServer(asio::io_context& ctx, const config::Status& where,
               const std::vector<std::unique_ptr<Worker>>& workers, StatusHooks hooks);
  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  void start();
  // Closes the listener and every open status connection.
  void stop();

  struct Connections;  // shared with the connection coroutines, which may outlive this

 private:
  struct Request;
  struct Response;
  awaitable<void> accept_loop();
  awaitable<void> serve(tcp::socket socket);
  awaitable<Response> handle(const Request& req);
  awaitable<Response> get(std::string path, std::string query);
  static bool get_path(std::string_view path);  // a GET endpoint serves it
  Response readiness() const;
  Response post(const Request& req, std::string_view path);
  std::optional<Response> admin_refusal(const Request& req) const;
  Response drain(std::string_view name, bool drained);
  awaitable<status::Snapshot> snapshot(bool with_decisions);

  asio::io_context& ctx_;
  const std::vector<std::unique_ptr<Worker>>& workers_;
  StatusHooks hooks_;
  tcp::acceptor acceptor_;
  std::shared_ptr<Connections> connections_;
};

}  // namespace causeway::proxy

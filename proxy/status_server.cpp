#include "proxy/status_server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <unordered_set>

#include "proxy/dashboard_html.hpp"  // generated from proxy/status/dashboard.html
#include "proxy/status_data.hpp"
#include "proxy/status_format.hpp"

namespace causeway::proxy {

namespace beast = boost::beast;
namespace http = beast::http;

struct StatusServer::Request {
  http::request<http::string_body> msg;
  std::string peer;  // for the log of admin actions
};

struct StatusServer::Response {
  http::response<http::string_body> msg;
};

// Open connections, so stop() can close them and accept can refuse past the limit. Held
// by the connection coroutines too: their frames may be destroyed after the StatusServer
// (with the event loop, at exit).
struct StatusServer::Connections {
  std::unordered_set<beast::tcp_stream*> open;
  bool stopped = false;
};

namespace {

constexpr std::string_view json_type = "application/json";
constexpr std::string_view text_type = "text/plain; charset=utf-8";
constexpr std::string_view metrics_type = "text/plain; version=0.0.4; charset=utf-8";

http::response<http::string_body> reply(http::status code, std::string body, std::string_view type) {
  http::response<http::string_body> res{code, 11};
  res.set(http::field::server, "causeway");
  res.set(http::field::content_type, type);
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.body() = std::move(body);
  return res;
}

http::response<http::string_body> json_error(http::status code, std::string_view message) {
  return reply(code, status::error_json(message), json_type);
}

http::response<http::string_body> not_allowed(std::string_view allow) {
  auto res = json_error(http::status::method_not_allowed, fmt::format("method not allowed here; use {}", allow));
  res.set(http::field::allow, allow);
  return res;
}

// "limit=20&x=y" -> 20; `fallback` when absent or not a number.
std::size_t limit_param(std::string_view query, std::size_t fallback) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    if (item.starts_with("limit=")) {
      std::size_t n = 0;
      const auto v = item.substr(6);
      if (std::from_chars(v.data(), v.data() + v.size(), n).ec == std::errc{}) return n;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return fallback;
}

// Removes a stream from the open set when its coroutine ends (or its frame is destroyed).
struct Registration {
  std::shared_ptr<StatusServer::Connections> connections;
  beast::tcp_stream* stream;
  ~Registration() { connections->open.erase(stream); }
};

}  // namespace

StatusServer::StatusServer(asio::io_context& ctx, const config::Status& where,
                           const std::vector<std::unique_ptr<Worker>>& workers, StatusHooks hooks)
    : ctx_(ctx), workers_(workers), hooks_(std::move(hooks)), acceptor_(ctx),
      connections_(std::make_shared<Connections>()) {
  const std::string host = where.address == "localhost" ? "127.0.0.1" : where.address;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) throw std::runtime_error(fmt::format("status port: '{}' is not an IP address", host));
  const tcp::endpoint ep(address, where.port);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(ep, ec);
  if (ec) throw std::runtime_error(fmt::format("status port: cannot listen on {}:{}: {}", host, where.port, ec.message()));
  acceptor_.listen(asio::socket_base::max_listen_connections);
  spdlog::info("status port on http://{}:{}/ (metrics, JSON API, dashboard)", host, where.port);
}

StatusServer::~StatusServer() { stop(); }

void StatusServer::start() {
  auto loop = [this]() -> awaitable<void> { co_await accept_loop(); };
  // The status port failing must not take the proxy down with it.
  asio::co_spawn(ctx_, loop, [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("status port: no longer accepting connections: {}", ex.what());
    }
  });
}

void StatusServer::stop() {
  connections_->stopped = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  // Copy: closing ends connections, which erase themselves.
  const std::vector<beast::tcp_stream*> open(connections_->open.begin(), connections_->open.end());
  for (auto* stream : open) stream->socket().close(ignored);
}

awaitable<void> StatusServer::accept_loop() {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(use_ec(ec));
    if (connections_->stopped) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      spdlog::error("status port: accept failed: {}", ec.message());
      asio::steady_timer pause(ctx_, std::chrono::milliseconds(100));
      co_await pause.async_wait(use_ec(ec));
      continue;
    }
    if (connections_->open.size() >= max_connections) {
      spdlog::warn("status port: {} connections open already; closing a new one", max_connections);
      socket.close(ec);
      continue;
    }
    auto connection = [this, s = std::move(socket)]() mutable -> awaitable<void> { co_await serve(std::move(s)); };
    asio::co_spawn(ctx_, std::move(connection), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::warn("status port: connection ended by an exception: {}", ex.what());
      }
    });
  }
}

awaitable<void> StatusServer::serve(tcp::socket socket) {
  boost::system::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  Request req;
  req.peer = ec ? std::string("?") : fmt::format("{}:{}", remote.address().to_string(), remote.port());
  beast::tcp_stream stream(std::move(socket));
  connections_->open.insert(&stream);
  const Registration registration{connections_, &stream};
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(header_limit);
    parser.body_limit(body_limit);
    stream.expires_after(read_timeout);
    co_await http::async_read(stream, buffer, parser, use_ec(ec));
    Response res;
    bool keep_alive = false;
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::eof) {
      break;
    } else if (ec == http::error::body_limit) {
      res.msg = json_error(http::status::payload_too_large, fmt::format("request body over {} bytes", body_limit));
    } else if (ec == http::error::header_limit) {
      res.msg = json_error(http::status::request_header_fields_too_large,
                           fmt::format("request header over {} bytes", header_limit));
    } else if (ec) {
      res.msg = json_error(http::status::bad_request, fmt::format("not an HTTP/1.1 request: {}", ec.message()));
    } else {
      req.msg = parser.release();
      res = co_await handle(req);
      keep_alive = req.msg.keep_alive() && !connections_->stopped && !hooks_.stopping();
    }
    res.msg.keep_alive(keep_alive);
    res.msg.prepare_payload();
    stream.expires_after(write_timeout);
    co_await http::async_write(stream, res.msg, use_ec(ec));
    if (ec || !keep_alive) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

awaitable<StatusServer::Response> StatusServer::handle(const Request& req) {
  const std::string_view target = req.msg.target();
  const auto q = target.find('?');
  std::string path(target.substr(0, q));
  std::string query(q == std::string_view::npos ? std::string_view() : target.substr(q + 1));
  const bool admin = path == "/api/reload" ||
                     (path.starts_with("/api/servers/") && (path.ends_with("/drain") || path.ends_with("/undrain")));
  if (admin) {
    if (req.msg.method() != http::verb::post) co_return Response{not_allowed("POST")};
    co_return post(req, path);
  }
  if (!get_path(path)) co_return Response{json_error(http::status::not_found, fmt::format("no such endpoint: {}", path))};
  if (req.msg.method() != http::verb::get) co_return Response{not_allowed("GET")};
  co_return co_await get(std::move(path), std::move(query));
}

bool StatusServer::get_path(std::string_view path) {
  static constexpr std::string_view paths[] = {"/",           "/healthz",       "/readyz",     "/metrics",
                                               "/api/topology", "/api/servers", "/api/pools",  "/api/rules",
                                               "/api/decisions", "/api/config", "/api/stats"};
  for (auto p : paths)
    if (path == p) return true;
  // /api/servers/{name}: names are letters, digits, '_', '-', '.' (config validation).
  return path.starts_with("/api/servers/") && path.size() > 13 && path.find('/', 13) == std::string_view::npos;
}

awaitable<StatusServer::Response> StatusServer::get(std::string path, std::string query) {
  constexpr auto ok = http::status::ok;
  if (path == "/") co_return Response{reply(ok, std::string(dashboard_html()), "text/html; charset=utf-8")};
  if (path == "/healthz") co_return Response{reply(ok, "ok\n", text_type)};
  if (path == "/readyz") co_return readiness();
  if (path == "/api/config") co_return Response{reply(ok, status::config_json(*hooks_.runtime()->config), json_type)};

  const status::Snapshot s = co_await snapshot(path == "/api/decisions");
  if (path == "/metrics") co_return Response{reply(ok, status::metrics_text(s), metrics_type)};
  if (path == "/api/topology") co_return Response{reply(ok, status::topology_json(s), json_type)};
  if (path == "/api/servers") co_return Response{reply(ok, status::servers_json(s), json_type)};
  if (path == "/api/pools") co_return Response{reply(ok, status::pools_json(s), json_type)};
  if (path == "/api/rules") co_return Response{reply(ok, status::rules_json(s), json_type)};
  if (path == "/api/stats") co_return Response{reply(ok, status::stats_json(s), json_type)};
  if (path == "/api/decisions") {
    const std::size_t limit = limit_param(query, DecisionRing::capacity * workers_.size());
    co_return Response{reply(ok, status::decisions_json(s, limit), json_type)};
  }
  // get_path() let only /api/servers/{name} through to here.
  const std::string_view name = std::string_view(path).substr(std::string_view("/api/servers/").size());
  const auto index = s.find_server(name);
  if (!index) co_return Response{json_error(http::status::not_found, fmt::format("no server named '{}'", name))};
  co_return Response{reply(ok, status::server_json(s, *index), json_type)};
}

StatusServer::Response StatusServer::readiness() const {
  constexpr auto unavailable = http::status::service_unavailable;
  if (hooks_.stopping()) return Response{reply(unavailable, "not ready: shutting down\n", text_type)};
  replication::Monitor* monitor = hooks_.monitor();
  const auto topology = monitor ? monitor->current() : hooks_.runtime()->configured_topology;
  if (!topology->writer) {
    const char* why = monitor && topology->generation == 0 ? "not ready: no server checked yet\n"
                                                            : "not ready: no writer known or reachable\n";
    return Response{reply(unavailable, why, text_type)};
  }
  return Response{reply(http::status::ok, "ready\n", text_type)};
}

// 401 without credentials, 403 with wrong ones or when admin actions are off; nullopt
// when the request may go ahead.
std::optional<StatusServer::Response> StatusServer::admin_refusal(const Request& req) const {
  const auto& token = hooks_.runtime()->config->status.admin_token;
  if (!token) {
    return Response{json_error(http::status::forbidden,
                               "admin actions are disabled: no admin token is configured (status.admin_token or "
                               "the CAUSEWAY_ADMIN_TOKEN environment variable)")};
  }
  const auto header = req.msg.find(http::field::authorization);
  const auto given = header == req.msg.end() ? std::nullopt : status::bearer_token(header->value());
  if (!given) {
    auto res = json_error(http::status::unauthorized, "admin actions need the header: Authorization: Bearer <token>");
    res.set(http::field::www_authenticate, "Bearer realm=\"causeway\"");
    return Response{std::move(res)};
  }
  if (!status::constant_time_equal(*given, *token)) {
    spdlog::warn("status port: {} {} from {} refused: wrong admin token", std::string_view(req.msg.method_string()),
                 std::string_view(req.msg.target()), req.peer);
    return Response{json_error(http::status::forbidden, "wrong admin token")};
  }
  return std::nullopt;
}

StatusServer::Response StatusServer::post(const Request& req, std::string_view path) {
  if (auto refused = admin_refusal(req)) return std::move(*refused);
  spdlog::info("status port: POST {} from {}", path, req.peer);
  if (path == "/api/reload") {
    const auto r = hooks_.reload();
    status::Json j;
    j.begin_object().field("ok", r.ok);
    if (r.ok) j.field("message", r.message);
    else j.field("error", r.message);
    j.end_object();
    if (r.ok) spdlog::info("status port: {}", r.message);
    else spdlog::error("status port: configuration not reloaded, the running one stays:\n{}", r.message);
    return Response{reply(r.ok ? http::status::ok : http::status::unprocessable_entity, j.take(), json_type)};
  }
  // /api/servers/{name}/drain or /undrain
  const std::string_view rest = path.substr(std::string_view("/api/servers/").size());
  const auto slash = rest.rfind('/');
  return drain(rest.substr(0, slash), rest.substr(slash + 1) == "drain");
}

StatusServer::Response StatusServer::drain(std::string_view name, bool drained) {
  replication::Monitor* monitor = hooks_.monitor();
  if (monitor == nullptr) {
    return Response{json_error(http::status::conflict,
                               "no monitor is configured (the `monitor` section): servers are taken as configured "
                               "and cannot be drained")};
  }
  if (name.empty() || name.find('/') != std::string_view::npos || !monitor->set_drained(name, drained))
    return Response{json_error(http::status::not_found, fmt::format("no server named '{}'", name))};
  status::Json j;
  j.begin_object().field("server", name).field("drained", drained).end_object();
  return Response{reply(http::status::ok, j.take(), json_type)};
}

awaitable<status::Snapshot> StatusServer::snapshot(bool with_decisions) {
  status::Snapshot s;
  s.runtime = hooks_.runtime();
  // The monitor may be replaced by a reload between two awaits: use it only here.
  if (replication::Monitor* monitor = hooks_.monitor()) {
    s.monitored = true;
    s.topology = monitor->current();
    s.freshness = monitor->freshness_histograms();
    s.visibility_checks = monitor->visibility_checks();
  } else {
    s.topology = s.runtime->configured_topology;
  }
  s.stopping = hooks_.stopping();
  s.now = std::chrono::steady_clock::now();
  for (const auto& w : workers_) {
    s.stats.push_back(&w->stats);
    // Runs on the worker's own thread: the pool and the ring are not thread-safe.
    auto take = [worker = w.get(), with_decisions]() -> awaitable<status::WorkerSample> {
      status::WorkerSample sample;
      sample.worker = worker->index;
      const std::size_t servers = worker->statements_by_server.size();
      for (std::size_t i = 0; i < servers; ++i) {
        sample.pools.push_back({worker->pool->open(i), worker->pool->idle(i)});
        sample.statements_by_server.push_back(worker->statements_by_server[i].get());
      }
      for (const Counter& c : worker->rule_hits) sample.rule_hits.push_back(c.get());
      if (with_decisions) worker->decisions.for_each([&](const DecisionRecord& r) { sample.decisions.push_back(r); });
      co_return sample;
    };
    status::WorkerSample sample = co_await asio::co_spawn(w->ctx, take, asio::use_awaitable);
    s.workers.push_back(std::move(sample));
  }
  co_return s;
}

}  // namespace causeway::proxy

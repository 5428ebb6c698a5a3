// The command phase of a client session: read a command, pick a backend, relay the
// response bytes as they arrive while the tracker follows the packet structure.
#include "proxy/session.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "proxy/protocol/constants.hpp"
#include "proxy/protocol/errors.hpp"
#include "proxy/protocol/stmt.hpp"
#include "routing/router.hpp"

namespace causeway::proxy {

namespace pr = protocol;
using namespace boost::asio::experimental::awaitable_operators;

Session::Session(Worker& worker, tcp::socket socket)
    : worker_(worker),
      runtime_(worker.services.runtime),
      client_(std::move(socket)),
      client_reader_(runtime_->config->limits.max_packet_size, 16 * 1024),
      timer_(worker.ctx) {
  boost::system::error_code ec;
  auto ep = client_.socket().remote_endpoint(ec);
  peer_ = ec ? std::string("?") : fmt::format("{}:{}", ep.address().to_string(), ep.port());
  client_.socket().set_option(tcp::no_delay(true), ec);
  backends_.resize(runtime_->servers.size());
  worker_.sessions.insert(this);
  worker_.stats.client_connections.add();
  worker_.stats.client_connections_active.add(1);
}

Session::~Session() {
  close_backends();
  client_.close();
  worker_.sessions.erase(this);
  worker_.stats.client_connections_active.add(-1);
  if (counted_) worker_.services.active_clients.fetch_sub(1, std::memory_order_relaxed);
}

awaitable<void> Session::start() { co_await (run() || watchdog()); }

void Session::request_stop() {
  stop_requested_ = true;
  if (phase_ == Phase::idle) client_.close();
}

// Enforces deadlines without a timer per read: the deadline is a plain field the session
// moves; this coroutine wakes when it passes and closes the client socket.
awaitable<void> Session::watchdog() {
  for (;;) {
    timer_.expires_at(deadline_);
    boost::system::error_code ec;
    co_await timer_.async_wait(use_ec(ec));
    if (Clock::now() < deadline_) continue;  // the deadline moved on meanwhile
    if (phase_ == Phase::busy) {
      // Statements may run as long as they like; only waiting clients time out.
      set_deadline(runtime_->config->timeouts.client_idle);
      continue;
    }
    (phase_ == Phase::idle ? worker_.stats.idle_timeouts : worker_.stats.handshake_timeouts).add();
    spdlog::debug("[{}] {} timeout, closing", peer_, phase_ == Phase::idle ? "idle" : "handshake");
    client_.close();
    co_return;
  }
}

awaitable<void> Session::run() {
  const auto& cfg = *runtime_->config;
  const auto active = worker_.services.active_clients.fetch_add(1, std::memory_order_relaxed) + 1;
  counted_ = true;
  if (active > static_cast<std::int64_t>(cfg.limits.max_client_connections)) {
    worker_.stats.too_many_connections.add();
    co_await send_err(0, pr::make_err(pr::er::con_count, "08004", "Too many connections"));
    co_return;
  }
  set_deadline(cfg.timeouts.handshake);
  if (!co_await handshake()) co_return;
  co_await command_loop();
}

std::string Session::peer() const { return peer_; }

awaitable<bool> Session::read_client(pr::Packet& out) {
  for (;;) {
    std::error_code pec;
    const auto st = client_reader_.next(out, pec);
    if (st == pr::FrameStatus::packet) co_return true;
    if (st == pr::FrameStatus::error) {
      const std::uint8_t seq = static_cast<std::uint8_t>(client_reader_.next_seq());
      if (pec == pr::errc::packet_too_large) {
        worker_.stats.oversized_packets.add();
        co_await send_err(seq, pr::make_err(pr::er::net_packet_too_large, "08S01",
                                            fmt::format("Got a packet bigger than 'max_allowed_packet' bytes "
                                                        "(causeway limits.max_packet_size = {})",
                                                        runtime_->config->limits.max_packet_size)));
      } else {
        worker_.stats.sequence_errors.add();
        co_await send_err(seq, pr::make_err(pr::er::net_packets_out_of_order, "08S01", "Got packets out of order"));
      }
      co_return false;
    }
    boost::system::error_code ec;
    const std::size_t n = co_await client_.read_some(to_buffer(client_reader_.prepare(4096)), ec);
    if (ec) co_return false;
    client_reader_.commit(n);
  }
}

awaitable<bool> Session::write_client(asio::const_buffer buf) {
  boost::system::error_code ec;
  co_await client_.write(buf, ec);
  co_return !ec;
}

awaitable<bool> Session::send_client(std::uint8_t seq, pr::Bytes payload) {
  frame_.clear();
  pr::append_packet(frame_, seq, payload);
  co_return co_await write_client(asio::buffer(frame_));
}

awaitable<bool> Session::send_err(std::uint8_t seq, const pr::ErrPacket& err) {
  out_.clear();
  pr::encode_err(err, client_caps_ ? client_caps_ : pr::cap::protocol_41, out_);
  co_return co_await send_client(seq, out_);
}

awaitable<bool> Session::send_ok(std::uint8_t seq) {
  out_.clear();
  pr::OkPacket ok;
  ok.status_flags = status_flags_;
  pr::encode_ok(ok, client_caps_, out_);
  co_return co_await send_client(seq, out_);
}

awaitable<bool> Session::command_loop() {
  const auto& cfg = *runtime_->config;
  while (!stop_requested_) {
    phase_ = Phase::idle;
    set_deadline(cfg.timeouts.client_idle);
    client_reader_.expect_seq(0);
    pr::Packet cmd;
    const bool got = co_await read_client(cmd);
    phase_ = Phase::busy;
    if (!got) co_return false;
    worker_.stats.commands.add();
    if (!co_await on_command(cmd)) co_return false;
  }
  co_return true;
}

awaitable<bool> Session::on_command(const pr::Packet& cmd) {
  if (cmd.payload.empty()) {
    worker_.stats.malformed_packets.add();
    co_return co_await send_err(1, pr::make_err(pr::er::malformed_packet, "HY000", "Malformed communication packet: empty command"));
  }
  const auto command = static_cast<pr::Command>(cmd.payload[0]);
  switch (command) {
    case pr::Command::quit:
      co_return false;
    case pr::Command::change_user:
      co_return co_await change_user(cmd);
    case pr::Command::binlog_dump:
    case pr::Command::binlog_dump_gtid:
    case pr::Command::register_slave:
    case pr::Command::clone:
    case pr::Command::subscribe_group_replication_stream:
      worker_.stats.unsupported_commands.add();
      co_return co_await send_err(1, pr::make_err(pr::er::not_supported_yet, "42000",
                                                  "causeway does not relay replication or clone streams; connect "
                                                  "replicas to the primary directly"));
    case pr::Command::process_kill:
      worker_.stats.unsupported_commands.add();
      co_return co_await send_err(1, pr::make_err(pr::er::not_supported_yet, "42000",
                                                  "causeway: COM_PROCESS_KILL by connection id is not supported; "
                                                  "use KILL on the server"));
    case pr::Command::sleep:
    case pr::Command::connect:
    case pr::Command::time:
    case pr::Command::delayed_insert:
    case pr::Command::table_dump:
    case pr::Command::connect_out:
    case pr::Command::daemon:
      break;  // internal server commands: unknown to clients
    default:
      if (cmd.payload[0] <= static_cast<std::uint8_t>(pr::Command::reset_connection) ||
          command == pr::Command::stmt_bulk_execute) {
        const routing::Statement stmt{cmd.payload[0], {}};
        const auto decision = routing::decide(stmt, routing::Topology{runtime_->primary});
        co_return co_await forward(cmd, decision.server);
      }
  }
  worker_.stats.unsupported_commands.add();
  co_return co_await send_err(1, pr::make_err(pr::er::unknown_com, "08S01",
                                              fmt::format("Unknown command {:#04x}", cmd.payload[0])));
}

awaitable<Backend*> Session::backend_for(std::size_t server, std::uint8_t err_seq) {
  auto& slot = backends_[server];
  if (slot && slot->is_open()) co_return slot.get();
  if (auto err = co_await open_backend(server, login_, slot)) {
    co_await send_err(err_seq, err->err);
    co_return nullptr;
  }
  co_return slot.get();
}

awaitable<std::optional<BackendError>> Session::open_backend(std::size_t server, const BackendLogin& login,
                                                             std::unique_ptr<Backend>& out) {
  auto backend = std::make_unique<Backend>(worker_.ctx.get_executor(), runtime_->servers[server]);
  worker_.stats.backend_connects.add();
  auto err = co_await backend->connect(login, runtime_->config->timeouts.backend_connect);
  if (err) {
    if (!err->from_server) worker_.stats.backend_connect_failures.add();
    spdlog::debug("[{}] backend '{}' login failed: {}", peer_, runtime_->servers[server].name, err->err.message);
    co_return err;
  }
  if (out) out->close();
  out = std::move(backend);
  co_return std::nullopt;
}

void Session::close_backends() {
  for (auto& b : backends_) {
    if (b) b->close();
    b.reset();
  }
}

awaitable<bool> Session::forward(const pr::Packet& cmd, std::size_t server) {
  Backend* backend = co_await backend_for(server, 1);
  if (backend == nullptr) co_return true;
  boost::system::error_code ec;
  if (cmd.seq == cmd.last_seq) {
    // One frame: its header still sits right before the payload, so send it as it came.
    co_await backend->write(asio::buffer(cmd.payload.data() - pr::frame_header_size,
                                         cmd.payload.size() + pr::frame_header_size),
                            ec);
  } else {
    out_.clear();
    pr::append_packet(out_, cmd.seq, cmd.payload);
    co_await backend->write(asio::buffer(out_), ec);
  }
  if (ec) co_return co_await backend_lost(*backend, 1, false);
  const auto shape = pr::response_shape(static_cast<pr::Command>(cmd.payload[0]));
  if (!shape.has_response) co_return true;
  co_return co_await relay_response(*backend, shape.kind);
}

awaitable<bool> Session::relay_response(Backend& backend, pr::ResponseKind kind) {
  auto& reader = backend.reader();
  tracker_.start(kind, client_caps_);
  bool sent_any = false;
  for (;;) {
    const pr::Bytes data = reader.buffered();
    if (data.empty()) {
      boost::system::error_code ec;
      const std::size_t n = co_await backend.read_more(ec);
      if (ec) {
        const std::uint8_t next = sent_any ? static_cast<std::uint8_t>(tracker_.last_seq() + 1) : 1;
        co_return co_await backend_lost(backend, next, sent_any);
      }
      worker_.stats.bytes_from_backends.add(n);
      continue;
    }
    const std::size_t n = tracker_.feed(data);
    if (tracker_.error()) {
      worker_.stats.backend_protocol_errors.add();
      spdlog::warn("[{}] backend '{}' sent a response causeway cannot follow; closing the session", peer_,
                   backend.endpoint().name);
      backend.close();
      co_return false;
    }
    if (!co_await write_client(asio::buffer(data.data(), n))) {
      worker_.stats.client_aborts.add();
      co_return false;
    }
    sent_any = true;
    reader.consume_raw(n);
    if (tracker_.local_infile_requested()) {
      if (!co_await relay_local_infile(backend)) co_return false;
      tracker_.continue_after_local_infile();
      continue;
    }
    if (tracker_.done()) break;
  }
  status_flags_ = tracker_.status_flags();
  co_return true;
}

// LOAD DATA LOCAL INFILE: the client answers the server's request with its file in
// packets that end with an empty one; they pass through unchanged.
awaitable<bool> Session::relay_local_infile(Backend& backend) {
  client_reader_.expect_seq(static_cast<std::uint8_t>(tracker_.last_seq() + 1));
  for (;;) {
    phase_ = Phase::idle;  // waiting on the client: its idle timeout applies
    pr::Packet pkt;
    const bool got = co_await read_client(pkt);
    phase_ = Phase::busy;
    if (!got) {
      backend.close();  // the server is mid-load; this connection cannot be reused
      co_return false;
    }
    boost::system::error_code ec;
    if (pkt.seq == pkt.last_seq) {
      co_await backend.write(asio::buffer(pkt.payload.data() - pr::frame_header_size,
                                          pkt.payload.size() + pr::frame_header_size),
                             ec);
    } else {
      out_.clear();
      pr::append_packet(out_, pkt.seq, pkt.payload);
      co_await backend.write(asio::buffer(out_), ec);
    }
    if (ec) co_return co_await backend_lost(backend, static_cast<std::uint8_t>(pkt.last_seq + 1), false);
    if (pkt.payload.empty()) co_return true;
  }
}

// A backend connection died while serving this client. Its session state is gone with
// it, so the client gets a clear error and the session ends, as with a server restart.
awaitable<bool> Session::backend_lost(Backend& backend, std::uint8_t next_seq, bool mid_response) {
  worker_.stats.backend_lost.add();
  const auto& ep = backend.endpoint();
  spdlog::warn("[{}] lost backend '{}' ({}:{}) {}", peer_, ep.name, ep.host, ep.port,
               mid_response ? "in the middle of a response" : "before its response");
  backend.close();
  co_await send_err(next_seq, pr::make_err(pr::er::lost_connection, "HY000",
                                           fmt::format("Lost connection to backend '{}' ({}:{}) during query", ep.name,
                                                       ep.host, ep.port)));
  co_return false;
}

awaitable<bool> Session::change_user(const pr::Packet& cmd) {
  pr::ChangeUser cu;
  if (pr::decode_change_user(cmd.payload, client_caps_, cu)) {
    worker_.stats.malformed_packets.add();
    co_return co_await send_err(1, pr::make_err(pr::er::malformed_packet, "HY000", "Malformed COM_CHANGE_USER packet"));
  }
  std::uint8_t seq = 1;
  const std::string plugin = cu.auth_plugin.empty() ? pr::native_password_plugin : cu.auth_plugin;
  auto login = co_await authenticate(cu.username, plugin, cu.auth_response, seq);
  if (!login) co_return true;  // the client got ERR 1045; the old user stays logged in
  login->database = cu.database;
  login->caps = client_caps_;
  login->charset = cu.charset != 0 ? static_cast<std::uint8_t>(cu.charset) : login_.charset;
  login->connect_attrs = cu.connect_attrs.empty() ? login_.connect_attrs : cu.connect_attrs;
  // A new login on the primary replaces every backend connection: the old session state
  // (variables, temporary tables, transactions) ends exactly as COM_CHANGE_USER ends it.
  std::unique_ptr<Backend> fresh;
  if (auto err = co_await open_backend(runtime_->primary, *login, fresh)) {
    co_return co_await send_err(seq, err->err);
  }
  close_backends();
  backends_[runtime_->primary] = std::move(fresh);
  login_ = std::move(*login);
  user_ = cu.username;
  status_flags_ = pr::status::autocommit;
  co_return co_await send_ok(seq);
}

void spawn_session(Worker& worker, tcp::socket socket) {
  auto session = std::make_shared<Session>(worker, std::move(socket));
  auto run = [session]() -> awaitable<void> { co_await session->start(); };
  auto on_exit = [peer = std::string()](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("session ended with an exception: {}", ex.what());
    }
  };
  asio::co_spawn(worker.ctx, run, on_exit);
}

}  // namespace causeway::proxy

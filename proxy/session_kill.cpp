// Stopping statements: KILL of causeway's own connection ids (drivers cancel with the
// greeting's id), and statements whose client left while they ran.
#include <poll.h>
#include <sys/socket.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "proxy/protocol/constants.hpp"
#include "proxy/protocol/errors.hpp"
#include "proxy/session.hpp"

namespace causeway::proxy {

namespace pr = protocol;

// KILL [QUERY|CONNECTION] with a causeway connection id, as drivers send to cancel: the
// statement the named session runs is killed on its backend (through this session's own
// connection to that server, as the same user), and KILL CONNECTION also closes it.
awaitable<bool> Session::on_kill(std::uint32_t id, bool query_only) {
  const auto err = co_await kill_session(id, query_only);
  if (!err) co_return co_await send_ok(1);
  const bool sent = co_await send_err(1, *err);
  co_return sent && err->code != pr::er::connection_killed;  // KILL of itself ends the session
}

// Carries out a KILL of a causeway connection id; what went wrong, if anything.
awaitable<std::optional<pr::ErrPacket>> Session::kill_session(std::uint32_t id, bool query_only) {
  auto& services = worker_.services;
  const auto entry = services.sessions.find(id);
  if (!entry) co_return pr::make_err(pr::er::no_such_thread, "HY000", fmt::format("Unknown thread id: {}", id));
  if (entry->user != user_)
    co_return pr::make_err(pr::er::kill_denied, "HY000", fmt::format("You are not owner of thread {}", id));
  if (id == connection_id_) {
    if (query_only) co_return std::nullopt;  // nothing else runs on this session now
    co_return pr::make_err(pr::er::connection_killed, "70100", "Connection was killed");
  }
  if (const std::uint64_t running = entry->running->load(std::memory_order_acquire); running != 0) {
    const std::size_t server = SessionRegistry::Entry::running_server(running);
    const std::uint32_t thread = SessionRegistry::Entry::running_thread(running);
    std::optional<pr::ErrPacket> error;
    Backend* backend = co_await acquire(server, error);
    if (backend == nullptr) co_return error;
    const std::string kill = fmt::format("KILL QUERY {}", thread);
    // The statement may have ended meanwhile ("Unknown thread id"): the KILL still worked.
    if (auto err = co_await run_hidden(*backend, pr::Command::query, pr::as_bytes(kill)); err && err->code != pr::er::no_such_thread) {
      co_return err;
    }
  }
  if (!query_only) {
    auto close = [&registry = services.sessions, id] {
      if (auto e = registry.find(id)) e->session->kill();  // still registered: still alive
    };
    asio::post(entry->worker->ctx, close);
  }
  co_return std::nullopt;
}

// KILL of a causeway id first in a multi-statement (`KILL 2147483660; SELECT 1`): causeway
// carries it out, then sends the rest to a server behind `DO 0`, whose OK stands in for
// the KILL's so the server's answers follow in sequence. A failed KILL ends the
// multi-statement there, as a server stops at the first error.
awaitable<bool> Session::kill_then_rest(const routing::Classification& c, std::string_view sql) {
  constexpr std::string_view stand_in = "DO 0;";
  if (1 + stand_in.size() + (sql.size() - c.first_end) >= pr::max_frame_payload) {
    co_return co_await send_err(1, pr::make_err(pr::er::net_packet_too_large, "08S01",
                                                "causeway: a multi-statement starting with KILL must fit one packet"));
  }
  if (auto err = co_await kill_session(static_cast<std::uint32_t>(c.kill_id),
                                       c.action == routing::StatementAction::KillQuery)) {
    const bool sent = co_await send_err(1, *err);
    co_return sent && err->code != pr::er::connection_killed;
  }
  kill_rest_.clear();
  const std::size_t header = pr::begin_packet(kill_rest_);  // forwarded as it is: one frame
  kill_rest_.push_back(static_cast<std::uint8_t>(pr::Command::query));
  kill_rest_.insert(kill_rest_.end(), stand_in.begin(), stand_in.end());
  kill_rest_.insert(kill_rest_.end(), sql.begin() + c.first_end, sql.end());
  const pr::Bytes payload(kill_rest_.data() + pr::frame_header_size, kill_rest_.size() - pr::frame_header_size);
  pr::finish_packet(kill_rest_, header, 0);
  co_return co_await on_query(pr::Packet{0, 0, payload});
}

// KILL [QUERY|CONNECTION] naming one of causeway's own connection ids (first, if several
// statements): causeway carries it out (on_kill); any other KILL goes to a server.
bool Session::kills_causeway_session(const routing::Classification& c) {
  return (c.action == routing::StatementAction::KillQuery || c.action == routing::StatementAction::KillConnection) &&
         c.kill_id >= Services::first_connection_id && c.kill_id <= UINT32_MAX;
}

// The client closed its end (or reset it) and sent nothing that waits to be read, as a
// server judges (MariaDB's vio_is_connected): a client that pipelined its next command (or
// COM_QUIT) before closing still gets its statement run. Over TLS, a pending alert record
// (close_notify) is the client saying goodbye, not a command.
bool Session::client_gone() {
  const int fd = client_.socket().native_handle();
  pollfd p{fd, POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLHUP | POLLERR)) return true;
  if (!(p.revents & POLLRDHUP)) return false;
  // What causeway has read and not yet handled counts as well: a pipelined command is
  // often in its buffer already, not the kernel's.
  if (!client_reader_.buffered().empty() || client_.has_buffered()) return false;
  std::uint8_t first = 0;
  const ssize_t n = ::recv(fd, &first, 1, MSG_PEEK | MSG_DONTWAIT);
  constexpr std::uint8_t tls_alert = 21;
  return n <= 0 || (client_.is_tls() && first == tls_alert);
}

// Called every Session::busy_check: a statement running since the last call whose client
// has gone is abandoned.
void Session::check_client() {
  if (phase_ != Phase::busy || client_gone_) return;
  if (commands_ == checked_command_ && client_gone()) abandon_statement();
  checked_command_ = commands_;
}

awaitable<void> watch_running_statements(Worker& worker) {
  asio::steady_timer timer(worker.ctx);
  for (;;) {
    timer.expires_after(Session::busy_check);
    boost::system::error_code ec;
    co_await timer.async_wait(use_ec(ec));
    if (ec) co_return;
    for (Session* s : worker.sessions) s->check_client();
  }
}

// The client of a running statement is gone (a socket timeout in its driver, a killed
// process): the backend connection running it closes without a word, so the server stops
// the statement when it next looks at its client and rolls back the transaction, and
// releases its locks, as if the client had been connected to it directly.
void Session::abandon_statement() {
  worker_.stats.client_aborts.add();
  client_gone_ = true;
  if (const std::uint64_t running = running_->load(std::memory_order_acquire); running != 0) {
    const std::size_t server = SessionRegistry::Entry::running_server(running);
    if (server < backends_.size() && backends_[server]) {
      spdlog::debug("[{}] client gone while its statement runs on '{}': closing that connection", peer_,
                    backends_[server]->endpoint().name);
      backends_[server]->abort();
    }
  }
  client_.close();
}

}  // namespace causeway::proxy

// Prepared statements under read/write splitting. The client sees causeway's statement
// ids; each backend connection that executes a statement gets it prepared lazily, and ids
// are mapped on the way through. Cursors and long data pin the statement to the backend
// that holds them until they are done.
#include <fmt/format.h>

#include "proxy/protocol/constants.hpp"
#include "proxy/protocol/stmt.hpp"
#include "proxy/session.hpp"
#include "routing/hint.hpp"

namespace causeway::proxy {

namespace pr = protocol;

namespace {

// Offset of the new-params-bound byte in COM_STMT_EXECUTE: command, id, flags, iterations,
// NULL bitmap.
std::size_t params_bound_offset(std::uint16_t num_params) { return 1 + 4 + 1 + 4 + (num_params + 7) / 8; }

pr::ErrPacket unknown_statement(std::uint32_t id, const char* where) {
  return pr::make_err(pr::er::unknown_stmt_handler, "HY000",
                      fmt::format("Unknown prepared statement handler ({}) given to {}", id, where));
}

}  // namespace

awaitable<bool> Session::on_stmt_prepare(const pr::Packet& cmd) {
  last_prepared_.reset();
  auto stmt = std::make_unique<PreparedStatement>();
  stmt->sql.assign(pr::as_string_view(cmd.payload.subspan(1)));
  stmt->classification = routing::classify(stmt->sql);
  stmt->backends.resize(backends_.size());
  if (kills_causeway_session(stmt->classification) && !stmt->classification.has(routing::flag::MultiStatement)) {
    // No server knows the id: the statement exists here only (PREPARE_OK without params
    // or columns) and its execute is the KILL (DBD::mysql with server-side prepare).
    const std::uint32_t id = next_statement_id_++;
    stmt->local_kill = true;
    statements_.emplace(id, std::move(stmt));
    last_prepared_ = id;
    out_.assign({pr::ok_header, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    pr::write_statement_id(out_, id);
    co_return co_await send_client(1, out_);
  }
  Routed r;
  route_sql(stmt->classification, stmt->sql, r);
  if (r.decision.reason == routing::Reason::RuleReject) co_return co_await send_reject(r);
  if (!r.token_error.empty())
    co_return co_await send_err(1, pr::make_err(pr::er::wrong_arguments, "HY000", r.token_error));
  stmt->hint = r.hint;
  stmt->rule = r.rule;
  auto d = r.decision;
  // The prepare itself needs no fresh data: a read that would wait is prepared on the primary.
  if (d.target == routing::Target::Reject || d.target == routing::Target::Wait)
    d.server = routing::primary_index(*worker_.topology);
  const std::uint32_t id = next_statement_id_++;
  patch_statement_id_ = id;
  prepared_backend_id_ = 0;
  const Next next = co_await forward(cmd, cmd.payload, d.server, nullptr, d.target == routing::Target::Replica);
  patch_statement_id_.reset();
  if (next == Next::end) co_return false;
  if (tracker_.ended_with_error() || !backends_[*state_.last_server]) co_return true;
  const std::size_t server = *state_.last_server;
  stmt->num_params = tracker_.prepare_ok().num_params;
  if (stmt->backends.size() <= server) stmt->backends.resize(backends_.size());  // slots added by a reload
  Backend& backend = *backends_[server];
  const auto* cached = backend.cached_statement(stmt->sql);
  if (cached && cached->id != prepared_backend_id_ && shared_in_session(*stmt, backend.id(), cached->id)) {
    // The session prepared the same text before: each statement keeps its own server
    // statement (cursors and long data live on it).
    stmt->backends[server] = {backend.id(), prepared_backend_id_, true};
    private_copies_ = true;
  } else if (cached && cached->id != prepared_backend_id_) {
    // Already prepared there (by an earlier session): keep that one, drop the new copy.
    stmt->backends[server] = {backend.id(), cached->id};
    co_await close_backend_statement(backend, prepared_backend_id_);
  } else {
    stmt->backends[server] = {backend.id(), prepared_backend_id_};
    co_await cache_statement(backend, stmt->sql, prepared_backend_id_);
  }
  statements_.emplace(id, std::move(stmt));
  last_prepared_ = id;
  co_return true;
}

// The statement's id on this backend connection: cached there (by this session or another
// in the same state), else prepared there now. Within one session no two statements share
// a server statement, even with the same text: a cursor or long data lives on it, so a
// second one gets a private copy, closed with the statement (or with the connection).
awaitable<std::optional<std::uint32_t>> Session::backend_statement(PreparedStatement& stmt, std::size_t server,
                                                                   Backend& backend, std::uint8_t err_seq) {
  if (stmt.backends.size() <= server) stmt.backends.resize(backends_.size());  // slots added by a reload
  auto& on = stmt.backends[server];
  if (on.connection == backend.id()) {
    // Still prepared there: a server statement keeps the schema it was prepared in, as
    // the client expects, even if the connection has moved on since.
    const auto it = backend.statements.find(stmt.sql);
    if (on.private_copy || (it != backend.statements.end() && it->second.id == on.id)) co_return on.id;
  }
  const auto* cached = backend.cached_statement(stmt.sql);
  if (cached != nullptr && !shared_in_session(stmt, backend.id(), cached->id)) {
    on = {backend.id(), cached->id};
    co_return on.id;
  }
  if (auto err = co_await run_hidden(backend, pr::Command::stmt_prepare, pr::as_bytes(stmt.sql))) {
    co_await send_err(err_seq, *err);
    co_return std::nullopt;
  }
  if (cached != nullptr) {
    on = {backend.id(), hidden_tracker_.prepare_ok().statement_id, true};
    private_copies_ = true;
  } else {
    on = {backend.id(), hidden_tracker_.prepare_ok().statement_id};
    co_await cache_statement(backend, stmt.sql, on.id);
  }
  co_return on.id;
}

bool Session::shared_in_session(const PreparedStatement& stmt, std::uint64_t connection, std::uint32_t id) const {
  for (const auto& [sid, other] : statements_) {
    if (other.get() == &stmt) continue;
    for (const auto& on : other->backends) {
      if (on.connection == connection && on.id == id) return true;
    }
  }
  return false;
}

// COM_STMT_CLOSE for a statement id on a backend (no response comes).
awaitable<void> Session::close_backend_statement(Backend& backend, std::uint32_t id) {
  std::uint8_t close[5] = {static_cast<std::uint8_t>(pr::Command::stmt_close)};
  pr::write_statement_id(close, id);
  backend_frame_.clear();
  pr::append_packet(backend_frame_, 0, pr::Bytes(close, sizeof close));
  boost::system::error_code ec;
  co_await backend.write(asio::buffer(backend_frame_), ec);
}

// Makes `id` the connection's statement for `sql`, closing on the server whatever it
// replaces (prepared in another state) and, past the cache size, the oldest entry.
awaitable<void> Session::cache_statement(Backend& backend, const std::string& sql, std::uint32_t id) {
  constexpr std::size_t max_cached = 1024;
  if (auto it = backend.statements.find(sql); it != backend.statements.end()) {
    if (it->second.id != id) co_await close_backend_statement(backend, it->second.id);
  } else if (backend.statements.size() >= max_cached) {
    auto victim = backend.statements.begin();
    co_await close_backend_statement(backend, victim->second.id);
    backend.statements.erase(victim);
  }
  backend.statements[sql] = Backend::CachedStatement{id, {}, backend.applied.signature, backend.applied.schema};
}

// The types a server last received for this statement, if it is the cached copy.
bool Session::server_knows_types(Backend& backend, const PreparedStatement& stmt, std::uint32_t id) const {
  auto it = backend.statements.find(stmt.sql);
  return it != backend.statements.end() && it->second.id == id && it->second.types == stmt.param_types;
}

Backend::CachedStatement* Session::backend_cached(std::size_t server, const PreparedStatement& stmt, std::uint32_t id) {
  auto& b = backends_[server];
  if (!b) return nullptr;
  auto it = b->statements.find(stmt.sql);
  return it != b->statements.end() && it->second.id == id ? &it->second : nullptr;
}

// A cursor or pending long data lives on one connection, which the session keeps while
// any statement has one. Only that statement's own commands go there (on_stmt_command);
// the session's other statements are routed as usual, so a write never follows a cursor
// to a replica.
void Session::update_statement_holds() {
  statement_holds_ = false;
  for (const auto& [sid, s] : statements_) {
    if (s->cursor_server || s->long_data_server) statement_holds_ = true;
  }
}

void Session::forget_statements() {
  statements_.clear();
  last_prepared_.reset();
  statement_holds_ = false;
}

awaitable<bool> Session::refuse_bulk() {
  co_return co_await send_err(1, pr::make_err(pr::er::unsupported_ps, "HY000",
                                              "This command is not supported in the prepared statement protocol yet"));
}

awaitable<bool> Session::on_stmt_command(const pr::Packet& cmd) {
  const auto command = static_cast<pr::Command>(cmd.payload[0]);
  std::uint32_t id = 0;
  const bool has_id = pr::read_statement_id(cmd.payload, id);
  // MariaDB: id 0xffffffff names the statement the last COM_STMT_PREPARE made, so a
  // client can send PREPARE and EXECUTE (and long data) without waiting in between
  // (Connector/J, the Node connector).
  constexpr std::uint32_t last_prepared = 0xffffffff;
  const bool direct = has_id && id == last_prepared;
  if (direct && last_prepared_) id = *last_prepared_;
  const bool bulk = command == pr::Command::stmt_bulk_execute;
  if (bulk && (login_.mariadb_caps & pr::mariadb_cap::stmt_bulk_operations) == 0) co_return co_await refuse_bulk();
  auto it = has_id ? statements_.find(id) : statements_.end();
  if (it == statements_.end()) {
    // Servers answer nothing to CLOSE and SEND_LONG_DATA, even for unknown ids.
    if (command == pr::Command::stmt_close || command == pr::Command::stmt_send_long_data) co_return true;
    // A server names bulk execution's unknown statements as execute's.
    const char* where = command == pr::Command::stmt_fetch   ? "mysqld_stmt_fetch"
                        : command == pr::Command::stmt_reset ? "mysqld_stmt_reset"
                                                             : "mysqld_stmt_execute";
    co_return co_await send_err(1, unknown_statement(id, where));
  }
  PreparedStatement& stmt = *it->second;

  if (stmt.local_kill) {
    const auto& c = stmt.classification;
    switch (command) {
      case pr::Command::stmt_close:
        statements_.erase(it);
        co_return true;
      case pr::Command::stmt_bulk_execute:
        co_return co_await refuse_bulk();  // as a server refuses it for a statement without parameters
      case pr::Command::stmt_execute:
        co_return co_await on_kill(static_cast<std::uint32_t>(c.kill_id),
                                   c.action == routing::StatementAction::KillQuery);
      case pr::Command::stmt_reset:
        co_return co_await send_ok(1);
      case pr::Command::stmt_fetch:
        co_return co_await send_err(1, pr::make_err(pr::er::stmt_has_no_open_cursor, "HY000",
                                                    fmt::format("The statement ({}) has no open cursor.", id)));
      default:
        co_return true;  // long data for a statement without parameters: nothing to do
    }
  }

  // A direct execute cannot rely on types from an earlier one: MariaDB refuses one without
  // them as malformed, where the same bytes under the statement's own id would run with
  // NULL parameters. The server gets that id, so the check is causeway's.
  if (direct && command == pr::Command::stmt_execute && stmt.num_params > 0) {
    const std::size_t flag_at = params_bound_offset(stmt.num_params);
    if (cmd.payload.size() < flag_at + 1 + 2u * stmt.num_params || cmd.payload[flag_at] == 0) {
      worker_.stats.malformed_packets.add();
      co_return co_await send_err(1, pr::make_err(pr::er::malformed_packet, "HY000", "Malformed communication packet"));
    }
  }

  if (command == pr::Command::stmt_close) {
    // Statements stay prepared in the connections' caches for the next session; a copy
    // the cache does not know, or one with an open cursor, is closed on its server.
    for (std::size_t s = 0; s < stmt.backends.size(); ++s) {
      auto& b = backends_[s];
      if (!b || stmt.backends[s].connection != b->id()) continue;
      auto cached = b->statements.find(stmt.sql);
      const bool shared = cached != b->statements.end() && cached->second.id == stmt.backends[s].id;
      // A shared statement stays for the next session unless this one left state on it.
      if (shared && stmt.cursor_server != s && stmt.long_data_server != s) continue;
      if (shared) b->statements.erase(cached);
      rewrite_.assign(cmd.payload.begin(), cmd.payload.end());
      pr::write_statement_id(rewrite_, stmt.backends[s].id);
      co_await write_packet(*b, cmd, rewrite_);  // no response; a failure shows on next use
    }
    if (last_prepared_ == id) last_prepared_.reset();
    statements_.erase(it);
    update_statement_holds();
    co_return true;
  }

  // Where this command must run: with the statement's cursor or long data, else routed.
  std::size_t server;
  if (command == pr::Command::stmt_fetch) {
    if (!stmt.cursor_server) {
      co_return co_await send_err(1, pr::make_err(pr::er::stmt_has_no_open_cursor, "HY000",
                                                  fmt::format("The statement ({}) has no open cursor.", id)));
    }
    server = *stmt.cursor_server;
  } else if (stmt.long_data_server) {
    server = *stmt.long_data_server;
  } else if (command == pr::Command::stmt_reset && stmt.cursor_server) {
    server = *stmt.cursor_server;
  } else {
    // The statement's hint and rule from prepare time route every execute alike.
    Routed r;
    routing_sql_ = stmt.sql;
    r.request.statement = &stmt.classification;
    r.request.hint = &stmt.hint;
    if (stmt.rule != nullptr) r.request.rule = &stmt.rule->action;
    route_routed(r);
    // Only an execute can fail for want of fresh data; the rest follow the statement.
    const bool executes = command == pr::Command::stmt_execute || command == pr::Command::stmt_bulk_execute;
    const auto settled = co_await settle(r, executes ? Refusal::timeout_to_client : Refusal::to_primary);
    if (!settled) co_return co_await send_reject(r);
    server = *settled;
  }

  std::optional<pr::ErrPacket> error;
  Backend* backend = co_await acquire(server, error);
  if (backend == nullptr) {
    if (command == pr::Command::stmt_send_long_data) co_return true;  // reported at execute
    co_return co_await send_err(1, *error);
  }
  // A server without bulk execution (older than MariaDB 10.2) refuses it as for a client
  // that did not negotiate it; drivers then execute row by row.
  if (bulk && (backend->mariadb_caps() & pr::mariadb_cap::stmt_bulk_operations) == 0) co_return co_await refuse_bulk();
  const auto backend_id = co_await backend_statement(stmt, server, *backend, 1);
  if (!backend_id) co_return true;
  auto& on = stmt.backends[server];

  rewrite_.assign(cmd.payload.begin(), cmd.payload.end());
  pr::write_statement_id(rewrite_, *backend_id);
  bool sends_types = false;
  if ((command == pr::Command::stmt_execute || bulk) && stmt.num_params > 0) {
    // Whether the parameter types come along: COM_STMT_EXECUTE's new-params-bound byte (1),
    // COM_STMT_BULK_EXECUTE's flags word (STMT_BULK_FLAG_SEND_TYPES_TO_SERVER, 128).
    const std::size_t flag_at = bulk ? 5 : params_bound_offset(stmt.num_params);
    const std::uint8_t sent = bulk ? 0x80 : 0x01;
    const std::size_t types_at = bulk ? 7 : flag_at + 1;
    const std::size_t types_size = 2u * stmt.num_params;
    if (rewrite_.size() >= types_at + types_size && (rewrite_[flag_at] & sent) != 0) {
      stmt.param_types.assign(rewrite_.begin() + static_cast<std::ptrdiff_t>(types_at),
                              rewrite_.begin() + static_cast<std::ptrdiff_t>(types_at + types_size));
      sends_types = true;
    } else if (rewrite_.size() >= types_at && (rewrite_[flag_at] & sent) == 0 && !stmt.param_types.empty() &&
               !server_knows_types(*backend, stmt, on.id)) {
      // The client relies on types it sent with an earlier execute, on another connection:
      // this server has not seen them, so send them along.
      rewrite_[flag_at] |= sent;
      rewrite_.insert(rewrite_.begin() + static_cast<std::ptrdiff_t>(types_at), stmt.param_types.begin(),
                      stmt.param_types.end());
      sends_types = true;
    }
  }

  if (command == pr::Command::stmt_send_long_data) {
    stmt.long_data_server = server;
    statement_holds_ = true;
    co_await write_packet(*backend, cmd, rewrite_);
    co_return true;
  }

  const bool opens_cursor = command == pr::Command::stmt_execute && cmd.payload.size() > 5 &&
                            (cmd.payload[5] & pr::cursor::read_only) != 0;
  const Next next = co_await forward(cmd, rewrite_, server, &stmt.classification, false);
  if (next == Next::end) co_return false;
  if (command == pr::Command::stmt_execute) note_tracking_change(stmt.classification);
  if (command == pr::Command::stmt_execute && !tracker_.ended_with_error() &&
      routing::changes_session_settings(stmt.classification)) {
    // A prepared SET: without parameters its text is the setting, as if sent as a query;
    // with them the values exist only on that connection.
    if (stmt.num_params == 0) {
      record_session_statement(stmt.classification, stmt.sql);
    } else {
      routing::add_pins(state_, routing::pin::Settings, server);
      note_unrecorded_settings(server);
    }
  }
  // A bulk execution the server refused before running it leaves the cursor open.
  if (command == pr::Command::stmt_execute || command == pr::Command::stmt_reset ||
      (bulk && !tracker_.ended_with_error())) {
    stmt.long_data_server.reset();
    stmt.cursor_server.reset();
    if (sends_types && !tracker_.ended_with_error()) {
      if (auto c = backend_cached(server, stmt, on.id)) c->types = stmt.param_types;
    }
    if (opens_cursor && !tracker_.ended_with_error() && (tracker_.status_flags() & pr::status::cursor_exists)) {
      stmt.cursor_server = server;
    }
  }
  update_statement_holds();
  co_return true;
}

}  // namespace causeway::proxy

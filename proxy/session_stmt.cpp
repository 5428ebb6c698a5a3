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
  auto stmt = std::make_unique<PreparedStatement>();
  stmt->sql.assign(pr::as_string_view(cmd.payload.subspan(1)));
  stmt->classification = routing::classify(stmt->sql);
  stmt->backends.resize(backends_.size());
  routing::RouteHint hint;
  routing::Request req;
  req.statement = &stmt->classification;
  if (stmt->classification.has(routing::flag::HasHint)) {
    hint = routing::parse_hint(stmt->classification.hint);
    req.hint = &hint;
  }
  auto d = route(req);
  if (d.target == routing::Target::Reject) d.server = routing::primary_index(*worker_.topology);
  const std::uint32_t id = next_statement_id_++;
  patch_statement_id_ = id;
  prepared_backend_id_ = 0;
  const Next next = co_await forward(cmd, cmd.payload, d.server, nullptr, d.target == routing::Target::Replica);
  patch_statement_id_.reset();
  if (next == Next::end) co_return false;
  if (tracker_.ended_with_error() || !backends_[*state_.last_server]) co_return true;
  const std::size_t server = *state_.last_server;
  stmt->num_params = tracker_.prepare_ok().num_params;
  stmt->backends[server] = {backends_[server]->id(), prepared_backend_id_, false};
  statements_.emplace(id, std::move(stmt));
  co_return true;
}

// The statement's id on this backend connection, preparing it there first if needed.
awaitable<std::optional<std::uint32_t>> Session::backend_statement(PreparedStatement& stmt, std::size_t server,
                                                                   Backend& backend, std::uint8_t err_seq) {
  auto& on = stmt.backends[server];
  if (on.connection == backend.id()) co_return on.id;
  if (auto err = co_await run_hidden(backend, pr::Command::stmt_prepare, pr::as_bytes(stmt.sql))) {
    co_await send_err(err_seq, *err);
    co_return std::nullopt;
  }
  on = {backend.id(), hidden_tracker_.prepare_ok().statement_id, false};
  co_return on.id;
}

void Session::forget_statements() {
  statements_.clear();
  state_.pins &= ~(routing::pin::Cursor | routing::pin::LongData);
  if (state_.pins == 0) state_.pinned_server.reset();
}

awaitable<bool> Session::on_stmt_command(const pr::Packet& cmd) {
  const auto command = static_cast<pr::Command>(cmd.payload[0]);
  std::uint32_t id = 0;
  const bool has_id = pr::read_statement_id(cmd.payload, id);
  auto it = has_id ? statements_.find(id) : statements_.end();
  if (it == statements_.end()) {
    // Servers answer nothing to CLOSE and SEND_LONG_DATA, even for unknown ids.
    if (command == pr::Command::stmt_close || command == pr::Command::stmt_send_long_data) co_return true;
    const char* where = command == pr::Command::stmt_execute ? "mysqld_stmt_execute"
                        : command == pr::Command::stmt_fetch ? "mysqld_stmt_fetch"
                                                             : "mysqld_stmt_reset";
    co_return co_await send_err(1, unknown_statement(id, where));
  }
  PreparedStatement& stmt = *it->second;

  if (command == pr::Command::stmt_close) {
    for (std::size_t s = 0; s < stmt.backends.size(); ++s) {
      auto& b = backends_[s];
      if (!b || stmt.backends[s].connection != b->id()) continue;
      rewrite_.assign(cmd.payload.begin(), cmd.payload.end());
      pr::write_statement_id(rewrite_, stmt.backends[s].id);
      co_await write_packet(*b, cmd, rewrite_);  // no response; a failure shows on next use
    }
    statements_.erase(it);
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
    routing::Request req;
    req.statement = &stmt.classification;
    auto d = route(req);
    server = d.target == routing::Target::Reject ? routing::primary_index(*worker_.topology) : d.server;
  }

  std::optional<pr::ErrPacket> error;
  Backend* backend = co_await acquire(server, error);
  if (backend == nullptr) {
    if (command == pr::Command::stmt_send_long_data) co_return true;  // reported at execute
    co_return co_await send_err(1, *error);
  }
  const auto backend_id = co_await backend_statement(stmt, server, *backend, 1);
  if (!backend_id) co_return true;
  auto& on = stmt.backends[server];

  rewrite_.assign(cmd.payload.begin(), cmd.payload.end());
  pr::write_statement_id(rewrite_, *backend_id);
  bool sends_types = false;
  if (command == pr::Command::stmt_execute && stmt.num_params > 0) {
    const std::size_t bound_at = params_bound_offset(stmt.num_params);
    if (rewrite_.size() > bound_at && rewrite_[bound_at] == 1 &&
        rewrite_.size() >= bound_at + 1 + 2u * stmt.num_params) {
      stmt.param_types.assign(rewrite_.begin() + static_cast<std::ptrdiff_t>(bound_at + 1),
                              rewrite_.begin() + static_cast<std::ptrdiff_t>(bound_at + 1 + 2u * stmt.num_params));
      sends_types = true;
    } else if (rewrite_.size() > bound_at && rewrite_[bound_at] == 0 && !on.types_sent && !stmt.param_types.empty()) {
      // The client relies on types it sent with an earlier execute, on another connection:
      // this server has not seen them, so send them along.
      rewrite_[bound_at] = 1;
      rewrite_.insert(rewrite_.begin() + static_cast<std::ptrdiff_t>(bound_at + 1), stmt.param_types.begin(),
                      stmt.param_types.end());
      sends_types = true;
    }
  }

  if (command == pr::Command::stmt_send_long_data) {
    stmt.long_data_server = server;
    if (state_.pins == 0) state_.pinned_server = server;
    state_.pins |= routing::pin::LongData;
    co_await write_packet(*backend, cmd, rewrite_);
    co_return true;
  }

  const bool opens_cursor = command == pr::Command::stmt_execute && cmd.payload.size() > 5 &&
                            (cmd.payload[5] & pr::cursor::read_only) != 0;
  const Next next = co_await forward(cmd, rewrite_, server, &stmt.classification, false);
  if (next == Next::end) co_return false;
  if (command == pr::Command::stmt_execute || command == pr::Command::stmt_reset) {
    stmt.long_data_server.reset();
    stmt.cursor_server.reset();
    if (sends_types && !tracker_.ended_with_error()) on.types_sent = true;
    if (opens_cursor && !tracker_.ended_with_error() && (tracker_.status_flags() & pr::status::cursor_exists)) {
      stmt.cursor_server = server;
    }
  }
  // Recompute the statement pins from what is still open.
  bool cursor = false;
  bool long_data = false;
  for (const auto& [sid, s] : statements_) {
    cursor = cursor || s->cursor_server.has_value();
    long_data = long_data || s->long_data_server.has_value();
  }
  if (cursor || long_data) {
    if (state_.pins == 0) state_.pinned_server = server;
  }
  state_.pins = (state_.pins & ~(routing::pin::Cursor | routing::pin::LongData)) |
                (cursor ? routing::pin::Cursor : 0u) | (long_data ? routing::pin::LongData : 0u);
  if (state_.pins == 0) state_.pinned_server.reset();
  co_return true;
}

}  // namespace causeway::proxy

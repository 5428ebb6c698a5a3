#include "routing/session_state.hpp"

#include "routing/classifier.hpp"

namespace causeway::routing {

namespace {

std::uint32_t pins_created(const Classification& c) {
  std::uint32_t p = 0;
  if (c.has(flag::UserVariableWrite)) p |= pin::UserVariables;
  if (c.has(flag::LockFunction)) p |= pin::NamedLocks;
  if (c.has(flag::Sequence)) p |= pin::Sequence;
  switch (c.action) {
    case StatementAction::CreateTemporaryTable: p |= pin::TemporaryTables; break;
    case StatementAction::LockTables:
    case StatementAction::FlushTablesWithReadLock:
    case StatementAction::LockInstance:
    case StatementAction::BackupLock:
    case StatementAction::BackupStage: p |= pin::LockTables; break;
    case StatementAction::XaStart: p |= pin::Xa; break;
    default: break;
  }
  if (c.has(flag::TempTable) && c.action != StatementAction::DropTemporaryTable) p |= pin::TemporaryTables;
  if (c.cls == StatementClass::Prepare) p |= pin::TextPrepared;
  if (c.action == StatementAction::SetTransaction && c.scope == TransactionScope::Next) p |= pin::NextTransaction;
  // Single statements are recorded and replayed (the proxy's business); several in one go
  // are not, so the state they leave stays where it is.
  if (c.has(flag::MultiStatement) && changes_session_settings(c)) p |= pin::Settings;
  return p;
}

std::uint32_t pins_released(const Classification& c) {
  switch (c.action) {
    case StatementAction::UnlockTables:
    case StatementAction::UnlockInstance:
    case StatementAction::BackupUnlock: return pin::LockTables;
    case StatementAction::XaCommit:
    case StatementAction::XaRollback: return pin::Xa;
    default: return 0;
  }
}

}  // namespace

void after_statement(SessionState& s, const Classification* c, std::size_t server,
                     std::optional<std::uint16_t> status_flags, bool succeeded) {
  s.last_server = server;
  if (status_flags) {
    s.in_transaction = (*status_flags & server_status::in_trans) != 0;
    s.read_only_transaction = (*status_flags & server_status::in_trans_readonly) != 0;
    s.autocommit = (*status_flags & server_status::autocommit) != 0;
  }
  if (s.in_transaction) {
    if (!s.transaction_server) s.transaction_server = server;
  } else {
    s.transaction_server.reset();
  }
  std::uint32_t created = 0;
  if (c != nullptr) {
    // Pins are taken even when the statement failed part-way (a multi-statement may have
    // set a variable before its error); they are released only by a statement that worked.
    created = pins_created(*c);
    if (succeeded) s.pins &= ~pins_released(*c);
    // The next statement uses up SET TRANSACTION's characteristics (or starts the
    // transaction, which then holds the connection by itself).
    if (succeeded && c->action != StatementAction::SetTransaction) s.pins &= ~pin::NextTransaction;
  }
  if (s.autocommit) {
    s.pins &= ~pin::Autocommit;
  } else {
    created |= pin::Autocommit;
  }
  if (created != 0) {
    if (s.pins == 0) s.pinned_server = server;
    s.pins |= created;
  }
  if (s.pins == 0) s.pinned_server.reset();
}

bool changes_session_settings(const Classification& c) {
  return (c.session_vars & ~(setvar::UserVariable | setvar::Global)) != 0 || c.action == StatementAction::Use ||
         (c.action == StatementAction::SetTransaction && c.scope == TransactionScope::Session);
}

void add_pins(SessionState& s, std::uint32_t pins, std::size_t server) {
  if (pins == 0) return;
  if (s.pins == 0) s.pinned_server = server;
  s.pins |= pins;
}

void reset_session(SessionState& s) {
  // What the session wrote and read stays required: the same client goes on after a reset.
  SessionState fresh;
  fresh.last_server = s.last_server;
  fresh.written = std::move(s.written);
  fresh.observed = std::move(s.observed);
  s = std::move(fresh);
}

}  // namespace causeway::routing

// Names of classes, actions and flags, as they appear in traces, the status port and tests.
#include "routing/classifier.hpp"

namespace causeway::routing {

const char* to_string(StatementClass cls) {
  switch (cls) {
    case StatementClass::Empty: return "empty";
    case StatementClass::Read: return "read";
    case StatementClass::Write: return "write";
    case StatementClass::Ddl: return "ddl";
    case StatementClass::Dcl: return "dcl";
    case StatementClass::Transaction: return "transaction";
    case StatementClass::Session: return "session";
    case StatementClass::Lock: return "lock";
    case StatementClass::Show: return "show";
    case StatementClass::Call: return "call";
    case StatementClass::Prepare: return "prepare";
    case StatementClass::Execute: return "execute";
    case StatementClass::Deallocate: return "deallocate";
    case StatementClass::Kill: return "kill";
    case StatementClass::Admin: return "admin";
    case StatementClass::Other: return "other";
  }
  return "other";
}

const char* to_string(StatementAction action) {
  switch (action) {
    case StatementAction::None: return "none";
    case StatementAction::Begin: return "begin";
    case StatementAction::StartTransaction: return "start_transaction";
    case StatementAction::Commit: return "commit";
    case StatementAction::Rollback: return "rollback";
    case StatementAction::RollbackToSavepoint: return "rollback_to_savepoint";
    case StatementAction::Savepoint: return "savepoint";
    case StatementAction::ReleaseSavepoint: return "release_savepoint";
    case StatementAction::SetTransaction: return "set_transaction";
    case StatementAction::XaStart: return "xa_start";
    case StatementAction::XaEnd: return "xa_end";
    case StatementAction::XaPrepare: return "xa_prepare";
    case StatementAction::XaCommit: return "xa_commit";
    case StatementAction::XaRollback: return "xa_rollback";
    case StatementAction::XaRecover: return "xa_recover";
    case StatementAction::Set: return "set";
    case StatementAction::Use: return "use";
    case StatementAction::LockTables: return "lock_tables";
    case StatementAction::UnlockTables: return "unlock_tables";
    case StatementAction::FlushTablesWithReadLock: return "flush_tables_with_read_lock";
    case StatementAction::LockInstance: return "lock_instance";
    case StatementAction::UnlockInstance: return "unlock_instance";
    case StatementAction::BackupLock: return "backup_lock";
    case StatementAction::BackupUnlock: return "backup_unlock";
    case StatementAction::BackupStage: return "backup_stage";
    case StatementAction::KillConnection: return "kill_connection";
    case StatementAction::KillQuery: return "kill_query";
    case StatementAction::CreateTemporaryTable: return "create_temporary_table";
    case StatementAction::DropTemporaryTable: return "drop_temporary_table";
  }
  return "none";
}

std::string_view flag_name(std::uint32_t f) {
  switch (f) {
    case flag::MultiStatement: return "multi_statement";
    case flag::LockingRead: return "locking_read";
    case flag::SelectInto: return "select_into";
    case flag::UserVariableWrite: return "user_variable_write";
    case flag::UserVariableRead: return "user_variable_read";
    case flag::SessionVariableRead: return "session_variable_read";
    case flag::SessionVariableWrite: return "session_variable_write";
    case flag::GlobalVariableWrite: return "global_variable_write";
    case flag::LockFunction: return "lock_function";
    case flag::LastInsertId: return "last_insert_id";
    case flag::FoundRows: return "found_rows";
    case flag::CalcFoundRows: return "calc_found_rows";
    case flag::RowCount: return "row_count";
    case flag::Sequence: return "sequence";
    case flag::TempTable: return "temp_table";
    case flag::ImplicitCommit: return "implicit_commit";
    case flag::ReadOnlyTransaction: return "read_only_transaction";
    case flag::HasHint: return "has_hint";
    case flag::ServerSpecific: return "server_specific";
    case flag::UnknownFunction: return "unknown_function";
    case flag::Explain: return "explain";
    case flag::LexError: return "lex_error";
    case flag::SetStatement: return "set_statement";
    case flag::StoredProgram: return "stored_program";
    case flag::Call: return "call";
    default: return {};
  }
}

}  // namespace causeway::routing

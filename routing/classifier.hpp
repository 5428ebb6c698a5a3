// Statement classification: what a COM_QUERY text is, and the facts about it that the
// router and the session-state tracker need. Pure and allocation-free: the result is a
// small fixed-size struct whose views point into the input.
//
// `cls` says what kind of statement it is by its syntax (a SELECT is Read even with
// FOR UPDATE); the locking and side-effect categories are flags. `is_replica_safe` is
// the conservative verdict: only a known read with none of the unsafe flags.
// See docs/routing.md for the rules and why.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "routing/lexer.hpp"

namespace causeway::routing {

enum class StatementClass : std::uint8_t {
  Empty,        // only whitespace, comments and `;`
  Read,         // SELECT, WITH..SELECT, (SELECT..), VALUES, TABLE, DO, HELP, DESC/EXPLAIN of a read,
                // CHECKSUM TABLE
  Write,        // INSERT, UPDATE, DELETE, REPLACE, LOAD DATA/XML, WITH..UPDATE/DELETE
  Ddl,          // CREATE/ALTER/DROP/RENAME/TRUNCATE of schema objects, IMPORT TABLE
  Dcl,          // GRANT, REVOKE, CREATE/ALTER/DROP/RENAME USER, CREATE/DROP ROLE, SET PASSWORD,
                // SET DEFAULT ROLE
  Transaction,  // BEGIN, START TRANSACTION, COMMIT, ROLLBACK [TO], SAVEPOINT, RELEASE SAVEPOINT,
                // SET TRANSACTION, XA ...
  Session,      // SET (variables, NAMES, CHARACTER SET, ROLE), USE
  Lock,         // LOCK/UNLOCK TABLES, FLUSH TABLES WITH READ LOCK, LOCK/UNLOCK INSTANCE, BACKUP ...
  Show,         // SHOW ...
  Call,         // CALL, MariaDB BEGIN NOT ATOMIC ... END
  Prepare,      // PREPARE name FROM ...
  Execute,      // EXECUTE name [USING ...]
  Deallocate,   // DEALLOCATE/DROP PREPARE name
  Kill,         // KILL [CONNECTION|QUERY] id
  Admin,        // FLUSH, RESET, PURGE, replication control, table maintenance, plugins, HANDLER...
  Other,        // unknown or malformed (unterminated quote or comment)
};
inline constexpr std::size_t statement_class_count = static_cast<std::size_t>(StatementClass::Other) + 1;

// What exactly a transaction, session, lock, kill or DDL statement does.
enum class StatementAction : std::uint8_t {
  None,
  Begin,                // BEGIN [WORK]
  StartTransaction,     // START TRANSACTION [characteristics]
  Commit,               // COMMIT [WORK] [AND [NO] CHAIN] [[NO] RELEASE]
  Rollback,             // ROLLBACK [WORK] [AND [NO] CHAIN] [[NO] RELEASE]
  RollbackToSavepoint,  // ROLLBACK [WORK] TO [SAVEPOINT] name
  Savepoint,            // SAVEPOINT name
  ReleaseSavepoint,     // RELEASE SAVEPOINT name
  SetTransaction,       // SET [GLOBAL|SESSION] TRANSACTION ...
  XaStart, XaEnd, XaPrepare, XaCommit, XaRollback, XaRecover,
  Set,                  // SET ... (see session_vars)
  Use,                  // USE db (object = db)
  LockTables, UnlockTables, FlushTablesWithReadLock, LockInstance, UnlockInstance,
  BackupLock, BackupUnlock, BackupStage,
  KillConnection, KillQuery,
  CreateTemporaryTable, DropTemporaryTable,
};

namespace flag {
enum : std::uint32_t {
  MultiStatement = 1u << 0,        // more than one statement (a trailing `;` does not count)
  LockingRead = 1u << 1,           // FOR UPDATE, FOR SHARE, LOCK IN SHARE MODE
  SelectInto = 1u << 2,            // SELECT ... INTO @v / OUTFILE / DUMPFILE / var
  UserVariableWrite = 1u << 3,     // SET @x, @x := ..., INTO @x
  UserVariableRead = 1u << 4,      // @x referenced
  SessionVariableRead = 1u << 5,   // @@x referenced (values differ between servers)
  SessionVariableWrite = 1u << 6,  // SET of a session system variable, NAMES, CHARACTER SET
  GlobalVariableWrite = 1u << 7,   // SET GLOBAL / PERSIST / PERSIST_ONLY
  LockFunction = 1u << 8,          // GET_LOCK, RELEASE_LOCK, RELEASE_ALL_LOCKS, IS_FREE/USED_LOCK
  LastInsertId = 1u << 9,          // LAST_INSERT_ID()
  FoundRows = 1u << 10,            // FOUND_ROWS()
  CalcFoundRows = 1u << 11,        // SQL_CALC_FOUND_ROWS (a later FOUND_ROWS() depends on it)
  RowCount = 1u << 12,             // ROW_COUNT()
  Sequence = 1u << 13,             // NEXTVAL/SETVAL/LASTVAL(), NEXT/PREVIOUS VALUE FOR
  TempTable = 1u << 14,            // CREATE/DROP TEMPORARY TABLE
  ImplicitCommit = 1u << 15,       // ends an open transaction (MySQL "implicit commit" list)
  ReadOnlyTransaction = 1u << 16,  // START TRANSACTION READ ONLY, SET TRANSACTION READ ONLY
  HasHint = 1u << 17,              // a /* causeway: ... */ comment (see `hint`)
  ServerSpecific = 1u << 18,       // the answer belongs to one server or connection: SHOW WARNINGS,
                                   // SHOW STATUS, CONNECTION_ID(), GET DIAGNOSTICS, ...
  UnknownFunction = 1u << 19,      // calls a function that is not a known built-in
  Explain = 1u << 20,              // EXPLAIN/DESCRIBE/ANALYZE of a statement (cls is the inner one)
  LexError = 1u << 21,             // unterminated string, identifier or comment
  SetStatement = 1u << 22,         // MariaDB SET STATEMENT var=value FOR <statement>
  StoredProgram = 1u << 23,        // CREATE PROCEDURE/FUNCTION/TRIGGER/EVENT, BEGIN NOT ATOMIC
  Call = 1u << 24,                 // CALL or BEGIN NOT ATOMIC, in any of the statements (a procedure
                                   // may change session settings nobody sees)
};
// Any of these makes a read unfit for a replica.
inline constexpr std::uint32_t replica_unsafe =
    MultiStatement | LockingRead | SelectInto | UserVariableWrite | UserVariableRead |
    SessionVariableRead | LockFunction | LastInsertId | FoundRows | CalcFoundRows | RowCount |
    Sequence | ServerSpecific | LexError;
}  // namespace flag

// Session variables a SET statement assigns (a statement may assign several).
namespace setvar {
enum : std::uint16_t {
  Autocommit = 1u << 0,
  Names = 1u << 1,           // SET NAMES, character_set_client/connection/results, collation_connection
  CharacterSet = 1u << 2,    // SET CHARACTER SET / CHARSET
  SqlMode = 1u << 3,
  TimeZone = 1u << 4,
  Isolation = 1u << 5,       // transaction_isolation / tx_isolation
  ReadOnly = 1u << 6,        // transaction_read_only / tx_read_only
  Role = 1u << 7,            // SET ROLE
  Other = 1u << 8,           // any other session variable
  UserVariable = 1u << 9,    // SET @x = ...
  Global = 1u << 10,         // a GLOBAL/PERSIST assignment (not session state)
};
}  // namespace setvar

enum class Isolation : std::uint8_t { Unspecified, ReadUncommitted, ReadCommitted, RepeatableRead, Serializable };
enum class AccessMode : std::uint8_t { Unspecified, ReadOnly, ReadWrite };
// SET TRANSACTION without a scope applies to the next transaction only.
enum class TransactionScope : std::uint8_t { Unspecified, Next, Session, Global };

// COMMIT/ROLLBACK options and START TRANSACTION WITH CONSISTENT SNAPSHOT.
namespace txopt {
enum : std::uint8_t {
  Chain = 1u << 0, NoChain = 1u << 1, Release = 1u << 2, NoRelease = 1u << 3,
  ConsistentSnapshot = 1u << 4,
};
}  // namespace txopt

// What a SET of session_track_system_variables (MariaDB: `last_gtid` or `*` in the list)
// or session_track_gtids (MySQL: anything but OFF) leaves the client asking the server for.
enum class GtidTracking : std::uint8_t { Unchanged, On, Off };

struct Classification {
  StatementClass cls = StatementClass::Empty;
  StatementAction action = StatementAction::None;
  std::uint32_t flags = 0;
  std::uint16_t session_vars = 0;  // setvar:: bits, for StatementAction::Set
  std::int8_t autocommit = -1;     // value assigned by SET autocommit: 0, 1, or -1 (none/unknown)
  // Set when a SET [SESSION] assigns session tracking (any statement of a multi-statement;
  // On wins). A value causeway does not read (an expression) counts as Off.
  GtidTracking gtid_tracking = GtidTracking::Unchanged;
  // No statement can commit anything: each is a read, SHOW, SET (not of autocommit) or USE
  // that calls no function causeway does not know (one of those may write) nor NEXTVAL().
  bool commits_nothing = true;
  // Seconds assigned by SET [SESSION] wait_timeout: -1 for DEFAULT or an expression;
  // nullopt when the statement does not assign it.
  std::optional<std::int64_t> wait_timeout;
  Isolation isolation = Isolation::Unspecified;  // SET TRANSACTION ISOLATION LEVEL
  AccessMode access = AccessMode::Unspecified;   // START/SET TRANSACTION READ ONLY|READ WRITE
  TransactionScope scope = TransactionScope::Unspecified;              // SET TRANSACTION scope
  std::uint8_t tx_options = 0;                   // txopt:: bits
  std::uint32_t first_end = 0;  // offset just past the first statement (its `;`, or the end)
  std::uint64_t kill_id = 0;    // KILL id
  std::string_view keyword;     // the first word as written, e.g. "select"; empty for `(`
  std::string_view object;      // USE db, savepoint, prepared statement name, XA xid (unquoted)
  std::string_view hint;        // text of the first /* causeway: ... */ after "causeway:"

  bool has(std::uint32_t f) const { return (flags & f) != 0; }
};

// With several statements (`a; b`), `cls` and the details describe the first one, `flags`
// and `session_vars` are the union over all of them, and `first_end` is where the second
// begins: classify(sql.substr(first_end)) walks them one by one.
Classification classify(std::string_view sql, LexOptions options = {});

// A known read with no flag that ties it to the primary or to one connection. Session state
// (open transaction, temporary tables, pinned connection) is the router's business.
inline bool is_replica_safe(const Classification& c) {
  return c.cls == StatementClass::Read && (c.flags & flag::replica_unsafe) == 0;
}

// Locking in any form: LOCK TABLES and friends, locking reads, GET_LOCK-family.
inline bool is_locking(const Classification& c) {
  return c.cls == StatementClass::Lock || c.has(flag::LockingRead | flag::LockFunction);
}

const char* to_string(StatementClass cls);
const char* to_string(StatementAction action);
// The snake_case name of one flag (for traces, the status port and tests); empty if unknown.
std::string_view flag_name(std::uint32_t single_flag);

}  // namespace causeway::routing

// The routing-relevant state of one client session. The session updates it from two
// sources: what statements did (classifier) and what the server said (status flags in
// OK/EOF packets, the ground truth for transactions).
#pragma once

#include <cstdint>
#include <optional>

#include "replication/gtid_set.hpp"

namespace causeway::routing {

// Why a session is tied to one backend connection: state that lives only there.
namespace pin {
enum : std::uint32_t {
  UserVariables = 1u << 0,    // SET @x / SELECT @x := / INTO @x
  TemporaryTables = 1u << 1,  // CREATE TEMPORARY TABLE
  LockTables = 1u << 2,       // LOCK TABLES, FLUSH TABLES WITH READ LOCK, LOCK INSTANCE, BACKUP
  NamedLocks = 1u << 3,       // GET_LOCK and friends
  TextPrepared = 1u << 4,     // PREPARE name FROM ... (the name lives on the connection)
  FoundRows = 1u << 5,        // SQL_CALC_FOUND_ROWS, waiting for FOUND_ROWS()
  Autocommit = 1u << 6,       // autocommit=0: every statement opens a transaction
  Xa = 1u << 7,               // an XA transaction
  // 1u << 8, 1u << 9: free (cursors and long data hold their connection, not the session's
  // routing: see the proxy's Session::update_statement_holds)
  Sequence = 1u << 10,        // NEXTVAL/LASTVAL: LASTVAL() depends on this connection
  Hint = 1u << 11,            // unused: reserved for an explicit pin hint
  NextTransaction = 1u << 12, // SET TRANSACTION ... (no scope): only for the next transaction
  Settings = 1u << 13,        // session settings causeway could not record to replay elsewhere
                              // (a SET or USE inside a multi-statement, a prepared SET)
};
}  // namespace pin

struct SessionState {
  bool in_transaction = false;        // SERVER_STATUS_IN_TRANS from the last response
  bool read_only_transaction = false; // SERVER_STATUS_IN_TRANS_READONLY
  bool autocommit = true;             // SERVER_STATUS_AUTOCOMMIT
  std::optional<std::size_t> transaction_server;  // where the open transaction runs
  std::uint32_t pins = 0;             // pin:: bits
  std::optional<std::size_t> pinned_server;       // where pinned state lives
  std::optional<std::size_t> last_server;         // where the last statement ran
  bool next_transaction_read_only = false;        // SET TRANSACTION READ ONLY (next one only)

  // Consistency (docs/consistency.md): the GTIDs of the session's own committed writes, as
  // the primary reported them in OK packets, and for `monotonic` the state of the replicas
  // it has read from. Both only grow.
  replication::GtidSet written;
  replication::GtidSet observed;

  bool pinned() const { return pins != 0 && pinned_server.has_value(); }
};

// Server status flags as the protocol defines them (a copy: routing/ knows no protocol).
namespace server_status {
inline constexpr std::uint16_t in_trans = 0x0001;
inline constexpr std::uint16_t autocommit = 0x0002;
inline constexpr std::uint16_t in_trans_readonly = 0x2000;
}  // namespace server_status

struct Classification;

// Updates the state after a statement ran on `server`: the status flags of the server's
// last OK/EOF are the truth about transactions and autocommit (nullopt: the response
// carried none, e.g. an ERR or PREPARE_OK, and that state stays as it was); the statement
// tells which connection-bound state it created or released. `succeeded` is false after
// an ERR.
void after_statement(SessionState& state, const Classification* statement, std::size_t server,
                     std::optional<std::uint16_t> status_flags, bool succeeded);

// Whether the statement changes session settings (session variables, USE, SET SESSION
// TRANSACTION) that a pooled connection must carry to the session's next one.
bool changes_session_settings(const Classification& statement);

// Pins the session to `server` for state the caller knows of that the statement alone
// does not tell (a prepared SET: the same text as a query would have been recorded).
void add_pins(SessionState& state, std::uint32_t pins, std::size_t server);

// A fresh login (COM_CHANGE_USER, COM_RESET_CONNECTION) drops all connection-bound state.
void reset_session(SessionState& state);

}  // namespace causeway::routing

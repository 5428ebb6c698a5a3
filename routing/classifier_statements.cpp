// Statement parsers for transaction control, session, locking, KILL, prepared statements
// and DDL/DCL: they fill the StatementAction and the details the session-state tracker needs.
#include <cstdint>

#include "routing/classifier_detail.hpp"

namespace causeway::routing::detail {

namespace {

// 0/1, ON/OFF, TRUE/FALSE, 'ON'/'OFF'; -1 for anything else (DEFAULT, expressions).
int parse_bool(const Token& t) {
  std::string_view v = t.text;
  if (t.kind == TokenKind::String) {
    v = unquote_name(t);
  } else if (t.kind != TokenKind::Number && t.kind != TokenKind::Word) {
    return -1;
  }
  if (v == "1" || iequals(v, "on") || iequals(v, "true")) return 1;
  if (v == "0" || iequals(v, "off") || iequals(v, "false")) return 0;
  return -1;
}

// transaction_isolation values: 'READ-COMMITTED', 'REPEATABLE-READ', ...
Isolation parse_isolation_value(const Token& t) {
  const auto v = t.kind == TokenKind::String ? unquote_name(t) : t.text;
  if (iequals(v, "read-uncommitted")) return Isolation::ReadUncommitted;
  if (iequals(v, "read-committed")) return Isolation::ReadCommitted;
  if (iequals(v, "repeatable-read")) return Isolation::RepeatableRead;
  if (iequals(v, "serializable")) return Isolation::Serializable;
  return Isolation::Unspecified;
}

// ISOLATION LEVEL {READ UNCOMMITTED | READ COMMITTED | REPEATABLE READ | SERIALIZABLE}
Isolation parse_isolation_level(Cursor& cur) {
  if (cur.accept("serializable")) return Isolation::Serializable;
  if (cur.accept("repeatable")) return cur.accept("read") ? Isolation::RepeatableRead : Isolation::Unspecified;
  if (cur.accept("read")) {
    if (cur.accept("committed")) return Isolation::ReadCommitted;
    if (cur.accept("uncommitted")) return Isolation::ReadUncommitted;
  }
  return Isolation::Unspecified;
}

// Characteristics of START TRANSACTION and SET TRANSACTION, comma separated.
void parse_characteristics(Cursor& cur, Classification& c) {
  do {
    if (cur.accept("with")) {  // WITH CONSISTENT [engine] SNAPSHOT
      while (!cur.at_statement_end() && !cur.peek().is(',')) cur.take();
      c.tx_options |= txopt::ConsistentSnapshot;
    } else if (cur.accept("read")) {
      if (cur.accept("only")) {
        c.access = AccessMode::ReadOnly;
        c.flags |= flag::ReadOnlyTransaction;
      } else if (cur.accept("write")) {
        c.access = AccessMode::ReadWrite;
      }
    } else if (cur.accept("isolation")) {
      cur.accept("level");
      c.isolation = parse_isolation_level(cur);
    } else {
      break;
    }
  } while (cur.accept(','));
  finish(cur, c, Mode::Lexical);
}

void set_transaction(Cursor& cur, Classification& c, TransactionScope scope) {
  cur.take();  // TRANSACTION
  c.cls = StatementClass::Transaction;
  c.action = StatementAction::SetTransaction;
  c.scope = scope;
  parse_characteristics(cur, c);
}

std::uint16_t session_var_bit(std::string_view name) {
  if (iequals(name, "autocommit")) return setvar::Autocommit;
  if (iequals(name, "sql_mode")) return setvar::SqlMode;
  if (iequals(name, "time_zone")) return setvar::TimeZone;
  if (iequals(name, "transaction_isolation") || iequals(name, "tx_isolation")) return setvar::Isolation;
  if (iequals(name, "transaction_read_only") || iequals(name, "tx_read_only")) return setvar::ReadOnly;
  if (iequals(name, "character_set_client") || iequals(name, "character_set_connection") ||
      iequals(name, "character_set_results") || iequals(name, "collation_connection"))
    return setvar::Names;
  return setvar::Other;
}

// Strips a scope prefix from a system variable name; true if the scope is global.
bool strip_scope(std::string_view& name) {
  const auto dot = name.find('.');
  if (dot == std::string_view::npos) return false;
  const auto scope = name.substr(0, dot);
  name.remove_prefix(dot + 1);
  return iequals(scope, "global") || iequals(scope, "persist") || iequals(scope, "persist_only");
}

// A plain decimal integer literal, else -1.
std::int64_t decimal_value(const Token& t) {
  if (t.kind != TokenKind::Number || t.text.empty() || t.text.size() > 12) return -1;
  std::int64_t v = 0;
  for (char ch : t.text) {
    if (ch < '0' || ch > '9') return -1;
    v = v * 10 + (ch - '0');
  }
  return v;
}

// Session variables whose values the classifier reads beyond their setvar bit.
enum class Watched : std::uint8_t { None, WaitTimeout, TrackVariables, TrackGtids };

Watched watched(std::string_view name) {
  if (iequals(name, "wait_timeout")) return Watched::WaitTimeout;
  if (iequals(name, "session_track_system_variables")) return Watched::TrackVariables;
  if (iequals(name, "session_track_gtids")) return Watched::TrackGtids;
  return Watched::None;
}

// Whether a session_track_system_variables list names last_gtid (or is `*`).
bool lists_last_gtid(std::string_view list) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == "*" || iequals(item, "last_gtid")) return true;
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return false;
}

// What the value `text` of a session tracking assignment asks for. A list counts when a
// string literal anywhere in it names last_gtid: clients build it with expressions, e.g.
// IF(@@session_track_system_variables = '', 'last_gtid', CONCAT(@@..., ',last_gtid')).
GtidTracking tracking_value(Watched w, std::string_view text) {
  Lexer lex(text);
  bool single = true;
  GtidTracking out = GtidTracking::Off;
  for (Token t = lex.next(); t.kind != TokenKind::End && t.kind != TokenKind::Error; t = lex.next()) {
    const auto v = t.kind == TokenKind::String ? unquote_name(t) : t.text;
    if (w == Watched::TrackVariables) {
      if (t.kind == TokenKind::String && lists_last_gtid(v)) return GtidTracking::On;
    } else if (t.kind == TokenKind::String || (single && t.kind != TokenKind::Punct)) {
      // session_track_gtids: OWN_GTID and ALL_GTIDS (1, 2) report; OFF (0, DEFAULT) stops it.
      if (iequals(v, "own_gtid") || iequals(v, "all_gtids") || v == "1" || v == "2") out = GtidTracking::On;
    }
    single = false;
  }
  return out;
}

// The value of one assignment; sets the details for the variables we track.
void parse_value(Cursor& cur, Classification& c, std::uint16_t bit, Watched w) {
  const Token first = cur.peek();
  scan(cur, c, {Mode::Expr, Stop::Comma});
  const bool single = cur.offset_of(first) + first.text.size() == cur.consumed_end();
  if (w == Watched::WaitTimeout) c.wait_timeout = single ? decimal_value(first) : -1;
  if ((w == Watched::TrackVariables || w == Watched::TrackGtids) && c.gtid_tracking != GtidTracking::On) {
    const std::size_t from = cur.offset_of(first);
    c.gtid_tracking = tracking_value(w, cur.lexer().input().substr(from, cur.consumed_end() - from));
  }
  if (!single) return;
  if (bit == setvar::Autocommit) {
    c.autocommit = static_cast<std::int8_t>(parse_bool(first));
    if (c.autocommit == 1) c.flags |= flag::ImplicitCommit;  // SET autocommit = 1 commits
  } else if (bit == setvar::Isolation) {
    c.isolation = parse_isolation_value(first);
  } else if (bit == setvar::ReadOnly) {
    const int v = parse_bool(first);
    if (v >= 0) c.access = v ? AccessMode::ReadOnly : AccessMode::ReadWrite;
  }
}

// One item of SET: [GLOBAL|SESSION|...] name = value, @user = value, NAMES ..., CHARSET ...
void parse_assignment(Cursor& cur, Classification& c) {
  bool global = false;
  if (cur.accept("global") || cur.accept("persist") || cur.accept("persist_only")) {
    global = true;
  } else {
    (void)(cur.accept("session") || cur.accept("local"));
  }
  std::uint16_t bit = 0;
  if (cur.accept("names")) {
    bit = setvar::Names;
  } else if (cur.accept("charset")) {
    bit = setvar::CharacterSet;
  } else if (is_word(cur.peek(), "character") && is_word(cur.peek2(), "set")) {
    cur.take();
    cur.take();
    bit = setvar::CharacterSet;
  }
  if (bit) {
    c.session_vars |= bit;
    c.flags |= flag::SessionVariableWrite;
    scan(cur, c, {Mode::Expr, Stop::Comma});
    return;
  }
  const Token target = cur.take();
  std::string_view name;
  switch (target.kind) {
    case TokenKind::UserVar:
      c.session_vars |= setvar::UserVariable;
      c.flags |= flag::UserVariableWrite;
      if (!cur.accept('=')) cur.accept_op(":=");
      return scan(cur, c, {Mode::Expr, Stop::Comma});
    case TokenKind::SystemVar:
      name = unquote_name(target);
      global = strip_scope(name) || global;
      break;
    case TokenKind::Word:
    case TokenKind::QuotedIdent:
      name = unquote_name(target);
      if (cur.accept('.')) name = unquote_name(cur.take());  // structured: default.key_buffer_size
      break;
    default:
      if (target.kind == TokenKind::Error) c.flags |= flag::LexError;
      return scan(cur, c, {Mode::Expr, Stop::Comma});
  }
  if (!cur.accept('=')) cur.accept_op(":=");
  if (global) {
    c.session_vars |= setvar::Global;
    c.flags |= flag::GlobalVariableWrite;
    return scan(cur, c, {Mode::Expr, Stop::Comma});
  }
  bit = session_var_bit(name);
  c.session_vars |= bit;
  c.flags |= flag::SessionVariableWrite;
  parse_value(cur, c, bit, watched(name));
}

// MariaDB: SET STATEMENT var = value [, ...] FOR statement. The class is the statement's.
void parse_set_statement(Cursor& cur, Classification& c) {
  cur.take();  // STATEMENT
  c.flags |= flag::SetStatement;
  int depth = 0;
  while (!cur.at_statement_end()) {
    const Token t = cur.take();
    if (t.is('(')) ++depth;
    if (t.is(')') && depth > 0) --depth;
    if (depth == 0 && is_word(t, "for")) return classify_statement(cur, c);
  }
  simple(cur, c, StatementClass::Other);
}

bool is_scope_word(const Token& t) {
  return is_word(t, "global") || is_word(t, "session") || is_word(t, "local") || is_word(t, "persist") ||
         is_word(t, "persist_only");
}

TransactionScope scope_of(const Token& t) {
  if (is_word(t, "session") || is_word(t, "local")) return TransactionScope::Session;
  return TransactionScope::Global;
}

}  // namespace

void parse_set(Cursor& cur, Classification& c) {
  cur.take();  // SET
  const Token& n = cur.peek();
  if (is_word(n, "transaction")) return set_transaction(cur, c, TransactionScope::Next);
  if (is_scope_word(n) && is_word(cur.peek2(), "transaction")) {
    const TransactionScope scope = scope_of(cur.take());
    return set_transaction(cur, c, scope);
  }
  if (is_word(n, "password") || (is_word(n, "default") && is_word(cur.peek2(), "role")))
    return dcl(cur, c);
  if (is_word(n, "statement")) return parse_set_statement(cur, c);
  c.cls = StatementClass::Session;
  c.action = StatementAction::Set;
  if (cur.accept("role")) {
    c.session_vars |= setvar::Role;
    return finish(cur, c, Mode::Lexical);
  }
  do {
    parse_assignment(cur, c);
  } while (cur.accept(','));
  finish(cur, c, Mode::Lexical);
}

void parse_start(Cursor& cur, Classification& c) {
  cur.take();
  if (!cur.accept("transaction")) return simple(cur, c, StatementClass::Admin, flag::ImplicitCommit);  // START REPLICA
  c.cls = StatementClass::Transaction;
  c.action = StatementAction::StartTransaction;
  c.flags |= flag::ImplicitCommit;
  parse_characteristics(cur, c);
}

void parse_begin(Cursor& cur, Classification& c) {
  cur.take();
  if (is_word(cur.peek(), "not")) {  // MariaDB: BEGIN NOT ATOMIC ... END, an anonymous block
    c.cls = StatementClass::Call;
    c.flags |= flag::StoredProgram | flag::Call;
    return scan(cur, c, {Mode::Lexical, Stop::Statement, 1});
  }
  cur.accept("work");
  c.cls = StatementClass::Transaction;
  c.action = StatementAction::Begin;
  c.flags |= flag::ImplicitCommit;
  finish(cur, c, Mode::Lexical);
}

// COMMIT|ROLLBACK [WORK] [AND [NO] CHAIN] [[NO] RELEASE]; ROLLBACK [WORK] TO [SAVEPOINT] name
void parse_commit_rollback(Cursor& cur, Classification& c) {
  const bool rollback = is_word(cur.take(), "rollback");
  c.cls = StatementClass::Transaction;
  c.action = rollback ? StatementAction::Rollback : StatementAction::Commit;
  cur.accept("work");
  if (rollback && cur.accept("to")) {
    cur.accept("savepoint");
    c.action = StatementAction::RollbackToSavepoint;
    c.object = unquote_name(cur.take());
    return finish(cur, c, Mode::Lexical);
  }
  if (cur.accept("and")) {
    const bool no = cur.accept("no");
    if (cur.accept("chain")) c.tx_options |= no ? txopt::NoChain : txopt::Chain;
  }
  const bool no = cur.accept("no");
  if (cur.accept("release")) c.tx_options |= no ? txopt::NoRelease : txopt::Release;
  finish(cur, c, Mode::Lexical);
}

// SAVEPOINT name; RELEASE SAVEPOINT name
void parse_savepoint(Cursor& cur, Classification& c) {
  const bool release = is_word(cur.take(), "release");
  if (release && !cur.accept("savepoint")) return simple(cur, c, StatementClass::Other);
  c.cls = StatementClass::Transaction;
  c.action = release ? StatementAction::ReleaseSavepoint : StatementAction::Savepoint;
  c.object = unquote_name(cur.take());
  finish(cur, c, Mode::Lexical);
}

void parse_xa(Cursor& cur, Classification& c) {
  cur.take();
  const Token verb = cur.take();
  c.cls = StatementClass::Transaction;
  if (is_word(verb, "start") || is_word(verb, "begin")) {
    c.action = StatementAction::XaStart;
  } else if (is_word(verb, "end")) {
    c.action = StatementAction::XaEnd;
  } else if (is_word(verb, "prepare")) {
    c.action = StatementAction::XaPrepare;
  } else if (is_word(verb, "commit")) {
    c.action = StatementAction::XaCommit;
  } else if (is_word(verb, "rollback")) {
    c.action = StatementAction::XaRollback;
  } else if (is_word(verb, "recover")) {
    c.action = StatementAction::XaRecover;
  } else {
    return simple(cur, c, StatementClass::Other);
  }
  if (c.action != StatementAction::XaRecover && !cur.at_statement_end()) c.object = unquote_name(cur.peek());
  finish(cur, c, Mode::Lexical);
}

void parse_use(Cursor& cur, Classification& c) {
  cur.take();
  c.cls = StatementClass::Session;
  c.action = StatementAction::Use;
  if (!cur.at_statement_end()) c.object = unquote_name(cur.peek());
  finish(cur, c, Mode::Lexical);
}

// KILL [HARD|SOFT] [CONNECTION|QUERY] id; MariaDB also KILL QUERY ID query_id, KILL USER name.
void parse_kill(Cursor& cur, Classification& c) {
  cur.take();
  c.cls = StatementClass::Kill;
  c.action = StatementAction::KillConnection;
  (void)(cur.accept("hard") || cur.accept("soft"));
  if (cur.accept("query")) {
    c.action = StatementAction::KillQuery;
  } else {
    cur.accept("connection");
  }
  if (cur.accept("user")) {
    if (!cur.at_statement_end()) c.object = unquote_name(cur.peek());
    finish(cur, c, Mode::Lexical);
    return;
  }
  // A driver that keeps the greeting's 32-bit connection id in a signed int (Connector/J
  // 2) writes ids from 2^31 up as negative numbers: -n is the id 2^32 - n.
  const bool negative = cur.accept('-');
  if (cur.peek().kind == TokenKind::Number) {  // not for `QUERY ID n`: that is a query id
    const Token number = cur.take();
    std::uint64_t id = 0;
    bool ok = cur.at_statement_end();  // `KILL 5-1` or `KILL 5 x` is the server's to judge
    for (char ch : number.text) {
      const auto d = static_cast<std::uint64_t>(ch - '0');
      ok = ok && ch >= '0' && ch <= '9' && id <= (UINT64_MAX - d) / 10;
      if (ok) id = id * 10 + d;
    }
    constexpr std::uint64_t two_31 = std::uint64_t{1} << 31;
    if (ok && negative) {
      ok = id >= 1 && id <= two_31;
      id = (two_31 << 1) - id;
    }
    if (ok) c.kill_id = id;
  }
  finish(cur, c, Mode::Lexical);
}

// LOCK TABLE(S) ..., UNLOCK TABLE(S), LOCK INSTANCE FOR BACKUP, UNLOCK INSTANCE
void parse_lock(Cursor& cur, Classification& c) {
  const bool unlock = is_word(cur.take(), "unlock");
  if (cur.accept("tables") || cur.accept("table")) {
    c.action = unlock ? StatementAction::UnlockTables : StatementAction::LockTables;
    return simple(cur, c, StatementClass::Lock, flag::ImplicitCommit);
  }
  if (cur.accept("instance")) {
    c.action = unlock ? StatementAction::UnlockInstance : StatementAction::LockInstance;
    return simple(cur, c, StatementClass::Lock);
  }
  simple(cur, c, StatementClass::Other);
}

// FLUSH TABLES [t, ...] WITH READ LOCK and FLUSH TABLES t FOR EXPORT take locks; other
// FLUSH statements are administration. All commit implicitly.
void parse_flush(Cursor& cur, Classification& c) {
  cur.take();
  c.cls = StatementClass::Admin;
  c.flags |= flag::ImplicitCommit;
  while (!cur.at_statement_end()) {
    const Token t = cur.take();
    if ((is_word(t, "read") && is_word(cur.peek(), "lock")) || (is_word(t, "for") && is_word(cur.peek(), "export"))) {
      c.cls = StatementClass::Lock;
      c.action = StatementAction::FlushTablesWithReadLock;
    }
    if (t.kind == TokenKind::Error) c.flags |= flag::LexError;
  }
  cur.accept(';');
}

// MariaDB BACKUP LOCK t / BACKUP UNLOCK / BACKUP STAGE name
void parse_backup(Cursor& cur, Classification& c) {
  cur.take();
  if (cur.accept("lock")) {
    c.action = StatementAction::BackupLock;
  } else if (cur.accept("unlock")) {
    c.action = StatementAction::BackupUnlock;
  } else if (cur.accept("stage")) {
    c.action = StatementAction::BackupStage;
  } else {
    return simple(cur, c, StatementClass::Admin);
  }
  simple(cur, c, StatementClass::Lock);
}

// CREATE [OR REPLACE] [DEFINER = ...] [TEMPORARY] <object> ...
void parse_create(Cursor& cur, Classification& c) {
  cur.take();
  bool temporary = false;
  bool after_eq = false;
  for (int i = 0; i < 24 && !cur.at_statement_end(); ++i) {
    const Token t = cur.take();
    const bool value = after_eq;  // DEFINER = user, ALGORITHM = MERGE: skip the value
    after_eq = t.is('=');
    if (t.kind != TokenKind::Word || value) continue;
    if (is_word(t, "temporary")) {
      temporary = true;
    } else if (is_word(t, "table") && temporary) {
      c.action = StatementAction::CreateTemporaryTable;
      return simple(cur, c, StatementClass::Ddl, flag::TempTable);  // no implicit commit
    } else if (is_word(t, "user") || is_word(t, "role")) {
      return dcl(cur, c);
    } else if (is_word(t, "procedure") || is_word(t, "function") || is_word(t, "trigger") ||
               is_word(t, "event") || is_word(t, "package")) {
      c.cls = StatementClass::Ddl;
      c.flags |= flag::ImplicitCommit | flag::StoredProgram;
      return scan(cur, c, {Mode::Lexical, Stop::Statement, 0});
    } else if (is_word(t, "table") || is_word(t, "view") || is_word(t, "index") || is_word(t, "database") ||
               is_word(t, "schema") || is_word(t, "sequence") || is_word(t, "server") ||
               is_word(t, "tablespace")) {
      break;
    }
  }
  simple(cur, c, StatementClass::Ddl, flag::ImplicitCommit);
}

// ALTER/DROP/RENAME ...; DROP PREPARE is DEALLOCATE PREPARE.
void parse_ddl(Cursor& cur, Classification& c) {
  const bool drop = is_word(cur.take(), "drop");
  const Token& n = cur.peek();
  if (drop && is_word(n, "prepare")) {
    cur.take();
    c.cls = StatementClass::Deallocate;
    if (!cur.at_statement_end()) c.object = unquote_name(cur.peek());
    return finish(cur, c, Mode::Lexical);
  }
  if (drop && is_word(n, "temporary")) {
    c.action = StatementAction::DropTemporaryTable;
    return simple(cur, c, StatementClass::Ddl, flag::TempTable);  // no implicit commit
  }
  if (is_word(n, "user") || is_word(n, "role")) return dcl(cur, c);
  simple(cur, c, StatementClass::Ddl, flag::ImplicitCommit);
}

// PREPARE name FROM ...; EXECUTE name [USING ...]; EXECUTE IMMEDIATE ...; DEALLOCATE PREPARE name
void parse_prepared(Cursor& cur, Classification& c) {
  const Token head = cur.take();
  if (is_word(head, "prepare")) {
    c.cls = StatementClass::Prepare;
  } else if (is_word(head, "execute")) {
    c.cls = StatementClass::Execute;
    if (cur.accept("immediate")) return finish(cur, c, Mode::Lexical);
  } else {
    c.cls = StatementClass::Deallocate;
    cur.accept("prepare");
  }
  if (!cur.at_statement_end()) c.object = unquote_name(cur.take());
  finish(cur, c, Mode::Lexical);
}

}  // namespace causeway::routing::detail

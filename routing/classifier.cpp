// Statement classification: the entry point, the dispatch on the first keyword, the flag
// scanner, and the read-side statements (SELECT, WITH, EXPLAIN, SHOW).
// Session, transaction, lock and DDL statements are in classifier_statements.cpp.
#include "routing/classifier.hpp"

#include "routing/classifier_detail.hpp"
#include "routing/words.hpp"

namespace causeway::routing {

namespace detail {

namespace {

constexpr bool is_scanning(Mode m) { return m != Mode::Lexical; }

// A function call: `name(`. Quoted (`f`() and qualified (db.f() names are stored
// functions, but if the name is one with effects we flag those too, to be safe.
void observe_call(const Token& name, bool qualified, Classification& c) {
  const bool stored = qualified || name.kind == TokenKind::QuotedIdent;
  if (stored) c.flags |= flag::UnknownFunction;
  switch (lookup_function(stored ? unquote_name(name) : name.text)) {
    case FunctionKind::Unknown: c.flags |= flag::UnknownFunction; break;
    case FunctionKind::Lock: c.flags |= flag::LockFunction; break;
    case FunctionKind::LastInsertId: c.flags |= flag::LastInsertId; break;
    case FunctionKind::FoundRows: c.flags |= flag::FoundRows; break;
    case FunctionKind::RowCount: c.flags |= flag::RowCount; break;
    case FunctionKind::Sequence: c.flags |= flag::Sequence; break;
    case FunctionKind::ServerSpecific: c.flags |= flag::ServerSpecific; break;
    case FunctionKind::Builtin:
    case FunctionKind::NotAFunction: break;
  }
}

struct ScanState {
  bool prev_dot = false;       // previous token was `.`
  bool name_expected = false;  // after AS/FROM/INTO/...: the next identifier is a name, not a call
  bool into_list = false;      // after INTO: variables listed are assigned
};

// Keywords after which an identifier names a table, column alias or type, not a function:
// `INSERT INTO t(a)`, `AS DECIMAL(10,2)`, `FROM t`.
bool is_name_keyword(std::string_view t) {
  switch (t.size()) {
    case 2: return iequals(t, "as");
    case 4: return iequals(t, "into") || iequals(t, "from") || iequals(t, "join");
    case 5: return iequals(t, "table");
    case 6: return iequals(t, "update") || iequals(t, "insert") || iequals(t, "ignore");
    case 7: return iequals(t, "replace");
    default: return false;
  }
}

// Keywords of interest in a scanned statement; `next` is the token after `w`.
void observe_word(const Token& w, const Token& next, Mode mode, ScanState& s, Classification& c) {
  const auto t = w.text;
  if (is_name_keyword(t)) s.name_expected = true;
  switch (t.size()) {
    case 3:
      if (iequals(t, "for") && (is_word(next, "update") || is_word(next, "share"))) c.flags |= flag::LockingRead;
      break;
    case 4:
      if (iequals(t, "lock")) {
        if (is_word(next, "in")) c.flags |= flag::LockingRead;  // LOCK IN SHARE MODE
      } else if (iequals(t, "into")) {
        if (mode == Mode::Read) c.flags |= flag::SelectInto;
        s.into_list = mode == Mode::Read;
      } else if (iequals(t, "next")) {
        if (is_word(next, "value")) c.flags |= flag::Sequence;  // NEXT VALUE FOR seq
      }
      break;
    case 8:
      if (iequals(t, "previous") && is_word(next, "value")) c.flags |= flag::Sequence;
      break;
    case 19:
      if (iequals(t, "sql_calc_found_rows")) c.flags |= flag::CalcFoundRows;
      break;
    default: break;
  }
}

// BEGIN ... END nesting inside a stored program body. CASE also ends with END (CASE), while
// IF, LOOP, WHILE, REPEAT and FOR end with END IF/LOOP/... and do not count.
void track_block(const Token& w, Cursor& cur, int& block) {
  if (is_word(w, "begin") || is_word(w, "case")) {
    ++block;
  } else if (is_word(w, "end")) {
    const Token& n = cur.peek();
    if (is_word(n, "if") || is_word(n, "loop") || is_word(n, "while") || is_word(n, "repeat") ||
        is_word(n, "for")) {
      cur.take();
      return;
    }
    if (is_word(n, "case")) cur.take();
    if (block > 0) --block;
  }
}

}  // namespace

void scan(Cursor& cur, Classification& c, ScanOptions o) {
  int depth = 0;
  ScanState s;
  for (;;) {
    const Token& p = cur.peek();
    if (p.kind == TokenKind::End) return;
    if (p.kind == TokenKind::Punct) {
      if (p.is(';') && o.block <= 0) {
        if (o.stop == Stop::Statement) cur.take();
        return;
      }
      if (p.is('(')) {
        ++depth;
      } else if (p.is(')')) {
        if (depth == 0 && o.stop == Stop::CloseParen) {
          cur.take();
          return;
        }
        if (depth > 0) --depth;
      } else if (p.is(',') && depth == 0 && o.stop == Stop::Comma) {
        return;
      }
    }
    const Token& t = cur.take();
    const Token& next = cur.peek();
    switch (t.kind) {
      case TokenKind::Error: c.flags |= flag::LexError; break;
      case TokenKind::SystemVar: c.flags |= flag::SessionVariableRead; break;
      case TokenKind::UserVar:
        c.flags |= (s.into_list || next.is_punct(":=")) ? flag::UserVariableWrite : flag::UserVariableRead;
        break;
      case TokenKind::Word:
      case TokenKind::QuotedIdent:
        if (o.block >= 0 && t.kind == TokenKind::Word) track_block(t, cur, o.block);
        if (!is_scanning(o.mode)) break;
        if (s.name_expected && !(t.kind == TokenKind::Word && is_name_keyword(t.text))) {
          s.name_expected = next.is('.');  // db.table: the part after the dot is a name too
          s.prev_dot = false;
          s.into_list = false;
          continue;
        }
        if (next.is('(')) {
          observe_call(t, s.prev_dot, c);
        } else if (s.prev_dot && (is_word(t, "nextval") || is_word(t, "currval"))) {
          c.flags |= flag::Sequence;  // MariaDB sql_mode=ORACLE: seq.nextval
        } else if (t.kind == TokenKind::Word) {
          s.into_list = false;
          observe_word(t, next, o.mode, s, c);
        }
        s.prev_dot = false;
        continue;
      default: break;
    }
    s.prev_dot = t.is('.');
    if (!t.is(',') && t.kind != TokenKind::UserVar) s.into_list = false;
    if (!s.prev_dot) s.name_expected = false;
  }
}

namespace {

bool starts_query(const Token& t) {
  return t.is('(') || is_word(t, "select") || is_word(t, "with") || is_word(t, "table") || is_word(t, "values");
}

void read(Cursor& cur, Classification& c) {
  c.cls = StatementClass::Read;
  finish(cur, c, Mode::Read);
}

void write(Cursor& cur, Classification& c) {
  c.cls = StatementClass::Write;
  finish(cur, c, Mode::Write);
}

// WITH [RECURSIVE] name [(cols)] AS (query) [, ...] <main statement>
void parse_with(Cursor& cur, Classification& c) {
  cur.take();
  cur.accept("recursive");
  for (;;) {
    const Token name = cur.take();
    if (name.kind != TokenKind::Word && name.kind != TokenKind::QuotedIdent) return simple(cur, c, StatementClass::Other);
    if (cur.accept('(')) scan(cur, c, {Mode::Lexical, Stop::CloseParen});
    if (!cur.accept("as") || !cur.accept('(')) return simple(cur, c, StatementClass::Other);
    scan(cur, c, {Mode::Read, Stop::CloseParen});
    if (!cur.accept(',')) break;
  }
  const Token& main = cur.peek();
  if (starts_query(main)) return read(cur, c);
  if (is_word(main, "update") || is_word(main, "delete") || is_word(main, "insert") || is_word(main, "replace"))
    return write(cur, c);
  simple(cur, c, StatementClass::Other);
}

// EXPLAIN/DESCRIBE/DESC [options] statement | table [column] | FOR CONNECTION id;
// MariaDB ANALYZE statement (runs it). The class is the explained statement's.
void parse_explain(Cursor& cur, Classification& c) {
  cur.take();
  for (;;) {
    if (cur.accept("analyze") || cur.accept("extended") || cur.accept("partitions")) continue;
    if (is_word(cur.peek(), "format") && cur.peek2().is('=')) {
      cur.take();
      cur.take();
      cur.take();
      continue;
    }
    if (cur.accept("into")) {  // MySQL 8.1: EXPLAIN FORMAT=JSON INTO @v SELECT ...
      if (cur.peek().kind == TokenKind::UserVar) cur.take();
      c.flags |= flag::UserVariableWrite;
      continue;
    }
    break;
  }
  const Token& next = cur.peek();
  if (starts_query(next) || is_word(next, "insert") || is_word(next, "update") || is_word(next, "delete") ||
      is_word(next, "replace")) {
    c.flags |= flag::Explain;
    return classify_statement(cur, c);
  }
  if (is_word(next, "for"))  // FOR CONNECTION id: the plan of a statement running on this server
    return simple(cur, c, StatementClass::Read, flag::Explain | flag::ServerSpecific);
  simple(cur, c, StatementClass::Read);  // DESCRIBE table
}

// ANALYZE [NO_WRITE_TO_BINLOG|LOCAL] TABLE ... is table maintenance; MariaDB's ANALYZE of a
// statement executes it and shows the plan.
void parse_analyze(Cursor& cur, Classification& c) {
  const Token& next = cur.peek2();
  if (is_word(next, "table") || is_word(next, "tables") || is_word(next, "no_write_to_binlog") ||
      is_word(next, "local"))
    return simple(cur, c, StatementClass::Admin, flag::ImplicitCommit);
  parse_explain(cur, c);
}

// SHOW statements whose answer belongs to the server (or connection) that gives it.
bool show_is_server_specific(const Token& w) {
  static constexpr std::string_view words[] = {
      "warnings", "errors", "count", "status", "processlist", "master", "slave", "slaves",
      "replica", "replicas", "binary", "binlog", "relaylog", "engine", "innodb", "variables",
      "profile", "profiles", "open", "explain", "analyze", "user_statistics", "client_statistics",
      "index_statistics", "table_statistics", "wsrep_membership", "wsrep_status",
      "query_response_time", "mutex"};
  if (w.kind != TokenKind::Word) return false;
  for (auto word : words)
    if (iequals(w.text, word)) return true;
  return false;
}

void parse_show(Cursor& cur, Classification& c) {
  cur.take();
  c.cls = StatementClass::Show;
  while (cur.accept("full") || cur.accept("global") || cur.accept("session") || cur.accept("local") ||
         cur.accept("extended") || cur.accept("all") || cur.accept("storage")) {
  }
  if (show_is_server_specific(cur.peek())) c.flags |= flag::ServerSpecific;
  finish(cur, c, Mode::Lexical);
}

// LOAD DATA / LOAD XML write; their column lists `(a, b)` are not calls, so the scan is lexical.
void parse_load(Cursor& cur, Classification& c) {
  if (is_word(cur.peek2(), "index")) return simple(cur, c, StatementClass::Admin, flag::ImplicitCommit);
  simple(cur, c, StatementClass::Write);
}

// CALL [db.]proc[(args)]
void parse_call(Cursor& cur, Classification& c) {
  cur.take();
  c.cls = StatementClass::Call;
  c.flags |= flag::Call;
  cur.take();
  if (cur.accept('.')) cur.take();
  finish(cur, c, Mode::Write);
  // OUT and INOUT parameters assign the variables passed.
  if (c.has(flag::UserVariableRead)) c.flags |= flag::UserVariableWrite;
}

// GET [CURRENT|STACKED] DIAGNOSTICS reads the diagnostics area of the connection.
// The variables named are assigned, not read.
void parse_get(Cursor& cur, Classification& c) {
  simple(cur, c, StatementClass::Other, flag::ServerSpecific);
  if (c.has(flag::UserVariableRead)) c.flags = (c.flags & ~flag::UserVariableRead) | flag::UserVariableWrite;
}

// The head keyword decides; statements not listed here are Other (primary).
void dispatch(Cursor& cur, Classification& c) {
  const Token& head = cur.peek();
  if (head.is('(')) return read(cur, c);
  if (head.kind != TokenKind::Word) return simple(cur, c, StatementClass::Other);
  const auto w = head.text;
  switch (to_lower_ascii(w[0])) {
    case 'a':
      if (iequals(w, "alter")) return parse_ddl(cur, c);
      if (iequals(w, "analyze")) return parse_analyze(cur, c);
      break;
    case 'b':
      if (iequals(w, "begin")) return parse_begin(cur, c);
      if (iequals(w, "backup")) return parse_backup(cur, c);
      if (iequals(w, "binlog")) return simple(cur, c, StatementClass::Admin);
      break;
    case 'c':
      if (iequals(w, "commit")) return parse_commit_rollback(cur, c);
      if (iequals(w, "create")) return parse_create(cur, c);
      if (iequals(w, "call")) return parse_call(cur, c);
      if (iequals(w, "checksum")) return simple(cur, c, StatementClass::Read);
      if (iequals(w, "check") || iequals(w, "cache") || iequals(w, "change"))
        return simple(cur, c, StatementClass::Admin, flag::ImplicitCommit);
      if (iequals(w, "clone")) return simple(cur, c, StatementClass::Admin);
      break;
    case 'd':
      if (iequals(w, "delete")) return write(cur, c);
      if (iequals(w, "do")) return read(cur, c);
      if (iequals(w, "desc") || iequals(w, "describe")) return parse_explain(cur, c);
      if (iequals(w, "drop")) return parse_ddl(cur, c);
      if (iequals(w, "deallocate")) return parse_prepared(cur, c);
      break;
    case 'e':
      if (iequals(w, "explain")) return parse_explain(cur, c);
      if (iequals(w, "execute")) return parse_prepared(cur, c);
      break;
    case 'f':
      if (iequals(w, "flush")) return parse_flush(cur, c);
      break;
    case 'g':
      if (iequals(w, "grant")) return dcl(cur, c);
      if (iequals(w, "get")) return parse_get(cur, c);
      break;
    case 'h':
      if (iequals(w, "help")) return simple(cur, c, StatementClass::Read);
      if (iequals(w, "handler")) return simple(cur, c, StatementClass::Admin);
      break;
    case 'i':
      if (iequals(w, "insert")) return write(cur, c);
      if (iequals(w, "import")) return simple(cur, c, StatementClass::Ddl, flag::ImplicitCommit);
      if (iequals(w, "install")) return simple(cur, c, StatementClass::Admin, flag::ImplicitCommit);
      break;
    case 'k':
      if (iequals(w, "kill")) return parse_kill(cur, c);
      break;
    case 'l':
      if (iequals(w, "lock")) return parse_lock(cur, c);
      if (iequals(w, "load")) return parse_load(cur, c);
      break;
    case 'o':
      if (iequals(w, "optimize")) return simple(cur, c, StatementClass::Admin, flag::ImplicitCommit);
      break;
    case 'p':
      if (iequals(w, "prepare")) return parse_prepared(cur, c);
      if (iequals(w, "purge")) return simple(cur, c, StatementClass::Admin);
      break;
    case 'r':
      if (iequals(w, "rollback")) return parse_commit_rollback(cur, c);
      if (iequals(w, "replace")) return write(cur, c);
      if (iequals(w, "release")) return parse_savepoint(cur, c);
      if (iequals(w, "rename")) return parse_ddl(cur, c);
      if (iequals(w, "revoke")) return dcl(cur, c);
      if (iequals(w, "reset") || iequals(w, "repair"))
        return simple(cur, c, StatementClass::Admin, flag::ImplicitCommit);
      if (iequals(w, "restart")) return simple(cur, c, StatementClass::Admin);
      break;
    case 's':
      if (iequals(w, "select")) return read(cur, c);
      if (iequals(w, "set")) return parse_set(cur, c);
      if (iequals(w, "show")) return parse_show(cur, c);
      if (iequals(w, "start")) return parse_start(cur, c);
      if (iequals(w, "savepoint")) return parse_savepoint(cur, c);
      if (iequals(w, "stop")) return simple(cur, c, StatementClass::Admin, flag::ImplicitCommit);
      if (iequals(w, "shutdown")) return simple(cur, c, StatementClass::Admin);
      break;
    case 't':
      if (iequals(w, "table")) return read(cur, c);
      if (iequals(w, "truncate")) return simple(cur, c, StatementClass::Ddl, flag::ImplicitCommit);
      break;
    case 'u':
      if (iequals(w, "update")) return write(cur, c);
      if (iequals(w, "use")) return parse_use(cur, c);
      if (iequals(w, "unlock")) return parse_lock(cur, c);
      if (iequals(w, "uninstall")) return simple(cur, c, StatementClass::Admin, flag::ImplicitCommit);
      break;
    case 'v':
      if (iequals(w, "values")) return read(cur, c);
      break;
    case 'w':
      if (iequals(w, "with")) return parse_with(cur, c);
      break;
    case 'x':
      if (iequals(w, "xa")) return parse_xa(cur, c);
      break;
    default: break;
  }
  simple(cur, c, StatementClass::Other);
}

}  // namespace

void classify_statement(Cursor& cur, Classification& c) {
  if (c.keyword.empty() && cur.peek().kind == TokenKind::Word) c.keyword = cur.peek().text;
  dispatch(cur, c);
}

}  // namespace detail

namespace {

// One statement's part of Classification::commits_nothing. NEXTVAL() writes its sequence;
// SET autocommit = 1 commits an open transaction.
bool commits_nothing(const Classification& c) {
  if (c.has(flag::UnknownFunction | flag::Sequence | flag::LexError)) return false;
  switch (c.cls) {
    case StatementClass::Empty:
    case StatementClass::Read:
    case StatementClass::Show:
      return true;
    case StatementClass::Session:
      return (c.session_vars & setvar::Autocommit) == 0;
    default:
      return false;
  }
}

Classification classify_once(std::string_view sql, LexOptions options, bool& saw_backslash) {
  detail::Cursor cur(sql, options);
  Classification c;
  // Leading empty statements (`;`) do not count.
  while (cur.accept(';')) {
  }
  if (cur.at_input_end()) {
    c.first_end = static_cast<std::uint32_t>(sql.size());
  } else {
    detail::classify_statement(cur, c);
    c.commits_nothing = commits_nothing(c);
    c.first_end = static_cast<std::uint32_t>(cur.at_input_end() ? sql.size() : cur.consumed_end());
    while (!cur.at_input_end()) {
      if (cur.accept(';')) continue;
      Classification more;
      detail::classify_statement(cur, more);
      c.flags |= more.flags | flag::MultiStatement;
      c.session_vars |= more.session_vars;
      c.commits_nothing = c.commits_nothing && commits_nothing(more);
      if (more.gtid_tracking != GtidTracking::Unchanged && c.gtid_tracking != GtidTracking::On)
        c.gtid_tracking = more.gtid_tracking;
      // A later USE or SET SESSION TRANSACTION changes the session too; only the first
      // statement's action is kept, so it is counted as "another session variable".
      if (more.action == StatementAction::Use ||
          (more.action == StatementAction::SetTransaction && more.scope == TransactionScope::Session))
        c.session_vars |= setvar::Other;
    }
  }
  if (cur.lexer().has_hint()) {
    c.flags |= flag::HasHint;
    c.hint = cur.lexer().hint();
  }
  if (c.has(flag::LexError)) c.cls = StatementClass::Other;
  saw_backslash = cur.lexer().saw_backslash();
  return c;
}

}  // namespace

Classification classify(std::string_view sql, LexOptions options) {
  bool saw_backslash = false;
  Classification c = classify_once(sql, options, saw_backslash);
  if (options.sql_mode_known || !saw_backslash) return c;
  // 'a\' FOR UPDATE -- ' is a string with backslash escapes, but a string and a locking
  // clause under NO_BACKSLASH_ESCAPES. Read it both ways; a reading the server would reject
  // (unterminated quote) cannot run, so it does not count.
  LexOptions other = options;
  other.backslash_escapes = !options.backslash_escapes;
  const Classification alt = classify_once(sql, other, saw_backslash);
  if (alt.has(flag::LexError) || (alt.cls == c.cls && alt.flags == c.flags)) return c;
  c.flags |= alt.flags;
  c.commits_nothing = c.commits_nothing && alt.commits_nothing;
  if (alt.cls != c.cls) c.cls = StatementClass::Other;
  return c;
}

}  // namespace causeway::routing

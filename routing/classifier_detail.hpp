// Internals shared by the classifier's source files: a token cursor with two tokens of
// lookahead, the flag scanner, and the per-keyword statement parsers.
#pragma once

#include <cstddef>

#include "routing/classifier.hpp"
#include "routing/lexer.hpp"

namespace causeway::routing::detail {

// Tokens are lexed in place into a small ring: a reference from peek() or take() stays
// valid until three more tokens have been taken (copying tokens through temporaries
// cost a store-forwarding stall per token).
class Cursor {
 public:
  Cursor(std::string_view sql, LexOptions options) : lex_(sql, options) { lex_.next(ring_[0]); }

  const Token& peek() const { return ring_[head_]; }
  const Token& peek2() {
    if (ahead_ < 2) {
      lex_.next(ring_[(head_ + 1) & mask]);
      ahead_ = 2;
    }
    return ring_[(head_ + 1) & mask];
  }
  const Token& take() {
    const Token& t = ring_[head_];
    if (t.kind == TokenKind::End) return t;
    consumed_end_ = offset_of(t) + t.text.size();
    head_ = (head_ + 1) & mask;
    if (ahead_ == 2) {
      ahead_ = 1;
    } else {
      lex_.next(ring_[head_]);
    }
    return t;
  }
  // Takes the next token if it is the word `lower`.
  bool accept(std::string_view lower) {
    if (!is_word(peek(), lower)) return false;
    take();
    return true;
  }
  bool accept(char punct) {
    if (!peek().is(punct)) return false;
    take();
    return true;
  }
  // Takes the next token if it is the operator `op` (e.g. ":=").
  bool accept_op(std::string_view op) {
    if (!peek().is_punct(op)) return false;
    take();
    return true;
  }
  bool at_statement_end() const { return peek().kind == TokenKind::End || peek().is(';'); }
  bool at_input_end() const { return peek().kind == TokenKind::End; }
  std::size_t offset_of(const Token& t) const {
    return static_cast<std::size_t>(t.text.data() - lex_.input().data());
  }
  // Offset just past the last token taken.
  std::size_t consumed_end() const { return consumed_end_; }
  const Lexer& lexer() const { return lex_; }

 private:
  static constexpr unsigned mask = 3;
  Lexer lex_;
  Token ring_[mask + 1];
  unsigned head_ = 0;
  unsigned ahead_ = 1;  // tokens lexed from head_ on: 1, or 2 after peek2()
  std::size_t consumed_end_ = 0;
};

// How much the scanner looks at. Read: everything, and INTO means SELECT ... INTO.
// Write: function calls, variables, locking clauses. Expr: like Write, inside SET values.
// Lexical: only variables and lexical errors (DDL bodies, SHOW, admin statements).
enum class Mode : std::uint8_t { Read, Write, Expr, Lexical };

// Where the scanner stops.
enum class Stop : std::uint8_t {
  Statement,   // after the statement's `;` (consumed) or at the end of input
  CloseParen,  // after the `)` that closes the group whose `(` the caller took
  Comma,       // before a `,` at depth 0, or at the statement's end (not consumed)
};

struct ScanOptions {
  Mode mode = Mode::Read;
  Stop stop = Stop::Statement;
  int block = -1;  // >= 0: inside a stored program; `;` ends it only at BEGIN/END depth 0
};

void scan(Cursor& cur, Classification& c, ScanOptions options);
inline void finish(Cursor& cur, Classification& c, Mode mode) { scan(cur, c, {mode, Stop::Statement, -1}); }

// Statement parsers: each is called with the head keyword still unconsumed (peek()), and
// consumes the statement through its `;`.
void classify_statement(Cursor& cur, Classification& c);
void parse_set(Cursor& cur, Classification& c);
void parse_start(Cursor& cur, Classification& c);
void parse_begin(Cursor& cur, Classification& c);
void parse_commit_rollback(Cursor& cur, Classification& c);
void parse_savepoint(Cursor& cur, Classification& c);
void parse_xa(Cursor& cur, Classification& c);
void parse_use(Cursor& cur, Classification& c);
void parse_kill(Cursor& cur, Classification& c);
void parse_lock(Cursor& cur, Classification& c);
void parse_flush(Cursor& cur, Classification& c);
void parse_backup(Cursor& cur, Classification& c);
void parse_create(Cursor& cur, Classification& c);
void parse_ddl(Cursor& cur, Classification& c);  // ALTER, DROP, RENAME
void parse_prepared(Cursor& cur, Classification& c);

// Sets the class and finishes the statement with a lexical scan.
inline void simple(Cursor& cur, Classification& c, StatementClass cls, std::uint32_t flags = 0) {
  c.cls = cls;
  c.flags |= flags;
  finish(cur, c, Mode::Lexical);
}

// Account management. `user@host` lexes as a word and a user variable: it is an account here.
inline void dcl(Cursor& cur, Classification& c) {
  simple(cur, c, StatementClass::Dcl, flag::ImplicitCommit);
  c.flags &= ~flag::UserVariableRead;
}

}  // namespace causeway::routing::detail

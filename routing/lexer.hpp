// A MySQL/MariaDB SQL tokenizer over a string_view: no allocation, no copies.
//
// It knows what the server's own lexer knows for the purpose of classification:
// comments (`#`, `-- `, `/* */`, optimizer hints `/*+ */`), executable comments
// (`/*! */`, `/*!50100 */`, MariaDB `/*M! */`, `/*M!100100 */`) whose content is SQL,
// quoted strings with backslash escapes and doubled quotes, backtick identifiers,
// numbers, user and system variables, and multi-character operators. Comments are
// skipped; the first `/* causeway: ... */` comment is remembered as the route hint.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace causeway::routing {

enum class TokenKind : std::uint8_t {
  End,          // end of input
  Word,         // unquoted identifier or keyword
  QuotedIdent,  // `name` (and "name" with ANSI_QUOTES); text includes the quotes
  String,       // 'text', "text", N'text', X'0A', B'01'; text includes prefix and quotes
  Number,       // 12, 1.5, .5, 1e-3, 0x1F, 0b101
  UserVar,      // @name, @'name', @"name", @`name`
  SystemVar,    // @@name, @@session.name, @@global.name
  Punct,        // one operator or punctuation mark, longest match (:= <=> ->> ...)
  Error,        // unterminated string, identifier or comment; spans to the end of input
};

struct Token {
  TokenKind kind = TokenKind::End;
  std::string_view text;

  bool is(char c) const { return kind == TokenKind::Punct && text.size() == 1 && text[0] == c; }
  bool is_punct(std::string_view p) const { return kind == TokenKind::Punct && text == p; }
};

// The server's quoting rules depend on sql_mode.
struct LexOptions {
  bool backslash_escapes = true;  // false with NO_BACKSLASH_ESCAPES
  bool ansi_quotes = false;       // true with ANSI_QUOTES: "x" is an identifier
  // For classify(): whether the two settings above are known to match the session's
  // sql_mode. When not, a statement with a backslash inside a quoted string is also read
  // the other way, and the more cautious reading wins (see classify()).
  bool sql_mode_known = false;
};

class Lexer {
 public:
  explicit Lexer(std::string_view sql, LexOptions options = {}) : in_(sql), opt_(options) {}

  Token next() {
    Token t;
    next(t);
    return t;
  }
  // Lexes the next token into `out` (the classifier's hot path: no copy through a temporary).
  void next(Token& out);

  // Byte offset just past the last token returned (comments after it not yet skipped).
  std::size_t offset() const { return pos_; }
  std::string_view input() const { return in_; }

  // Text of the first `/* causeway: ... */` comment after "causeway:", trimmed; empty if none.
  std::string_view hint() const { return hint_; }
  bool has_hint() const { return has_hint_; }
  // Whether a string literal contained a backslash (its meaning depends on sql_mode).
  bool saw_backslash() const { return saw_backslash_; }

 private:
  // Skips whitespace and comments; false if an unterminated comment was found.
  bool skip_space_and_comments();
  bool skip_block_comment();
  // Each lexes one token starting at `start` into `out` and moves pos_ past it.
  void lex_quoted(Token& out, std::size_t start, std::size_t body, char quote, TokenKind kind);
  void lex_number_or_word(Token& out, std::size_t start);
  void lex_word(Token& out, std::size_t start);
  void lex_variable(Token& out, std::size_t start);
  void lex_punct(Token& out, std::size_t start);
  void make(Token& out, TokenKind kind, std::size_t start) {
    prev_ = kind;
    out.kind = kind;
    out.text = std::string_view(in_.data() + start, pos_ - start);
  }
  void error(Token& out, std::size_t start) {
    pos_ = in_.size();
    make(out, TokenKind::Error, start);
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  LexOptions opt_;
  TokenKind prev_ = TokenKind::End;
  bool in_exec_comment_ = false;  // inside /*! ... */ or /*M! ... */: `*/` closes it
  bool has_hint_ = false;
  bool saw_backslash_ = false;
  std::string_view hint_;
};

namespace detail {
enum : std::uint8_t { char_space = 1, char_word = 2, char_digit = 4, char_hex = 8 };
inline constexpr auto char_classes = [] {
  struct Table {
    std::uint8_t v[256] = {};
  } t;
  for (int c = 0; c < 256; ++c) {
    std::uint8_t k = 0;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') k |= char_space;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' ||
        c >= 0x80)
      k |= char_word;  // bytes >= 0x80 are parts of multi-byte letters
    if (c >= '0' && c <= '9') k |= char_digit | char_hex;
    if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) k |= char_hex;
    t.v[c] = k;
  }
  return t;
}();
constexpr std::uint8_t char_class(char c) { return char_classes.v[static_cast<unsigned char>(c)]; }
}  // namespace detail

// Whether `c` can be part of an unquoted identifier.
constexpr bool is_word_char(char c) { return (detail::char_class(c) & detail::char_word) != 0; }

constexpr char to_lower_ascii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

// Case-insensitive comparison with a lowercase literal, e.g. iequals(tok.text, "select").
constexpr bool iequals(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (to_lower_ascii(s[i]) != lower[i]) return false;
  return true;
}

inline bool is_word(const Token& t, std::string_view lower) {
  return t.kind == TokenKind::Word && iequals(t.text, lower);
}

// The name inside a quoted identifier or variable, without quotes or `@`: `a``b` -> a``b
// (doubled quotes are left as they are: the view cannot unescape without copying).
std::string_view unquote_name(const Token& t);

}  // namespace causeway::routing

#include "routing/lexer.hpp"

namespace causeway::routing {

namespace {

constexpr bool is_space(char c) { return (detail::char_class(c) & detail::char_space) != 0; }
constexpr bool is_digit(char c) { return (detail::char_class(c) & detail::char_digit) != 0; }
constexpr bool is_hex(char c) { return (detail::char_class(c) & detail::char_hex) != 0; }
// MySQL: `--` starts a comment only when followed by whitespace or a control character.
constexpr bool is_space_or_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7f;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

constexpr std::string_view hint_prefix = "causeway:";

}  // namespace

bool Lexer::skip_block_comment() {
  const auto close = in_.find("*/", pos_ + 2);
  if (close == std::string_view::npos) return false;
  if (!has_hint_) {
    const auto body = trim(in_.substr(pos_ + 2, close - pos_ - 2));
    if (body.size() >= hint_prefix.size() && iequals(body.substr(0, hint_prefix.size()), hint_prefix)) {
      has_hint_ = true;
      hint_ = trim(body.substr(hint_prefix.size()));
    }
  }
  pos_ = close + 2;
  return true;
}

bool Lexer::skip_space_and_comments() {
  const std::size_t n = in_.size();
  while (pos_ < n) {
    const char c = in_[pos_];
    if (is_space(c)) {
      ++pos_;
      continue;
    }
    const char c1 = pos_ + 1 < n ? in_[pos_ + 1] : '\0';
    switch (c) {
      case '-':
        if (c1 != '-' || (pos_ + 2 < n && !is_space_or_control(in_[pos_ + 2]))) return true;
        [[fallthrough]];
      case '#': {
        const auto eol = in_.find('\n', pos_);
        pos_ = eol == std::string_view::npos ? n : eol + 1;
        break;
      }
      case '/': {
        if (c1 != '*') return true;
        const char c2 = pos_ + 2 < n ? in_[pos_ + 2] : '\0';
        const char c3 = pos_ + 3 < n ? in_[pos_ + 3] : '\0';
        if (c2 == '!' || (c2 == 'M' && c3 == '!')) {
          // Executable comment: the server runs its content (when its version is at least the
          // given one; we cannot know the backend's version, so we always read it as SQL).
          pos_ += c2 == '!' ? 3 : 4;
          while (pos_ < n && is_digit(in_[pos_])) ++pos_;
          in_exec_comment_ = true;
        } else if (!skip_block_comment()) {
          return false;
        }
        break;
      }
      case '*':
        if (!in_exec_comment_ || c1 != '/') return true;
        pos_ += 2;
        in_exec_comment_ = false;
        break;
      default: return true;
    }
  }
  return true;
}

void Lexer::next(Token& out) {
  if (!skip_space_and_comments()) return error(out, pos_);
  const std::size_t n = in_.size();
  if (pos_ >= n) {
    if (in_exec_comment_) {  // `/*!` without its `*/`
      in_exec_comment_ = false;
      return make(out, TokenKind::Error, pos_);
    }
    out = Token{TokenKind::End, std::string_view(in_.data() + n, 0)};
    return;
  }
  const std::size_t start = pos_;
  const char c = in_[pos_];
  const char c1 = pos_ + 1 < n ? in_[pos_ + 1] : '\0';
  switch (c) {
    case '\'': return lex_quoted(out, start, start, '\'', TokenKind::String);
    case '"':
      return lex_quoted(out, start, start, '"', opt_.ansi_quotes ? TokenKind::QuotedIdent : TokenKind::String);
    case '`': return lex_quoted(out, start, start, '`', TokenKind::QuotedIdent);
    case '@': return lex_variable(out, start);
    case '.':
      // `.5` is a number, but in `t.5col` the part after the dot is an identifier.
      if (is_digit(c1) && prev_ != TokenKind::Word && prev_ != TokenKind::QuotedIdent)
        return lex_number_or_word(out, start);
      return lex_punct(out, start);
    default: break;
  }
  if (is_digit(c)) return lex_number_or_word(out, start);
  if (is_word_char(c)) {
    // N'national', X'hex', B'bits'
    if (c1 == '\'' && (c == 'n' || c == 'N' || c == 'x' || c == 'X' || c == 'b' || c == 'B'))
      return lex_quoted(out, start, start + 1, '\'', TokenKind::String);
    return lex_word(out, start);
  }
  lex_punct(out, start);
}

void Lexer::lex_quoted(Token& out, std::size_t start, std::size_t body, char quote, TokenKind kind) {
  const std::size_t n = in_.size();
  // Identifiers never have escapes; strings (and quoted user variable names) do, by sql_mode.
  const bool quoted_text = kind != TokenKind::QuotedIdent && kind != TokenKind::SystemVar;
  const bool escapes = opt_.backslash_escapes && quoted_text;
  pos_ = body + 1;
  while (pos_ < n) {
    const char c = in_[pos_];
    if (c == '\\' && quoted_text) saw_backslash_ = true;
    if (c == '\\' && escapes) {
      pos_ += 2;
    } else if (c == quote) {
      if (pos_ + 1 < n && in_[pos_ + 1] == quote) {
        pos_ += 2;  // doubled quote
      } else {
        ++pos_;
        return make(out, kind, start);
      }
    } else {
      ++pos_;
    }
  }
  error(out, start);
}

void Lexer::lex_number_or_word(Token& out, std::size_t start) {
  const std::size_t n = in_.size();
  auto at = [&](std::size_t i) { return i < n ? in_[i] : '\0'; };
  pos_ = start;
  const char c1 = at(start + 1);
  if (in_[start] == '0' && (c1 == 'x' || c1 == 'X') && is_hex(at(start + 2))) {
    pos_ += 2;
    while (is_hex(at(pos_))) ++pos_;
  } else if (in_[start] == '0' && (c1 == 'b' || c1 == 'B') && (at(start + 2) == '0' || at(start + 2) == '1')) {
    pos_ += 2;
    while (at(pos_) == '0' || at(pos_) == '1') ++pos_;
  } else {
    while (is_digit(at(pos_))) ++pos_;
    if (at(pos_) == '.') {
      ++pos_;
      while (is_digit(at(pos_))) ++pos_;
    }
    const char e = at(pos_);
    if (e == 'e' || e == 'E') {
      const char s = at(pos_ + 1);
      if (is_digit(s)) {
        pos_ += 1;
      } else if ((s == '+' || s == '-') && is_digit(at(pos_ + 2))) {
        pos_ += 2;
      }
      while (is_digit(at(pos_))) ++pos_;
    }
  }
  // MySQL identifiers may start with digits: `1abc`, `0xZZ`.
  if (pos_ < n && is_word_char(in_[pos_]) && in_[start] != '.') return lex_word(out, start);
  make(out, TokenKind::Number, start);
}

void Lexer::lex_word(Token& out, std::size_t start) {
  const std::size_t n = in_.size();
  pos_ = start;
  while (pos_ < n && is_word_char(in_[pos_])) ++pos_;
  make(out, TokenKind::Word, start);
}

void Lexer::lex_variable(Token& out, std::size_t start) {
  const std::size_t n = in_.size();
  // 'user'@'host' in account names: the `@` directly follows the quoted user part.
  if (start > 0 && (prev_ == TokenKind::String || prev_ == TokenKind::QuotedIdent) && !is_space(in_[start - 1]) &&
      (start + 1 >= n || in_[start + 1] != '@')) {
    pos_ = start + 1;
    return make(out, TokenKind::Punct, start);
  }
  pos_ = start + 1;
  if (pos_ < n && in_[pos_] == '@') {
    ++pos_;
    if (pos_ < n && in_[pos_] == '`') return lex_quoted(out, start, pos_, '`', TokenKind::SystemVar);
    while (pos_ < n && is_word_char(in_[pos_])) ++pos_;
    // @@session.name, @@global.name, @@local.name, @@persist.name
    if (pos_ + 1 < n && in_[pos_] == '.' && is_word_char(in_[pos_ + 1])) {
      ++pos_;
      while (pos_ < n && is_word_char(in_[pos_])) ++pos_;
    }
    return make(out, TokenKind::SystemVar, start);
  }
  if (pos_ < n && (in_[pos_] == '\'' || in_[pos_] == '"' || in_[pos_] == '`'))
    return lex_quoted(out, start, pos_, in_[pos_], TokenKind::UserVar);
  const std::size_t name = pos_;
  while (pos_ < n && (is_word_char(in_[pos_]) || in_[pos_] == '.')) ++pos_;
  if (pos_ == name) return make(out, TokenKind::Punct, start);  // a lone `@`
  make(out, TokenKind::UserVar, start);
}

void Lexer::lex_punct(Token& out, std::size_t start) {
  const std::size_t n = in_.size();
  const char c = in_[start];
  const char c1 = start + 1 < n ? in_[start + 1] : '\0';
  const char c2 = start + 2 < n ? in_[start + 2] : '\0';
  std::size_t len = 1;
  switch (c) {
    case '<':  // <=> <= <> <<
      if (c1 == '=' && c2 == '>') {
        len = 3;
      } else if (c1 == '=' || c1 == '>' || c1 == '<') {
        len = 2;
      }
      break;
    case '-':  // ->> ->
      if (c1 == '>') len = c2 == '>' ? 3 : 2;
      break;
    case '>': len = (c1 == '=' || c1 == '>') ? 2 : 1; break;
    case ':':
    case '!': len = c1 == '=' ? 2 : 1; break;
    case '&':
    case '|': len = c1 == c ? 2 : 1; break;
    default: break;
  }
  pos_ = start + len;
  make(out, TokenKind::Punct, start);
}

std::string_view unquote_name(const Token& t) {
  std::string_view s = t.text;
  switch (t.kind) {
    case TokenKind::SystemVar: s.remove_prefix(2); break;
    case TokenKind::UserVar: s.remove_prefix(1); break;
    case TokenKind::String:
      if (!s.empty() && s.front() != '\'' && s.front() != '"') s.remove_prefix(1);  // N'..'
      break;
    default: break;
  }
  if (s.size() >= 2 && (s.front() == '`' || s.front() == '\'' || s.front() == '"') && s.back() == s.front()) {
    s.remove_prefix(1);
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace causeway::routing

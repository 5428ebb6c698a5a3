#include "routing/digest.hpp"

#include <algorithm>
#include <cstddef>
#include <vector>

#include "routing/words.hpp"

namespace causeway::routing {

namespace {

// What the previously written token was, for spacing and for folding.
enum class Cat : std::uint8_t { Start, Value, Ident, Keyword, Function, Open, Close, Comma, Dot, Op, At };

bool is_plain_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s)
    if (!is_word_char(c) || static_cast<unsigned char>(c) >= 0x80) return false;
  return !is_keyword(s) && lookup_function(s) == FunctionKind::Unknown;
}

class DigestWriter {
 public:
  explicit DigestWriter(std::size_t input_size) { out_.reserve(std::min<std::size_t>(input_size, 4096)); }

  void literal() {
    // A sign directly before a number, where no operand precedes it, is part of the literal.
    if (prev_ == Cat::Op && sign_pos_ != npos && before_sign_ != Cat::Value && before_sign_ != Cat::Ident &&
        before_sign_ != Cat::Close) {
      out_.resize(sign_pos_);
      prev_ = before_sign_;
      run_ = run_before_sign_;
    }
    sign_pos_ = npos;
    if (prev_ == Cat::Comma && run_ >= 1) {
      if (run_ == 1) {
        out_ += " ...";
      } else {
        out_.resize(comma_pos_);
      }
      ++run_;
      prev_ = Cat::Value;
      return;
    }
    put(Cat::Value, "?");
    run_ = 1;
  }

  void word(std::string_view text, Cat cat, bool lower) {
    space_for(cat);
    const std::size_t at = out_.size();
    out_ += text;
    if (lower) std::transform(out_.begin() + static_cast<std::ptrdiff_t>(at), out_.end(), out_.begin() + static_cast<std::ptrdiff_t>(at), to_lower_ascii);
    end(cat);
  }

  void punct(std::string_view p) {
    if (p == "(") {
      put(Cat::Open, p);
      opens_.push_back(out_.size() - 1);
      return;
    }
    if (p == ")") {
      put(Cat::Close, p);
      close_group();
      return;
    }
    if (p == ",") {
      run_keep_ = run_ >= 1;
      comma_pos_ = out_.size();
      put(Cat::Comma, p);
      return;
    }
    if (p == ".") return put(Cat::Dot, p);
    if (p == "@") return put(Cat::At, p);
    const std::size_t at = out_.size();
    const Cat before = prev_;
    const int run = run_;
    put(Cat::Op, p);
    run_before_sign_ = run;
    if (p == "-" || p == "+") {
      sign_pos_ = at;
      before_sign_ = before;
    }
  }

  void semicolon() { pending_semicolon_ = true; }

  std::string take() { return std::move(out_); }

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  void space_for(Cat cat) {
    if (pending_semicolon_) {
      out_ += "; ";
      pending_semicolon_ = false;
      prev_ = Cat::Start;
      return;
    }
    if (prev_ == Cat::Start || prev_ == Cat::Open || prev_ == Cat::Dot || prev_ == Cat::At) return;
    if (cat == Cat::Comma || cat == Cat::Close || cat == Cat::Dot || cat == Cat::At) return;
    if (cat == Cat::Open && (prev_ == Cat::Function || prev_ == Cat::Ident)) return;
    out_ += ' ';
  }

  void put(Cat cat, std::string_view text) {
    space_for(cat);
    out_ += text;
    end(cat);
  }

  void end(Cat cat) {
    if (cat != Cat::Op) sign_pos_ = npos;
    if (!run_keep_ && cat != Cat::Value) run_ = 0;
    run_keep_ = false;
    prev_ = cat;
  }

  // `(...), (...)` with identical text: keep the first and write `, ...` once.
  void close_group() {
    if (opens_.empty()) return;
    const std::size_t s = opens_.back();
    opens_.pop_back();
    const std::size_t e = out_.size();
    if (last_valid_ && s >= 2 && last_tail_ == s - 2 && out_.compare(s - 2, 2, ", ") == 0 &&
        e - s == last_end_ - last_start_ && out_.compare(s, e - s, out_, last_start_, e - s) == 0) {
      out_.resize(last_tail_);
      if (!last_collapsed_) {
        out_ += ", ...";
        last_collapsed_ = true;
        last_tail_ = out_.size();
      }
      return;
    }
    last_valid_ = true;
    last_start_ = s;
    last_end_ = last_tail_ = e;
    last_collapsed_ = false;
  }

  std::string out_;
  Cat prev_ = Cat::Start;
  bool pending_semicolon_ = false;
  std::size_t sign_pos_ = npos;
  Cat before_sign_ = Cat::Start;
  int run_ = 0;  // literals in the current comma-separated run
  int run_before_sign_ = 0;
  bool run_keep_ = false;
  std::size_t comma_pos_ = 0;
  std::vector<std::size_t> opens_;
  bool last_valid_ = false;
  bool last_collapsed_ = false;
  std::size_t last_start_ = 0, last_end_ = 0, last_tail_ = 0;
};

}  // namespace

std::string digest(std::string_view sql, LexOptions options) {
  Lexer lex(sql, options);
  DigestWriter w(sql.size());
  Token t = lex.next();
  while (t.kind != TokenKind::End) {
    Token next = lex.next();
    switch (t.kind) {
      case TokenKind::String:
      case TokenKind::Number: w.literal(); break;
      case TokenKind::Error: w.literal(); break;  // unterminated: the rest is one value
      case TokenKind::UserVar:
      case TokenKind::SystemVar: w.word(t.text, Cat::Ident, true); break;
      case TokenKind::QuotedIdent: {
        const auto name = unquote_name(t);
        w.word(is_plain_name(name) ? name : t.text, Cat::Ident, false);
        break;
      }
      case TokenKind::Word: {
        const FunctionKind fn = lookup_function(t.text);
        const bool keyword = is_keyword(t.text);
        const bool function = fn != FunctionKind::Unknown && fn != FunctionKind::NotAFunction && next.is('(');
        if (function) {
          w.word(t.text, Cat::Function, true);
        } else if (keyword || fn == FunctionKind::NotAFunction) {
          w.word(t.text, Cat::Keyword, true);
        } else {
          w.word(t.text, Cat::Ident, false);
        }
        break;
      }
      case TokenKind::Punct:
        if (t.is('?')) {
          w.literal();
        } else if (t.is('%') && is_word(next, "s") && next.text.data() == t.text.data() + 1) {
          w.literal();  // %s placeholder (Python drivers)
          next = lex.next();
        } else if (t.is(';')) {
          w.semicolon();
        } else {
          w.punct(t.text);
        }
        break;
      case TokenKind::End: break;
    }
    t = next;
  }
  return w.take();
}

}  // namespace causeway::routing

// The SQL tokenizer: token kinds and spans for the cases the server's lexer treats specially.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "routing/lexer.hpp"

namespace r = causeway::routing;
using r::TokenKind;

namespace {

const char* kind_name(TokenKind k) {
  switch (k) {
    case TokenKind::End: return "end";
    case TokenKind::Word: return "word";
    case TokenKind::QuotedIdent: return "ident";
    case TokenKind::String: return "string";
    case TokenKind::Number: return "number";
    case TokenKind::UserVar: return "uservar";
    case TokenKind::SystemVar: return "sysvar";
    case TokenKind::Punct: return "punct";
    case TokenKind::Error: return "error";
  }
  return "?";
}

// "kind:text kind:text ..." for every token before End.
std::string tokens(std::string_view sql, r::LexOptions options = {}) {
  r::Lexer lex(sql, options);
  std::string out;
  for (r::Token t = lex.next(); t.kind != TokenKind::End; t = lex.next()) {
    if (!out.empty()) out += ' ';
    out += kind_name(t.kind);
    out += ':';
    out += t.text;
  }
  return out;
}

}  // namespace

TEST_CASE("Comments are skipped: #, -- with whitespace, /* */ and optimizer hints", "[routing][lexer]") {
  CHECK(tokens("SELECT 1 # c\n, 2") == "word:SELECT number:1 punct:, number:2");
  CHECK(tokens("SELECT 1 -- c\n, 2") == "word:SELECT number:1 punct:, number:2");
  CHECK(tokens("SELECT 1 --\n, 2") == "word:SELECT number:1 punct:, number:2");
  CHECK(tokens("SELECT 1 --") == "word:SELECT number:1");
  CHECK(tokens("SELECT 1 /* a */ /**/ /* b * / c */ , 2") == "word:SELECT number:1 punct:, number:2");
  CHECK(tokens("SELECT /*+ NO_ICP(t) */ a") == "word:SELECT word:a");
  CHECK(tokens("/* /* not nested */ x") == "word:x");
}

TEST_CASE("`--` without whitespace after it is two minus signs", "[routing][lexer]") {
  CHECK(tokens("1--1") == "number:1 punct:- punct:- number:1");
  CHECK(tokens("1 --x") == "number:1 punct:- punct:- word:x");
}

TEST_CASE("Executable comments are lexed as SQL, version digits skipped", "[routing][lexer]") {
  CHECK(tokens("/*!40101 SET NAMES utf8 */;") == "word:SET word:NAMES word:utf8 punct:;");
  CHECK(tokens("/*! STRAIGHT_JOIN */ x") == "word:STRAIGHT_JOIN word:x");
  CHECK(tokens("/*M!100100 SET x=1 */") == "word:SET word:x punct:= number:1");
  CHECK(tokens("/*M! FOR UPDATE */") == "word:FOR word:UPDATE");
  CHECK(tokens("/*!50000FOR UPDATE*/") == "word:FOR word:UPDATE");
  CHECK(tokens("/*!40101 a /* inner */ b */ c") == "word:a word:b word:c");
  CHECK(tokens("/*!40101 a") == "word:a error:");
}

TEST_CASE("Strings: escapes, doubled quotes, prefixes", "[routing][lexer]") {
  CHECK(tokens(R"('a\'b' "c\"d" 'e''f' "g""h")") == R"(string:'a\'b' string:"c\"d" string:'e''f' string:"g""h")");
  CHECK(tokens(R"('a\\' x)") == R"(string:'a\\' word:x)");
  CHECK(tokens("N'x' X'4142' b'01' _utf8mb4'y'") == "string:N'x' string:X'4142' string:b'01' word:_utf8mb4 string:'y'");
  CHECK(tokens("'open") == "error:'open");
  CHECK(tokens(R"('a\' b)") == R"(error:'a\' b)");
}

TEST_CASE("NO_BACKSLASH_ESCAPES and ANSI_QUOTES change quoting", "[routing][lexer]") {
  r::LexOptions no_escapes;
  no_escapes.backslash_escapes = false;
  CHECK(tokens(R"('a\' b)", no_escapes) == R"(string:'a\' word:b)");
  r::LexOptions ansi;
  ansi.ansi_quotes = true;
  CHECK(tokens(R"("col" 'str')", ansi) == R"(ident:"col" string:'str')");
  CHECK(tokens(R"("a\" b)", ansi) == R"(ident:"a\" word:b)");
}

TEST_CASE("Backtick identifiers never have escapes", "[routing][lexer]") {
  CHECK(tokens("`a``b` `c\\` d") == "ident:`a``b` ident:`c\\` word:d");
  CHECK(tokens("`open") == "error:`open");
}

TEST_CASE("Numbers and identifiers that start with digits", "[routing][lexer]") {
  CHECK(tokens("1 1.5 .5 1e3 1.5E-3 0x1F 0b101 12abc 0xZZ") ==
        "number:1 number:1.5 number:.5 number:1e3 number:1.5E-3 number:0x1F number:0b101 word:12abc word:0xZZ");
  CHECK(tokens("t.5col") == "word:t punct:. word:5col");
  CHECK(tokens("1e") == "word:1e");
}

TEST_CASE("User and system variables", "[routing][lexer]") {
  CHECK(tokens("@x @`a b` @'c' @a.b @@version @@session.sql_mode @@GLOBAL.x") ==
        "uservar:@x uservar:@`a b` uservar:@'c' uservar:@a.b sysvar:@@version sysvar:@@session.sql_mode "
        "sysvar:@@GLOBAL.x");
  CHECK(tokens("'app'@'%'") == "string:'app' punct:@ string:'%'");
  CHECK(tokens("`app`@`%`") == "ident:`app` punct:@ ident:`%`");
  CHECK(tokens("SELECT@@version") == "word:SELECT sysvar:@@version");
  CHECK(tokens("@ x") == "punct:@ word:x");
}

TEST_CASE("Operators are taken longest first", "[routing][lexer]") {
  CHECK(tokens("a:=1 b<=>c d->>'$' e->'$' f<=g h>=i j<>k l!=m n<<o p>>q r&&s t||u") ==
        "word:a punct::= number:1 word:b punct:<=> word:c word:d punct:->> string:'$' word:e punct:-> "
        "string:'$' word:f punct:<= word:g word:h punct:>= word:i word:j punct:<> word:k word:l punct:!= "
        "word:m word:n punct:<< word:o word:p punct:>> word:q word:r punct:&& word:s word:t punct:|| word:u");
  CHECK(tokens("a=-1") == "word:a punct:= punct:- number:1");
}

TEST_CASE("Unterminated comments are errors", "[routing][lexer]") {
  CHECK(tokens("SELECT 1 /* open") == "word:SELECT number:1 error:/* open");
}

TEST_CASE("The first causeway hint comment is remembered", "[routing][lexer]") {
  r::Lexer lex("/* other */ SELECT /* causeway: route=replica */ 1 /* causeway: route=primary */");
  while (lex.next().kind != TokenKind::End) {
  }
  CHECK(lex.has_hint());
  CHECK(lex.hint() == "route=replica");
}

TEST_CASE("unquote_name strips quotes and variable sigils", "[routing][lexer]") {
  auto first = [](std::string_view sql) { return r::Lexer(sql).next(); };
  CHECK(r::unquote_name(first("`my db`")) == "my db");
  CHECK(r::unquote_name(first("'s1'")) == "s1");
  CHECK(r::unquote_name(first("N'x'")) == "x");
  CHECK(r::unquote_name(first("@v")) == "v");
  CHECK(r::unquote_name(first("@`v w`")) == "v w");
  CHECK(r::unquote_name(first("@@session.x")) == "session.x");
  CHECK(r::unquote_name(first("plain")) == "plain");
}

TEST_CASE("Case-insensitive keyword comparison", "[routing][lexer]") {
  CHECK(r::iequals("SeLeCt", "select"));
  CHECK_FALSE(r::iequals("selec", "select"));
  CHECK_FALSE(r::iequals("select_", "select"));
  CHECK(r::iequals("SQL_CALC_FOUND_ROWS", "sql_calc_found_rows"));
}

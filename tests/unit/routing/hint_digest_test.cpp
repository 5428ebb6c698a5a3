// Route hint parsing and the statement digest.
#include <catch2/catch.hpp>
#include <string>

#include "routing/classifier.hpp"
#include "routing/digest.hpp"
#include "routing/hint.hpp"

namespace r = causeway::routing;

TEST_CASE("A hint names the route, the consistency and a minimum GTID", "[routing][hint]") {
  auto h = r::parse_hint("route=replica consistency=read_your_writes min_gtid=3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5");
  CHECK(h.error == r::HintError::None);
  CHECK(h.route == r::RouteTarget::Replica);
  CHECK(h.consistency == r::Consistency::ReadYourWrites);
  CHECK(h.min_gtid == "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5");
  CHECK(h.pair_count == 3);

  h = r::parse_hint("ROUTE=Primary");
  CHECK(h.route == r::RouteTarget::Primary);
  h = r::parse_hint("route=server:db-2");
  CHECK(h.route == r::RouteTarget::Server);
  CHECK(h.server == "db-2");
  h = r::parse_hint("consistency=read-your-writes");
  CHECK(h.consistency == r::Consistency::ReadYourWrites);
  CHECK(r::parse_hint("consistency=eventual").consistency == r::Consistency::Eventual);
  CHECK(r::parse_hint("consistency=monotonic").consistency == r::Consistency::Monotonic);
  CHECK(r::parse_hint("consistency=strong").consistency == r::Consistency::Strong);
  h = r::parse_hint("min_gtid='0-1-100,1-2-5'");
  CHECK(h.min_gtid == "0-1-100,1-2-5");
  h = r::parse_hint("min_gtid=uuid:1-5,uuid2:1-3");
  CHECK(h.min_gtid == "uuid:1-5,uuid2:1-3");
}

TEST_CASE("Unknown hint keys are kept, not errors", "[routing][hint]") {
  const auto h = r::parse_hint("route=replica wait_ms=250");
  CHECK(h.error == r::HintError::None);
  REQUIRE(h.pair_count == 2);
  CHECK(h.pairs[1].key == "wait_ms");
  CHECK(h.pairs[1].value == "250");
}

TEST_CASE("Malformed hints report what is wrong", "[routing][hint]") {
  struct {
    const char* text;
    r::HintError error;
    const char* item;
  } const cases[] = {
      {"route", r::HintError::Malformed, "route"},
      {"route= consistency=strong", r::HintError::Malformed, "route="},
      {"=x", r::HintError::Malformed, "=x"},
      {"route=sideways", r::HintError::BadRoute, "route=sideways"},
      {"route=server:", r::HintError::BadRoute, "route=server:"},
      {"consistency=sometimes", r::HintError::BadConsistency, "consistency=sometimes"},
      {"min_gtid='open", r::HintError::Malformed, "min_gtid='open"},
      {"a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8 i=9", r::HintError::TooManyItems, "i=9"},
  };
  for (const auto& k : cases) {
    INFO(k.text);
    const auto h = r::parse_hint(k.text);
    CHECK(h.error == k.error);
    CHECK(h.error_item == k.item);
    CHECK(std::string(r::to_string(h.error)).size() > 4);
  }
  // What came before the bad item is kept.
  const auto h = r::parse_hint("route=primary consistency=bogus");
  CHECK(h.route == r::RouteTarget::Primary);
  CHECK(h.error == r::HintError::BadConsistency);
}

TEST_CASE("An empty hint is valid and says nothing", "[routing][hint]") {
  const auto h = r::parse_hint("   ");
  CHECK(h.error == r::HintError::None);
  CHECK(h.route == r::RouteTarget::Unspecified);
  CHECK(h.consistency == r::Consistency::Unspecified);
  CHECK(h.pair_count == 0);
}

TEST_CASE("The classifier's hint text feeds the hint parser", "[routing][hint]") {
  const auto c = r::classify("/* causeway: route=server:db3 consistency=strong */ SELECT * FROM t");
  const auto h = r::parse_hint(c.hint);
  CHECK(h.route == r::RouteTarget::Server);
  CHECK(h.server == "db3");
  CHECK(h.consistency == r::Consistency::Strong);
}

TEST_CASE("The digest replaces literals, folds lists and normalizes spacing and case", "[routing][digest]") {
  struct {
    const char* sql;
    const char* digest;
  } const cases[] = {
      {"SELECT `users`.* FROM `users` WHERE `users`.`id` = 1 LIMIT 1",
       "select users.* from users where users.id = ? limit ?"},
      {"select * from t where a in (1, 2, 3) and b = 'x'", "select * from t where a in (?, ...) and b = ?"},
      {"SELECT  *\n FROM\tt  /* c */ WHERE id=-5 -- x\n", "select * from t where id = ?"},
      {"SELECT a - 1, -2, f(-3) FROM t", "select a - ?, ..., f(?) from t"},
      {"INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (3, 'z')", "insert into t(a, b) values (?, ...), ..."},
      {"SELECT COUNT(*), Max(a) FROM Orders o", "select count(*), max(a) from Orders o"},
      {"/* causeway: route=replica */ SELECT 1", "select ?"},
      {"/*!40101 SET NAMES utf8 */;", "set names utf8"},
      {"SELECT 1; SELECT 2;", "select ?; select ?"},
      {"SELECT * FROM t WHERE id = ? AND name = %s", "select * from t where id = ? and name = ?"},
      {"SELECT @@SESSION.sql_mode, @X", "select @@session.sql_mode, @x"},
      {"SELECT `select`, `my col` FROM `t`", "select `select`, `my col` from t"},
      {"SELECT x'41', 0x41, 1e3, NULL, TRUE", "select ?, ..., null, true"},
      {"GRANT SELECT ON db.* TO 'app'@'%'", "grant select on db.* to ?@?"},
  };
  for (const auto& k : cases) {
    INFO(k.sql);
    CHECK(r::digest(k.sql) == k.digest);
  }
}

TEST_CASE("Statements that differ only in literals have the same digest", "[routing][digest]") {
  CHECK(r::digest("SELECT * FROM t WHERE id = 1") == r::digest("select *  from t where id=42"));
  CHECK(r::digest("SELECT * FROM t WHERE id IN (1)") != r::digest("SELECT * FROM t WHERE id IN (1, 2)"));
  CHECK(r::digest("SELECT * FROM t WHERE id IN (1, 2)") == r::digest("SELECT * FROM t WHERE id IN (3, 4, 5, 6)"));
  CHECK(r::digest("INSERT INTO t VALUES (1, 'a')") != r::digest("INSERT INTO t VALUES (1, 'a'), (2, 'b')"));
  CHECK(r::digest("INSERT INTO t VALUES (1, 'a'), (2, 'b')") ==
        r::digest("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')"));
  CHECK(r::digest("SELECT * FROM Users") != r::digest("SELECT * FROM users"));
}

TEST_CASE("An unterminated literal digests as one value", "[routing][digest]") {
  CHECK(r::digest("SELECT 'open") == "select ?");
  CHECK(r::digest("") == "");
}

// classify() and rule matching run on every statement: they must not allocate. Counted by
// replacing the global allocation functions for this test binary.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "routing/classifier.hpp"
#include "routing/rules.hpp"

namespace {
std::atomic<long> allocations{0};
}  // namespace

namespace {
void* counted_alloc(std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
}  // namespace

// Every non-aligned form, so that allocation and release always pair up (sanitizers check).
void* operator new(std::size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

TEST_CASE("Classifying a statement does not allocate", "[routing][classifier]") {
  const std::string big = "INSERT INTO t VALUES " + [] {
    std::string rows;
    for (int i = 0; i < 500; ++i) rows += (i ? ",(" : "(") + std::to_string(i) + ", 'v\\'x')";
    return rows;
  }();
  const std::string statements[] = {
      "SELECT c FROM sbtest1 WHERE id=1",
      "/* causeway: route=replica */ WITH x AS (SELECT 1) SELECT * FROM x FOR UPDATE; SELECT GET_LOCK('a', 1)",
      "SET NAMES utf8mb4, @@SESSION.sql_mode = CONCAT(@@sql_mode, ',STRICT'), autocommit = 0",
      "CREATE PROCEDURE p() BEGIN SELECT 1; END",
      "SELECT 'a\\' FOR UPDATE -- '",
      big,
  };
  for (const auto& sql : statements) {
    INFO(sql.substr(0, 80));
    const long before = allocations.load();
    const auto c = causeway::routing::classify(sql);
    const long after = allocations.load();
    CHECK(after == before);
    CHECK(c.cls != causeway::routing::StatementClass::Empty);
  }
}

TEST_CASE("Matching rules does not allocate unless a digest is needed", "[routing][rules]") {
  namespace r = causeway::routing;
  std::vector<r::RuleSpec> specs(4);
  specs[0].name = "writes";
  specs[0].classes = {r::StatementClass::Write};
  specs[0].digest = "^insert";  // never reached for a read: no digest computed
  specs[1].name = "report";
  specs[1].users = {"report"};
  specs[1].clients = {"10.0.0.0/8", "::1"};
  specs[1].route = r::RouteTarget::Replica;
  specs[2].name = "orders";
  specs[2].schemas = {"shop"};
  specs[2].match = R"(\bFROM\s+orders\b)";
  specs[2].route = r::RouteTarget::Primary;
  specs[3].name = "by_digest";
  specs[3].digest = "^select";
  const std::vector<std::string> servers = {"db1", "db2"};
  const auto rules = r::RuleSet::build(specs, servers);

  const std::string sql = "SELECT * FROM orders WHERE id = 7";
  const auto c = r::classify(sql);
  r::RuleContext ctx;
  ctx.user = "app";
  ctx.schema = "shop";
  ctx.client = r::IpAddress::parse("10.1.1.1");
  ctx.statement = &c;
  ctx.sql = sql;
  REQUIRE(rules->match(ctx) != nullptr);  // warms RE2's lazily built DFA
  long before = allocations.load();
  const r::Rule* hit = rules->match(ctx);
  CHECK(allocations.load() == before);
  REQUIRE(hit != nullptr);
  CHECK(hit->name == "orders");

  ctx.schema = "other";  // now only the digest rule matches: that one allocates
  before = allocations.load();
  hit = rules->match(ctx);
  CHECK(allocations.load() > before);
  REQUIRE(hit != nullptr);
  CHECK(hit->name == "by_digest");
}

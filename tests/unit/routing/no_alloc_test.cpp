// classify() runs on every statement: it must not allocate. Counted by replacing the global
// allocation functions for this test binary.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>
#include <string>

#include "routing/classifier.hpp"

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

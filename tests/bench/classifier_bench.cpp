// Statement classification cost: ns per statement for short and long SQL.
//   ./bench_classifier [--benchmark_filter=Classify]
// Goal: a 100-byte SELECT in well under 1 us.
#include <benchmark/benchmark.h>

#include <string>

#include "routing/classifier.hpp"
#include "routing/digest.hpp"
#include "routing/lexer.hpp"

namespace r = causeway::routing;

namespace {

// 30 bytes: a sysbench-style point select.
const std::string point_select = "SELECT c FROM sbtest1 WHERE id=1";

// 100 bytes: a typical application read.
const std::string select_100 =
    "SELECT id, name, email FROM users WHERE status = 'active' AND created_at > '2024-01-01' LIMIT 20";

// About 2 KB: Hibernate-style select with many aliased columns and joins.
std::string orm_select_2k() {
  std::string sql = "/* load com.example.Order */ select ";
  int i = 0;
  while (sql.size() < 1700) {
    if (i) sql += ", ";
    sql += "order0_.column_" + std::to_string(i) + " as column" + std::to_string(i) + "_1_0_";
    ++i;
  }
  sql += " from orders order0_ left outer join customers customer1_ on order0_.customer_id=customer1_.id"
         " left outer join addresses address2_ on customer1_.address_id=address2_.id"
         " where order0_.status=? and lower(customer1_.email) like ? and order0_.created_at between ? and ?"
         " order by order0_.created_at desc limit ?";
  return sql;
}

// About 10 KB: a multi-row INSERT as written by a batch loader.
std::string insert_10k() {
  std::string sql = "INSERT INTO events (id, user_id, kind, payload, created_at) VALUES ";
  int i = 0;
  while (sql.size() < 10 * 1024) {
    if (i) sql += ",";
    sql += "(" + std::to_string(100000 + i) + ", " + std::to_string(i % 97) +
           ", 'click', '{\"page\": \"/products/" + std::to_string(i) + "\", \"ref\": \"home\"}', '2024-03-01 12:00:00')";
    ++i;
  }
  return sql;
}

void classify_bench(benchmark::State& state, const std::string& sql) {
  for (auto _ : state) {
    auto c = r::classify(sql);
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * sql.size()));
  state.counters["bytes"] = static_cast<double>(sql.size());
}

void lex_bench(benchmark::State& state, const std::string& sql) {
  for (auto _ : state) {
    r::Lexer lex(sql);
    std::size_t n = 0;
    while (lex.next().kind != r::TokenKind::End) ++n;
    benchmark::DoNotOptimize(n);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * sql.size()));
}

void digest_bench(benchmark::State& state, const std::string& sql) {
  for (auto _ : state) {
    auto d = r::digest(sql);
    benchmark::DoNotOptimize(d);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * sql.size()));
}

const std::string orm_2k = orm_select_2k();
const std::string insert_big = insert_10k();

}  // namespace

BENCHMARK_CAPTURE(classify_bench, point_select_30B, point_select);
BENCHMARK_CAPTURE(classify_bench, select_100B, select_100);
BENCHMARK_CAPTURE(classify_bench, orm_select_2KB, orm_2k);
BENCHMARK_CAPTURE(classify_bench, insert_10KB, insert_big);
BENCHMARK_CAPTURE(lex_bench, select_100B, select_100);
BENCHMARK_CAPTURE(lex_bench, orm_select_2KB, orm_2k);
BENCHMARK_CAPTURE(digest_bench, select_100B, select_100);
BENCHMARK_CAPTURE(digest_bench, orm_select_2KB, orm_2k);

BENCHMARK_MAIN();

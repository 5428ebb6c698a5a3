// Server-side cursors: COM_STMT_EXECUTE with CURSOR_TYPE_READ_ONLY, then COM_STMT_FETCH.
#include "itest.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

namespace itest {
namespace {

struct StmtCloser {
  void operator()(MYSQL_STMT* s) const { mysql_stmt_close(s); }
};
using Stmt = std::unique_ptr<MYSQL_STMT, StmtCloser>;

// A prepared SELECT of one BIGINT column, executed with a read-only cursor that the
// library drains `prefetch` rows at a time via COM_STMT_FETCH.
class CursorQuery {
 public:
  CursorQuery(MYSQL* m, const std::string& sql, unsigned long prefetch) : s_(mysql_stmt_init(m)) {
    REQUIRE(s_);
    unsigned long type = CURSOR_TYPE_READ_ONLY;
    REQUIRE(mysql_stmt_attr_set(s_.get(), STMT_ATTR_CURSOR_TYPE, &type) == 0);
    REQUIRE(mysql_stmt_attr_set(s_.get(), STMT_ATTR_PREFETCH_ROWS, &prefetch) == 0);
    INFO(sql);
    ITEST_REQUIRE_STMT_OK(mysql_stmt_prepare(s_.get(), sql.data(), sql.size()), s_.get());
    std::memset(&out_, 0, sizeof out_);
    out_.buffer_type = MYSQL_TYPE_LONGLONG;
    out_.buffer = &value_;
    out_.is_null = &null_;
  }

  void execute() {
    ITEST_REQUIRE_STMT_OK(mysql_stmt_execute(s_.get()), s_.get());
    REQUIRE(mysql_stmt_bind_result(s_.get(), &out_) == 0);
  }

  // Next value, or nullopt at the end of the cursor.
  std::optional<long long> next() {
    const int rc = mysql_stmt_fetch(s_.get());
    INFO(mysql_stmt_error(s_.get()));
    if (rc == MYSQL_NO_DATA) return std::nullopt;
    REQUIRE(rc == 0);
    REQUIRE_FALSE(null_);
    return value_;
  }

  MYSQL_STMT* get() const { return s_.get(); }

 private:
  Stmt s_;
  MYSQL_BIND out_;
  long long value_ = 0;
  my_bool null_ = 0;
};

void create_seq(MYSQL* m, const std::string& table, int from, int to) {
  exec(m, "DROP TABLE IF EXISTS " + table);
  exec(m, "CREATE TABLE " + table + " (n BIGINT PRIMARY KEY)");
  std::string ins = "INSERT INTO " + table + " VALUES ";
  for (int i = from; i <= to; ++i) ins += (i == from ? "(" : ",(") + std::to_string(i) + ")";
  exec(m, ins);
}

std::vector<long long> range(long long from, long long to) {
  std::vector<long long> v;
  for (long long i = from; i <= to; ++i) v.push_back(i);
  return v;
}

}  // namespace

TEST_CASE("read-only cursor with prefetch 2 fetches all 10 rows in order", "[stmt][cursor]") {
  Conn c(app_options());
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  create_seq(m, "it_cur_a", 1, 10);
  CursorQuery q(m, "SELECT n FROM it_cur_a ORDER BY n", 2);
  q.execute();
  std::vector<long long> got;
  while (auto v = q.next()) got.push_back(*v);
  CHECK(got == range(1, 10));

  // Re-execute opens a fresh cursor over the same statement.
  q.execute();
  got.clear();
  while (auto v = q.next()) got.push_back(*v);
  CHECK(got == range(1, 10));
  CHECK(scalar(m, "SELECT 'after cursor'") == "after cursor");
}

TEST_CASE("two statements with open cursors can be fetched interleaved", "[stmt][cursor]") {
  Conn c(app_options());
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  create_seq(m, "it_cur_b", 101, 110);
  create_seq(m, "it_cur_c", 201, 215);
  CursorQuery a(m, "SELECT n FROM it_cur_b ORDER BY n", 2);
  CursorQuery b(m, "SELECT n FROM it_cur_c ORDER BY n DESC", 3);
  a.execute();
  b.execute();
  std::vector<long long> got_a, got_b;
  bool more_a = true, more_b = true;
  while (more_a || more_b) {
    if (more_a) {
      auto v = a.next();
      if (v) got_a.push_back(*v);
      else more_a = false;
    }
    if (more_b) {
      auto v = b.next();
      if (v) got_b.push_back(*v);
      else more_b = false;
    }
  }
  CHECK(got_a == range(101, 110));
  std::vector<long long> want_b = range(201, 215);
  std::reverse(want_b.begin(), want_b.end());
  CHECK(got_b == want_b);
}

TEST_CASE("COM_STMT_RESET closes an open cursor and the statement runs again",
          "[stmt][cursor]") {
  Conn c(app_options());
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  create_seq(m, "it_cur_d", 1, 10);
  CursorQuery q(m, "SELECT n FROM it_cur_d ORDER BY n", 2);
  q.execute();
  CHECK(q.next() == 1);
  CHECK(q.next() == 2);
  CHECK(q.next() == 3);
  ITEST_REQUIRE_STMT_OK(mysql_stmt_reset(q.get()), q.get());
  q.execute();
  std::vector<long long> got;
  while (auto v = q.next()) got.push_back(*v);
  CHECK(got == range(1, 10));
}

}  // namespace itest

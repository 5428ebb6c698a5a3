// Binary protocol: COM_STMT_PREPARE / EXECUTE / SEND_LONG_DATA / RESET / CLOSE.
#include "itest.hpp"

#include <mysqld_error.h>

#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace itest {
namespace {

struct StmtCloser {
  void operator()(MYSQL_STMT* s) const { mysql_stmt_close(s); }
};
using Stmt = std::unique_ptr<MYSQL_STMT, StmtCloser>;

Stmt prepare(MYSQL* m, const std::string& sql) {
  Stmt s(mysql_stmt_init(m));
  REQUIRE(s);
  INFO("prepare: " << sql);
  ITEST_REQUIRE_STMT_OK(mysql_stmt_prepare(s.get(), sql.data(), sql.size()), s.get());
  return s;
}

MYSQL_BIND bind_of(enum_field_types type, void* buf, unsigned long len,
                   unsigned long* length = nullptr, my_bool* is_null = nullptr) {
  MYSQL_BIND b;
  std::memset(&b, 0, sizeof b);
  b.buffer_type = type;
  b.buffer = buf;
  b.buffer_length = len;
  b.length = length;
  b.is_null = is_null;
  return b;
}

MYSQL_TIME make_time(enum_mysql_timestamp_type kind, unsigned y, unsigned mo, unsigned d,
                     unsigned h, unsigned mi, unsigned s, unsigned long us, bool neg = false) {
  MYSQL_TIME t;
  std::memset(&t, 0, sizeof t);
  t.time_type = kind;
  t.year = y;
  t.month = mo;
  t.day = d;
  t.hour = h;
  t.minute = mi;
  t.second = s;
  t.second_part = us;
  t.neg = neg;
  return t;
}

std::string all_bytes() {
  std::string s(256 * 4, '\0');
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(i & 0xff);
  return s;
}

std::string hex_upper(const std::string& bytes) {
  static const char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

void create_ps_table(MYSQL* m) {
  exec(m, "DROP TABLE IF EXISTS it_ps");
  exec(m,
       "CREATE TABLE it_ps (id INT PRIMARY KEY, ti TINYINT, si SMALLINT, bi BIGINT, "
       "bu BIGINT UNSIGNED, d DOUBLE, de DECIMAL(20,6), vc VARCHAR(100), bl BLOB, "
       "dt DATE, dtm DATETIME(6), tm TIME(3)) CHARACTER SET utf8mb4");
}

}  // namespace

TEST_CASE("prepared INSERT and SELECT round-trip many parameter types and NULLs",
          "[stmt]") {
  Conn c(app_options());
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  create_ps_table(m);

  Stmt ins = prepare(m, "INSERT INTO it_ps VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
  REQUIRE(mysql_stmt_param_count(ins.get()) == 12);
  int id = 1;
  signed char ti = -100;
  short si = -32000;
  long long bi = -9000000000000000000LL;
  unsigned long long bu = 18446744073709551615ULL;
  double d = 3.14159265358979;
  std::string de = "-98765.432100";
  std::string vc = "caf\xC3\xA9 \xF0\x9F\x9A\x80 '\"\\";
  const std::string blob = all_bytes();
  MYSQL_TIME dt = make_time(MYSQL_TIMESTAMP_DATE, 1999, 12, 31, 0, 0, 0, 0);
  MYSQL_TIME dtm = make_time(MYSQL_TIMESTAMP_DATETIME, 2024, 2, 29, 23, 59, 58, 123456);
  MYSQL_TIME tm = make_time(MYSQL_TIMESTAMP_TIME, 0, 0, 0, 100, 2, 3, 456000, true);
  unsigned long de_len = de.size(), vc_len = vc.size(), bl_len = blob.size();
  std::array<MYSQL_BIND, 12> p{
      bind_of(MYSQL_TYPE_LONG, &id, 0),
      bind_of(MYSQL_TYPE_TINY, &ti, 0),
      bind_of(MYSQL_TYPE_SHORT, &si, 0),
      bind_of(MYSQL_TYPE_LONGLONG, &bi, 0),
      bind_of(MYSQL_TYPE_LONGLONG, &bu, 0),
      bind_of(MYSQL_TYPE_DOUBLE, &d, 0),
      bind_of(MYSQL_TYPE_NEWDECIMAL, de.data(), de.size(), &de_len),
      bind_of(MYSQL_TYPE_STRING, vc.data(), vc.size(), &vc_len),
      bind_of(MYSQL_TYPE_BLOB, const_cast<char*>(blob.data()), blob.size(), &bl_len),
      bind_of(MYSQL_TYPE_DATE, &dt, sizeof dt),
      bind_of(MYSQL_TYPE_DATETIME, &dtm, sizeof dtm),
      bind_of(MYSQL_TYPE_TIME, &tm, sizeof tm)};
  p[4].is_unsigned = 1;
  REQUIRE(mysql_stmt_bind_param(ins.get(), p.data()) == 0);
  ITEST_REQUIRE_STMT_OK(mysql_stmt_execute(ins.get()), ins.get());
  CHECK(mysql_stmt_affected_rows(ins.get()) == 1);

  // Second row: everything NULL but the key (is_null flags and MYSQL_TYPE_NULL).
  id = 2;
  my_bool yes = 1;
  for (size_t i = 1; i < p.size(); ++i) p[i].is_null = &yes;
  p[5].buffer_type = MYSQL_TYPE_NULL;
  REQUIRE(mysql_stmt_bind_param(ins.get(), p.data()) == 0);
  ITEST_REQUIRE_STMT_OK(mysql_stmt_execute(ins.get()), ins.get());

  // Text protocol view of what landed.
  auto r = rows(m, "SELECT ti, si, bi, bu, d, de, vc, HEX(bl), dt, dtm, tm FROM it_ps "
                   "WHERE id = 1");
  REQUIRE(r.size() == 1);
  CHECK(r[0][0] == "-100");
  CHECK(r[0][1] == "-32000");
  CHECK(r[0][2] == "-9000000000000000000");
  CHECK(r[0][3] == "18446744073709551615");
  CHECK(r[0][4] == "3.14159265358979");
  CHECK(r[0][5] == "-98765.432100");
  CHECK(r[0][6] == vc);
  CHECK(r[0][8] == "1999-12-31");
  CHECK(r[0][9] == "2024-02-29 23:59:58.123456");
  CHECK(r[0][10] == "-100:02:03.456");
  CHECK(r[0][7] == hex_upper(blob));
  CHECK(scalar(m, "SELECT COUNT(*) FROM it_ps WHERE id = 2 AND ti IS NULL AND d IS NULL "
                  "AND bl IS NULL AND dtm IS NULL") == "1");

  // Binary protocol result binding.
  Stmt sel = prepare(m, "SELECT bi, bu, d, vc, bl, dtm, tm FROM it_ps WHERE id = ?");
  REQUIRE(mysql_stmt_field_count(sel.get()) == 7);
  int want = 1;
  MYSQL_BIND key = bind_of(MYSQL_TYPE_LONG, &want, 0);
  REQUIRE(mysql_stmt_bind_param(sel.get(), &key) == 0);
  ITEST_REQUIRE_STMT_OK(mysql_stmt_execute(sel.get()), sel.get());
  long long o_bi = 0;
  unsigned long long o_bu = 0;
  double o_d = 0;
  char o_vc[128];
  std::string o_bl(4096, '\0');
  MYSQL_TIME o_dtm, o_tm;
  unsigned long l_vc = 0, l_bl = 0;
  std::array<my_bool, 7> nulls{};
  std::array<MYSQL_BIND, 7> out{
      bind_of(MYSQL_TYPE_LONGLONG, &o_bi, 0, nullptr, &nulls[0]),
      bind_of(MYSQL_TYPE_LONGLONG, &o_bu, 0, nullptr, &nulls[1]),
      bind_of(MYSQL_TYPE_DOUBLE, &o_d, 0, nullptr, &nulls[2]),
      bind_of(MYSQL_TYPE_STRING, o_vc, sizeof o_vc, &l_vc, &nulls[3]),
      bind_of(MYSQL_TYPE_BLOB, o_bl.data(), o_bl.size(), &l_bl, &nulls[4]),
      bind_of(MYSQL_TYPE_DATETIME, &o_dtm, sizeof o_dtm, nullptr, &nulls[5]),
      bind_of(MYSQL_TYPE_TIME, &o_tm, sizeof o_tm, nullptr, &nulls[6])};
  out[1].is_unsigned = 1;
  REQUIRE(mysql_stmt_bind_result(sel.get(), out.data()) == 0);
  ITEST_REQUIRE_STMT_OK(mysql_stmt_fetch(sel.get()), sel.get());
  CHECK(o_bi == bi);
  CHECK(o_bu == bu);
  CHECK(o_d == d);
  CHECK(std::string(o_vc, l_vc) == vc);
  CHECK(std::string(o_bl.data(), l_bl) == blob);
  CHECK(o_dtm.year == 2024);
  CHECK(o_dtm.day == 29);
  CHECK(o_dtm.second_part == 123456);
  CHECK(o_tm.neg);
  CHECK(o_tm.hour == 100);
  CHECK(o_tm.second_part == 456000);
  CHECK(mysql_stmt_fetch(sel.get()) == MYSQL_NO_DATA);

  // Re-execute the same statement with another parameter: the NULL row.
  want = 2;
  ITEST_REQUIRE_STMT_OK(mysql_stmt_execute(sel.get()), sel.get());
  ITEST_REQUIRE_STMT_OK(mysql_stmt_fetch(sel.get()), sel.get());
  for (size_t i = 0; i < nulls.size(); ++i) {
    INFO("column " << i);
    CHECK(nulls[i]);
  }
  CHECK(mysql_stmt_fetch(sel.get()) == MYSQL_NO_DATA);

  // And a key that matches nothing.
  want = 3;
  ITEST_REQUIRE_STMT_OK(mysql_stmt_execute(sel.get()), sel.get());
  CHECK(mysql_stmt_fetch(sel.get()) == MYSQL_NO_DATA);
}

TEST_CASE("re-executing a prepared INSERT many times inserts each row once", "[stmt]") {
  Conn c(app_options());
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  exec(m, "DROP TABLE IF EXISTS it_reexec");
  exec(m, "CREATE TABLE it_reexec (id INT PRIMARY KEY, sq BIGINT)");
  Stmt ins = prepare(m, "INSERT INTO it_reexec VALUES (?, ? * ?)");
  int id = 0;
  long long v = 0;
  std::array<MYSQL_BIND, 3> p{bind_of(MYSQL_TYPE_LONG, &id, 0),
                              bind_of(MYSQL_TYPE_LONGLONG, &v, 0),
                              bind_of(MYSQL_TYPE_LONGLONG, &v, 0)};
  REQUIRE(mysql_stmt_bind_param(ins.get(), p.data()) == 0);
  for (id = 1; id <= 50; ++id) {
    v = id;
    ITEST_REQUIRE_STMT_OK(mysql_stmt_execute(ins.get()), ins.get());
  }
  CHECK(scalar(m, "SELECT COUNT(*) FROM it_reexec") == "50");
  CHECK(scalar(m, "SELECT SUM(sq) FROM it_reexec") == "42925");  // sum of squares 1..50
  // A duplicate key through the prepared statement is a clean 1062.
  id = 7;
  REQUIRE(mysql_stmt_execute(ins.get()) != 0);
  CHECK(mysql_stmt_errno(ins.get()) == ER_DUP_ENTRY);
  CHECK(std::string(mysql_stmt_sqlstate(ins.get())) == "23000");
}

TEST_CASE("array binding runs as COM_STMT_BULK_EXECUTE and inserts every row once", "[stmt][bulk]") {
  Conn c(app_options());
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  exec(m, "DROP TABLE IF EXISTS it_bulk");
  exec(m, "CREATE TABLE it_bulk (id INT PRIMARY KEY, name VARCHAR(20))");
  Stmt ins = prepare(m, "INSERT INTO it_bulk VALUES (?, ?)");
  constexpr unsigned rows = 1000;
  std::vector<int> ids(rows);
  std::vector<std::string> names(rows);
  std::vector<char*> name_ptrs(rows);
  std::vector<unsigned long> lengths(rows, static_cast<unsigned long>(-1));  // NUL-terminated
  for (unsigned i = 0; i < rows; ++i) {
    ids[i] = static_cast<int>(i + 1);
    names[i] = "n-" + std::to_string(i + 1);
    name_ptrs[i] = names[i].data();
  }
  std::array<MYSQL_BIND, 2> p{};
  p[0].buffer_type = MYSQL_TYPE_LONG;
  p[0].buffer = ids.data();
  p[1].buffer_type = MYSQL_TYPE_STRING;
  p[1].buffer = name_ptrs.data();
  p[1].length = lengths.data();
  unsigned int array_size = rows;
  // libmariadb sends the whole array in one COM_STMT_BULK_EXECUTE when the server offers
  // bulk operations, and refuses to execute an array otherwise.
  REQUIRE(mysql_stmt_attr_set(ins.get(), STMT_ATTR_ARRAY_SIZE, &array_size) == 0);
  REQUIRE(mysql_stmt_bind_param(ins.get(), p.data()) == 0);
  ITEST_REQUIRE_STMT_OK(mysql_stmt_execute(ins.get()), ins.get());
  CHECK(mysql_stmt_affected_rows(ins.get()) == rows);
  // The session reads its own write (the bulk's commit GTID was noted).
  CHECK(scalar(m, "SELECT COUNT(*) FROM it_bulk") == std::to_string(rows));
  CHECK(scalar(m, "SELECT SUM(id) FROM it_bulk") == "500500");
  CHECK(scalar(m, "SELECT name FROM it_bulk WHERE id = 777") == "n-777");
  // A duplicate key in the array is the server's 1062.
  REQUIRE(mysql_stmt_execute(ins.get()) != 0);
  CHECK(mysql_stmt_errno(ins.get()) == ER_DUP_ENTRY);
  CHECK(scalar(m, "SELECT COUNT(*) FROM it_bulk") == std::to_string(rows));
}

TEST_CASE("COM_STMT_SEND_LONG_DATA streams a parameter in chunks", "[stmt]") {
  Conn c(app_options());
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  exec(m, "DROP TABLE IF EXISTS it_long");
  exec(m, "CREATE TABLE it_long (id INT PRIMARY KEY, data MEDIUMBLOB)");
  Stmt ins = prepare(m, "INSERT INTO it_long VALUES (?, ?)");
  int id = 1;
  std::array<MYSQL_BIND, 2> p{bind_of(MYSQL_TYPE_LONG, &id, 0),
                              bind_of(MYSQL_TYPE_BLOB, nullptr, 0)};
  REQUIRE(mysql_stmt_bind_param(ins.get(), p.data()) == 0);
  std::string expected;
  for (int chunk = 0; chunk < 3; ++chunk) {
    std::string part(100000, static_cast<char>('a' + chunk));
    part[0] = '\0';  // binary-safe
    ITEST_REQUIRE_STMT_OK(
        mysql_stmt_send_long_data(ins.get(), 1, part.data(), part.size()), ins.get());
    expected += part;
  }
  ITEST_REQUIRE_STMT_OK(mysql_stmt_execute(ins.get()), ins.get());

  auto r = rows(m, "SELECT data FROM it_long WHERE id = 1");
  REQUIRE(r.size() == 1);
  REQUIRE(r[0][0].has_value());
  CHECK(r[0][0]->size() == expected.size());
  CHECK(*r[0][0] == expected);
}

TEST_CASE("COM_STMT_RESET discards long data sent before it", "[stmt]") {
  Conn c(app_options());
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  exec(m, "DROP TABLE IF EXISTS it_reset");
  exec(m, "CREATE TABLE it_reset (id INT PRIMARY KEY, data BLOB)");
  Stmt ins = prepare(m, "INSERT INTO it_reset VALUES (?, ?)");
  int id = 1;
  std::string bound = "bound-value";
  unsigned long bound_len = bound.size();
  std::array<MYSQL_BIND, 2> p{bind_of(MYSQL_TYPE_LONG, &id, 0),
                              bind_of(MYSQL_TYPE_BLOB, bound.data(), bound.size(), &bound_len)};
  REQUIRE(mysql_stmt_bind_param(ins.get(), p.data()) == 0);
  const std::string discarded = "long-data-that-must-be-discarded";
  ITEST_REQUIRE_STMT_OK(
      mysql_stmt_send_long_data(ins.get(), 1, discarded.data(), discarded.size()), ins.get());
  ITEST_REQUIRE_STMT_OK(mysql_stmt_reset(ins.get()), ins.get());
  // Long data is sticky per execute: rebind so the buffer value is used, not long data.
  REQUIRE(mysql_stmt_bind_param(ins.get(), p.data()) == 0);
  ITEST_REQUIRE_STMT_OK(mysql_stmt_execute(ins.get()), ins.get());
  CHECK(scalar(m, "SELECT data FROM it_reset WHERE id = 1") == bound);
}

TEST_CASE("COM_STMT_CLOSE frees statements: many prepare/close cycles keep working",
          "[stmt]") {
  Conn c(app_options());
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  for (int i = 0; i < 300; ++i) {
    Stmt s = prepare(m, "SELECT ? + " + std::to_string(i));
    int v = 1;
    MYSQL_BIND b = bind_of(MYSQL_TYPE_LONG, &v, 0);
    REQUIRE(mysql_stmt_bind_param(s.get(), &b) == 0);
    ITEST_REQUIRE_STMT_OK(mysql_stmt_execute(s.get()), s.get());
    long long got = -1;
    MYSQL_BIND o = bind_of(MYSQL_TYPE_LONGLONG, &got, 0);
    REQUIRE(mysql_stmt_bind_result(s.get(), &o) == 0);
    ITEST_REQUIRE_STMT_OK(mysql_stmt_fetch(s.get()), s.get());
    REQUIRE(got == i + 1);
    mysql_stmt_free_result(s.get());
  }  // each Stmt closes on scope exit (COM_STMT_CLOSE)
  CHECK(scalar(m, "SELECT 'still fine'") == "still fine");
}

TEST_CASE("prepare errors: 1064 for bad syntax, 1146 for an unknown table", "[stmt][errors]") {
  Conn c(app_options());
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  Stmt s(mysql_stmt_init(m));
  const std::string bad = "SELEC ?";
  REQUIRE(mysql_stmt_prepare(s.get(), bad.data(), bad.size()) != 0);
  CHECK(mysql_stmt_errno(s.get()) == ER_PARSE_ERROR);
  CHECK(std::string(mysql_stmt_sqlstate(s.get())) == "42000");

  Stmt s2(mysql_stmt_init(m));
  const std::string missing = "SELECT * FROM it_no_such_table WHERE id = ?";
  REQUIRE(mysql_stmt_prepare(s2.get(), missing.data(), missing.size()) != 0);
  CHECK(mysql_stmt_errno(s2.get()) == ER_NO_SUCH_TABLE);
  CHECK(scalar(m, "SELECT 'ok'") == "ok");
}

}  // namespace itest

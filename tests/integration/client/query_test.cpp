// COM_QUERY: text result sets, streaming, warnings, errors, multi-statements, CALL,
// affected rows and insert ids.
#include "itest.hpp"

#include <mysqld_error.h>

#include <cstring>

namespace itest {
namespace {

// 10^5 rows (0..99999) without depending on a sequence engine or recursion limits.
const char* kHundredThousandRows =
    "SELECT a.d + 10*b.d + 100*c.d + 1000*e.d + 10000*f.d AS n, REPEAT('x', 20) AS pad "
    "FROM (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL "
    "SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 "
    "UNION ALL SELECT 9) a, (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL "
    "SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 "
    "UNION ALL SELECT 8 UNION ALL SELECT 9) b, (SELECT 0 d UNION ALL SELECT 1 UNION ALL "
    "SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 "
    "UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c, (SELECT 0 d UNION ALL "
    "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 "
    "UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) e, "
    "(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL "
    "SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 "
    "UNION ALL SELECT 9) f";

Options multi_options() {
  Options o = app_options();
  o.client_flags = CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS;
  return o;
}

// Reads the current result of a multi-result exchange: its rows' first column, or
// nullopt when the statement produced no result set (an OK).
std::optional<std::vector<std::string>> take_result(MYSQL* m) {
  MYSQL_RES* res = mysql_store_result(m);
  if (res == nullptr) {
    REQUIRE(mysql_field_count(m) == 0);
    return std::nullopt;
  }
  std::vector<std::string> out;
  while (MYSQL_ROW row = mysql_fetch_row(res)) out.emplace_back(row[0] ? row[0] : "NULL");
  mysql_free_result(res);
  return out;
}

}  // namespace

TEST_CASE("text result set carries many column types and NULLs exactly", "[query]") {
  Conn c(app_options());
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  exec(m, "DROP TABLE IF EXISTS it_types");
  exec(m,
       "CREATE TABLE it_types (id INT PRIMARY KEY, ti TINYINT, si SMALLINT, mi MEDIUMINT, "
       "bi BIGINT, bu BIGINT UNSIGNED, f FLOAT, d DOUBLE, de DECIMAL(20,6), c CHAR(5), "
       "vc VARCHAR(50), tx TEXT, bl BLOB, dt DATE, tm TIME, dtm DATETIME(6), ts TIMESTAMP "
       "NULL, yr YEAR, bt BIT(8), en ENUM('a','b'), st SET('x','y')) "
       "CHARACTER SET utf8mb4");
  exec(m,
       "INSERT INTO it_types VALUES (1, -128, 32767, -8388608, -9223372036854775808, "
       "18446744073709551615, 1.5, -2.25e100, '-12345678901234.123456', 'abc', "
       "'h\xC3\xA9llo \xF0\x9F\x98\x80', 'long text', X'00FF0027005C', '2024-02-29', "
       "'-838:59:59', '2001-02-03 04:05:06.789012', '2038-01-19 03:14:07', 2155, b'10100101', "
       "'b', 'x,y')");
  exec(m, "INSERT INTO it_types (id) VALUES (2)");

  ITEST_REQUIRE_OK(mysql_query(m, "SELECT * FROM it_types ORDER BY id"), m);
  MYSQL_RES* res = mysql_store_result(m);
  REQUIRE(res != nullptr);
  REQUIRE(mysql_num_fields(res) == 21);
  REQUIRE(mysql_num_rows(res) == 2);
  MYSQL_FIELD* fields = mysql_fetch_fields(res);
  CHECK(std::string(fields[0].name) == "id");
  CHECK(std::string(fields[0].table) == "it_types");
  CHECK(fields[0].type == MYSQL_TYPE_LONG);
  CHECK((fields[0].flags & PRI_KEY_FLAG) != 0);
  CHECK(fields[1].type == MYSQL_TYPE_TINY);
  CHECK(fields[4].type == MYSQL_TYPE_LONGLONG);
  CHECK((fields[5].flags & UNSIGNED_FLAG) != 0);
  CHECK(fields[7].type == MYSQL_TYPE_DOUBLE);
  CHECK(fields[8].type == MYSQL_TYPE_NEWDECIMAL);
  CHECK(fields[8].decimals == 6);
  CHECK(fields[12].type == MYSQL_TYPE_BLOB);
  CHECK(fields[13].type == MYSQL_TYPE_DATE);
  CHECK(fields[15].type == MYSQL_TYPE_DATETIME);
  CHECK(fields[18].type == MYSQL_TYPE_BIT);

  MYSQL_ROW row = mysql_fetch_row(res);
  REQUIRE(row != nullptr);
  unsigned long* len = mysql_fetch_lengths(res);
  CHECK(std::string(row[1]) == "-128");
  CHECK(std::string(row[2]) == "32767");
  CHECK(std::string(row[3]) == "-8388608");
  CHECK(std::string(row[4]) == "-9223372036854775808");
  CHECK(std::string(row[5]) == "18446744073709551615");
  CHECK(std::string(row[6]) == "1.5");
  CHECK(std::string(row[7]) == "-2.25e100");
  CHECK(std::string(row[8]) == "-12345678901234.123456");
  CHECK(std::string(row[9]) == "abc");
  CHECK(std::string(row[10]) == "h\xC3\xA9llo \xF0\x9F\x98\x80");
  CHECK(std::string(row[11]) == "long text");
  CHECK(std::string(row[12], len[12]) == std::string("\x00\xFF\x00\x27\x00\x5C", 6));
  CHECK(std::string(row[13]) == "2024-02-29");
  CHECK(std::string(row[14]) == "-838:59:59");
  CHECK(std::string(row[15]) == "2001-02-03 04:05:06.789012");
  CHECK(std::string(row[16]) == "2038-01-19 03:14:07");
  CHECK(std::string(row[17]) == "2155");
  CHECK(len[18] == 1);
  CHECK(static_cast<unsigned char>(row[18][0]) == 0xA5);
  CHECK(std::string(row[19]) == "b");
  CHECK(std::string(row[20]) == "x,y");

  row = mysql_fetch_row(res);
  REQUIRE(row != nullptr);
  CHECK(std::string(row[0]) == "2");
  for (unsigned i = 1; i < 21; ++i) {
    INFO("column " << fields[i].name);
    CHECK(row[i] == nullptr);
  }
  CHECK(mysql_fetch_row(res) == nullptr);
  mysql_free_result(res);
}

TEST_CASE("100k-row result streams through mysql_use_result complete and in order",
          "[query][large]") {
  Conn c(app_options());
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  const std::string sql = std::string(kHundredThousandRows) + " ORDER BY n";
  ITEST_REQUIRE_OK(mysql_real_query(m, sql.data(), sql.size()), m);
  MYSQL_RES* res = mysql_use_result(m);
  REQUIRE(res != nullptr);
  std::uint64_t count = 0, sum = 0;
  bool ordered = true, padded = true;
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    const std::uint64_t n = std::stoull(row[0]);
    ordered = ordered && n == count;
    padded = padded && std::strcmp(row[1], "xxxxxxxxxxxxxxxxxxxx") == 0;
    sum += n;
    ++count;
  }
  INFO(describe(m));
  CHECK(mysql_errno(m) == 0);
  mysql_free_result(res);
  CHECK(count == 100000);
  CHECK(sum == 4999950000ull);
  CHECK(ordered);
  CHECK(padded);
  // The connection is usable again after the stream was fully read.
  CHECK(scalar(m, "SELECT 'after'") == "after");
}

TEST_CASE("abandoning a streamed result part-way leaves the connection usable",
          "[query][large]") {
  Conn c(app_options());
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  ITEST_REQUIRE_OK(mysql_query(m, kHundredThousandRows), m);
  MYSQL_RES* res = mysql_use_result(m);
  REQUIRE(res != nullptr);
  for (int i = 0; i < 10; ++i) REQUIRE(mysql_fetch_row(res) != nullptr);
  mysql_free_result(res);  // libmariadb drains the rest of the rows here
  CHECK(scalar(m, "SELECT 'next'") == "next");
}

TEST_CASE("warnings are counted and listed by SHOW WARNINGS", "[query]") {
  Conn c(app_options());
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  exec(m, "SET SESSION sql_mode = 'ERROR_FOR_DIVISION_BY_ZERO'");
  auto r = rows(m, "SELECT 1/0");
  REQUIRE(r.size() == 1);
  CHECK_FALSE(r[0][0].has_value());
  CHECK(mysql_warning_count(m) == 1);
  auto w = rows(m, "SHOW WARNINGS");
  REQUIRE(w.size() == 1);
  CHECK(w[0][1] == "1365");  // ER_DIVISION_BY_ZERO

  exec(m, "SET SESSION sql_mode = ''");
  exec(m, "DROP TABLE IF EXISTS it_warn");
  exec(m, "CREATE TABLE it_warn (c CHAR(3))");
  exec(m, "INSERT INTO it_warn VALUES ('abcdefgh'), ('xy')");
  CHECK(mysql_warning_count(m) == 1);
  w = rows(m, "SHOW WARNINGS");
  REQUIRE(w.size() == 1);
  CHECK(w[0][1] == "1265");  // WARN_DATA_TRUNCATED
  CHECK(scalar(m, "SELECT GROUP_CONCAT(c ORDER BY c) FROM it_warn") == "abc,xy");
}

TEST_CASE("syntax error is 1064 with SQLSTATE 42000 and the connection stays usable",
          "[query][errors]") {
  Conn c(app_options());
  REQUIRE(c.ok());
  CHECK(exec_error(c.get(), "SELEC 1") == ER_PARSE_ERROR);
  CHECK(c.sqlstate() == "42000");
  CHECK(c.error().find("SQL syntax") != std::string::npos);
  CHECK(scalar(c.get(), "SELECT 2") == "2");
}

TEST_CASE("unknown table is 1146 with SQLSTATE 42S02", "[query][errors]") {
  Conn c(app_options());
  REQUIRE(c.ok());
  CHECK(exec_error(c.get(), "SELECT * FROM it_no_such_table") == ER_NO_SUCH_TABLE);
  CHECK(c.sqlstate() == "42S02");
  CHECK(c.error().find("it_no_such_table") != std::string::npos);
  CHECK(scalar(c.get(), "SELECT 3") == "3");
}

TEST_CASE("multi-statement query returns each result in order", "[query][multi]") {
  Conn c(multi_options());
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  exec(m, "DROP TABLE IF EXISTS it_multi");
  exec(m, "CREATE TABLE it_multi (id INT PRIMARY KEY)");
  ITEST_REQUIRE_OK(mysql_query(m, "SELECT 1; SELECT 2 UNION ALL SELECT 22; "
                                  "INSERT INTO it_multi VALUES (7), (8); SELECT 3"),
                   m);
  auto r1 = take_result(m);
  REQUIRE(r1);
  CHECK(*r1 == std::vector<std::string>{"1"});
  CHECK(mysql_more_results(m));
  ITEST_REQUIRE_OK(mysql_next_result(m), m);
  auto r2 = take_result(m);
  REQUIRE(r2);
  CHECK(*r2 == std::vector<std::string>{"2", "22"});
  ITEST_REQUIRE_OK(mysql_next_result(m), m);
  CHECK_FALSE(take_result(m).has_value());
  CHECK(mysql_affected_rows(m) == 2);
  ITEST_REQUIRE_OK(mysql_next_result(m), m);
  auto r4 = take_result(m);
  REQUIRE(r4);
  CHECK(*r4 == std::vector<std::string>{"3"});
  CHECK_FALSE(mysql_more_results(m));
  CHECK(mysql_next_result(m) == -1);
  CHECK(scalar(m, "SELECT COUNT(*) FROM it_multi") == "2");
}

TEST_CASE("multi-statement stops at the first error and reports it", "[query][multi]") {
  Conn c(multi_options());
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  exec(m, "DROP TABLE IF EXISTS it_multi_err");
  exec(m, "CREATE TABLE it_multi_err (id INT)");
  ITEST_REQUIRE_OK(mysql_query(m, "SELECT 1; SELECT * FROM it_no_such_table; "
                                  "INSERT INTO it_multi_err VALUES (1); SELECT 3"),
                   m);
  auto r1 = take_result(m);
  REQUIRE(r1);
  CHECK(*r1 == std::vector<std::string>{"1"});
  CHECK(mysql_next_result(m) > 0);
  CHECK(mysql_errno(m) == ER_NO_SUCH_TABLE);
  CHECK_FALSE(mysql_more_results(m));
  // Statements after the failing one were not run, and the connection is usable.
  CHECK(scalar(m, "SELECT COUNT(*) FROM it_multi_err") == "0");
}

TEST_CASE("stored procedure returns several result sets then a final OK",
          "[query][multi]") {
  Conn c(multi_options());
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  exec(m, "DROP PROCEDURE IF EXISTS it_two_results");
  exec(m,
       "CREATE PROCEDURE it_two_results(IN k INT) BEGIN SELECT k AS a; "
       "SELECT 'x' AS b, k * 2 AS c UNION ALL SELECT 'y', k * 3; END");
  ITEST_REQUIRE_OK(mysql_query(m, "CALL it_two_results(5)"), m);
  auto r1 = take_result(m);
  REQUIRE(r1);
  CHECK(*r1 == std::vector<std::string>{"5"});
  ITEST_REQUIRE_OK(mysql_next_result(m), m);
  MYSQL_RES* res = mysql_store_result(m);
  REQUIRE(res != nullptr);
  CHECK(mysql_num_fields(res) == 2);
  MYSQL_ROW row = mysql_fetch_row(res);
  REQUIRE(row != nullptr);
  CHECK(std::string(row[0]) == "x");
  CHECK(std::string(row[1]) == "10");
  row = mysql_fetch_row(res);
  REQUIRE(row != nullptr);
  CHECK(std::string(row[1]) == "15");
  mysql_free_result(res);
  ITEST_REQUIRE_OK(mysql_next_result(m), m);  // the CALL's own status
  CHECK_FALSE(take_result(m).has_value());
  CHECK(mysql_next_result(m) == -1);
  CHECK(scalar(m, "SELECT 'after call'") == "after call");
}

TEST_CASE("affected rows, last insert id and matched-vs-changed info", "[query]") {
  Conn c(app_options());
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  exec(m, "DROP TABLE IF EXISTS it_ai");
  exec(m, "CREATE TABLE it_ai (id INT AUTO_INCREMENT PRIMARY KEY, v INT) "
          "AUTO_INCREMENT=100");
  ITEST_REQUIRE_OK(mysql_query(m, "INSERT INTO it_ai (v) VALUES (1), (1), (2)"), m);
  CHECK(mysql_affected_rows(m) == 3);
  CHECK(mysql_insert_id(m) == 100);  // the first id of a multi-row insert
  CHECK(scalar(m, "SELECT LAST_INSERT_ID()") == "100");
  ITEST_REQUIRE_OK(mysql_query(m, "INSERT INTO it_ai (v) VALUES (9)"), m);
  CHECK(mysql_insert_id(m) == 103);
  ITEST_REQUIRE_OK(mysql_query(m, "UPDATE it_ai SET v = 5 WHERE v = 1"), m);
  CHECK(mysql_affected_rows(m) == 2);
  ITEST_REQUIRE_OK(mysql_query(m, "UPDATE it_ai SET v = 5 WHERE v = 5"), m);
  CHECK(mysql_affected_rows(m) == 0);
  REQUIRE(mysql_info(m) != nullptr);
  CHECK(std::string(mysql_info(m)).find("Rows matched: 2") != std::string::npos);
  ITEST_REQUIRE_OK(mysql_query(m, "DELETE FROM it_ai WHERE id >= 102"), m);
  CHECK(mysql_affected_rows(m) == 2);
  ITEST_REQUIRE_OK(mysql_query(m, "SELECT * FROM it_ai"), m);
  mysql_free_result(mysql_store_result(m));
  CHECK(mysql_affected_rows(m) == 2);  // for a SELECT: the number of rows
}

TEST_CASE("CLIENT_FOUND_ROWS makes UPDATE report matched rows", "[query]") {
  Options o = app_options();
  o.client_flags = CLIENT_FOUND_ROWS;
  Conn c(o);
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  exec(m, "DROP TABLE IF EXISTS it_found");
  exec(m, "CREATE TABLE it_found (id INT PRIMARY KEY, v INT)");
  exec(m, "INSERT INTO it_found VALUES (1, 5), (2, 5), (3, 6)");
  ITEST_REQUIRE_OK(mysql_query(m, "UPDATE it_found SET v = 5 WHERE v = 5"), m);
  CHECK(mysql_affected_rows(m) == 2);
}

}  // namespace itest

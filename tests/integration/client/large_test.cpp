// Logical packets over 16 MB in both directions, and LOAD DATA LOCAL INFILE, with and
// without the compressed protocol.
#include "itest.hpp"

#include <mysqld_error.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>

namespace itest {
namespace {

constexpr size_t kBlobSize = 20 * 1024 * 1024;  // > 16 MB: split into two wire frames
constexpr unsigned long kClientMaxPacket = 64ul * 1024 * 1024;

// Deterministic bytes that include every byte value the escaper must handle
// (NUL, quotes, backslash, ^Z) while staying mostly unescaped.
std::string big_payload(unsigned seed) {
  std::string s(kBlobSize, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < s.size(); ++i) {
    x = x * 1664525u + 1013904223u;
    s[i] = static_cast<char>((i % 4096 == 0) ? (x >> 24) % 8 : 'A' + (x >> 24) % 58);
  }
  const char specials[] = {'\0', '\'', '"', '\\', '\x1a', '\n', '\r'};
  for (size_t i = 0; i < sizeof specials; ++i) s[1000 + i * 7919] = specials[i];
  return s;
}

Options big_options(bool compress) {
  Options o = app_options();
  o.max_allowed_packet = kClientMaxPacket;
  o.compress = compress;
  return o;
}

// Reads back `data` of row `id` through the text protocol and compares byte for byte.
void check_text_readback(MYSQL* m, const std::string& table, int id, const std::string& want) {
  const std::string sql = "SELECT data FROM " + table + " WHERE id = " + std::to_string(id);
  ITEST_REQUIRE_OK(mysql_real_query(m, sql.data(), sql.size()), m);
  MYSQL_RES* res = mysql_store_result(m);
  INFO(describe(m));
  REQUIRE(res != nullptr);
  MYSQL_ROW row = mysql_fetch_row(res);
  REQUIRE(row != nullptr);
  const unsigned long* len = mysql_fetch_lengths(res);
  CHECK(len[0] == want.size());
  CHECK(std::memcmp(row[0], want.data(), std::min<size_t>(len[0], want.size())) == 0);
  mysql_free_result(res);
}

struct StmtCloser {
  void operator()(MYSQL_STMT* s) const { mysql_stmt_close(s); }
};

}  // namespace

TEST_CASE("20 MB blob INSERT via text protocol and SELECT back (packets > 16 MB)",
          "[large]") {
  const bool compress = GENERATE(false, true);
  INFO("compressed protocol: " << compress);
  Conn c(big_options(compress));
  INFO(c.error());
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  REQUIRE(m->net.compress == compress);
  exec(m, "DROP TABLE IF EXISTS it_big_text");
  exec(m, "CREATE TABLE it_big_text (id INT PRIMARY KEY, data LONGBLOB)");
  const std::string blob = big_payload(1);
  std::string sql = "INSERT INTO it_big_text VALUES (1, '";
  const size_t prefix = sql.size();
  sql.resize(prefix + blob.size() * 2 + 1);
  const unsigned long esc =
      mysql_real_escape_string(m, sql.data() + prefix, blob.data(), blob.size());
  sql.resize(prefix + esc);
  sql += "')";
  REQUIRE(sql.size() > 16u * 1024 * 1024);
  ITEST_REQUIRE_OK(mysql_real_query(m, sql.data(), sql.size()), m);
  CHECK(mysql_affected_rows(m) == 1);
  CHECK(scalar(m, "SELECT LENGTH(data) FROM it_big_text WHERE id = 1") ==
        std::to_string(kBlobSize));
  check_text_readback(m, "it_big_text", 1, blob);
  CHECK(scalar(m, "SELECT 'small after big'") == "small after big");
}

TEST_CASE("20 MB blob via prepared statement both ways (COM_STMT_EXECUTE > 16 MB)",
          "[large][stmt]") {
  const bool compress = GENERATE(false, true);
  INFO("compressed protocol: " << compress);
  Conn c(big_options(compress));
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  REQUIRE(m->net.compress == compress);
  exec(m, "DROP TABLE IF EXISTS it_big_ps");
  exec(m, "CREATE TABLE it_big_ps (id INT PRIMARY KEY, data LONGBLOB)");
  const std::string blob = big_payload(2);

  std::unique_ptr<MYSQL_STMT, StmtCloser> ins(mysql_stmt_init(m));
  const std::string isql = "INSERT INTO it_big_ps VALUES (?, ?)";
  ITEST_REQUIRE_STMT_OK(mysql_stmt_prepare(ins.get(), isql.data(), isql.size()), ins.get());
  int id = 1;
  unsigned long blob_len = blob.size();
  MYSQL_BIND p[2];
  std::memset(p, 0, sizeof p);
  p[0].buffer_type = MYSQL_TYPE_LONG;
  p[0].buffer = &id;
  p[1].buffer_type = MYSQL_TYPE_LONG_BLOB;
  p[1].buffer = const_cast<char*>(blob.data());
  p[1].buffer_length = blob.size();
  p[1].length = &blob_len;
  REQUIRE(mysql_stmt_bind_param(ins.get(), p) == 0);
  ITEST_REQUIRE_STMT_OK(mysql_stmt_execute(ins.get()), ins.get());
  CHECK(mysql_stmt_affected_rows(ins.get()) == 1);

  std::unique_ptr<MYSQL_STMT, StmtCloser> sel(mysql_stmt_init(m));
  const std::string ssql = "SELECT data FROM it_big_ps WHERE id = ?";
  ITEST_REQUIRE_STMT_OK(mysql_stmt_prepare(sel.get(), ssql.data(), ssql.size()), sel.get());
  MYSQL_BIND key;
  std::memset(&key, 0, sizeof key);
  key.buffer_type = MYSQL_TYPE_LONG;
  key.buffer = &id;
  REQUIRE(mysql_stmt_bind_param(sel.get(), &key) == 0);
  ITEST_REQUIRE_STMT_OK(mysql_stmt_execute(sel.get()), sel.get());
  std::string got(kBlobSize + 16, '\0');
  unsigned long got_len = 0;
  MYSQL_BIND out;
  std::memset(&out, 0, sizeof out);
  out.buffer_type = MYSQL_TYPE_LONG_BLOB;
  out.buffer = got.data();
  out.buffer_length = got.size();
  out.length = &got_len;
  REQUIRE(mysql_stmt_bind_result(sel.get(), &out) == 0);
  ITEST_REQUIRE_STMT_OK(mysql_stmt_fetch(sel.get()), sel.get());  // binary row > 16 MB
  CHECK(got_len == blob.size());
  got.resize(got_len);
  CHECK(got == blob);
  CHECK(mysql_stmt_fetch(sel.get()) == MYSQL_NO_DATA);

  // The text protocol sees the same bytes.
  check_text_readback(m, "it_big_ps", 1, blob);
}

TEST_CASE("LOAD DATA LOCAL INFILE loads a generated file completely", "[infile]") {
  const bool compress = GENERATE(false, true);
  INFO("compressed protocol: " << compress);
  char path[] = "/tmp/cw-itest-infile-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  std::string content;
  long long id_sum = 0;
  for (int i = 1; i <= 5000; ++i) {
    content += std::to_string(i) + "\tname-" + std::to_string(i) + "\t" +
               std::to_string(i % 7 == 0 ? -i : i * 3) + "\n";
    id_sum += i;
  }
  REQUIRE(write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
  ::close(fd);

  Options o = app_options();
  o.local_infile = true;
  o.compress = compress;
  Conn c(o);
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  REQUIRE(m->net.compress == compress);
  exec(m, "DROP TABLE IF EXISTS it_load");
  exec(m, "CREATE TABLE it_load (id INT PRIMARY KEY, name VARCHAR(32), v INT)");
  const std::string sql = "LOAD DATA LOCAL INFILE '" + std::string(path) +
                          "' INTO TABLE it_load FIELDS TERMINATED BY '\\t' (id, name, v)";
  const int rc = mysql_real_query(m, sql.data(), sql.size());
  std::remove(path);
  INFO(describe(m));
  REQUIRE(rc == 0);
  CHECK(mysql_affected_rows(m) == 5000);
  CHECK(mysql_warning_count(m) == 0);
  CHECK(scalar(m, "SELECT COUNT(*) FROM it_load") == "5000");
  CHECK(scalar(m, "SELECT SUM(id) FROM it_load") == std::to_string(id_sum));
  CHECK(scalar(m, "SELECT CONCAT(name, '/', v) FROM it_load WHERE id = 4243") ==
        "name-4243/12729");
  CHECK(scalar(m, "SELECT v FROM it_load WHERE id = 700") == "-700");
}

TEST_CASE("LOAD DATA LOCAL INFILE of a missing file fails and the connection still works",
          "[infile]") {
  Options o = app_options();
  o.local_infile = true;
  Conn c(o);
  REQUIRE(c.ok());
  MYSQL* m = c.get();
  exec(m, "DROP TABLE IF EXISTS it_load_missing");
  exec(m, "CREATE TABLE it_load_missing (id INT)");
  const std::string sql =
      "LOAD DATA LOCAL INFILE '/tmp/cw-itest-no-such-file.tsv' INTO TABLE it_load_missing";
  REQUIRE(mysql_real_query(m, sql.data(), sql.size()) != 0);
  INFO(describe(m));
  CHECK(mysql_errno(m) != 0);
  CHECK(scalar(m, "SELECT COUNT(*) FROM it_load_missing") == "0");
  CHECK(scalar(m, "SELECT 'still usable'") == "still usable");
}

}  // namespace itest

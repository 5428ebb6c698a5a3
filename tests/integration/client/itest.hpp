// Shared helpers for the libmariadb integration tests. Every test takes its target from
// the CW_* environment (see tests/integration/run.sh), so the same binary runs against
// causeway or, in development, directly against a MariaDB server.
#pragma once

#include <mysql.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace itest {

struct Env {
  std::string host;
  unsigned port = 0;
  std::string user, password, db;
  std::string root_user, root_password;
  std::optional<std::string> sha2_user, sha2_password;
  unsigned primary_port = 0;
  std::optional<std::string> ca;        // CA to verify the server certificate with
  std::optional<std::string> wrong_ca;  // a CA that did NOT sign the server certificate
  bool tls = false;                     // TLS offered on CW_PORT
  bool direct = false;                  // CW_PORT is the server itself, no causeway
};

const Env& env();

struct Options {
  std::string user;
  std::string password;
  std::string db;
  unsigned long client_flags = 0;
  bool tls = false;                          // MYSQL_OPT_SSL_ENFORCE
  std::optional<std::string> ca;             // verify the server certificate with it
  bool local_infile = false;
  bool compress = false;                     // MYSQL_OPT_COMPRESS
  unsigned long max_allowed_packet = 0;      // 0: library default
  std::vector<std::pair<std::string, std::string>> connect_attrs;
  unsigned port = 0;                         // 0: env().port
};

Options app_options();   // CW_USER on CW_DB
Options root_options();  // CW_ROOT_USER on CW_DB

// Owns one MYSQL handle. A failed connect keeps the handle so the error can be read.
class Conn {
 public:
  explicit Conn(const Options& opts);
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn();

  bool ok() const { return connected_; }
  MYSQL* get() const { return mysql_; }
  unsigned err() const { return mysql_errno(mysql_); }
  std::string sqlstate() const { return mysql_sqlstate(mysql_); }
  std::string error() const { return mysql_error(mysql_); }
  void close();  // COM_QUIT now

 private:
  MYSQL* mysql_ = nullptr;
  bool connected_ = false;
};

using Row = std::vector<std::optional<std::string>>;

// Run a statement that must succeed; results are discarded (all of them).
void exec(MYSQL* m, const std::string& sql);
// Run a query that must succeed and return its (single) result set.
std::vector<Row> rows(MYSQL* m, const std::string& sql);
// First column of the first row; the query must return exactly one row.
std::optional<std::string> scalar(MYSQL* m, const std::string& sql);
// Run a statement that must fail; returns mysql_errno.
unsigned exec_error(MYSQL* m, const std::string& sql);

std::string describe(MYSQL* m);  // "errno (sqlstate): message"

// REQUIRE that a libmariadb call returned 0, showing the error it left behind if not.
// (INFO is evaluated where it is written, so it must come after the call.)
#define ITEST_REQUIRE_OK(call, mysql)      \
  do {                                     \
    const auto itest_rc_ = (call);         \
    INFO(#call);                           \
    INFO(::itest::describe(mysql));        \
    REQUIRE(itest_rc_ == 0);               \
  } while (0)

#define ITEST_REQUIRE_STMT_OK(call, stmt)                                             \
  do {                                                                                \
    const auto itest_rc_ = (call);                                                    \
    INFO(#call);                                                                      \
    INFO(mysql_stmt_errno(stmt) << " (" << mysql_stmt_sqlstate(stmt)                  \
                                << "): " << mysql_stmt_error(stmt));                  \
    REQUIRE(itest_rc_ == 0);                                                          \
  } while (0)

// Catch2 2.x has no skip; say so loudly and leave the test case.
#define ITEST_SKIP(why)          \
  do {                           \
    WARN("SKIP: " << why);       \
    return;                      \
  } while (0)

}  // namespace itest

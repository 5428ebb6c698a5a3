// Authentication (mysql_native_password, caching_sha2_password) and TLS.
#include "itest.hpp"

#include <mysqld_error.h>

#include <cstdlib>

namespace itest {
namespace {

std::string current_user(MYSQL* m) { return scalar(m, "SELECT CURRENT_USER()").value(); }

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

Options sha2_options() {
  Options o = app_options();
  o.user = *env().sha2_user;
  o.password = *env().sha2_password;
  return o;
}

}  // namespace

TEST_CASE("mysql_native_password user connects and the server sees that user",
          "[auth]") {
  Conn c(app_options());
  INFO(c.error());
  REQUIRE(c.ok());
  CHECK(starts_with(current_user(c.get()), env().user + "@"));
  CHECK(scalar(c.get(), "SELECT DATABASE()") == env().db);
  CHECK(scalar(c.get(), "SELECT 6*7") == "42");
}

TEST_CASE("wrong password is refused with 1045 and SQLSTATE 28000", "[auth]") {
  Options o = app_options();
  o.password = "definitely-not-the-password";
  Conn c(o);
  REQUIRE_FALSE(c.ok());
  CHECK(c.err() == ER_ACCESS_DENIED_ERROR);
  CHECK(c.sqlstate() == "28000");
  CHECK(c.error().find("Access denied") != std::string::npos);
}

TEST_CASE("empty password for a user that has one is refused with 1045", "[auth]") {
  Options o = app_options();
  o.password = "";
  Conn c(o);
  REQUIRE_FALSE(c.ok());
  CHECK(c.err() == ER_ACCESS_DENIED_ERROR);
}

TEST_CASE("unknown user is refused with 1045", "[auth]") {
  Options o = app_options();
  o.user = "no_such_user_cw";
  o.password = "whatever";
  Conn c(o);
  REQUIRE_FALSE(c.ok());
  CHECK(c.err() == ER_ACCESS_DENIED_ERROR);
  CHECK(c.sqlstate() == "28000");
}

TEST_CASE("caching_sha2_password over plain TCP uses the RSA public key exchange",
          "[auth][sha2]") {
  if (!env().sha2_user) ITEST_SKIP("CW_SHA2_USER not set (plain MariaDB has no caching_sha2)");
  // First connection after start: no cache entry, so full authentication over a
  // non-TLS link: libmariadb requests the server's RSA key and sends the encrypted password.
  Conn c(sha2_options());
  INFO(c.error());
  REQUIRE(c.ok());
  CHECK(mysql_get_ssl_cipher(c.get()) == nullptr);
  CHECK(starts_with(current_user(c.get()), *env().sha2_user + "@"));
}

TEST_CASE("caching_sha2_password with a public key file given by the client",
          "[auth][sha2]") {
  if (!env().sha2_user) ITEST_SKIP("CW_SHA2_USER not set");
  const char* key = std::getenv("CW_SHA2_PUBLIC_KEY");
  if (key == nullptr || *key == '\0') ITEST_SKIP("CW_SHA2_PUBLIC_KEY not set");
  // MYSQL_SERVER_PUBLIC_KEY: libmariadb encrypts with this key instead of asking for it.
  MYSQL* m = mysql_init(nullptr);
  mysql_options(m, MYSQL_SERVER_PUBLIC_KEY, key);
  const bool ok = mysql_real_connect(m, env().host.c_str(), env().sha2_user->c_str(),
                                     env().sha2_password->c_str(), env().db.c_str(),
                                     env().port, nullptr, 0) != nullptr;
  INFO(describe(m));
  CHECK(ok);
  mysql_close(m);
}

TEST_CASE("caching_sha2_password over TLS sends the password inside TLS", "[auth][sha2][tls]") {
  if (!env().sha2_user) ITEST_SKIP("CW_SHA2_USER not set");
  if (!env().tls) ITEST_SKIP("CW_TLS is not 1");
  Options o = sha2_options();
  o.tls = true;
  o.ca = env().ca;
  Conn c(o);
  INFO(c.error());
  REQUIRE(c.ok());
  CHECK(mysql_get_ssl_cipher(c.get()) != nullptr);
  CHECK(starts_with(current_user(c.get()), *env().sha2_user + "@"));
}

TEST_CASE("caching_sha2_password: repeated connections succeed (fast path once cached)",
          "[auth][sha2]") {
  if (!env().sha2_user) ITEST_SKIP("CW_SHA2_USER not set");
  for (int i = 0; i < 3; ++i) {
    Conn c(sha2_options());
    INFO("attempt " << i << ": " << c.error());
    REQUIRE(c.ok());
    CHECK(scalar(c.get(), "SELECT 1") == "1");
  }
}

TEST_CASE("caching_sha2_password wrong password is refused with 1045", "[auth][sha2]") {
  if (!env().sha2_user) ITEST_SKIP("CW_SHA2_USER not set");
  Options o = sha2_options();
  o.password = "wrong-sha2-password";
  Conn c(o);
  REQUIRE_FALSE(c.ok());
  CHECK(c.err() == ER_ACCESS_DENIED_ERROR);
  CHECK(c.sqlstate() == "28000");
}

TEST_CASE("TLS connection negotiates a cipher and carries queries", "[tls]") {
  if (!env().tls) ITEST_SKIP("CW_TLS is not 1");
  Options o = app_options();
  o.tls = true;
  o.ca = env().ca;
  Conn c(o);
  INFO(c.error());
  REQUIRE(c.ok());
  const char* cipher = mysql_get_ssl_cipher(c.get());
  REQUIRE(cipher != nullptr);
  CHECK(std::string(cipher).size() > 0);
  CHECK(scalar(c.get(), "SELECT REPEAT('t', 3)") == "ttt");
}

TEST_CASE("TLS server certificate verifies against CW_CA", "[tls]") {
  if (!env().tls) ITEST_SKIP("CW_TLS is not 1");
  if (!env().ca) ITEST_SKIP("CW_CA not set: no certificate verification possible");
  Options o = app_options();
  o.tls = true;
  o.ca = env().ca;
  Conn c(o);
  INFO(c.error());
  REQUIRE(c.ok());
  CHECK(mysql_get_ssl_cipher(c.get()) != nullptr);
}

TEST_CASE("TLS verification against a CA that did not sign the certificate fails",
          "[tls]") {
  if (!env().tls) ITEST_SKIP("CW_TLS is not 1");
  if (!env().wrong_ca) ITEST_SKIP("CW_WRONG_CA not set");
  Options o = app_options();
  o.tls = true;
  o.ca = env().wrong_ca;
  Conn c(o);
  REQUIRE_FALSE(c.ok());
  INFO(c.error());
  CHECK(c.err() >= 2000);  // a client-side (CR_*) TLS error, not a server ERR
}

TEST_CASE("plain connection without TLS options stays unencrypted", "[tls]") {
  Conn c(app_options());
  REQUIRE(c.ok());
  CHECK(mysql_get_ssl_cipher(c.get()) == nullptr);
}

}  // namespace itest

// account_discovery: which mysql.user rows causeway can verify, and host patterns.
#include <catch2/catch.hpp>

#include "proxy/accounts.hpp"

namespace px = causeway::proxy;
using Row = causeway::replication::Row;

TEST_CASE("account hosts admit clients as the server's patterns do", "[accounts]") {
  CHECK(px::host_matches("%", "10.1.2.3"));
  CHECK(px::host_matches("localhost", "127.0.0.1"));
  CHECK(px::host_matches("localhost", "::1"));
  CHECK_FALSE(px::host_matches("localhost", "10.1.2.3"));
  CHECK(px::host_matches("10.1.%", "10.1.2.3"));
  CHECK_FALSE(px::host_matches("10.1.%", "10.10.2.3"));
  CHECK(px::host_matches("10.1.2._", "10.1.2.3"));
  CHECK_FALSE(px::host_matches("10.1.2._", "10.1.2.33"));
  CHECK(px::host_matches("10.1.2.3", "10.1.2.3"));
  CHECK(px::host_matches("10.1.0.0/255.255.0.0", "10.1.200.3"));
  CHECK_FALSE(px::host_matches("10.1.0.0/255.255.0.0", "10.2.0.3"));
  CHECK_FALSE(px::host_matches("db.example.com", "10.1.2.3"));
}

TEST_CASE("only mysql_native_password accounts are kept, most specific host first", "[accounts]") {
  const std::string hash = "*5BCB3E6AC345B435C7C2E6B7949A04CE6F6563D3";
  const std::vector<Row> rows = {
      {"app", "%", "mysql_native_password", hash},
      {"app", "10.1.%", "mysql_native_password", hash},
      {"app", "10.1.2.3", "mysql_native_password", hash},
      {"nopw", "%", "mysql_native_password", ""},
      {"ed", "%", "ed25519", "ZIgUREUg5PVgQ6LskhXmO+eZLS0nC8be6HPjYWR4YJY"},
      {"sha2", "%", "caching_sha2_password", "$A$005$abc"},
      {"bad", "%", "mysql_native_password", "not-a-hash"},
      {"tls", "%", "mysql_native_password", hash, "ANY"},
  };
  const px::AccountMap accounts = px::parse_accounts(rows);
  REQUIRE(accounts.count("app") == 1);
  const auto& app = accounts.at("app");
  REQUIRE(app.size() == 3);
  CHECK(app[0].host == "10.1.2.3");
  CHECK(app[1].host == "10.1.%");
  CHECK(app[2].host == "%");
  CHECK(app[0].double_sha1.has_value());
  REQUIRE(accounts.count("nopw") == 1);
  CHECK_FALSE(accounts.at("nopw")[0].double_sha1);
  CHECK(accounts.count("ed") == 0);
  CHECK(accounts.count("sha2") == 0);
  CHECK(accounts.count("bad") == 0);
  CHECK(accounts.at("tls")[0].require_tls);
  CHECK_FALSE(accounts.at("app")[0].require_tls);
}

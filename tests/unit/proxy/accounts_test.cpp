// account_discovery: which mysql.user rows causeway can verify, and host patterns.
#include <catch2/catch.hpp>

#include "proxy/accounts.hpp"

namespace px = causeway::proxy;
using Row = causeway::replication::Row;

TEST_CASE("account hosts admit clients as the server's patterns do", "[accounts]") {
  CHECK(px::host_matches("%", "10.1.2.3"));
  // Names are not resolved; localhost would be causeway's own host, not the server's.
  CHECK_FALSE(px::host_matches("localhost", "127.0.0.1"));
  CHECK_FALSE(px::host_matches("localhost", "::1"));
  CHECK(px::host_matches("10.1.%", "10.1.2.3"));
  CHECK_FALSE(px::host_matches("10.1.%", "10.10.2.3"));
  CHECK(px::host_matches("10.1.2._", "10.1.2.3"));
  CHECK_FALSE(px::host_matches("10.1.2._", "10.1.2.33"));
  CHECK(px::host_matches("10.1.2.3", "10.1.2.3"));
  CHECK(px::host_matches("10.1.0.0/255.255.0.0", "10.1.200.3"));
  CHECK_FALSE(px::host_matches("10.1.0.0/255.255.0.0", "10.2.0.3"));
  // The server's rule: the address under the mask must be the network itself.
  CHECK_FALSE(px::host_matches("10.1.0.5/255.255.0.0", "10.1.200.3"));
  CHECK(px::host_matches("10.1.0.0/16", "10.1.200.3"));
  CHECK_FALSE(px::host_matches("10.1.0.0/16", "10.2.0.3"));
  CHECK(px::host_matches("fe80::%", "fe80::1"));
  CHECK_FALSE(px::host_matches("db.example.com", "10.1.2.3"));
}

TEST_CASE("accounts causeway cannot verify are kept as refusals, most specific host first", "[accounts]") {
  const std::string hash = "*5BCB3E6AC345B435C7C2E6B7949A04CE6F6563D3";
  const std::vector<Row> rows = {
      {"app", "%", "mysql_native_password", hash, ""},
      {"app", "10.1.%", "ed25519", "ZIgUREUg5PVgQ6LskhXmO+eZLS0nC8be6HPjYWR4YJY", ""},
      {"app", "10.1.2.3", "mysql_native_password", hash, ""},
      {"nopw", "%", "mysql_native_password", "", ""},
      {"old", "%", "", "", ""},
      {"sha2", "%", "caching_sha2_password", "$A$005$abc", ""},
      {"bad", "%", "mysql_native_password", "not-a-hash", ""},
      {"tls", "%", "mysql_native_password", hash, "ANY"},
      {"x509", "%", "mysql_native_password", hash, "X509"},
  };
  const px::AccountMap accounts = px::parse_accounts(rows);
  const auto& app = accounts.at("app");
  REQUIRE(app.size() == 3);
  CHECK(app[0].host == "10.1.2.3");
  CHECK(app[0].usable);
  CHECK(app[1].host == "10.1.%");
  CHECK_FALSE(app[1].usable);  // a client it admits is refused, not checked against app@'%'
  CHECK(app[2].host == "%");
  CHECK(app[2].usable);
  // No verifiable hash: an empty one may hide a password kept elsewhere.
  CHECK_FALSE(accounts.at("nopw")[0].usable);
  CHECK_FALSE(accounts.at("old")[0].usable);
  CHECK_FALSE(accounts.at("sha2")[0].usable);
  CHECK_FALSE(accounts.at("bad")[0].usable);
  CHECK(accounts.at("tls")[0].usable);
  CHECK(accounts.at("tls")[0].require_tls);
  CHECK_FALSE(accounts.at("x509")[0].usable);  // causeway does not check client certificates
}

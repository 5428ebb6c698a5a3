// Connection phase: greeting, HandshakeResponse41, COM_CHANGE_USER and auth switch, decoded
// from real captures, re-encoded, and decoded from every truncation of those captures.
#include <catch2/catch.hpp>

#include "proxy/protocol/auth.hpp"
#include "proxy/protocol/errors.hpp"
#include "proxy/protocol/packets.hpp"
#include "tests/unit/protocol/captures.hpp"
#include "tests/unit/protocol/test_util.hpp"

namespace pr = causeway::protocol;
namespace cap = causeway::protocol::test::captures;
using causeway::protocol::test::Buffer;
using causeway::protocol::test::bytes_of;
using causeway::protocol::test::parse_attrs;
using causeway::protocol::test::payload_of;
using causeway::protocol::test::prefix;
using causeway::protocol::test::starts_with;
using causeway::protocol::test::str;
using namespace causeway::protocol::test::negotiated;

namespace {

void check_same(const pr::Handshake& a, const pr::Handshake& b) {
  CHECK(a.protocol_version == b.protocol_version);
  CHECK(a.server_version == b.server_version);
  CHECK(a.connection_id == b.connection_id);
  CHECK(a.nonce == b.nonce);
  CHECK(a.capabilities == b.capabilities);
  CHECK(a.mariadb_capabilities == b.mariadb_capabilities);
  CHECK(a.charset == b.charset);
  CHECK(a.status_flags == b.status_flags);
  CHECK(a.auth_plugin == b.auth_plugin);
}

void check_same(const pr::HandshakeResponse& a, const pr::HandshakeResponse& b) {
  CHECK(a.capabilities == b.capabilities);
  CHECK(a.max_packet_size == b.max_packet_size);
  CHECK(a.charset == b.charset);
  CHECK(a.mariadb_capabilities == b.mariadb_capabilities);
  CHECK(a.username == b.username);
  CHECK(a.auth_response == b.auth_response);
  CHECK(a.database == b.database);
  CHECK(a.auth_plugin == b.auth_plugin);
  CHECK(a.connect_attrs == b.connect_attrs);
}

}  // namespace

// --- Handshake ---------------------------------------------------------------------------

TEST_CASE("A MariaDB 10.11 greeting decodes to its fields") {
  const Buffer p = payload_of(cap::greeting);
  pr::Handshake h;
  REQUIRE(!pr::decode_handshake(p, h));
  CHECK(h.protocol_version == 10);
  CHECK(h.server_version == "5.5.5-10.11.19-MariaDB-0+deb12u1-log");
  CHECK(h.connection_id == 11);
  CHECK(str(h.nonce) == "7>rFDdJ$s8]LDRMjN)!h");
  CHECK(h.capabilities == 0x81fff7fe);
  CHECK_FALSE(h.capabilities & pr::cap::long_password);  // CLIENT_MYSQL off: a MariaDB server
  CHECK(h.capabilities & pr::cap::deprecate_eof);
  CHECK(h.mariadb_capabilities == 0x1d);
  CHECK(h.charset == 8);
  CHECK(h.status_flags == pr::status::autocommit);
  CHECK(h.auth_plugin == "mysql_native_password");
}

TEST_CASE("Encoding a decoded MariaDB greeting gives back the captured bytes") {
  for (auto capture : {cap::greeting, cap::greeting_for_pymysql}) {
    const Buffer p = payload_of(capture);
    pr::Handshake h;
    REQUIRE(!pr::decode_handshake(p, h));
    Buffer out;
    pr::encode_handshake(h, out);
    CHECK(out == p);
  }
}

TEST_CASE("A handshake causeway builds decodes to the same fields") {
  pr::Handshake h;
  h.server_version = "8.0.36-causeway";
  h.connection_id = 0xdeadbeef;
  for (std::size_t i = 0; i < h.nonce.size(); ++i) h.nonce[i] = static_cast<std::uint8_t>(0x21 + i);
  h.capabilities = 0x01afa28f | pr::cap::ssl;
  h.status_flags = pr::status::autocommit;
  h.auth_plugin = pr::caching_sha2_plugin;
  Buffer out;
  pr::encode_handshake(h, out);
  pr::Handshake back;
  back.auth_plugin = "stale";
  REQUIRE(!pr::decode_handshake(out, back));
  check_same(back, h);
}

TEST_CASE("A greeting with another protocol version is unsupported") {
  Buffer p = payload_of(cap::greeting);
  p[0] = 9;
  pr::Handshake h;
  CHECK(pr::decode_handshake(p, h) == pr::errc::unsupported_protocol);
}

TEST_CASE("Every truncation of a greeting fails, except the pre-4.1 short form and a cut plugin name") {
  const Buffer p = payload_of(cap::greeting);
  pr::Handshake full;
  REQUIRE(!pr::decode_handshake(p, full));
  const std::size_t short_end = 1 + full.server_version.size() + 1 + 4 + 8 + 1 + 2;
  const std::size_t part2_end = short_end + 16 + 13;
  for (std::size_t n = 0; n < p.size(); ++n) {
    INFO("prefix " << n);
    pr::Handshake h;
    const auto ec = pr::decode_handshake(prefix(p, n), h);
    if (n == short_end) {
      CHECK(!ec);  // capabilities were the last field before protocol 4.1
    } else if (n >= part2_end) {
      REQUIRE(!ec);  // the plugin name may lack its NUL: servers are lax
      CHECK(starts_with(full.auth_plugin, h.auth_plugin));
    } else {
      CHECK(ec);
    }
  }
}

// --- HandshakeResponse ----------------------------------------------------------------------

TEST_CASE("libmariadb's HandshakeResponse41 decodes with db, attrs and MariaDB capabilities") {
  const Buffer p = payload_of(cap::login_libmariadb);
  pr::HandshakeResponse r;
  REQUIRE(!pr::decode_handshake_response(p, r));
  CHECK(r.capabilities == 0x00bfa28c);
  CHECK(r.max_packet_size == 0x100000);
  CHECK(r.charset == 33);
  CHECK(r.mariadb_capabilities == 0x1d);
  CHECK(r.username == "app");
  CHECK(r.auth_response.size() == 20);
  CHECK(r.database == "shop");
  CHECK(r.auth_plugin == "mysql_native_password");
  const auto attrs = parse_attrs(r.connect_attrs);
  REQUIRE(attrs.size() == 7);
  CHECK(attrs[0] == std::pair<std::string, std::string>{"_os", "Linux"});
  CHECK(attrs[1] == std::pair<std::string, std::string>{"_client_name", "libmariadb"});
  CHECK(attrs[3] == std::pair<std::string, std::string>{"_client_version", "3.3.20"});
  CHECK(attrs[5] == std::pair<std::string, std::string>{"program_name", "mysql"});
}

TEST_CASE("An auth response starting with a NUL byte survives the length prefix") {
  const Buffer p = payload_of(cap::login_libmariadb_mysql);
  pr::HandshakeResponse r;
  REQUIRE(!pr::decode_handshake_response(p, r));
  CHECK(r.capabilities & pr::cap::long_password);  // CLIENT_MYSQL: no MariaDB extensions asked
  CHECK(r.mariadb_capabilities == 0);
  REQUIRE(r.auth_response.size() == 20);
  CHECK(r.auth_response[0] == '\0');
  CHECK(r.database == "shop");
}

TEST_CASE("PyMySQL's HandshakeResponse41 decodes with db and program_name") {
  const Buffer p = payload_of(cap::login_pymysql);
  pr::HandshakeResponse r;
  REQUIRE(!pr::decode_handshake_response(p, r));
  CHECK(r.capabilities == caps_pymysql);
  CHECK(r.max_packet_size == 0xffffff);
  CHECK(r.charset == 45);
  CHECK(r.username == "app");
  CHECK(r.auth_response.size() == 20);
  CHECK(r.database == "shop");
  CHECK(r.auth_plugin == "mysql_native_password");
  const auto attrs = parse_attrs(r.connect_attrs);
  REQUIRE(attrs.size() == 4);
  CHECK(attrs[0] == std::pair<std::string, std::string>{"_client_name", "pymysql"});
  CHECK(attrs[2] == std::pair<std::string, std::string>{"_client_version", "1.0.2"});
  CHECK(attrs[3] == std::pair<std::string, std::string>{"program_name", "capture"});
}

TEST_CASE("Encoding a decoded HandshakeResponse41 gives back the client's bytes") {
  for (auto capture : {cap::login_libmariadb, cap::login_libmariadb_mysql, cap::login_pymysql}) {
    const Buffer p = payload_of(capture);
    pr::HandshakeResponse r;
    REQUIRE(!pr::decode_handshake_response(p, r));
    Buffer out;
    pr::encode_handshake_response(r, out);
    CHECK(out == p);
  }
}

TEST_CASE("A HandshakeResponse41 causeway builds decodes to the same fields") {
  pr::HandshakeResponse r;
  r.max_packet_size = 1u << 30;
  r.username = "app";
  r.auth_response = std::string("\x00\x01\xfe\xff", 4) + std::string(16, 'x');
  r.database = "shop";
  r.auth_plugin = "mysql_native_password";
  r.connect_attrs = std::string("\x04_pid\x03" "123", 9);
  const pr::Caps base = pr::cap::protocol_41 | pr::cap::secure_connection | pr::cap::long_password;
  for (const pr::Caps extra : {pr::Caps{0}, pr::cap::plugin_auth_lenenc_data,
                               pr::cap::connect_with_db | pr::cap::plugin_auth | pr::cap::connect_attrs,
                               pr::cap::connect_with_db | pr::cap::plugin_auth | pr::cap::connect_attrs |
                                   pr::cap::plugin_auth_lenenc_data}) {
    pr::HandshakeResponse want = r;
    want.capabilities = base | extra;
    if (!(extra & pr::cap::connect_with_db)) want.database.clear();
    if (!(extra & pr::cap::plugin_auth)) want.auth_plugin.clear();
    if (!(extra & pr::cap::connect_attrs)) want.connect_attrs.clear();
    Buffer out;
    pr::encode_handshake_response(want, out);
    pr::HandshakeResponse back;
    back.database = back.auth_plugin = back.connect_attrs = "stale";
    REQUIRE(!pr::decode_handshake_response(out, back));
    check_same(back, want);
  }
}

TEST_CASE("Without CLIENT_SECURE_CONNECTION the auth response is NUL-terminated both ways") {
  // What a pre-4.1.1-auth client sends, and what a server expects from causeway on its behalf
  // (found by fuzz_handshake_response: the encoder wrote a length byte instead).
  pr::HandshakeResponse r;
  r.capabilities = pr::cap::protocol_41 | pr::cap::connect_with_db;
  r.max_packet_size = 0xffffff;
  r.username = "app";
  r.auth_response = "scrambled";
  r.database = "shop";
  Buffer out;
  pr::encode_handshake_response(r, out);
  CHECK(Buffer(out.begin() + 32, out.end()) == bytes_of(std::string_view("app\0scrambled\0shop\0", 19)));
  pr::HandshakeResponse back;
  REQUIRE(!pr::decode_handshake_response(out, back));
  check_same(back, r);
}

TEST_CASE("A long auth response needs CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA and round-trips with it") {
  pr::HandshakeResponse r;
  r.capabilities = pr::cap::protocol_41 | pr::cap::secure_connection | pr::cap::plugin_auth_lenenc_data;
  r.username = "u";
  r.auth_response = std::string(300, '\x5a');  // e.g. an RSA-encrypted password
  Buffer out;
  pr::encode_handshake_response(r, out);
  pr::HandshakeResponse back;
  REQUIRE(!pr::decode_handshake_response(out, back));
  CHECK(back.auth_response == r.auth_response);
}

TEST_CASE("The SSLRequest is the first 32 bytes of the HandshakeResponse41") {
  const Buffer p = payload_of(cap::login_pymysql);
  pr::HandshakeResponse r;
  REQUIRE(!pr::decode_handshake_response(p, r));
  Buffer ssl;
  pr::encode_ssl_request(r, ssl);
  REQUIRE(ssl.size() == pr::ssl_request_size);
  CHECK(ssl == prefix(p, 32));
}

TEST_CASE("A HandshakeResponse without CLIENT_PROTOCOL_41 is unsupported") {
  Buffer p = payload_of(cap::login_pymysql);
  p[1] &= static_cast<std::uint8_t>(~(pr::cap::protocol_41 >> 8));
  pr::HandshakeResponse r;
  CHECK(pr::decode_handshake_response(p, r) == pr::errc::unsupported_protocol);
}

TEST_CASE("Every truncation of a HandshakeResponse41 fails before the auth data ends and inside the attrs") {
  for (auto capture : {cap::login_libmariadb, cap::login_pymysql}) {
    const Buffer p = payload_of(capture);
    pr::HandshakeResponse full;
    REQUIRE(!pr::decode_handshake_response(p, full));
    const std::size_t auth_end = 32 + full.username.size() + 1 + 1 + full.auth_response.size();
    const std::size_t plugin_end = auth_end + full.database.size() + 1 + full.auth_plugin.size() + 1;
    for (std::size_t n = 0; n < p.size(); ++n) {
      INFO("prefix " << n);
      pr::HandshakeResponse r;
      const auto ec = pr::decode_handshake_response(prefix(p, n), r);
      if (n < auth_end || n > plugin_end) {
        CHECK(ec);
      } else {
        // Database and plugin name may lack their NUL (read to the end): lax like servers.
        REQUIRE(!ec);
        CHECK(starts_with(full.database, r.database));
        CHECK(starts_with(full.auth_plugin, r.auth_plugin));
        CHECK(r.connect_attrs.empty());
      }
    }
  }
}

// --- COM_CHANGE_USER ------------------------------------------------------------------------

TEST_CASE("libmariadb's COM_CHANGE_USER decodes with db, charset, plugin and attrs") {
  const Buffer p = payload_of(cap::change_user);
  pr::ChangeUser cu;
  REQUIRE(!pr::decode_change_user(p, caps_capture_stmt, cu));
  CHECK(cu.username == "app");
  CHECK(cu.auth_response.size() == 20);
  CHECK(cu.database == "mysql");
  CHECK(cu.charset == 45);
  CHECK(cu.auth_plugin == "mysql_native_password");
  const auto attrs = parse_attrs(cu.connect_attrs);
  REQUIRE(attrs.size() == 6);
  CHECK(attrs[1] == std::pair<std::string, std::string>{"_client_name", "libmariadb"});
}

TEST_CASE("A COM_CHANGE_USER without the optional tail leaves charset, plugin and attrs empty") {
  const Buffer p = payload_of(cap::change_user);
  pr::ChangeUser cu;
  cu.auth_plugin = cu.connect_attrs = "stale";
  const std::size_t db_end = 1 + 4 + 1 + 20 + 6;
  REQUIRE(!pr::decode_change_user(prefix(p, db_end), caps_capture_stmt, cu));
  CHECK(cu.database == "mysql");
  CHECK(cu.charset == 0);
  CHECK(cu.auth_plugin.empty());
  CHECK(cu.connect_attrs.empty());
}

TEST_CASE("Truncations of COM_CHANGE_USER fail before the auth data ends and inside the attrs") {
  const Buffer p = payload_of(cap::change_user);
  const std::size_t auth_end = 1 + 4 + 1 + 20;
  const std::size_t plugin_end = auth_end + 6 + 2 + 22;
  for (std::size_t n = 0; n < p.size(); ++n) {
    INFO("prefix " << n);
    pr::ChangeUser cu;
    const auto ec = pr::decode_change_user(prefix(p, n), caps_capture_stmt, cu);
    if (n < auth_end || n > plugin_end) CHECK(ec);
  }
  Buffer wrong = p;
  wrong[0] = 0x03;
  pr::ChangeUser cu;
  CHECK(pr::decode_change_user(wrong, caps_capture_stmt, cu));
}

// --- Auth switch ----------------------------------------------------------------------------

TEST_CASE("An auth switch decodes to plugin and nonce and re-encodes to the server's bytes") {
  const Buffer p = payload_of(cap::change_user_auth_switch);
  pr::AuthSwitch sw;
  REQUIRE(!pr::decode_auth_switch(p, sw));
  CHECK(sw.plugin == "mysql_native_password");
  CHECK(sw.data.size() == 20);
  Buffer out;
  pr::encode_auth_switch(sw, out);
  CHECK(out == p);
  for (std::size_t n = 0; n < 1 + sw.plugin.size() + 1; ++n) {
    pr::AuthSwitch cut;
    CHECK(pr::decode_auth_switch(prefix(p, n), cut));
  }
  CHECK(pr::decode_auth_switch(Buffer{0xfe}, sw) == pr::errc::unsupported_protocol);
}

TEST_CASE("encode_auth_more_data prefixes 0x01") {
  Buffer out;
  const Buffer data{pr::auth::sha2_fast_auth_success};
  pr::encode_auth_more_data(data, out);
  CHECK(out == Buffer{0x01, 0x03});
}

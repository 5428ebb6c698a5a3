// Authentication arithmetic against independently computed vectors and real logins.
#include <catch2/catch.hpp>

#include <cctype>

#include "proxy/protocol/auth.hpp"
#include "proxy/protocol/packets.hpp"
#include "tests/unit/protocol/captures.hpp"
#include "tests/unit/protocol/test_util.hpp"

namespace pr = causeway::protocol;
namespace auth = causeway::protocol::auth;
namespace cap = causeway::protocol::test::captures;
using causeway::protocol::test::Buffer;
using causeway::protocol::test::buf;
using causeway::protocol::test::bytes_of;
using causeway::protocol::test::hex;
using causeway::protocol::test::payload_of;

namespace {

// A fixed nonce 01 02 ... 14; the expected values below were computed with Python's hashlib:
//   s1 = sha1(b"app"); mask = sha1(nonce + sha1(s1)); native = s1 XOR mask
//   s1 = sha256(b"app"); mask = sha256(sha256(s1) + nonce); sha2 = s1 XOR mask
Buffer fixed_nonce() {
  Buffer n(20);
  for (std::size_t i = 0; i < n.size(); ++i) n[i] = static_cast<std::uint8_t>(i + 1);
  return n;
}
constexpr std::string_view native_app = "12328035ee495da7a700c0f172e911706641abc5";
constexpr std::string_view sha1_app = "7d1043473d55bfa90e8530d35801d4e381bc69f0";
constexpr std::string_view sha2_app = "589cc07410973684546efd93ae82848ddc37b9eb72956fe2ff78156d25251073";
// SELECT PASSWORD('app') on MariaDB 10.11.19.
constexpr std::string_view mariadb_password_app = "*5BCB3E6AC345B435C7C2E6B7949A04CE6F6563D3";

Buffer as_buffer(std::string_view s) { return bytes_of(s); }

}  // namespace

TEST_CASE("native_scramble matches an independently computed vector") {
  const Buffer nonce = fixed_nonce();
  CHECK(as_buffer(auth::native_scramble("app", nonce)) == hex(native_app));
  const auto s = auth::native_scramble_from_sha1(auth::sha1(bytes_of("app")), nonce);
  CHECK(buf(s) == hex(native_app));
}

TEST_CASE("native_scramble ignores the NUL servers append to the nonce and is empty without a password") {
  Buffer nonce = fixed_nonce();
  nonce.push_back(0);
  CHECK(as_buffer(auth::native_scramble("app", nonce)) == hex(native_app));
  CHECK(auth::native_scramble("", nonce).empty());
}

TEST_CASE("parse_native_hash reads MariaDB's PASSWORD() output as SHA1(SHA1(password))") {
  const auto h = auth::parse_native_hash(mariadb_password_app);
  REQUIRE(h);
  CHECK(*h == auth::sha1(auth::sha1(bytes_of("app"))));
  CHECK(auth::format_native_hash(*h) == mariadb_password_app);
  std::string lower(mariadb_password_app);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  CHECK(auth::parse_native_hash(lower) == h);
}

TEST_CASE("parse_native_hash refuses anything but a star and 40 hex digits") {
  CHECK_FALSE(auth::parse_native_hash(""));
  CHECK_FALSE(auth::parse_native_hash(mariadb_password_app.substr(1)));         // no star
  CHECK_FALSE(auth::parse_native_hash(mariadb_password_app.substr(0, 40)));     // short
  CHECK_FALSE(auth::parse_native_hash(std::string(mariadb_password_app) + "0"));  // long
  std::string bad(mariadb_password_app);
  bad[7] = 'g';
  CHECK_FALSE(auth::parse_native_hash(bad));
  CHECK_FALSE(auth::parse_native_hash("*" + std::string(40, ' ')));
}

TEST_CASE("native_verify recovers SHA1(password) from a scramble and rejects a wrong one") {
  const Buffer nonce = fixed_nonce();
  const auto stored = *auth::parse_native_hash(mariadb_password_app);
  const auto sha1_pw = auth::native_verify(hex(native_app), nonce, stored);
  REQUIRE(sha1_pw);
  CHECK(buf(*sha1_pw) == hex(sha1_app));

  CHECK_FALSE(auth::native_verify(as_buffer(auth::native_scramble("App", nonce)), nonce, stored));
  Buffer other_nonce = nonce;
  other_nonce[0] ^= 1;
  CHECK_FALSE(auth::native_verify(hex(native_app), other_nonce, stored));
  CHECK_FALSE(auth::native_verify(Buffer(19, 0), nonce, stored));
  CHECK_FALSE(auth::native_verify(Buffer{}, nonce, stored));
}

TEST_CASE("native_verify accepts the scrambles real clients sent for password 'app'") {
  const auto stored = *auth::parse_native_hash(mariadb_password_app);
  struct Login {
    std::string_view greeting;
    std::string_view response;
  };
  for (const Login l : {Login{cap::greeting, cap::login_libmariadb}, Login{cap::greeting_for_pymysql, cap::login_pymysql}}) {
    pr::Handshake h;
    REQUIRE(!pr::decode_handshake(payload_of(l.greeting), h));
    pr::HandshakeResponse r;
    REQUIRE(!pr::decode_handshake_response(payload_of(l.response), r));
    const auto sha1_pw = auth::native_verify(bytes_of(r.auth_response), h.nonce, stored);
    REQUIRE(sha1_pw);
    CHECK(buf(*sha1_pw) == hex(sha1_app));
    // What causeway sends a backend from SHA1(password) alone is what the client sent.
    CHECK(buf(auth::native_scramble_from_sha1(*sha1_pw, h.nonce)) == bytes_of(r.auth_response));
  }
}

TEST_CASE("native_verify accepts libmariadb's answer to a COM_CHANGE_USER auth switch") {
  pr::AuthSwitch sw;
  REQUIRE(!pr::decode_auth_switch(payload_of(cap::change_user_auth_switch), sw));
  const Buffer answer = payload_of(cap::change_user_auth_response);
  CHECK(auth::native_verify(answer, bytes_of(sw.data), *auth::parse_native_hash(mariadb_password_app)));
}

TEST_CASE("sha2_scramble matches an independently computed vector and sha2_verify checks it") {
  const Buffer nonce = fixed_nonce();
  const std::string s = auth::sha2_scramble("app", nonce);
  CHECK(as_buffer(s) == hex(sha2_app));
  CHECK(buf(auth::sha2_scramble_from_sha256(auth::sha256(bytes_of("app")), nonce)) == hex(sha2_app));
  CHECK(auth::sha2_verify(bytes_of(s), nonce, "app"));
  CHECK_FALSE(auth::sha2_verify(bytes_of(s), nonce, "App"));
  Buffer other_nonce = nonce;
  other_nonce[19] ^= 0x80;
  CHECK_FALSE(auth::sha2_verify(bytes_of(s), other_nonce, "app"));
  CHECK_FALSE(auth::sha2_verify(Buffer(31, 0), nonce, "app"));
}

TEST_CASE("An empty password has an empty caching_sha2 scramble") {
  const Buffer nonce = fixed_nonce();
  CHECK(auth::sha2_scramble("", nonce).empty());
  CHECK(auth::sha2_verify(Buffer{}, nonce, ""));
  CHECK_FALSE(auth::sha2_verify(hex(sha2_app), nonce, ""));
}

TEST_CASE("An RSA-encrypted password decrypts back with the same nonce") {
  const auto key = auth::RsaKey::generate(2048);
  REQUIRE(key);
  CHECK(key->public_pem().find("-----BEGIN PUBLIC KEY-----") == 0);
  const Buffer nonce = fixed_nonce();
  for (const std::string& password : {std::string("app"), std::string(45, 'p'), std::string("s\xc3\xa9same")}) {
    const auto cipher = auth::rsa_encrypt_password(key->public_pem(), password, nonce);
    REQUIRE(cipher);
    CHECK(cipher->size() == 256);
    CHECK(key->decrypt_password(bytes_of(*cipher), nonce) == password);
  }
  SECTION("another nonce gives another password") {
    const auto cipher = auth::rsa_encrypt_password(key->public_pem(), "app", nonce);
    Buffer other = nonce;
    other[0] ^= 0x55;
    CHECK(key->decrypt_password(bytes_of(*cipher), other) != std::optional<std::string>("app"));
  }
  SECTION("garbage does not decrypt") {
    CHECK_FALSE(key->decrypt_password(Buffer(256, 0x41), nonce));
    CHECK_FALSE(key->decrypt_password(Buffer{}, nonce));
  }
  SECTION("a bad PEM does not encrypt") {
    CHECK_FALSE(auth::rsa_encrypt_password("not a key", "app", nonce));
  }
}

TEST_CASE("equal_secret compares contents and sizes") {
  CHECK(auth::equal_secret(bytes_of("abc"), bytes_of("abc")));
  CHECK_FALSE(auth::equal_secret(bytes_of("abc"), bytes_of("abd")));
  CHECK_FALSE(auth::equal_secret(bytes_of("abc"), bytes_of("ab")));
  CHECK(auth::equal_secret(Buffer{}, Buffer{}));
}

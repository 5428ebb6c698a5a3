// Authentication plugin arithmetic: mysql_native_password and caching_sha2_password on both
// sides of the proxy. Pure functions over bytes (OpenSSL for the hashes and RSA).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/protocol/wire.hpp"

namespace causeway::protocol::auth {

using Sha1 = std::array<std::uint8_t, 20>;
using Sha256 = std::array<std::uint8_t, 32>;

Sha1 sha1(Bytes data);
Sha256 sha256(Bytes data);

// --- mysql_native_password: SHA1(pw) XOR SHA1(nonce || SHA1(SHA1(pw))) ---
Sha1 native_scramble_from_sha1(const Sha1& sha1_password, Bytes nonce);
std::string native_scramble(std::string_view password, Bytes nonce);  // empty for empty password
// Parses "*" + 40 hex digits (what mysql.user stores) into SHA1(SHA1(pw)).
std::optional<Sha1> parse_native_hash(std::string_view text);
std::string format_native_hash(const Sha1& double_sha1);  // "*HEX"
// Checks a client's response against the stored double hash; on success returns
// SHA1(password), which is enough to answer a backend's native challenge.
std::optional<Sha1> native_verify(Bytes response, Bytes nonce, const Sha1& double_sha1);

// --- caching_sha2_password: SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) || nonce) ---
std::string sha2_scramble(std::string_view password, Bytes nonce);  // empty for empty password
Sha256 sha2_scramble_from_sha256(const Sha256& sha256_password, Bytes nonce);
bool sha2_verify(Bytes response, Bytes nonce, std::string_view password);

// caching_sha2_password's one-byte messages inside AuthMoreData (0x01) packets.
inline constexpr std::uint8_t sha2_request_public_key = 0x02;
inline constexpr std::uint8_t sha2_fast_auth_success = 0x03;
inline constexpr std::uint8_t sha2_perform_full_auth = 0x04;

// RSA key pair for caching_sha2_password's public-key exchange on plain connections.
class RsaKey {
 public:
  static std::shared_ptr<const RsaKey> generate(int bits = 2048);  // throws on failure
  ~RsaKey();
  RsaKey(const RsaKey&) = delete;
  RsaKey& operator=(const RsaKey&) = delete;

  const std::string& public_pem() const { return public_pem_; }
  // Decrypts a client's OAEP-encrypted (password XOR nonce) and returns the password.
  std::optional<std::string> decrypt_password(Bytes ciphertext, Bytes nonce) const;

 private:
  explicit RsaKey(void* pkey);
  void* pkey_;  // EVP_PKEY*
  std::string public_pem_;
};

// Proxy-as-client: encrypts (password + NUL) XOR nonce with a server's PEM public key.
std::optional<std::string> rsa_encrypt_password(std::string_view public_pem, std::string_view password,
                                                Bytes nonce);

// Constant-time comparison of secrets.
bool equal_secret(Bytes a, Bytes b);

}  // namespace causeway::protocol::auth

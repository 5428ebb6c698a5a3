#include "proxy/protocol/auth.hpp"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <stdexcept>
#include <vector>

namespace causeway::protocol::auth {

namespace {

template <std::size_t N>
std::array<std::uint8_t, N> xor_bytes(const std::array<std::uint8_t, N>& a, const std::array<std::uint8_t, N>& b) {
  std::array<std::uint8_t, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = a[i] ^ b[i];
  return out;
}

template <std::size_t N>
std::string to_string(const std::array<std::uint8_t, N>& a) {
  return std::string(reinterpret_cast<const char*>(a.data()), N);
}

// Only the first 20 bytes of a nonce count; servers append a NUL to it.
Bytes nonce20(Bytes nonce) { return nonce.first(std::min<std::size_t>(nonce.size(), 20)); }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Sha1 sha1(Bytes data) {
  Sha1 out{};
  SHA1(data.data(), data.size(), out.data());
  return out;
}

Sha256 sha256(Bytes data) {
  Sha256 out{};
  SHA256(data.data(), data.size(), out.data());
  return out;
}

bool equal_secret(Bytes a, Bytes b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Sha1 native_scramble_from_sha1(const Sha1& sha1_password, Bytes nonce) {
  const Sha1 double_sha1 = sha1(sha1_password);
  std::vector<std::uint8_t> buf(nonce20(nonce).begin(), nonce20(nonce).end());
  buf.insert(buf.end(), double_sha1.begin(), double_sha1.end());
  return xor_bytes(sha1_password, sha1(buf));
}

std::string native_scramble(std::string_view password, Bytes nonce) {
  if (password.empty()) return {};
  return to_string(native_scramble_from_sha1(sha1(as_bytes(password)), nonce));
}

std::optional<Sha1> parse_native_hash(std::string_view text) {
  if (text.size() != 41 || text[0] != '*') return std::nullopt;
  Sha1 out{};
  for (std::size_t i = 0; i < 20; ++i) {
    const int hi = hex_value(text[1 + 2 * i]);
    const int lo = hex_value(text[2 + 2 * i]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

std::string format_native_hash(const Sha1& double_sha1) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out = "*";
  for (std::uint8_t b : double_sha1) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::optional<Sha1> native_verify(Bytes response, Bytes nonce, const Sha1& double_sha1) {
  if (response.size() != 20) return std::nullopt;
  std::vector<std::uint8_t> buf(nonce20(nonce).begin(), nonce20(nonce).end());
  buf.insert(buf.end(), double_sha1.begin(), double_sha1.end());
  const Sha1 mask = sha1(buf);
  Sha1 candidate{};
  for (std::size_t i = 0; i < 20; ++i) candidate[i] = response[i] ^ mask[i];
  const Sha1 check = sha1(candidate);
  if (!equal_secret(check, double_sha1)) return std::nullopt;
  return candidate;
}

Sha256 sha2_scramble_from_sha256(const Sha256& stage1, Bytes nonce) {
  const Sha256 stage2 = sha256(stage1);
  std::vector<std::uint8_t> buf(stage2.begin(), stage2.end());
  buf.insert(buf.end(), nonce20(nonce).begin(), nonce20(nonce).end());
  return xor_bytes(stage1, sha256(buf));
}

std::string sha2_scramble(std::string_view password, Bytes nonce) {
  if (password.empty()) return {};
  return to_string(sha2_scramble_from_sha256(sha256(as_bytes(password)), nonce));
}

bool sha2_verify(Bytes response, Bytes nonce, std::string_view password) {
  if (password.empty()) return response.empty();
  const std::string expected = sha2_scramble(password, nonce);
  return equal_secret(response, as_bytes(expected));
}

RsaKey::RsaKey(void* pkey) : pkey_(pkey) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio, static_cast<EVP_PKEY*>(pkey_)) != 1) {
    BIO_free(bio);
    throw std::runtime_error("cannot export the RSA public key");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  public_pem_.assign(data, static_cast<std::size_t>(len));
  BIO_free(bio);
}

RsaKey::~RsaKey() { EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_)); }

std::shared_ptr<const RsaKey> RsaKey::generate(int bits) {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits));
  if (pkey == nullptr) throw std::runtime_error("cannot generate an RSA key");
  return std::shared_ptr<const RsaKey>(new RsaKey(pkey));
}

std::optional<std::string> RsaKey::decrypt_password(Bytes ciphertext, Bytes nonce) const {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(static_cast<EVP_PKEY*>(pkey_), nullptr);
  if (ctx == nullptr) return std::nullopt;
  std::optional<std::string> result;
  std::size_t out_len = 0;
  if (EVP_PKEY_decrypt_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
      EVP_PKEY_decrypt(ctx, nullptr, &out_len, ciphertext.data(), ciphertext.size()) == 1) {
    std::vector<std::uint8_t> plain(out_len);
    if (EVP_PKEY_decrypt(ctx, plain.data(), &out_len, ciphertext.data(), ciphertext.size()) == 1) {
      plain.resize(out_len);
      const Bytes n = nonce20(nonce);
      std::string password;
      for (std::size_t i = 0; i < plain.size(); ++i) {
        const auto c = static_cast<char>(plain[i] ^ (n.empty() ? 0 : n[i % n.size()]));
        if (c == '\0') break;  // the client appends a NUL before XOR-ing
        password += c;
      }
      result = std::move(password);
    }
  }
  EVP_PKEY_CTX_free(ctx);
  return result;
}

std::optional<std::string> rsa_encrypt_password(std::string_view public_pem, std::string_view password,
                                                Bytes nonce) {
  BIO* bio = BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size()));
  if (bio == nullptr) return std::nullopt;
  EVP_PKEY* pkey = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (pkey == nullptr) return std::nullopt;
  const Bytes n = nonce20(nonce);
  std::vector<std::uint8_t> plain(password.begin(), password.end());
  plain.push_back(0);
  for (std::size_t i = 0; i < plain.size(); ++i) plain[i] ^= n.empty() ? 0 : n[i % n.size()];
  std::optional<std::string> result;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(pkey, nullptr);
  std::size_t out_len = 0;
  if (ctx != nullptr && EVP_PKEY_encrypt_init(ctx) == 1 &&
      EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
      EVP_PKEY_encrypt(ctx, nullptr, &out_len, plain.data(), plain.size()) == 1) {
    std::string out(out_len, '\0');
    if (EVP_PKEY_encrypt(ctx, reinterpret_cast<unsigned char*>(out.data()), &out_len, plain.data(),
                         plain.size()) == 1) {
      out.resize(out_len);
      result = std::move(out);
    }
  }
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  return result;
}

}  // namespace causeway::protocol::auth

// Internals of the binlog decoder (binlog_event.cpp, binlog_bodies.cpp,
// binlog_compression.cpp): a bounds-checked little-endian reader whose failures become a
// DecodeError, MySQL's {type, length, value} field walk, zstd, and the body dispatch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "replication/binlog_event.hpp"

namespace causeway::replication::binlog::detail {

inline std::string to_text(Bytes bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

class Reader {
 public:
  // `base`: offset of bytes[0] in whatever the error offsets are reported against.
  Reader(Bytes bytes, std::size_t base, DecodeError& error) : bytes_(bytes), base_(base), error_(error) {}

  [[nodiscard]] std::size_t offset() const { return base_ + pos_; }
  [[nodiscard]] std::size_t left() const { return bytes_.size() - pos_; }
  [[nodiscard]] DecodeError& error() const { return error_; }
  // Callers check left() first.
  [[nodiscard]] std::uint8_t peek() const { return bytes_[pos_]; }
  [[nodiscard]] std::uint8_t peek_at(std::size_t i) const { return bytes_[pos_ + i]; }

  bool fail_at(std::size_t offset, std::string message) {
    error_.offset = offset;
    error_.message = std::move(message);
    return false;
  }
  bool fail(std::string message) { return fail_at(offset(), std::move(message)); }

  bool need(std::uint64_t n, const char* what) {
    if (n <= left()) return true;
    return fail(std::string("truncated ") + what + " (" + std::to_string(n) + " bytes needed, " +
                std::to_string(left()) + " left)");
  }

  // Little-endian unsigned of n <= 8 bytes.
  bool uint(std::size_t n, std::uint64_t& out, const char* what) {
    if (!need(n, what)) return false;
    out = 0;
    for (std::size_t i = 0; i < n; ++i) out |= std::uint64_t{bytes_[pos_ + i]} << (8 * i);
    pos_ += n;
    return true;
  }
  bool u8(std::uint8_t& out, const char* what) { return fixed(out, what); }
  bool u16(std::uint16_t& out, const char* what) { return fixed(out, what); }
  bool u32(std::uint32_t& out, const char* what) { return fixed(out, what); }
  bool u64(std::uint64_t& out, const char* what) { return uint(8, out, what); }

  // MySQL length-encoded integer (net_field_length_ll).
  bool lenenc(std::uint64_t& out, const char* what) {
    std::uint8_t first = 0;
    if (!u8(first, what)) return false;
    if (first < 0xfb) {
      out = first;
      return true;
    }
    if (first == 0xfc) return uint(2, out, what);
    if (first == 0xfd) return uint(3, out, what);
    if (first == 0xfe) return uint(8, out, what);
    return fail_at(offset() - 1, std::string("bad length-encoded ") + what);
  }

  // mysql::serialization varlen: n-1 trailing 1-bits in the first byte, value in the rest.
  bool varlen(std::uint64_t& out, const char* what) {
    if (!need(1, what)) return false;
    const std::uint8_t first = bytes_[pos_];
    std::size_t n = 1;
    while (n < 9 && ((first >> (n - 1)) & 1) != 0) ++n;
    if (!need(n, what)) return false;
    std::uint64_t rest = 0;
    for (std::size_t i = 1; i < n; ++i) rest |= std::uint64_t{bytes_[pos_ + i]} << (8 * (i - 1));
    out = n == 9 ? rest : (std::uint64_t{first} >> n) | (rest << (8 - n));
    pos_ += n;
    return true;
  }

  bool take(std::uint64_t n, Bytes& out, const char* what) {
    if (!need(n, what)) return false;
    out = bytes_.subspan(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return true;
  }

  Bytes rest() {
    Bytes out = bytes_.subspan(pos_);
    pos_ = bytes_.size();
    return out;
  }

 private:
  template <class T>
  bool fixed(T& out, const char* what) {
    std::uint64_t v = 0;
    if (!uint(sizeof(T), v, what)) return false;
    out = static_cast<T>(v);
    return true;
  }

  Bytes bytes_;
  std::size_t base_;
  DecodeError& error_;
  std::size_t pos_ = 0;
};

// MySQL's self-describing headers (TRANSACTION_PAYLOAD, HEARTBEAT_V2): {lenenc type, lenenc
// length, value} until type 0 or the end. `on_field(Reader& value, type)` reads the value it
// knows; unknown types are skipped by their length.
template <class F>
bool walk_fields(Reader& in, F&& on_field) {
  while (in.left() > 0) {
    std::uint64_t type = 0;
    std::uint64_t length = 0;
    if (!in.lenenc(type, "field type")) return false;
    if (type == 0) return true;
    Bytes value;
    if (!in.lenenc(length, "field length") || !in.take(length, value, "field value")) return false;
    Reader field(value, in.offset() - value.size(), in.error());
    if (!on_field(field, type)) return false;
  }
  return true;
}

// Decompresses zstd frames into `out`, failing when they hold more than `limit` bytes.
bool zstd_decompress(Bytes in, std::size_t limit, std::vector<std::uint8_t>& out, std::string& error);

struct Context {
  const DecoderOptions& options;
  bool mariadb = false;  // the stream's FDE names a MariaDB server
  bool inner = false;    // inside a TRANSACTION_PAYLOAD
};

// The body of any type but FORMAT_DESCRIPTION (which the Decoder reads itself, as it sets
// the checksum); `raw` is the body without header and CRC. Types it does not know are Other.
Result<Body> decode_body(const EventHeader& header, Bytes raw, const Context& ctx);

}  // namespace causeway::replication::binlog::detail

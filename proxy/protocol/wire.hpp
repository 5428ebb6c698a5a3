// Little-endian integers, length-encoded integers and strings: the protocol's primitives.
// Reader never throws: a read past the end sets ok() to false and returns zeros/empty.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace causeway::protocol {

using Bytes = std::span<const std::uint8_t>;

inline std::string_view as_string_view(Bytes b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// A 3-byte little-endian integer in place: the length fields of frame and compressed-packet
// headers.
inline std::uint32_t load_u24(const std::uint8_t* p) {
  return std::uint32_t(p[0]) | (std::uint32_t(p[1]) << 8) | (std::uint32_t(p[2]) << 16);
}
inline void store_u24(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
  p[2] = static_cast<std::uint8_t>(v >> 16);
}

class Reader {
 public:
  explicit Reader(Bytes data) : data_(data) {}

  bool ok() const { return ok_; }
  std::size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ >= data_.size(); }
  std::size_t position() const { return pos_; }
  Bytes rest() const { return data_.subspan(pos_); }

  std::uint64_t fixed(std::size_t n) {
    if (!need(n)) return 0;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t(data_[pos_ + i]) << (8 * i);
    pos_ += n;
    return v;
  }
  std::uint8_t u8() { return static_cast<std::uint8_t>(fixed(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(fixed(2)); }
  std::uint32_t u24() { return static_cast<std::uint32_t>(fixed(3)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(fixed(4)); }
  std::uint64_t u64() { return fixed(8); }

  // Length-encoded integer; 0xfb (NULL) and 0xff (invalid) fail the reader.
  std::uint64_t lenenc() {
    const std::uint8_t first = u8();
    if (!ok_) return 0;
    if (first < 0xfb) return first;
    if (first == 0xfc) return fixed(2);
    if (first == 0xfd) return fixed(3);
    if (first == 0xfe) return fixed(8);
    ok_ = false;
    return 0;
  }

  Bytes bytes(std::size_t n) {
    if (!need(n)) return {};
    Bytes out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  Bytes lenenc_bytes() {
    const std::uint64_t n = lenenc();
    if (!ok_ || n > remaining()) {
      ok_ = false;
      return {};
    }
    return bytes(static_cast<std::size_t>(n));
  }
  std::string_view lenenc_string() { return as_string_view(lenenc_bytes()); }
  // NUL-terminated string; a missing terminator fails the reader.
  std::string_view nul_string() {
    if (!ok_) return {};
    const auto* begin = data_.data() + pos_;
    const void* nul = std::memchr(begin, 0, remaining());
    if (nul == nullptr) {
      ok_ = false;
      return {};
    }
    const auto len = static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - begin);
    pos_ += len + 1;
    return {reinterpret_cast<const char*>(begin), len};
  }
  // NUL-terminated if a NUL is present, else the rest (servers are lax here).
  std::string_view nul_or_rest_string() {
    if (!ok_ || empty()) return {};
    const auto* begin = data_.data() + pos_;
    const void* nul = std::memchr(begin, 0, remaining());
    if (nul == nullptr) return as_string_view(bytes(remaining()));
    return nul_string();
  }
  std::string_view rest_string() { return as_string_view(bytes(remaining())); }
  void skip(std::size_t n) { bytes(n); }
  void fail() { ok_ = false; }

 private:
  bool need(std::size_t n) {
    if (!ok_ || n > remaining()) {
      ok_ = false;
      return false;
    }
    return true;
  }
  Bytes data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

class Writer {
 public:
  explicit Writer(std::vector<std::uint8_t>& out) : out_(out) {}

  void fixed(std::uint64_t v, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { fixed(v, 2); }
  void u24(std::uint32_t v) { fixed(v, 3); }
  void u32(std::uint32_t v) { fixed(v, 4); }
  void u64(std::uint64_t v) { fixed(v, 8); }
  void lenenc(std::uint64_t v) {
    if (v < 0xfb) {
      u8(static_cast<std::uint8_t>(v));
    } else if (v <= 0xffff) {
      u8(0xfc);
      fixed(v, 2);
    } else if (v <= 0xffffff) {
      u8(0xfd);
      fixed(v, 3);
    } else {
      u8(0xfe);
      fixed(v, 8);
    }
  }
  void bytes(Bytes b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void bytes(std::string_view s) { bytes(as_bytes(s)); }
  void zeros(std::size_t n) { out_.insert(out_.end(), n, 0); }
  void lenenc_bytes(Bytes b) {
    lenenc(b.size());
    bytes(b);
  }
  void lenenc_string(std::string_view s) { lenenc_bytes(as_bytes(s)); }
  void nul_string(std::string_view s) {
    bytes(s);
    u8(0);
  }
  std::size_t size() const { return out_.size(); }
  std::vector<std::uint8_t>& buffer() { return out_; }

 private:
  std::vector<std::uint8_t>& out_;
};

}  // namespace causeway::protocol

// Helpers for the codec tests: hex tables to bytes, and an independent (deliberately naive)
// frame splitter so that tests do not check the frame reader with itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/protocol/wire.hpp"

namespace causeway::protocol::test {

using Buffer = std::vector<std::uint8_t>;

inline Buffer hex(std::string_view text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::invalid_argument("bad hex digit");
  };
  Buffer out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ' || text[i] == '\n') {
      ++i;
      continue;
    }
    if (i + 1 >= text.size()) throw std::invalid_argument("odd number of hex digits");
    out.push_back(static_cast<std::uint8_t>(nibble(text[i]) * 16 + nibble(text[i + 1])));
    i += 2;
  }
  return out;
}

// Capabilities negotiated on the captured connections (client's flags & server's).
namespace negotiated {
inline constexpr std::uint32_t caps_libmariadb = 0x00bfa28d;    // SESSION_TRACK, no DEPRECATE_EOF
inline constexpr std::uint32_t caps_pymysql = 0x003ba28d;       // neither
inline constexpr std::uint32_t caps_raw = 0x01afa28f;           // SESSION_TRACK and DEPRECATE_EOF
inline constexpr std::uint32_t caps_capture_stmt = 0x00bea28d;  // SESSION_TRACK, no DEPRECATE_EOF
}  // namespace negotiated

inline Buffer bytes_of(std::string_view s) { return Buffer(s.begin(), s.end()); }
inline Buffer prefix(const Buffer& b, std::size_t n) {
  return Buffer(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
}
inline bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
inline std::string str(Bytes b) { return std::string(as_string_view(b)); }
inline Buffer buf(Bytes b) { return Buffer(b.begin(), b.end()); }

struct Frame {
  std::uint8_t seq = 0;
  Buffer payload;
  std::size_t wire_end = 0;  // offset just past this frame in the input
};

// Splits wire bytes into frames (no joining of 0xffffff continuations); throws on a
// truncated frame.
inline std::vector<Frame> split_frames(Bytes wire) {
  std::vector<Frame> out;
  std::size_t pos = 0;
  while (pos < wire.size()) {
    if (wire.size() - pos < 4) throw std::invalid_argument("truncated frame header");
    const std::size_t len = wire[pos] | (wire[pos + 1] << 8) | (std::size_t(wire[pos + 2]) << 16);
    if (wire.size() - pos - 4 < len) throw std::invalid_argument("truncated frame");
    Frame f;
    f.seq = wire[pos + 3];
    f.payload.assign(wire.begin() + static_cast<std::ptrdiff_t>(pos + 4),
                     wire.begin() + static_cast<std::ptrdiff_t>(pos + 4 + len));
    pos += 4 + len;
    f.wire_end = pos;
    out.push_back(std::move(f));
  }
  return out;
}

// The payload of a capture that holds exactly one small packet.
inline Buffer payload_of(std::string_view capture_hex) {
  const Buffer wire = hex(capture_hex);
  auto frames = split_frames(wire);
  if (frames.size() != 1) throw std::invalid_argument("capture holds more than one packet");
  return frames[0].payload;
}

// Frames a payload by hand: one frame, any length below 0xffffff.
inline Buffer frame(std::uint8_t seq, const Buffer& payload) {
  Buffer out{static_cast<std::uint8_t>(payload.size()), static_cast<std::uint8_t>(payload.size() >> 8),
             static_cast<std::uint8_t>(payload.size() >> 16), seq};
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

inline Buffer concat(std::initializer_list<Buffer> parts) {
  Buffer out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Connect attributes as key/value pairs (a test-side parser of the raw block).
inline std::vector<std::pair<std::string, std::string>> parse_attrs(std::string_view block) {
  Reader r(as_bytes(block));
  std::vector<std::pair<std::string, std::string>> out;
  while (!r.empty() && r.ok()) {
    std::string key(r.lenenc_string());
    std::string value(r.lenenc_string());
    if (!r.ok()) throw std::invalid_argument("bad connect attrs");
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

}  // namespace causeway::protocol::test

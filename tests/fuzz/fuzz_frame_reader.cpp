// FrameReader against a naive model of the framing, whatever the chunking.
//
// Input: [max payload selector][flags][first seq][4 chunk sizes] then the byte stream.
// flags: 1 expect_seq(first seq), 2 prepare/commit instead of feed, 4 tiny initial buffer,
// 8 shrink_if_idle when empty, 16 an empty feed before each chunk.
// Invariants: the packets (sequence ids, joined payloads) and the final error are those of
// the model walking the whole stream at once; no payload exceeds the limit; buffered() is
// what was fed minus what was handed out.
#include <algorithm>
#include <cstring>
#include <optional>
#include <system_error>
#include <vector>

#include "proxy/protocol/errors.hpp"
#include "proxy/protocol/frame.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace pr = causeway::protocol;
using causeway::fuzz::check;

namespace {

struct Expected {
  std::uint8_t seq = 0;
  std::uint8_t last_seq = 0;
  std::vector<std::uint8_t> payload;  // frame payloads concatenated
  std::size_t wire_size = 0;
};

// Walks whole frames the simplest way; returns the packets and the error that ends the
// stream (nullopt when it ends waiting for more bytes).
std::optional<pr::errc> model(std::span<const std::uint8_t> s, std::size_t max, bool checking, std::uint8_t seq,
                              std::vector<Expected>& out) {
  std::size_t pos = 0;
  for (;;) {
    Expected e;
    std::size_t p = pos;
    bool first = true;
    for (;;) {
      if (s.size() - p < 4) return std::nullopt;
      const std::size_t len = s[p] | (s[p + 1] << 8) | (std::size_t(s[p + 2]) << 16);
      const std::uint8_t frame_seq = s[p + 3];
      if (first) {
        if (checking && frame_seq != seq) return pr::errc::sequence_mismatch;
        e.seq = frame_seq;
        first = false;
      } else if (frame_seq != static_cast<std::uint8_t>(e.last_seq + 1)) {
        return pr::errc::sequence_mismatch;
      }
      e.last_seq = frame_seq;
      if (e.payload.size() + len > max) return pr::errc::packet_too_large;
      if (s.size() - p - 4 < len) return std::nullopt;
      e.payload.insert(e.payload.end(), s.begin() + static_cast<std::ptrdiff_t>(p + 4),
                       s.begin() + static_cast<std::ptrdiff_t>(p + 4 + len));
      p += 4 + len;
      if (len < pr::max_frame_payload) break;
    }
    e.wire_size = p - pos;
    pos = p;
    seq = static_cast<std::uint8_t>(e.last_seq + 1);
    out.push_back(std::move(e));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  causeway::fuzz::Input in(data, size);
  const std::uint8_t max_sel = in.u8();
  const std::uint8_t flags = in.u8();
  const std::uint8_t first_seq = in.u8();
  std::size_t chunks[4];
  for (auto& c : chunks) c = in.u8() % 97 + 1;
  const auto stream = in.rest();

  const std::size_t max = max_sel < 0x80 ? std::size_t(max_sel) * 4 : 64u * 1024 * 1024;
  const bool checking = flags & 1;
  std::vector<Expected> expected;
  const auto end = model(stream, max, checking, first_seq, expected);

  pr::FrameReader reader(max, (flags & 4) ? 1 : 64);
  if (checking) reader.expect_seq(first_seq);
  std::size_t fed = 0;
  std::size_t handed = 0;
  std::size_t got = 0;
  std::optional<std::error_code> error;
  for (std::size_t i = 0; fed < stream.size() && !error; ++i) {
    const std::size_t n = std::min(chunks[i % 4], stream.size() - fed);
    if (flags & 16) reader.feed({});  // an empty read changes nothing
    if (flags & 2) {
      auto space = reader.prepare(n);
      check(space.size() >= n, "prepare() offers less than asked");
      std::memcpy(space.data(), stream.data() + fed, n);
      reader.commit(n);
    } else {
      reader.feed(stream.subspan(fed, n));
    }
    fed += n;
    for (;;) {
      pr::Packet p;
      std::error_code ec;
      const auto st = reader.next(p, ec);
      if (st == pr::FrameStatus::need_more) break;
      if (st == pr::FrameStatus::error) {
        error = ec;
        break;
      }
      check(p.payload.size() <= max, "payload over the limit");
      check(got < expected.size(), "more packets than the model");
      const Expected& e = expected[got++];
      check(p.seq == e.seq && p.last_seq == e.last_seq, "sequence ids differ from the model");
      check(p.payload.size() == e.payload.size() &&
                std::equal(p.payload.begin(), p.payload.end(), e.payload.begin()),
            "joined payload differs from the frames' payloads");
      check(reader.next_seq() == static_cast<std::uint8_t>(e.last_seq + 1), "next_seq is not last_seq + 1");
      handed += e.wire_size;
    }
    if (!error) check(reader.buffered().size() == fed - handed, "buffered() is not fed minus handed out");
    if ((flags & 8) && !error && reader.buffered().empty()) reader.shrink_if_idle(64);
  }
  check(got == expected.size(), "fewer packets than the model");
  if (end) {
    check(error && *error == *end, "the model's error was not reported");
  } else {
    check(!error, "an error the model does not see");
    reader.consume_raw(reader.buffered().size() + 1);
    check(reader.buffered().empty(), "consume_raw left bytes behind");
  }
  return 0;
}

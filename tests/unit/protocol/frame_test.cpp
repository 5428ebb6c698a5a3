// FrameReader, append_packet and finish_packet: captured traffic, split packets,
// sequence ids, size limits and raw access.
#include <catch2/catch.hpp>

#include <algorithm>

#include "proxy/protocol/errors.hpp"
#include "proxy/protocol/frame.hpp"
#include "tests/unit/protocol/captures.hpp"
#include "tests/unit/protocol/test_util.hpp"

namespace pr = causeway::protocol;
namespace cap = causeway::protocol::test::captures;
using causeway::protocol::test::Buffer;
using causeway::protocol::test::buf;
using causeway::protocol::test::concat;
using causeway::protocol::test::frame;
using causeway::protocol::test::hex;
using causeway::protocol::test::split_frames;

namespace {

struct Got {
  std::uint8_t seq = 0;
  std::uint8_t last_seq = 0;
  Buffer payload;
};

// Takes every complete packet out of the reader (copied: payloads die with the next call).
std::error_code drain(pr::FrameReader& r, std::vector<Got>& out) {
  for (;;) {
    pr::Packet p;
    std::error_code ec;
    const auto st = r.next(p, ec);
    if (st == pr::FrameStatus::need_more) return {};
    if (st == pr::FrameStatus::error) return ec;
    out.push_back({p.seq, p.last_seq, buf(p.payload)});
  }
}

void check_same(const std::vector<Got>& got, const std::vector<causeway::protocol::test::Frame>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].seq == want[i].seq);
    CHECK(got[i].last_seq == want[i].seq);
    CHECK(got[i].payload == want[i].payload);
  }
}

Buffer pattern(std::size_t n, unsigned salt = 0) {
  Buffer out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>((i * 7 + salt) % 251);
  return out;
}

// A frame header written by hand, independent of the code under test.
Buffer header(std::size_t len, std::uint8_t seq) {
  return {static_cast<std::uint8_t>(len), static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len >> 16),
          seq};
}

void feed_in_chunks(pr::FrameReader& r, const Buffer& wire, std::size_t chunk, std::vector<Got>& out,
                    std::error_code& ec) {
  for (std::size_t pos = 0; pos < wire.size() && !ec; pos += chunk) {
    r.feed(pr::Bytes(wire.data() + pos, std::min(chunk, wire.size() - pos)));
    ec = drain(r, out);
  }
}

}  // namespace

TEST_CASE("FrameReader yields every captured packet when fed the whole capture at once") {
  for (const auto& c : cap::all) {
    INFO(c.name);
    const Buffer wire = hex(c.hex);
    pr::FrameReader r;
    r.feed(wire);
    std::vector<Got> got;
    REQUIRE(!drain(r, got));
    check_same(got, split_frames(wire));
    CHECK(r.buffered().empty());
  }
}

TEST_CASE("FrameReader fed byte by byte yields each packet exactly when its last byte arrives") {
  for (const auto& c : cap::all) {
    INFO(c.name);
    const Buffer wire = hex(c.hex);
    const auto frames = split_frames(wire);
    pr::FrameReader r(64 * 1024 * 1024, 1);  // tiny initial buffer: exercises growth too
    std::vector<Got> got;
    for (std::size_t i = 0; i < wire.size(); ++i) {
      r.feed(pr::Bytes(&wire[i], 1));
      REQUIRE(!drain(r, got));
      const auto complete = static_cast<std::size_t>(
          std::count_if(frames.begin(), frames.end(), [&](const auto& f) { return f.wire_end <= i + 1; }));
      REQUIRE(got.size() == complete);
    }
    check_same(got, frames);
  }
}

TEST_CASE("FrameReader fed a capture in two halves, split anywhere, yields the same packets") {
  for (const auto& c : cap::all) {
    INFO(c.name);
    const Buffer wire = hex(c.hex);
    const auto frames = split_frames(wire);
    for (std::size_t split = 0; split <= wire.size(); ++split) {
      INFO("split at " << split);
      pr::FrameReader r(64 * 1024 * 1024, 64);
      std::vector<Got> got;
      r.feed(pr::Bytes(wire.data(), split));
      REQUIRE(!drain(r, got));
      r.feed(pr::Bytes(wire.data() + split, wire.size() - split));
      REQUIRE(!drain(r, got));
      check_same(got, frames);
    }
  }
}

TEST_CASE("FrameReader accepts bytes written into prepare() and committed") {
  const Buffer wire = hex(cap::select_items_eof);
  pr::FrameReader r(1024, 8);
  std::vector<Got> got;
  std::size_t pos = 0;
  while (pos < wire.size()) {
    auto space = r.prepare(16);
    REQUIRE(space.size() >= 16);
    const std::size_t n = std::min<std::size_t>(13, wire.size() - pos);  // less than offered
    std::copy_n(wire.begin() + static_cast<std::ptrdiff_t>(pos), n, space.begin());
    r.commit(n);
    pos += n;
    REQUIRE(!drain(r, got));
  }
  check_same(got, split_frames(wire));
}

TEST_CASE("Feeding FrameReader nothing changes nothing") {
  // An empty span has a null data(); the copy from it was undefined behaviour (UBSan in
  // fuzz_frame_reader).
  pr::FrameReader r;
  r.feed(pr::Bytes{});
  CHECK(r.buffered().empty());
  const Buffer ping = frame(0, {0x0e});
  r.feed(pr::Bytes(ping.data(), 2));
  r.feed(pr::Bytes{});
  r.feed(pr::Bytes(ping.data() + 2, ping.size() - 2));
  pr::Packet p;
  std::error_code ec;
  REQUIRE(r.next(p, ec) == pr::FrameStatus::packet);
  CHECK(buf(p.payload) == Buffer{0x0e});
}

TEST_CASE("FrameReader joins a packet split into a 0xffffff frame and a continuation") {
  const std::size_t size = pr::max_frame_payload + 10;
  const Buffer payload = pattern(size);
  Buffer wire = header(pr::max_frame_payload, 5);
  wire.insert(wire.end(), payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(pr::max_frame_payload));
  const Buffer tail = header(10, 6);
  wire.insert(wire.end(), tail.begin(), tail.end());
  wire.insert(wire.end(), payload.end() - 10, payload.end());
  const Buffer next = frame(7, {0x03, 'a', 'b', 'c'});
  wire.insert(wire.end(), next.begin(), next.end());

  SECTION("in odd-sized chunks") {
    pr::FrameReader r;
    r.expect_seq(5);
    std::vector<Got> got;
    std::error_code ec;
    feed_in_chunks(r, wire, 65521, got, ec);
    REQUIRE(!ec);
    REQUIRE(got.size() == 2);
    CHECK(got[0].seq == 5);
    CHECK(got[0].last_seq == 6);
    CHECK(got[0].payload == payload);
    CHECK(got[1].seq == 7);
    CHECK(got[1].payload == Buffer{0x03, 'a', 'b', 'c'});
    CHECK(r.next_seq() == 8);
  }
  SECTION("waiting for every byte of the continuation frame") {
    pr::FrameReader r;
    std::vector<Got> got;
    const std::size_t first_frame = 4 + pr::max_frame_payload;
    r.feed(pr::Bytes(wire.data(), first_frame));
    REQUIRE(!drain(r, got));
    CHECK(got.empty());
    for (std::size_t i = first_frame; i < first_frame + 4 + 10; ++i) {
      CHECK(got.empty());
      r.feed(pr::Bytes(&wire[i], 1));
      REQUIRE(!drain(r, got));
    }
    REQUIRE(got.size() == 1);
    CHECK(got[0].payload == payload);
  }
}

TEST_CASE("A payload of exactly 0xffffff bytes ends with an empty frame") {
  const Buffer payload = pattern(pr::max_frame_payload, 3);
  const Buffer wire = concat({header(pr::max_frame_payload, 0), payload, header(0, 1)});
  pr::FrameReader r;
  std::vector<Got> got;
  r.feed(pr::Bytes(wire.data(), wire.size() - 4));
  REQUIRE(!drain(r, got));
  CHECK(got.empty());  // a full frame alone is not a packet: the empty frame must follow
  r.feed(pr::Bytes(wire.data() + wire.size() - 4, 4));
  REQUIRE(!drain(r, got));
  REQUIRE(got.size() == 1);
  CHECK(got[0].seq == 0);
  CHECK(got[0].last_seq == 1);
  CHECK(got[0].payload == payload);
  CHECK(r.next_seq() == 2);
}

TEST_CASE("FrameReader reports out-of-order sequence ids") {
  pr::FrameReader r;
  pr::Packet p;
  std::error_code ec;

  SECTION("on the first frame of a packet") {
    r.expect_seq(1);
    r.feed(frame(0, {0x0e}));
    REQUIRE(r.next(p, ec) == pr::FrameStatus::error);
    CHECK(ec == pr::errc::sequence_mismatch);
  }
  SECTION("on a later packet once checking is on") {
    r.expect_seq(0);
    r.feed(concat({frame(0, {0x03, 'x'}), frame(2, {0x0e})}));
    REQUIRE(r.next(p, ec) == pr::FrameStatus::packet);
    CHECK(r.next_seq() == 1);
    REQUIRE(r.next(p, ec) == pr::FrameStatus::error);
    CHECK(ec == pr::errc::sequence_mismatch);
  }
  SECTION("on a continuation frame, from its header alone, even without expect_seq") {
    r.feed(concat({header(pr::max_frame_payload, 3), pattern(pr::max_frame_payload), header(10, 5)}));
    REQUIRE(r.next(p, ec) == pr::FrameStatus::error);
    CHECK(ec == pr::errc::sequence_mismatch);
  }
  SECTION("continuation ids wrap from 255 to 0") {
    r.expect_seq(255);
    r.feed(concat({header(pr::max_frame_payload, 255), pattern(pr::max_frame_payload), header(1, 0), {9}}));
    REQUIRE(r.next(p, ec) == pr::FrameStatus::packet);
    CHECK(p.seq == 255);
    CHECK(p.last_seq == 0);
    CHECK(p.payload.size() == pr::max_frame_payload + 1);
    CHECK(r.next_seq() == 1);
  }
  SECTION("without expect_seq the first packet may have any id") {
    r.feed(frame(42, {0x0e}));
    REQUIRE(r.next(p, ec) == pr::FrameStatus::packet);
    CHECK(p.seq == 42);
    CHECK(r.next_seq() == 43);
  }
}

TEST_CASE("FrameReader refuses a packet over its size limit from the header, before the payload") {
  pr::Packet p;
  std::error_code ec;

  SECTION("one frame over the limit") {
    pr::FrameReader r(100);
    r.feed(header(101, 0));  // no payload at all
    REQUIRE(r.next(p, ec) == pr::FrameStatus::error);
    CHECK(ec == pr::errc::packet_too_large);
  }
  SECTION("a payload of exactly the limit is fine") {
    pr::FrameReader r(100);
    r.feed(header(100, 0));
    REQUIRE(r.next(p, ec) == pr::FrameStatus::need_more);
    r.feed(pattern(100));
    REQUIRE(r.next(p, ec) == pr::FrameStatus::packet);
    CHECK(p.payload.size() == 100);
  }
  SECTION("a split packet whose continuation header takes it over the limit") {
    pr::FrameReader r(pr::max_frame_payload + 5);
    r.feed(concat({header(pr::max_frame_payload, 0), pattern(pr::max_frame_payload), header(6, 1)}));
    REQUIRE(r.next(p, ec) == pr::FrameStatus::error);
    CHECK(ec == pr::errc::packet_too_large);
  }
  SECTION("set_max_payload applies to the next packet") {
    pr::FrameReader r(1000);
    r.set_max_payload(10);
    CHECK(r.max_payload() == 10);
    r.feed(header(11, 0));
    REQUIRE(r.next(p, ec) == pr::FrameStatus::error);
    CHECK(ec == pr::errc::packet_too_large);
  }
}

TEST_CASE("buffered() shows the bytes not yet handed out and consume_raw() drops them") {
  const Buffer p1 = frame(0, {0x0e});
  const Buffer p2 = frame(0, {0x03, 's', 'e', 'l', 'e', 'c', 't', ' ', '1'});
  const Buffer p3 = frame(0, {0x02, 's', 'h', 'o', 'p'});
  const Buffer all = concat({p1, p2, p3});
  const std::size_t partial = p1.size() + p2.size() + 3;

  pr::FrameReader r;
  r.feed(pr::Bytes(all.data(), partial));
  CHECK(buf(r.buffered()) == Buffer(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(partial)));

  pr::Packet p;
  std::error_code ec;
  REQUIRE(r.next(p, ec) == pr::FrameStatus::packet);
  CHECK(buf(p.payload) == Buffer{0x0e});
  // The packet just handed out is no longer "buffered".
  CHECK(buf(r.buffered()) ==
        Buffer(all.begin() + static_cast<std::ptrdiff_t>(p1.size()), all.begin() + static_cast<std::ptrdiff_t>(partial)));

  // Relay p2 raw instead of framing it.
  r.consume_raw(p2.size());
  CHECK(r.buffered().size() == 3);
  REQUIRE(r.next(p, ec) == pr::FrameStatus::need_more);
  r.feed(pr::Bytes(all.data() + partial, all.size() - partial));
  REQUIRE(r.next(p, ec) == pr::FrameStatus::packet);
  CHECK(buf(p.payload) == Buffer{0x02, 's', 'h', 'o', 'p'});
  CHECK(r.buffered().empty());

  // consume_raw never goes past what is buffered.
  r.feed(p1);
  r.consume_raw(1000);
  CHECK(r.buffered().empty());
  REQUIRE(r.next(p, ec) == pr::FrameStatus::need_more);
  r.feed(p2);
  REQUIRE(r.next(p, ec) == pr::FrameStatus::packet);
  CHECK(p.payload.size() == 9);
}

TEST_CASE("shrink_if_idle gives memory back only when nothing is buffered") {
  pr::FrameReader r(64 * 1024 * 1024, 1024);
  const Buffer big = concat({header(200000, 0), pattern(200000)});
  r.feed(big);
  pr::Packet p;
  std::error_code ec;
  REQUIRE(r.next(p, ec) == pr::FrameStatus::packet);
  CHECK(r.capacity() >= big.size());

  r.feed(pr::Bytes(big.data(), 10));  // a partial packet is waiting
  r.shrink_if_idle(1024);
  CHECK(r.capacity() >= big.size());

  r.consume_raw(10);
  r.shrink_if_idle(1024);
  CHECK(r.capacity() == 1024);
  r.feed(frame(0, {0x0e}));
  REQUIRE(r.next(p, ec) == pr::FrameStatus::packet);
  CHECK(buf(p.payload) == Buffer{0x0e});
}

TEST_CASE("append_packet and finish_packet frame payloads that FrameReader joins back") {
  const std::size_t sizes[] = {0, 1, 0xfffffe, 0xffffff, 0xffffff * 2 + 5};
  for (const std::size_t size : sizes) {
    for (const std::uint8_t first_seq : {std::uint8_t{3}, std::uint8_t{254}}) {
      INFO("size " << size << " first seq " << int(first_seq));
      const Buffer payload = pattern(size, static_cast<unsigned>(size));
      const std::size_t frames = size / pr::max_frame_payload + 1;

      Buffer appended{'x', 'y'};  // something already in the buffer stays untouched
      const std::uint8_t next = pr::append_packet(appended, first_seq, payload);
      CHECK(next == static_cast<std::uint8_t>(first_seq + frames));
      REQUIRE(appended[0] == 'x');
      REQUIRE(appended[1] == 'y');

      // Frame layout checked by hand: 0xffffff-byte frames, then the short (maybe empty) rest.
      const auto split = split_frames(pr::Bytes(appended).subspan(2));
      REQUIRE(split.size() == frames);
      for (std::size_t i = 0; i < frames; ++i) {
        CHECK(split[i].seq == static_cast<std::uint8_t>(first_seq + i));
        const std::size_t want = i + 1 < frames ? pr::max_frame_payload : size % pr::max_frame_payload;
        CHECK(split[i].payload.size() == want);
      }

      Buffer finished{'x', 'y'};
      const std::size_t at = pr::begin_packet(finished);
      finished.insert(finished.end(), payload.begin(), payload.end());
      CHECK(pr::finish_packet(finished, at, first_seq) == next);
      CHECK(finished == appended);

      pr::FrameReader r;
      r.expect_seq(first_seq);
      r.feed(pr::Bytes(appended).subspan(2));
      pr::Packet p;
      std::error_code ec;
      REQUIRE(r.next(p, ec) == pr::FrameStatus::packet);
      CHECK(p.seq == first_seq);
      CHECK(p.last_seq == static_cast<std::uint8_t>(next - 1));
      CHECK(p.payload.size() == size);
      CHECK(std::equal(p.payload.begin(), p.payload.end(), payload.begin(), payload.end()));
      CHECK(r.next_seq() == next);
      CHECK(r.buffered().empty());
    }
  }
}

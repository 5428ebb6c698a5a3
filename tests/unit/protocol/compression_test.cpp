#include "proxy/protocol/compression.hpp"

#include <catch2/catch.hpp>

#include <zlib.h>

#include <algorithm>
#include <string>
#include <vector>

#include "proxy/protocol/errors.hpp"

namespace pr = causeway::protocol;

namespace {

std::vector<std::uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

std::string text_of(const std::vector<std::uint8_t>& v) { return {v.begin(), v.end()}; }

// Feeds `wire` to a reader in pieces of `step` bytes and takes everything it gives.
std::string read_all(pr::Zlib& zlib, pr::CompressedReader& reader, const std::vector<std::uint8_t>& wire,
                     std::size_t step, std::error_code& ec) {
  std::string plain;
  std::uint8_t out[700];
  for (std::size_t pos = 0; pos < wire.size() || reader.has_buffered();) {
    std::size_t n = 0;
    while ((n = reader.take(zlib, out, ec)) > 0) plain.append(out, out + n);
    if (ec || pos >= wire.size()) break;
    const std::size_t k = std::min(step, wire.size() - pos);
    auto space = reader.prepare(k);
    std::copy_n(wire.begin() + static_cast<long>(pos), k, space.begin());
    reader.commit(k);
    pos += k;
  }
  return plain;
}

// How reading `wire` ends: its error, and the sequence id the reader is at then.
std::error_code error_of(pr::Zlib& zlib, const std::vector<std::uint8_t>& wire, std::size_t step,
                         std::uint8_t* next_seq = nullptr) {
  pr::CompressedReader reader;
  std::error_code ec;
  read_all(zlib, reader, wire, step, ec);
  if (next_seq != nullptr) *next_seq = reader.next_seq();
  return ec;
}

std::size_t length3(const std::uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16); }

}  // namespace

TEST_CASE("Short payloads go as they are, longer ones deflated", "[protocol][compression]") {
  pr::Zlib zlib;
  std::vector<std::uint8_t> wire;
  const auto small = bytes_of("\x05\x00\x00\x01\xfb\x01\x02\x03\x04");  // under 50 bytes
  CHECK(zlib.append(small, 3, wire) == 4);
  REQUIRE(wire.size() == pr::compressed_header_size + small.size());
  CHECK(length3(wire.data()) == small.size());
  CHECK(wire[3] == 3);
  CHECK(length3(wire.data() + 4) == 0);  // not compressed

  wire.clear();
  const std::string row(4000, 'r');
  CHECK(zlib.append(bytes_of(row), 255, wire) == 0);  // the id wraps
  CHECK(wire[3] == 255);
  CHECK(length3(wire.data() + 4) == row.size());
  CHECK(length3(wire.data()) == wire.size() - pr::compressed_header_size);
  CHECK(wire.size() < 200);
  // What zlib's own uncompress() makes of it, as a client would.
  std::vector<std::uint8_t> back(row.size());
  uLongf back_len = back.size();
  REQUIRE(uncompress(back.data(), &back_len, wire.data() + 7, wire.size() - 7) == Z_OK);
  CHECK(text_of(back) == row);
}

TEST_CASE("What does not shrink goes uncompressed", "[protocol][compression]") {
  pr::Zlib zlib;
  std::vector<std::uint8_t> noise(3000);
  std::uint32_t x = 7;
  for (auto& b : noise) b = static_cast<std::uint8_t>((x = x * 1664525u + 1013904223u) >> 24);
  std::vector<std::uint8_t> wire;
  zlib.append(noise, 0, wire);
  CHECK(length3(wire.data() + 4) == 0);
  CHECK(wire.size() == noise.size() + pr::compressed_header_size);
}

TEST_CASE("What causeway sends goes in packets of at most 16 KiB, as a server's", "[protocol][compression]") {
  pr::Zlib zlib;
  const std::string big(100000, 'b');
  std::vector<std::uint8_t> wire;
  CHECK(zlib.append(bytes_of(big), 0, wire) == 7);  // 6 full packets and the rest
  std::size_t packets = 0;
  for (std::size_t pos = 0; pos < wire.size(); ++packets) {
    CHECK(length3(wire.data() + pos + 4) <= pr::compressed_packet_size);
    pos += pr::compressed_header_size + length3(wire.data() + pos);
  }
  CHECK(packets == 7);
  pr::CompressedReader reader;
  std::error_code ec;
  CHECK(read_all(zlib, reader, wire, 4096, ec) == big);
  CHECK(reader.next_seq() == 7);
}

TEST_CASE("The reader takes a client's packets up to 16 MB", "[protocol][compression]") {
  pr::Zlib zlib;
  // A stored packet of 0xffffff bytes, then a deflated one of 1 MB.
  std::vector<std::uint8_t> wire = {0xff, 0xff, 0xff, 4, 0, 0, 0};
  wire.resize(wire.size() + pr::max_compressed_payload, 'x');
  const std::string mb(1 << 20, 'y');
  std::vector<std::uint8_t> deflated(compressBound(mb.size()));
  uLongf deflated_len = deflated.size();
  REQUIRE(compress(deflated.data(), &deflated_len, reinterpret_cast<const Bytef*>(mb.data()), mb.size()) == Z_OK);
  const std::uint8_t header[] = {static_cast<std::uint8_t>(deflated_len), static_cast<std::uint8_t>(deflated_len >> 8),
                                 static_cast<std::uint8_t>(deflated_len >> 16), 5, 0, 0, 0x10};
  wire.insert(wire.end(), header, header + 7);
  wire.insert(wire.end(), deflated.begin(), deflated.begin() + static_cast<long>(deflated_len));
  pr::CompressedReader reader;
  std::error_code ec;
  const std::string plain = read_all(zlib, reader, wire, 1 << 20, ec);
  CHECK_FALSE(ec);
  CHECK(plain == std::string(pr::max_compressed_payload, 'x') + mb);
  CHECK(reader.next_seq() == 6);
  reader.shrink_if_idle(64 * 1024);
  CHECK_FALSE(reader.has_buffered());
}

TEST_CASE("The reader gives the plain bytes however the packets arrive", "[protocol][compression]") {
  pr::Zlib zlib;
  std::string plain;
  std::vector<std::uint8_t> wire;
  std::uint8_t seq = 0;
  for (int i = 0; i < 40; ++i) {
    const std::string part = std::string(static_cast<std::size_t>(i * 37), static_cast<char>('a' + i % 26)) + "|";
    plain += part;
    seq = zlib.append(bytes_of(part), seq, wire);
  }
  for (std::size_t step : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{100}, wire.size()}) {
    INFO("step " << step);
    pr::CompressedReader reader;
    std::error_code ec;
    CHECK(read_all(zlib, reader, wire, step, ec) == plain);
    CHECK_FALSE(ec);
    CHECK(reader.next_seq() == seq);  // one past the last packet read
    CHECK_FALSE(reader.has_buffered());
  }
}

TEST_CASE("A packet that does not inflate to its stated length is an error", "[protocol][compression]") {
  pr::Zlib zlib;
  std::vector<std::uint8_t> good;
  zlib.append(bytes_of(std::string(500, 'g')), 0, good);
  const std::error_code bad_packet = pr::errc::bad_compressed_packet;
  SECTION("stated length too long") {
    auto bad = good;
    bad[4] = static_cast<std::uint8_t>(bad[4] + 1);
    CHECK(error_of(zlib, bad, bad.size()) == bad_packet);
  }
  SECTION("garbage instead of a zlib stream") {
    auto bad = good;
    for (std::size_t i = 7; i < bad.size(); ++i) bad[i] = 0x5a;
    CHECK(error_of(zlib, bad, 3) == bad_packet);
  }
  SECTION("an ERR about the packet answers it: the sequence id is one past it") {
    auto bad = good;
    bad[3] = 9;
    bad[10] ^= 0xff;
    std::uint8_t next_seq = 0;
    CHECK(error_of(zlib, bad, bad.size(), &next_seq) == bad_packet);
    CHECK(next_seq == 10);
  }
  SECTION("a stated length no zlib stream of that size can reach") {
    std::vector<std::uint8_t> bomb = {20, 0, 0, 0, 0xff, 0xff, 0xff};
    bomb.resize(bomb.size() + 20, 0x5a);
    CHECK(error_of(zlib, bomb, bomb.size()) == bad_packet);
  }
  SECTION("the streams recover for the next session's packets") {
    auto bad = good;
    bad[10] ^= 0xff;
    CHECK(error_of(zlib, bad, bad.size()) == bad_packet);
    pr::CompressedReader reader;
    std::error_code ec2;
    CHECK(read_all(zlib, reader, good, good.size(), ec2) == std::string(500, 'g'));
    CHECK_FALSE(ec2);
  }
}

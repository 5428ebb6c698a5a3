// CompressedReader and Zlib on arbitrary bytes.
//
// Input: [chunk size][take size] then the byte stream.
// Invariants: read as compressed packets, the stream gives the same plain bytes and the
// same error whether it arrives in small chunks and is taken in small pieces or all at
// once; read as plain data, what Zlib::append() makes of it reads back as exactly it, with
// the sequence ids counted on.
#include <algorithm>
#include <string>
#include <system_error>
#include <vector>

#include "proxy/protocol/compression.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace pr = causeway::protocol;
using causeway::fuzz::check;

namespace {

struct Read {
  std::vector<std::uint8_t> plain;
  bool failed = false;
  std::uint8_t next_seq = 0;
};

Read read(pr::Zlib& zlib, std::span<const std::uint8_t> wire, std::size_t chunk, std::size_t take) {
  Read r;
  pr::CompressedReader reader;
  std::vector<std::uint8_t> out(take);
  std::size_t pos = 0;
  for (;;) {
    std::error_code ec;
    std::size_t n = 0;
    while ((n = reader.take(zlib, out, ec)) > 0) r.plain.insert(r.plain.end(), out.begin(), out.begin() + n);
    if (ec) {
      r.failed = true;
      break;
    }
    if (pos == wire.size()) break;
    const std::size_t k = std::min(chunk, wire.size() - pos);
    const auto space = reader.prepare(k);
    std::copy_n(wire.begin() + static_cast<long>(pos), k, space.begin());
    reader.commit(k);
    pos += k;
  }
  r.next_seq = reader.next_seq();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static pr::Zlib zlib;  // shared, as a worker's is: one packet must not spoil the next
  causeway::fuzz::Input in(data, size);
  const std::size_t chunk = in.u8() % 64 + 1;
  const std::size_t take = in.u8() % 200 + 1;
  const auto stream = in.rest();

  const Read pieces = read(zlib, stream, chunk, take);
  const Read whole = read(zlib, stream, stream.size() + 1, 1 << 16);
  check(pieces.plain == whole.plain, "chunking changed the plain bytes");
  check(pieces.failed == whole.failed, "chunking changed the outcome");
  if (!whole.failed) check(pieces.next_seq == whole.next_seq, "chunking changed the sequence id");

  std::vector<std::uint8_t> wire;
  const std::uint8_t first = static_cast<std::uint8_t>(size);
  const std::uint8_t after = zlib.append(stream, first, wire);
  const Read back = read(zlib, wire, chunk, take);
  check(!back.failed, "append() made a packet that does not read");
  check(back.plain.size() == stream.size() && std::equal(stream.begin(), stream.end(), back.plain.begin()),
        "append() and take() disagree");
  check(stream.empty() ? after == first && wire.empty() : back.next_seq == after, "sequence ids");
  return 0;
}

// ResponseTracker on arbitrary server bytes, fed in chunks chosen by the input.
//
// Input: [kind][caps selector][4 chunk sizes] then the server's bytes.
// Invariants: feed() never takes more than it was given, takes everything unless the
// response ended, and takes nothing once it has; the outcome (bytes taken, flags, error,
// packet count) does not depend on the chunking: a tracker fed everything at once agrees.
#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "proxy/protocol/response.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace pr = causeway::protocol;
using causeway::fuzz::check;

namespace {

struct Outcome {
  std::size_t taken = 0;
  bool done = false;
  bool local_infile = false;
  bool ended_with_error = false;
  std::uint16_t error_code = 0;
  std::uint16_t status_flags = 0;
  std::uint16_t warnings = 0;
  std::uint64_t packets = 0;
  std::error_code error;
  std::uint8_t last_seq = 0;
  std::uint32_t statement_id = 0;
  std::vector<std::uint8_t> last_ok;
  bool last_ok_complete = false;

  bool operator==(const Outcome&) const = default;
};

// Walks the bytes as one response; a LOCAL INFILE request continues it (a few times), as
// the relay does once the client's file went through.
Outcome run(pr::ResponseKind kind, pr::Caps caps, pr::Bytes bytes, std::span<const std::size_t> chunks) {
  pr::ResponseTracker t;
  t.start(kind, caps);
  Outcome o;
  int infiles = 0;
  for (std::size_t i = 0; o.taken < bytes.size(); ++i) {
    if (t.done()) {
      if (!t.local_infile_requested() || ++infiles > 3) break;
      t.continue_after_local_infile();
      check(!t.done(), "still done after continue_after_local_infile");
    }
    const std::size_t n = std::min(chunks[i % chunks.size()], bytes.size() - o.taken);
    const std::size_t took = t.feed(bytes.subspan(o.taken, n));
    check(took <= n, "feed took more than it was given");
    check(took == n || t.done(), "feed stopped short of a response that is not done");
    o.taken += took;
  }
  if (t.done() && !t.local_infile_requested()) {
    check(t.feed(bytes.subspan(o.taken)) == 0, "feed took bytes after the end");
  }
  o.done = t.done();
  o.local_infile = t.local_infile_requested();
  o.ended_with_error = t.ended_with_error();
  o.error_code = t.error_code();
  o.status_flags = t.status_flags();
  o.warnings = t.warnings();
  o.packets = t.packets();
  o.error = t.error();
  o.last_seq = t.last_seq();
  o.statement_id = t.prepare_ok().statement_id;
  check(t.last_ok().size() <= pr::ResponseTracker::capture_size, "last_ok() larger than capture_size");
  o.last_ok.assign(t.last_ok().begin(), t.last_ok().end());
  o.last_ok_complete = t.last_ok_complete();
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  causeway::fuzz::Input in(data, size);
  const auto kind = static_cast<pr::ResponseKind>(in.u8() % 5);
  const std::uint8_t caps_sel = in.u8();
  pr::Caps caps = pr::cap::protocol_41;
  if (caps_sel & 1) caps |= pr::cap::deprecate_eof;
  if (caps_sel & 2) caps |= pr::cap::session_track;
  std::array<std::size_t, 4> chunks{};
  for (auto& c : chunks) c = in.u8() % 64 + 1;
  const pr::Bytes bytes = in.rest();

  const Outcome chunked = run(kind, caps, bytes, chunks);
  const std::array<std::size_t, 1> whole{bytes.size() + 1};
  const Outcome at_once = run(kind, caps, bytes, whole);
  check(chunked == at_once, "the outcome depends on the chunking");
  return 0;
}

// ResponseTracker on arbitrary server bytes, fed in chunks chosen by the input.
//
// Input: [kind][caps selector][4 chunk sizes] then the server's bytes.
// Invariants: feed() never takes more than it was given, takes everything unless the
// response ended, and takes nothing once it has; the outcome (bytes taken, flags, error,
// packet count) does not depend on the chunking: a tracker fed everything at once agrees.
// Hold mode (OK packets held for the caller, as the relay does to read or strip session
// state) ends in the same state as normal mode; it holds only 0x00/0xfe packets shorter
// than 16 MB; stripping a held OK keeps its fields; session-state lookups stay in bounds.
#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "proxy/protocol/packets.hpp"
#include "proxy/protocol/response.hpp"
#include "proxy/protocol/session_track.hpp"
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

Outcome outcome_of(const pr::ResponseTracker& t, std::size_t taken) {
  Outcome o;
  o.taken = taken;
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
  o.last_ok.assign(t.last_ok().begin(), t.last_ok().end());
  o.last_ok_complete = t.last_ok_complete();
  return o;
}

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
  check(t.last_ok().size() <= pr::ResponseTracker::capture_size, "last_ok() larger than capture_size");
  return outcome_of(t, o.taken);
}

// A held packet, as the relay sees it: strip its session state and read its commit GTID.
void inspect_held(pr::Bytes payload, pr::Caps caps) {
  check(!payload.empty() && (payload[0] == pr::ok_header || payload[0] == pr::eof_header),
        "held a packet that cannot be an OK");
  check(payload.size() < pr::max_frame_payload, "held a frame of 16 MB");
  pr::OkPacket ok;
  if (!pr::decode_ok(payload, caps, ok)) {
    if (const auto gtid = pr::commit_gtid(ok.session_state)) {
      check(gtid->data() >= reinterpret_cast<const char*>(payload.data()) &&
                gtid->data() + gtid->size() <= reinterpret_cast<const char*>(payload.data() + payload.size()),
            "commit GTID outside the packet");
    }
  }
  std::vector<std::uint8_t> stripped;
  if (!pr::strip_session_state(payload, caps, stripped)) return;
  const pr::Caps untracked = caps & ~pr::cap::session_track;
  pr::OkPacket after;
  check(!pr::decode_ok(stripped, untracked, after), "a stripped OK does not decode");
  check(after.affected_rows == ok.affected_rows && after.last_insert_id == ok.last_insert_id &&
            after.warnings == ok.warnings && after.info == ok.info && after.eof_header == ok.eof_header,
        "stripping changed an OK's fields");
  check(after.status_flags == (ok.status_flags & ~pr::status::session_state_changed),
        "stripping changed other status flags");
  std::vector<std::uint8_t> again;
  check(pr::strip_session_state(stripped, untracked, again) && again == stripped, "stripping is not idempotent");
}

// The walk in hold mode, bytes arriving in chunks as a relay reads them: feed() what has
// arrived; a held packet is inspected once all of it has arrived, then released.
Outcome run_holding(pr::ResponseKind kind, pr::Caps caps, pr::Bytes bytes, std::span<const std::size_t> chunks) {
  pr::ResponseTracker t;
  t.start(kind, caps, true);
  std::size_t taken = 0;
  std::size_t arrived = 0;
  std::size_t chunk = 0;
  int infiles = 0;
  for (;;) {
    if (t.done()) {
      // As run() does: a LOCAL INFILE request goes on only if bytes follow it.
      if (!t.local_infile_requested() || taken == bytes.size() || ++infiles > 3) break;
      t.continue_after_local_infile();
    }
    const pr::Bytes data = bytes.subspan(taken, arrived - taken);
    bool need_more = false;
    if (t.held()) {
      check(t.feed(data) == 0, "feed took bytes of a held packet");
      const pr::Bytes payload = t.held_payload(data);
      if (payload.empty()) {
        check(t.release(data) == 0, "released a packet not all there");
        need_more = true;
      } else {
        inspect_held(payload, caps);
        const std::size_t size = t.held_size();
        check(t.release(data) == size, "release did not take the held packet");
        check(!t.held(), "still held after release");
        taken += size;
      }
    } else {
      const std::size_t took = t.feed(data);
      check(took <= data.size(), "feed took more than it was given");
      taken += took;
      if (!t.done() && !t.held()) {
        check(took == data.size() || data.size() - took < 5, "hold mode stopped with a packet start in view");
        need_more = true;
      }
    }
    if (need_more) {
      if (arrived == bytes.size()) break;
      arrived = std::min(bytes.size(), arrived + chunks[chunk++ % chunks.size()]);
    }
  }
  return outcome_of(t, taken);
}

// Hold mode agrees with normal mode: fully when the response ended, else on everything but
// the bytes of an unfinished packet (normal mode takes them, hold mode may wait).
void check_same_end(const Outcome& held, const Outcome& plain) {
  if (plain.done && !plain.local_infile) {
    check(held == plain, "hold mode ends a response in another state");
    return;
  }
  check(held.taken <= plain.taken, "hold mode took more than normal mode");
  check(held.done == plain.done && held.error == plain.error && held.packets == plain.packets &&
            held.status_flags == plain.status_flags && held.warnings == plain.warnings &&
            held.ended_with_error == plain.ended_with_error && held.last_ok == plain.last_ok,
        "hold mode stopped in another state");
}

// Session-state walks over arbitrary bytes: entries lie end to end inside the block.
void walk_state(pr::Bytes state) {
  pr::StateEntries entries(state);
  pr::StateEntry e;
  const std::uint8_t* last_end = state.data();
  while (entries.next(e)) {
    check(e.data.data() >= last_end && e.data.data() + e.data.size() <= state.data() + state.size(),
          "an entry outside its block");
    last_end = e.data.data() + e.data.size();
  }
  check(!entries.next(e), "the walk went on after its end");
  (void)pr::commit_gtid(state);
  (void)pr::find_system_variable(state, "LAST_GTID");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  causeway::fuzz::Input in(data, size);
  const auto kind = static_cast<pr::ResponseKind>(in.u8() % pr::response_kinds);
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

  check_same_end(run_holding(kind, caps, bytes, chunks), at_once);
  check_same_end(run_holding(kind, caps, bytes, whole), at_once);
  walk_state(bytes);
  return 0;
}

#include "proxy/protocol/session_track.hpp"

#include "proxy/protocol/errors.hpp"
#include "proxy/protocol/packets.hpp"

namespace causeway::protocol {

namespace {

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// A SYSTEM_VARIABLES entry holds exactly one name and its value.
bool read_variable(Bytes data, std::string_view& name, std::string_view& value) {
  Reader r(data);
  name = r.lenenc_string();
  value = r.lenenc_string();
  return r.ok() && r.empty();
}

enum class Gtids { set, other_encoding, malformed };

// A GTIDS entry: the encoding specification, then (for encoding 0) exactly one
// length-encoded GTID set.
Gtids read_gtids(Bytes data, std::string_view& set) {
  Reader r(data);
  const std::uint8_t encoding = r.u8();
  if (!r.ok()) return Gtids::malformed;
  if (encoding != 0) return Gtids::other_encoding;
  set = r.lenenc_string();
  return r.ok() && r.empty() ? Gtids::set : Gtids::malformed;
}

struct Found {
  std::optional<std::string_view> variable;
  std::optional<std::string_view> gtids;
};

// One walk over the whole block: the first value of `variable` and the first GTID set;
// nothing at all when any entry is malformed.
std::optional<Found> scan(Bytes state, std::string_view variable) {
  Found found;
  StateEntries entries(state);
  StateEntry e;
  while (entries.next(e)) {
    if (e.type == session_track::system_variables) {
      std::string_view name, value;
      if (!read_variable(e.data, name, value)) return std::nullopt;
      if (!found.variable && iequals(name, variable)) found.variable = value;
    } else if (e.type == session_track::gtids) {
      std::string_view set;
      const Gtids g = read_gtids(e.data, set);
      if (g == Gtids::malformed) return std::nullopt;
      if (g == Gtids::set && !found.gtids) found.gtids = set;
    }
  }
  if (entries.error()) return std::nullopt;
  return found;
}

}  // namespace

bool StateEntries::next(StateEntry& out) {
  if (ec_ || r_.empty()) return false;
  const std::uint64_t type = r_.lenenc();
  const Bytes data = r_.lenenc_bytes();
  if (!r_.ok()) {
    ec_ = errc::malformed_packet;
    return false;
  }
  out.type = type;
  out.data = data;
  return true;
}

std::optional<std::string_view> find_system_variable(Bytes state, std::string_view name) {
  const auto found = scan(state, name);
  return found ? found->variable : std::nullopt;
}

std::optional<std::string_view> find_gtids(Bytes state) {
  const auto found = scan(state, {});
  return found ? found->gtids : std::nullopt;
}

std::optional<std::string_view> commit_gtid(Bytes state) {
  const auto found = scan(state, "last_gtid");
  if (!found) return std::nullopt;
  if (found->variable && !found->variable->empty()) return found->variable;
  if (found->gtids && !found->gtids->empty()) return found->gtids;
  return std::nullopt;
}

bool strip_session_state(Bytes ok_payload, Caps server_caps, std::vector<std::uint8_t>& out) {
  if (ok_payload.empty()) return false;
  // 0xfe starts an OK only under CLIENT_DEPRECATE_EOF; otherwise it is a classic EOF.
  if (ok_payload[0] == eof_header && !(server_caps & cap::deprecate_eof)) return false;
  OkPacket ok;
  if (decode_ok(ok_payload, server_caps, ok)) return false;
  // net_send_ok sets SERVER_SESSION_STATE_CHANGED only for clients with CLIENT_SESSION_TRACK,
  // and writes the info for the others only when it is not empty (encode_ok does the same).
  ok.status_flags &= static_cast<std::uint16_t>(~status::session_state_changed);
  ok.session_state = {};
  encode_ok(ok, server_caps & ~cap::session_track, out);
  return true;
}

bool strip_commit_gtids(Bytes ok_payload, Caps server_caps, std::vector<std::uint8_t>& out,
                        std::vector<std::uint8_t>& scratch) {
  if (ok_payload.empty()) return false;
  if (ok_payload[0] == eof_header && !(server_caps & cap::deprecate_eof)) return false;
  OkPacket ok;
  if (decode_ok(ok_payload, server_caps, ok) || !(ok.status_flags & status::session_state_changed)) return false;
  scratch.clear();
  Writer w(scratch);
  bool removed = false;
  StateEntries entries(ok.session_state);
  StateEntry e;
  while (entries.next(e)) {
    std::string_view name, value;
    if ((e.type == session_track::system_variables && read_variable(e.data, name, value) &&
         iequals(name, "last_gtid")) ||
        e.type == session_track::gtids) {
      removed = true;
      continue;
    }
    w.lenenc(e.type);
    w.lenenc_bytes(e.data);
  }
  if (entries.error() || !removed) return false;
  ok.session_state = Bytes(scratch);
  if (scratch.empty()) ok.status_flags &= static_cast<std::uint16_t>(~status::session_state_changed);
  encode_ok(ok, server_caps, out);
  return true;
}

}  // namespace causeway::protocol

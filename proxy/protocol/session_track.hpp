// Session-state changes an OK packet carries under CLIENT_SESSION_TRACK (the block after
// its info, present when SERVER_SESSION_STATE_CHANGED is set), and the OK a client without
// that capability gets instead.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

#include "proxy/protocol/constants.hpp"
#include "proxy/protocol/wire.hpp"

namespace causeway::protocol {

// Entry types (enum_session_state_type).
namespace session_track {
inline constexpr std::uint64_t system_variables = 0;  // lenenc name, lenenc value
inline constexpr std::uint64_t schema = 1;            // lenenc schema name
inline constexpr std::uint64_t state_change = 2;      // lenenc "1"
inline constexpr std::uint64_t gtids = 3;             // encoding spec byte, then lenenc GTID set (MySQL)
inline constexpr std::uint64_t transaction_characteristics = 4;
inline constexpr std::uint64_t transaction_state = 5;
}  // namespace session_track

struct StateEntry {
  std::uint64_t type = 0;
  Bytes data;  // the entry's data, without its length; points into the walked block
};

// Walks a session-state block (OkPacket::session_state) entry by entry, without
// allocating: each entry is a length-encoded type (libmysql and libmariadb read it so) and
// length-encoded data. Every length is checked against the block.
class StateEntries {
 public:
  explicit StateEntries(Bytes state) : r_(state) {}

  // The next entry. False at the end of the block, or when the rest does not decode:
  // error() then says malformed_packet and the walk stays ended.
  bool next(StateEntry& out);
  std::error_code error() const { return ec_; }

 private:
  Reader r_;
  std::error_code ec_;
};

// The lookups read only well-formed blocks: a block with any malformed entry (a length
// past its end, a variable entry that is not exactly a name and a value, a GTIDS entry
// without its encoding byte) answers nullopt, so no value is taken from bytes that do not
// decode. Values point into `state`.

// The value of the first SYSTEM_VARIABLES entry named `name` (ASCII case-insensitive).
std::optional<std::string_view> find_system_variable(Bytes state, std::string_view name);

// The GTID set of the first GTIDS entry (MySQL session_track_gtids). An entry with an
// encoding other than 0 (the only one defined) is skipped.
std::optional<std::string_view> find_gtids(Bytes state);

// The GTID of the transaction this OK reports committed: MariaDB's last_gtid variable
// (session_track_system_variables=last_gtid), else MySQL's GTIDS entry
// (session_track_gtids=OWN_GTID). An empty value counts as none.
std::optional<std::string_view> commit_gtid(Bytes state);

// Re-encodes an OK packet for a client without CLIENT_SESSION_TRACK, as a server would
// have sent it to that client (net_send_ok): same header (0x00, or 0xfe for an OK ending
// rows under CLIENT_DEPRECATE_EOF), affected rows, insert id and warnings; status flags
// without SERVER_SESSION_STATE_CHANGED; the info as a length-encoded string when not
// empty; no session-state block. `server_caps` are the capabilities the OK was sent
// under. Appends the payload to `out`; false (and `out` untouched) when `ok_payload` is
// not an OK packet under `server_caps` (an ERR, a classic EOF, or malformed).
[[nodiscard]] bool strip_session_state(Bytes ok_payload, Caps server_caps, std::vector<std::uint8_t>& out);

// Re-encodes an OK packet for a client with CLIENT_SESSION_TRACK without the entries that
// report commit GTIDs (the last_gtid variable, GTIDS entries), which causeway asked the
// server for and the client did not: the other entries stay, in order; with none left, the
// OK is as the server sends it when nothing changed (no block, SERVER_SESSION_STATE_CHANGED
// off). `scratch` holds the new block. Appends the payload to `out`; false (and `out`
// untouched) when there is nothing to remove, or `ok_payload` is not a well-formed OK.
[[nodiscard]] bool strip_commit_gtids(Bytes ok_payload, Caps server_caps, std::vector<std::uint8_t>& out,
                                      std::vector<std::uint8_t>& scratch);

}  // namespace causeway::protocol

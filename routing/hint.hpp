// Route hints in SQL comments: /* causeway: route=replica consistency=strong min_gtid=... */
//
// The classifier finds the first such comment (Classification::hint holds the text after
// "causeway:"); parse_hint turns it into optional fields. Items are key=value separated by
// whitespace; a value may be quoted with ' or ". Keys and keyword values are
// case-insensitive. Unknown keys are kept in `pairs` (and are not an error) so later
// features can read them without touching the parser.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace causeway::routing {

enum class RouteTarget : std::uint8_t { Unspecified, Primary, Replica, Server };
enum class Consistency : std::uint8_t { Unspecified, Eventual, ReadYourWrites, Monotonic, Strong };

enum class HintError : std::uint8_t {
  None,
  Malformed,           // an item without `=`, an empty key or value, an unterminated quote
  BadRoute,            // route= is not primary, replica or server:NAME
  BadConsistency,      // consistency= is not eventual, read_your_writes, monotonic or strong
  TooManyItems,        // more than RouteHint::max_pairs items
};

struct RouteHint {
  struct Pair {
    std::string_view key;
    std::string_view value;  // without quotes
  };
  static constexpr std::size_t max_pairs = 8;

  RouteTarget route = RouteTarget::Unspecified;
  std::string_view server;  // route=server:NAME
  Consistency consistency = Consistency::Unspecified;
  std::string_view min_gtid;  // a GTID set, MySQL (uuid:1-5,...) or MariaDB (0-1-100,...)
  std::array<Pair, max_pairs> pairs{};
  std::uint8_t pair_count = 0;
  HintError error = HintError::None;
  std::string_view error_item;  // the item the error is about
};

// Parses the text of a hint (Classification::hint). On error, the fields parsed before the
// bad item are kept and `error` says what was wrong; the caller decides whether to reject
// the statement or ignore the hint.
RouteHint parse_hint(std::string_view text);

// `SET causeway_consistency = 'strong'` (also SET SESSION / @@session. / @@ forms, `:=`,
// the value quoted or bare, DEFAULT for the user's level): causeway's own session
// setting, answered by causeway and never sent to a server. `matched` says the statement
// is this one; `valid` that the value names a level (Unspecified for DEFAULT).
struct ConsistencySetting {
  bool matched = false;
  bool valid = false;
  Consistency level = Consistency::Unspecified;
  std::string_view value;
};
ConsistencySetting parse_consistency_setting(std::string_view sql);

const char* to_string(RouteTarget target);
const char* to_string(Consistency consistency);
const char* to_string(HintError error);

}  // namespace causeway::routing

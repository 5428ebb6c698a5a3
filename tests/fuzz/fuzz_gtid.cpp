// GTIDs and GTID sets of both flavours, text and binary, on the same arbitrary bytes:
// MysqlGtidSet::parse, parse_mysql_gtid, MariadbGtidPosition::parse, parse_mariadb_gtid and
// decode_mysql_gtid_set.
//
// Input: the bytes under test (no parameters).
// Invariants: whatever parses or decodes round-trips: to_string -> parse gives the same
// value (with either separator MySQL uses), encode -> decode gives the same set and
// encoded_size() is the encoding's length; a set contains itself, its union with itself is
// itself, its difference with itself is empty.
#include <string>
#include <string_view>
#include <vector>

#include "replication/gtid.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace repl = causeway::replication;
using causeway::fuzz::check;

namespace {

void mysql_set_round_trip(const repl::MysqlGtidSet& set) {
  repl::GtidError error;
  for (std::string_view separator : {",", ",\n"}) {
    const auto back = repl::MysqlGtidSet::parse(set.to_string(separator), error);
    check(back.has_value(), "a set's text does not parse");
    check(*back == set, "text round trip changed the set");
  }
  std::vector<std::uint8_t> bytes;
  repl::encode(set, bytes);
  check(bytes.size() == repl::encoded_size(set), "encoded_size disagrees with encode");
  const auto decoded = repl::decode_mysql_gtid_set(bytes, error);
  check(decoded.has_value(), "an encoded set does not decode");
  check(*decoded == set, "binary round trip changed the set");
  check(set.contains(set), "a set does not contain itself");
  check(repl::set_union(set, set) == set, "a set united with itself changed");
  check(repl::set_difference(set, set).empty(), "a set minus itself is not empty");
  for (const auto& [key, intervals] : set.members()) {
    check(!intervals.empty(), "a member without intervals");
    for (std::size_t i = 0; i < intervals.size(); ++i) {
      const auto& iv = intervals[i];
      check(iv.first >= 1 && iv.first <= iv.last && iv.last <= repl::max_gno, "an interval out of range");
      check(i == 0 || intervals[i - 1].last + 1 < intervals[i].first, "intervals not sorted and merged");
    }
  }
}

void mariadb_position_round_trip(const repl::MariadbGtidPosition& position) {
  repl::GtidError error;
  const auto back = repl::MariadbGtidPosition::parse(position.to_string(), error);
  check(back.has_value(), "a position's text does not parse");
  check(*back == position, "text round trip changed the position");
  check(position.covers(position), "a position does not cover itself");
  check(repl::lag(position, position) == 0, "a position lags itself");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  repl::GtidError error;

  if (const auto set = repl::MysqlGtidSet::parse(text, error)) mysql_set_round_trip(*set);
  if (const auto gtid = repl::parse_mysql_gtid(text, error)) {
    const auto back = repl::parse_mysql_gtid(repl::to_string(*gtid), error);
    check(back && *back == *gtid, "MySQL GTID text round trip");
    repl::MysqlGtidSet one;
    check(one.add(*gtid) && one.contains(*gtid) && one.count() == 1, "a set of one GTID");
    mysql_set_round_trip(one);
  }
  if (const auto position = repl::MariadbGtidPosition::parse(text, error)) {
    mariadb_position_round_trip(*position);
  }
  if (const auto gtid = repl::parse_mariadb_gtid(text, error)) {
    const auto back = repl::parse_mariadb_gtid(repl::to_string(*gtid), error);
    check(back && *back == *gtid, "MariaDB GTID text round trip");
  }
  if (const auto set = repl::decode_mysql_gtid_set({data, size}, error)) mysql_set_round_trip(*set);
  return 0;
}

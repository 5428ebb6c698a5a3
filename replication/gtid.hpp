// GTID sets for both flavours, as plain values: MySQL `uuid[:tag]:intervals` sets (text and
// the binary encoding of PREVIOUS_GTIDS / COM_BINLOG_DUMP_GTID) and MariaDB
// `domain-server-seq` positions. Pure code: no I/O; bad input gives an error value (byte
// offset + text), never an exception.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace causeway::replication {

// Where parsing or decoding stopped (byte offset into the text or the encoded bytes) and why.
struct GtidError {
  std::size_t offset = 0;
  std::string message;
};

// ---------------------------------------------------------------------------------------
// MySQL

struct Uuid {
  std::array<std::uint8_t, 16> bytes{};
  friend auto operator<=>(const Uuid&, const Uuid&) = default;
};

// 36-char hyphenated form, case-insensitive.
std::optional<Uuid> parse_uuid(std::string_view text);
// Lower case, as MySQL prints it.
std::string to_string(const Uuid&);

// MySQL GNOs run from 1 to 2^63 - 2: the binary form stores an exclusive end as int64.
inline constexpr std::uint64_t max_gno = 0x7fffffffffffffffULL - 1;

struct MysqlGtid {
  Uuid uuid;
  std::string tag;  // empty = untagged; else [a-z_][a-z0-9_]{0,31}, lower case
  std::uint64_t gno = 0;
  friend bool operator==(const MysqlGtid&, const MysqlGtid&) = default;
};

// `uuid:gno` or `uuid:tag:gno` (MySQL 8.4 tagged GTID).
std::optional<MysqlGtid> parse_mysql_gtid(std::string_view text, GtidError& error);
std::string to_string(const MysqlGtid&);

struct GtidInterval {
  std::uint64_t first = 0;  // inclusive
  std::uint64_t last = 0;   // inclusive
  friend bool operator==(const GtidInterval&, const GtidInterval&) = default;
};

class MysqlGtidSet {
 public:
  // One member of the set: a source uuid and a tag ("" = untagged). Sorting by this key
  // gives MySQL's own order (uuid bytes, then tag; untagged first).
  using Key = std::pair<Uuid, std::string>;
  // Sorted, disjoint, never adjacent (merged), never empty.
  using Intervals = std::vector<GtidInterval>;

  // `@@gtid_executed` text: `uuid:1-5:7:tag:1-2,uuid2:3`; whitespace and newlines around
  // the separators are allowed, "" is the empty set. Intervals are merged and sorted.
  static std::optional<MysqlGtidSet> parse(std::string_view text, GtidError& error);

  // Canonical text: uuids lower case, sorted by (uuid, tag), intervals `a-b` / `a`.
  // MySQL's own rendering joins members with ",\n"; "," is what SET statements want.
  [[nodiscard]] std::string to_string(std::string_view separator = ",") const;

  [[nodiscard]] bool empty() const { return members_.empty(); }
  [[nodiscard]] bool contains(const MysqlGtid& gtid) const;
  // Superset test: every GTID of `other` is in this set.
  [[nodiscard]] bool contains(const MysqlGtidSet& other) const;
  // Number of transactions (saturates at 2^64 - 1).
  [[nodiscard]] std::uint64_t count() const;

  // false when the GTID was already in the set (or its gno is out of range).
  bool add(const MysqlGtid& gtid);
  // `interval` must satisfy 1 <= first <= last <= max_gno; false (and no change) otherwise.
  bool add(const Key& key, GtidInterval interval);
  MysqlGtidSet& unite(const MysqlGtidSet& other);
  MysqlGtidSet& subtract(const MysqlGtidSet& other);

  [[nodiscard]] const std::map<Key, Intervals>& members() const { return members_; }
  friend bool operator==(const MysqlGtidSet&, const MysqlGtidSet&) = default;

 private:
  std::map<Key, Intervals> members_;
};

MysqlGtidSet set_union(MysqlGtidSet a, const MysqlGtidSet& b);
MysqlGtidSet set_difference(MysqlGtidSet a, const MysqlGtidSet& b);

// Binary form (PREVIOUS_GTIDS_LOG_EVENT body, COM_BINLOG_DUMP_GTID data): the untagged
// format 0 when the set has no tag (understood by every server), else the 8.3+ tagged
// format 1. Appends to `out`.
void encode(const MysqlGtidSet& set, std::vector<std::uint8_t>& out);
[[nodiscard]] std::size_t encoded_size(const MysqlGtidSet& set);
// Reads either format; the whole span must be the set (trailing bytes are an error).
std::optional<MysqlGtidSet> decode_mysql_gtid_set(std::span<const std::uint8_t> bytes,
                                                  GtidError& error);

// ---------------------------------------------------------------------------------------
// MariaDB

struct MariadbGtid {
  std::uint32_t domain = 0;
  std::uint32_t server_id = 0;
  std::uint64_t seq = 0;
  friend bool operator==(const MariadbGtid&, const MariadbGtid&) = default;
};

// `domain-server_id-seq`, decimal u32-u32-u64.
std::optional<MariadbGtid> parse_mariadb_gtid(std::string_view text, GtidError& error);
std::string to_string(const MariadbGtid&);

// A GTID position (@@gtid_binlog_pos, gtid_current_pos, gtid_slave_pos,
// @slave_connect_state): the last GTID of each replication domain.
//
// Assumption: within a domain seq numbers only grow (gtid_strict_mode, or simply one
// writer per domain), so "domain d reached seq n" means every GTID d-*-m with m <= n
// has been applied. server_id is informational; MariaDB orders by seq only.
class MariadbGtidPosition {
 public:
  // Comma list, whitespace allowed around commas, "" = empty. Several entries for one
  // domain (gtid_binlog_state, GTID_LIST) keep the one with the highest seq.
  static std::optional<MariadbGtidPosition> parse(std::string_view text, GtidError& error);
  // Sorted by domain: `0-1-100,1-2-5`.
  [[nodiscard]] std::string to_string() const;

  [[nodiscard]] bool empty() const { return domains_.empty(); }
  [[nodiscard]] std::optional<MariadbGtid> find(std::uint32_t domain) const;
  // The position's seq for gtid.domain is >= gtid.seq.
  [[nodiscard]] bool contains(const MariadbGtid& gtid) const;
  // For every domain of `other`, this position's seq is >= other's.
  [[nodiscard]] bool covers(const MariadbGtidPosition& other) const;
  // Records a GTID seen in the stream; false when its domain already had a higher or equal
  // seq (nothing changes then).
  bool update(const MariadbGtid& gtid);

  [[nodiscard]] const std::map<std::uint32_t, MariadbGtid>& domains() const { return domains_; }
  friend bool operator==(const MariadbGtidPosition&, const MariadbGtidPosition&) = default;

 private:
  std::map<std::uint32_t, MariadbGtid> domains_;
};

// How far `behind` is from `ahead`: the sum over ahead's domains of the seq difference
// (0 where behind is level or ahead; a domain missing from behind counts from seq 0).
// An upper bound on transactions, since seq numbers may jump (SET gtid_seq_no).
// Saturates at 2^64 - 1.
[[nodiscard]] std::uint64_t lag(const MariadbGtidPosition& behind,
                                const MariadbGtidPosition& ahead);

}  // namespace causeway::replication

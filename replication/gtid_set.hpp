// GTIDs of either flavour behind one value type, for the parts of causeway that do not care
// which server family wrote them: the tracker (what each server has applied), the router
// (what a read requires) and session tokens (`/* causeway: min_gtid=... */`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "replication/gtid.hpp"

namespace causeway::replication {

enum class Flavour : std::uint8_t { Unknown, Mysql, Mariadb };

class GtidSet {
 public:
  GtidSet() = default;
  explicit GtidSet(MysqlGtidSet set) : value_(std::move(set)) {}
  explicit GtidSet(MariadbGtidPosition position) : value_(std::move(position)) {}

  // The flavour is told by the text: MySQL sets contain ':' (uuid:interval), MariaDB
  // positions are `domain-server-seq` lists. "" is the empty set (flavour unknown).
  static std::optional<GtidSet> parse(std::string_view text, GtidError& error);

  [[nodiscard]] Flavour flavour() const;
  [[nodiscard]] bool empty() const;
  [[nodiscard]] std::string to_string() const;

  // Every GTID of `required` is here. The empty set is contained in anything; a set of the
  // other flavour never is (a MariaDB server cannot have applied a MySQL GTID).
  [[nodiscard]] bool contains(const GtidSet& required) const;
  // How many transactions of `ahead` are missing here (MariaDB: by seq numbers, an upper
  // bound; the other flavour: everything in ahead).
  [[nodiscard]] std::uint64_t missing_from(const GtidSet& ahead) const;

  // Adds what `other` has. The empty set takes the other's flavour; a set of the other
  // flavour replaces this one (the servers were replaced: the newest knowledge wins).
  void unite(const GtidSet& other);
  // Records one GTID; false when it was already here.
  bool add(const MysqlGtid& gtid);
  bool add(const MariadbGtid& gtid);

  [[nodiscard]] const MysqlGtidSet* mysql() const { return std::get_if<MysqlGtidSet>(&value_); }
  [[nodiscard]] const MariadbGtidPosition* mariadb() const {
    return std::get_if<MariadbGtidPosition>(&value_);
  }

  friend bool operator==(const GtidSet&, const GtidSet&) = default;

 private:
  std::variant<std::monostate, MysqlGtidSet, MariadbGtidPosition> value_;
};

const char* to_string(Flavour flavour);

}  // namespace causeway::replication

#include "replication/gtid_set.hpp"

namespace causeway::replication {

std::optional<GtidSet> GtidSet::parse(std::string_view text, GtidError& error) {
  if (text.find(':') != std::string_view::npos) {
    auto set = MysqlGtidSet::parse(text, error);
    if (!set) return std::nullopt;
    return set->empty() ? GtidSet() : GtidSet(std::move(*set));
  }
  auto position = MariadbGtidPosition::parse(text, error);
  if (!position) return std::nullopt;
  return position->empty() ? GtidSet() : GtidSet(std::move(*position));
}

Flavour GtidSet::flavour() const {
  if (mysql()) return Flavour::Mysql;
  if (mariadb()) return Flavour::Mariadb;
  return Flavour::Unknown;
}

bool GtidSet::empty() const {
  if (const auto* m = mysql()) return m->empty();
  if (const auto* p = mariadb()) return p->empty();
  return true;
}

std::string GtidSet::to_string() const {
  if (const auto* m = mysql()) return m->to_string();
  if (const auto* p = mariadb()) return p->to_string();
  return {};
}

bool GtidSet::contains(const GtidSet& required) const {
  if (required.empty()) return true;
  if (const auto* want = required.mysql()) {
    const auto* have = mysql();
    return have && have->contains(*want);
  }
  const auto* have = mariadb();
  return have && have->covers(*required.mariadb());
}

std::uint64_t GtidSet::missing_from(const GtidSet& ahead) const {
  if (const auto* a = ahead.mysql()) {
    const auto* have = mysql();
    return have ? set_difference(*a, *have).count() : a->count();
  }
  if (const auto* a = ahead.mariadb()) {
    const auto* have = mariadb();
    return lag(have ? *have : MariadbGtidPosition{}, *a);
  }
  return 0;
}

void GtidSet::unite(const GtidSet& other) {
  if (other.empty()) return;
  if (flavour() != other.flavour()) {
    value_ = other.value_;
    return;
  }
  if (auto* m = std::get_if<MysqlGtidSet>(&value_)) {
    m->unite(*other.mysql());
    return;
  }
  auto& mine = std::get<MariadbGtidPosition>(value_);
  for (const auto& [domain, gtid] : other.mariadb()->domains()) mine.update(gtid);
}

bool GtidSet::add(const MysqlGtid& gtid) {
  if (!mysql()) value_ = MysqlGtidSet{};
  return std::get<MysqlGtidSet>(value_).add(gtid);
}

bool GtidSet::add(const MariadbGtid& gtid) {
  if (!mariadb()) value_ = MariadbGtidPosition{};
  return std::get<MariadbGtidPosition>(value_).update(gtid);
}

const char* to_string(Flavour flavour) {
  switch (flavour) {
    case Flavour::Mysql: return "mysql";
    case Flavour::Mariadb: return "mariadb";
    case Flavour::Unknown: break;
  }
  return "unknown";
}

}  // namespace causeway::replication

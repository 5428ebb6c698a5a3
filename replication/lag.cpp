#include "replication/lag.hpp"

#include <algorithm>

namespace causeway::replication {

bool contains(const GtidSet& set, const Gtid& gtid) {
  if (const auto* g = std::get_if<MysqlGtid>(&gtid)) return set.mysql() && set.mysql()->contains(*g);
  const auto& m = std::get<MariadbGtid>(gtid);
  return set.mariadb() && set.mariadb()->contains(m);
}

void LagTracker::reset_primary() {
  seen_.clear();
  first_index_ = 0;
  replicas_.clear();
}

void LagTracker::primary_committed(const Gtid& gtid, Clock::time_point at) {
  seen_.push_back({gtid, at});
  if (seen_.size() > max_remembered) {
    seen_.pop_front();
    ++first_index_;
  }
}

LagTracker::Lag LagTracker::update(std::size_t replica, const GtidSet& replica_set, const GtidSet& primary_set,
                                   Clock::time_point now) {
  if (replica >= replicas_.size()) replicas_.resize(replica + 1);
  Replica& r = replicas_[replica];
  r.cursor = std::max(r.cursor, first_index_);

  // Walk past what the replica has applied since the last update: the last one walked over
  // gives the apply delay. The walk stops at the oldest missing GTID.
  const std::uint64_t end = first_index_ + seen_.size();
  while (r.cursor < end) {
    const Entry& e = seen_[r.cursor - first_index_];
    if (!contains(replica_set, e.gtid)) break;
    r.last_delay_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - e.at).count();
    ++r.cursor;
  }

  Lag lag;
  lag.transactions = replica_set.missing_from(primary_set);
  lag.last_delay_ms = r.last_delay_ms;
  if (lag.transactions == 0) {
    r.behind_noticed = {};
    return lag;
  }
  if (r.behind_noticed == Clock::time_point{}) r.behind_noticed = now;
  // Missing GTIDs the primary showed before we remembered them date from when the replica
  // was first seen behind; else from the oldest missing one's commit on the primary.
  lag.behind_since = r.cursor < end ? std::min(seen_[r.cursor - first_index_].at, now) : r.behind_noticed;
  if (r.cursor < end && r.behind_noticed < lag.behind_since && r.cursor == first_index_)
    lag.behind_since = r.behind_noticed;
  return lag;
}

}  // namespace causeway::replication

// Replication lag per replica, in transactions and milliseconds, from what the binlog
// streams showed and when: the primary's stream timestamps each new GTID; a replica is as
// far behind as the oldest primary GTID it has not applied yet, and when it applies one,
// the time since the primary showed it is its apply delay. Pure: the caller serialises
// access and passes the clock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <variant>
#include <vector>

#include "replication/gtid_set.hpp"

namespace causeway::replication {

using Gtid = std::variant<MysqlGtid, MariadbGtid>;
bool contains(const GtidSet& set, const Gtid& gtid);

class LagTracker {
 public:
  using Clock = std::chrono::steady_clock;

  struct Lag {
    std::uint64_t transactions = 0;  // GTIDs the primary has that the replica lacks
    Clock::time_point behind_since{};  // oldest missing GTID seen on the primary; {} when level
    std::int64_t last_delay_ms = -1;   // primary stream -> replica, for its last caught-up GTID
  };

  // At most this many primary GTIDs are remembered; older ones are assumed applied
  // everywhere or are timed from when the replica was first seen behind.
  static constexpr std::size_t max_remembered = 100'000;

  // The primary changed (failover, or first known): forget its history.
  void reset_primary();
  // The primary's stream showed a new transaction.
  void primary_committed(const Gtid& gtid, Clock::time_point at);
  // A replica's visible set changed, or time passed: its lag against the primary's set.
  Lag update(std::size_t replica, const GtidSet& replica_set, const GtidSet& primary_set, Clock::time_point now);

 private:
  struct Entry {
    Gtid gtid;
    Clock::time_point at;
  };
  struct Replica {
    std::uint64_t cursor = 0;  // absolute index of the first entry not known applied
    Clock::time_point behind_noticed{};
    std::int64_t last_delay_ms = -1;
  };

  std::deque<Entry> seen_;
  std::uint64_t first_index_ = 0;  // absolute index of seen_.front()
  std::vector<Replica> replicas_;
};

}  // namespace causeway::replication

// Either-flavour GTID sets and replication lag from stream timestamps.
#include <catch2/catch.hpp>

#include <chrono>

#include "replication/gtid_set.hpp"
#include "replication/lag.hpp"

using namespace causeway::replication;
using namespace std::chrono_literals;
using Clock = LagTracker::Clock;

namespace {

GtidSet set(const std::string& text) {
  GtidError error;
  auto s = GtidSet::parse(text, error);
  INFO(error.message);
  REQUIRE(s);
  return *s;
}

MariadbGtid mdb(std::uint64_t seq) { return MariadbGtid{0, 1, seq}; }

}  // namespace

TEST_CASE("a GTID set's flavour is told by its text", "[gtid_set]") {
  CHECK(set("0-1-5,1-2-7").flavour() == Flavour::Mariadb);
  CHECK(set("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5").flavour() == Flavour::Mysql);
  CHECK(set("").flavour() == Flavour::Unknown);
  CHECK(set("").empty());
  GtidError error;
  CHECK_FALSE(GtidSet::parse("0-1", error));
  CHECK_FALSE(GtidSet::parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:0", error));
}

TEST_CASE("containment across flavours and the empty set", "[gtid_set]") {
  CHECK(set("0-1-10").contains(set("0-1-9")));
  CHECK(set("0-1-10").contains(set("0-2-10")));  // MariaDB orders by seq within a domain
  CHECK_FALSE(set("0-1-10").contains(set("0-1-11")));
  CHECK_FALSE(set("0-1-10").contains(set("1-1-1")));
  CHECK(set("0-1-10,1-1-3").contains(set("1-1-2,0-1-10")));
  const std::string uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
  CHECK(set(uuid + ":1-10").contains(set(uuid + ":3:5-6")));
  CHECK_FALSE(set(uuid + ":1-10").contains(set(uuid + ":11")));
  CHECK_FALSE(set(uuid + ":1-10").contains(set("0-1-1")));
  CHECK_FALSE(set("0-1-10").contains(set(uuid + ":1")));
  CHECK(set("").contains(set("")));
  CHECK(set("0-1-1").contains(set("")));
  CHECK_FALSE(set("").contains(set("0-1-1")));
}

TEST_CASE("union keeps the newest per domain or adds intervals", "[gtid_set]") {
  GtidSet s;
  s.unite(set("0-1-5"));
  s.unite(set("0-1-3,2-1-1"));
  CHECK(s.to_string() == "0-1-5,2-1-1");
  const std::string uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
  GtidSet m = set(uuid + ":1-3");
  m.unite(set(uuid + ":4-6:9"));
  CHECK(m.to_string() == uuid + ":1-6:9");
  // After a switch of server family the newest knowledge wins.
  m.unite(set("0-1-1"));
  CHECK(m.flavour() == Flavour::Mariadb);
}

TEST_CASE("missing transactions count per flavour", "[gtid_set]") {
  CHECK(set("0-1-90").missing_from(set("0-1-100")) == 10);
  CHECK(set("0-1-100").missing_from(set("0-1-90")) == 0);
  CHECK(set("").missing_from(set("0-1-7,1-1-3")) == 10);
  const std::string uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
  CHECK(set(uuid + ":1-5").missing_from(set(uuid + ":1-9")) == 4);
}

TEST_CASE("a replica level with the primary has no lag", "[lag]") {
  LagTracker t;
  const auto t0 = Clock::now();
  t.primary_committed(mdb(11), t0);
  const auto lag = t.update(1, set("0-1-11"), set("0-1-11"), t0 + 3ms);
  CHECK(lag.transactions == 0);
  CHECK(lag.behind_since == Clock::time_point{});
  CHECK(lag.last_delay_ms == 3);
}

TEST_CASE("a lagging replica is as far behind as its oldest missing transaction", "[lag]") {
  LagTracker t;
  const auto t0 = Clock::now();
  for (std::uint64_t seq = 11; seq <= 15; ++seq) t.primary_committed(mdb(seq), t0 + std::chrono::milliseconds(seq));
  // The replica applied up to 12: 13 (shown at t0+13ms) is the oldest missing.
  auto lag = t.update(1, set("0-1-12"), set("0-1-15"), t0 + 100ms);
  CHECK(lag.transactions == 3);
  CHECK(lag.behind_since == t0 + 13ms);
  CHECK(lag.last_delay_ms == 100 - 12);
  // It catches up: the lag is its apply delay for the last one.
  lag = t.update(1, set("0-1-15"), set("0-1-15"), t0 + 120ms);
  CHECK(lag.transactions == 0);
  CHECK(lag.behind_since == Clock::time_point{});
  CHECK(lag.last_delay_ms == 120 - 15);
}

TEST_CASE("missing transactions from before the history are timed from when the replica was seen behind", "[lag]") {
  LagTracker t;
  const auto t0 = Clock::now();
  auto lag = t.update(2, set("0-1-5"), set("0-1-9"), t0);  // nothing remembered yet
  CHECK(lag.transactions == 4);
  CHECK(lag.behind_since == t0);
  lag = t.update(2, set("0-1-6"), set("0-1-9"), t0 + 50ms);
  CHECK(lag.behind_since == t0);  // still behind since then
}

TEST_CASE("a new primary resets the history", "[lag]") {
  LagTracker t;
  const auto t0 = Clock::now();
  t.primary_committed(mdb(1), t0);
  t.reset_primary();
  const auto lag = t.update(1, set("0-1-1"), set("0-1-1"), t0 + 1s);
  CHECK(lag.last_delay_ms == -1);
  CHECK(lag.transactions == 0);
}

TEST_CASE("the history is bounded", "[lag]") {
  LagTracker t;
  const auto t0 = Clock::now();
  for (std::uint64_t seq = 1; seq <= LagTracker::max_remembered + 10; ++seq) t.primary_committed(mdb(seq), t0);
  const auto lag = t.update(1, set("0-1-3"), set("0-1-" + std::to_string(LagTracker::max_remembered + 10)), t0 + 1s);
  CHECK(lag.transactions == LagTracker::max_remembered + 7);
  CHECK(lag.behind_since <= t0 + 1s);
}

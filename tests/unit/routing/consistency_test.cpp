// Consistency levels in the routing decision: which replica may serve a read given the
// GTIDs the session wrote, what it has read, the primary's position and replica lag.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "routing/classifier.hpp"
#include "routing/hint.hpp"
#include "routing/router.hpp"
#include "routing/session_state.hpp"

using namespace causeway::routing;
using causeway::replication::GtidError;
using causeway::replication::GtidSet;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

GtidSet gtids(const std::string& text) {
  GtidError error;
  auto set = GtidSet::parse(text, error);
  REQUIRE(set);
  return *set;
}

GtidSetPtr shared(const std::string& text) { return std::make_shared<const GtidSet>(gtids(text)); }

// primary (0) at 0-1-100, replica1 (1) at 0-1-90, replica2 (2) at 0-1-100; all streamed.
Topology tracked() {
  Topology t;
  const char* positions[] = {"0-1-100", "0-1-90", "0-1-100"};
  for (int i = 0; i < 3; ++i) {
    ServerState s;
    s.name = i == 0 ? "primary" : "replica" + std::to_string(i);
    s.reachable = true;
    s.is_replica = i > 0;
    s.read_only = s.is_replica;
    s.io_running = s.sql_running = s.is_replica;
    s.configured_role = s.is_replica ? ConfiguredRole::Replica : ConfiguredRole::Primary;
    s.stream = StreamState::Streaming;
    s.executed = shared(positions[i]);
    t.servers.push_back(s);
  }
  t.writer = 0;
  return t;
}

struct Read {
  Classification c = classify("SELECT * FROM t WHERE id = 1");
  Request req;
  Read(Consistency level, const GtidSet* token = nullptr) {
    req.statement = &c;
    req.consistency = level;
    req.token = token;
    req.now = Clock::now();
  }
  Decision decide(const SessionState& s, const Topology& t, RoutePolicy p = {}, std::uint32_t rotation = 0) {
    return causeway::routing::decide(req, s, t, p, LoadView{{}, rotation});
  }
};

}  // namespace

TEST_CASE("read_your_writes sends a read only to a replica that has the session's writes", "[router][consistency]") {
  const Topology t = tracked();
  SessionState s;
  s.written = gtids("0-1-95");
  for (std::uint32_t rotation = 0; rotation < 4; ++rotation) {
    const Decision d = Read(Consistency::ReadYourWrites).decide(s, t, {}, rotation);
    CHECK(d.target == Target::Replica);
    CHECK(d.server == 2);  // replica1 lacks 0-1-95
    CHECK(d.reason == Reason::Read);
  }
}

TEST_CASE("a session that wrote nothing reads from any replica", "[router][consistency]") {
  const Topology t = tracked();
  const SessionState s;
  bool seen[3] = {};
  for (std::uint32_t rotation = 0; rotation < 4; ++rotation) {
    const Decision d = Read(Consistency::ReadYourWrites).decide(s, t, {}, rotation);
    REQUIRE(d.target == Target::Replica);
    seen[d.server] = true;
  }
  CHECK(seen[1]);
  CHECK(seen[2]);
}

TEST_CASE("eventual ignores the session's writes", "[router][consistency]") {
  const Topology t = tracked();
  SessionState s;
  s.written = gtids("0-1-101");  // no replica has it
  CHECK(Read(Consistency::Eventual).decide(s, t).target == Target::Replica);
}

TEST_CASE("a read waits when no replica has the GTIDs yet but one is catching up", "[router][consistency]") {
  const Topology t = tracked();
  SessionState s;
  s.written = gtids("0-1-101");
  Read r(Consistency::ReadYourWrites);
  const Decision d = r.decide(s, t);
  CHECK(d.target == Target::Wait);
  CHECK(d.reason == Reason::WaitForReplica);

  SECTION("after its deadline it goes to the primary by default") {
    r.req.waited = true;
    const Decision after = r.decide(s, t);
    CHECK(after.target == Target::Primary);
    CHECK(after.reason == Reason::ConsistencyTimeout);
  }
  SECTION("or fails when the policy says error") {
    r.req.waited = true;
    RoutePolicy p;
    p.timeout_to_primary = false;
    CHECK(r.decide(s, t, p).target == Target::Reject);
  }
  SECTION("a replica that catches up serves it") {
    Topology later = t;
    later.servers[1].executed = shared("0-1-101");
    const Decision now = r.decide(s, later);
    CHECK(now.target == Target::Replica);
    CHECK(now.server == 1);
  }
}

TEST_CASE("a read does not wait for replicas further behind than its whole wait", "[router][consistency]") {
  Topology t = tracked();
  SessionState s;
  s.written = gtids("0-1-101");  // no replica has it
  Read r(Consistency::ReadYourWrites);
  r.req.wait_ms = 500;
  auto behind = [&](std::chrono::milliseconds lag) {
    for (std::size_t i = 1; i < 3; ++i) t.servers[i].behind_since = r.req.now - lag;
  };

  SECTION("a replica less far behind is waited for") {
    behind(500ms);
    CHECK(r.decide(s, t).target == Target::Wait);
  }
  SECTION("seconds behind: the primary at once") {
    behind(3s);
    const Decision d = r.decide(s, t);
    CHECK(d.target == Target::Primary);
    CHECK(d.reason == Reason::ConsistencyFallback);
  }
  SECTION("one replica within reach is enough") {
    behind(3s);
    t.servers[2].behind_since = r.req.now - 10ms;
    CHECK(r.decide(s, t).target == Target::Wait);
  }
  SECTION("a longer wait waits for it") {
    behind(3s);
    r.req.wait_ms = 5000;
    CHECK(r.decide(s, t).target == Target::Wait);
  }
  SECTION("with on_timeout: error the read still waits its whole wait") {
    behind(3s);
    RoutePolicy p;
    p.timeout_to_primary = false;
    CHECK(r.decide(s, t, p).target == Target::Wait);
  }
  SECTION("without a known wait it waits as before") {
    behind(3s);
    r.req.wait_ms = -1;
    CHECK(r.decide(s, t).target == Target::Wait);
  }
}

TEST_CASE("without GTID tracking a read that needs GTIDs goes to the primary at once", "[router][consistency]") {
  Topology t = tracked();
  for (auto& s : t.servers) {
    s.stream = StreamState::Off;
    s.executed = nullptr;
  }
  SessionState s;
  s.written = gtids("0-1-50");
  const Decision d = Read(Consistency::ReadYourWrites).decide(s, t);
  CHECK(d.target == Target::Primary);
  CHECK(d.reason == Reason::ConsistencyFallback);
}

TEST_CASE("a replica whose stream is reconnecting keeps what it was known to have applied", "[router][consistency]") {
  // A server never un-applies a transaction: the last known set is a safe lower bound.
  Topology t = tracked();
  t.servers[2].stream = StreamState::Connecting;
  SessionState s;
  s.written = gtids("0-1-95");
  Decision d = Read(Consistency::ReadYourWrites).decide(s, t);
  CHECK(d.target == Target::Replica);
  CHECK(d.server == 2);
  // But a read does not wait for a replica that nobody can see catching up.
  t.servers[1].stream = StreamState::Connecting;
  s.written = gtids("0-1-101");
  d = Read(Consistency::ReadYourWrites).decide(s, t);
  CHECK(d.target == Target::Primary);
  CHECK(d.reason == Reason::ConsistencyFallback);
}

TEST_CASE("the polling fallback still serves read_your_writes", "[router][consistency]") {
  Topology t = tracked();
  t.servers[2].stream = StreamState::Polling;
  SessionState s;
  s.written = gtids("0-1-95");
  const Decision d = Read(Consistency::ReadYourWrites).decide(s, t);
  CHECK(d.target == Target::Replica);
  CHECK(d.server == 2);
}

TEST_CASE("a min_gtid token is required like the session's own writes", "[router][consistency]") {
  const Topology t = tracked();
  const SessionState s;
  const GtidSet token = gtids("0-1-99");
  const Decision d = Read(Consistency::Eventual, &token).decide(s, t);
  CHECK(d.target == Target::Replica);
  CHECK(d.server == 2);
}

TEST_CASE("strong requires what the primary's stream has shown", "[router][consistency]") {
  Topology t = tracked();
  const SessionState s;
  Decision d = Read(Consistency::Strong).decide(s, t);
  CHECK(d.target == Target::Replica);
  CHECK(d.server == 2);

  t.servers[0].executed = shared("0-1-120");
  CHECK(Read(Consistency::Strong).decide(s, t).target == Target::Wait);

  t.servers[0].stream = StreamState::Connecting;
  d = Read(Consistency::Strong).decide(s, t);
  CHECK(d.target == Target::Primary);
  CHECK(d.reason == Reason::StrongNoStream);
}

TEST_CASE("monotonic never reads older state than it has read before", "[router][consistency]") {
  Topology t = tracked();
  SessionState s;
  observe_read(s, t.servers[2]);  // read at 0-1-100
  const Decision d = Read(Consistency::Monotonic).decide(s, t);
  CHECK(d.target == Target::Replica);
  CHECK(d.server == 2);  // replica1 at 0-1-90 would go back in time
  // read_your_writes alone does not care about what was read.
  bool replica1 = false;
  for (std::uint32_t r = 0; r < 4; ++r) replica1 |= Read(Consistency::ReadYourWrites).decide(s, t, {}, r).server == 1;
  CHECK(replica1);
}

TEST_CASE("max_replica_lag keeps lagging replicas out and lets them back when caught up", "[router][consistency]") {
  Topology t = tracked();
  const auto now = Clock::now();
  t.servers[1].behind_since = now - 5s;
  t.servers[2].last_delay_ms = 3;
  RoutePolicy p;
  p.max_replica_lag_ms = 1000;
  const SessionState s;
  for (std::uint32_t rotation = 0; rotation < 4; ++rotation) {
    Read r(Consistency::Eventual);
    r.req.now = now;
    const Decision d = r.decide(s, t, p, rotation);
    CHECK(d.target == Target::Replica);
    CHECK(d.server == 2);
  }
  t.servers[2].behind_since = now - 2s;  // both behind: the primary
  Read r(Consistency::Eventual);
  r.req.now = now;
  const Decision d = r.decide(s, t, p);
  CHECK(d.target == Target::Primary);
  CHECK(d.reason == Reason::NoReplicaFallback);

  t.servers[1].behind_since = {};
  t.servers[1].last_delay_ms = 10;
  CHECK(r.decide(s, t, p).server == 1);
}

TEST_CASE("a READ ONLY transaction starts on a replica with the session's writes", "[router][consistency]") {
  const Topology t = tracked();
  SessionState s;
  s.written = gtids("0-1-95");
  const Classification c = classify("START TRANSACTION READ ONLY");
  Request req;
  req.statement = &c;
  req.consistency = Consistency::ReadYourWrites;
  const Decision d = decide(req, s, t, {}, LoadView{});
  CHECK(d.target == Target::Replica);
  CHECK(d.server == 2);
}

TEST_CASE("what a session wrote and read survives a connection reset", "[router][consistency]") {
  SessionState s;
  s.written = gtids("0-1-5");
  s.observed = gtids("0-1-4");
  s.pins = pin::UserVariables;
  reset_session(s);
  CHECK(s.written == gtids("0-1-5"));
  CHECK(s.observed == gtids("0-1-4"));
  CHECK(s.pins == 0);
}

TEST_CASE("SET causeway_consistency is recognised in its spellings", "[hint][consistency]") {
  struct Case {
    const char* sql;
    bool matched;
    bool valid;
    Consistency level;
  };
  const Case cases[] = {
      {"SET causeway_consistency = 'strong'", true, true, Consistency::Strong},
      {"set causeway_consistency=eventual", true, true, Consistency::Eventual},
      {"SET SESSION causeway_consistency := \"monotonic\";", true, true, Consistency::Monotonic},
      {"SET @@session.causeway_consistency = read_your_writes", true, true, Consistency::ReadYourWrites},
      {"SET @@causeway_consistency = 'read-your-writes'", true, true, Consistency::ReadYourWrites},
      {"/* app */ SET causeway_consistency = DEFAULT", true, true, Consistency::Unspecified},
      {"SET causeway_consistency = 'sometimes'", true, false, Consistency::Unspecified},
      {"SET causeway_consistency = 'strong', autocommit = 1", true, false, Consistency::Unspecified},
      {"SET @causeway_consistency = 'strong'", false, false, Consistency::Unspecified},
      {"SET causeway_consistency_x = 'strong'", false, false, Consistency::Unspecified},
      {"SET sql_mode = 'ANSI'", false, false, Consistency::Unspecified},
      {"SELECT 1", false, false, Consistency::Unspecified},
  };
  for (const Case& c : cases) {
    INFO(c.sql);
    const ConsistencySetting s = parse_consistency_setting(c.sql);
    CHECK(s.matched == c.matched);
    CHECK(s.valid == c.valid);
    if (s.valid) CHECK(s.level == c.level);
  }
}

TEST_CASE("a drained server is not named by a route=server hint", "[router]") {
  Topology t = tracked();
  t.servers[2].drained = true;
  const SessionState s;
  const Classification c = classify("/* causeway: route=server:replica2 */ SELECT 1 FROM t");
  RouteHint hint = parse_hint(c.hint);
  Request req;
  req.statement = &c;
  req.hint = &hint;
  const Decision d = decide(req, s, t, {}, LoadView{});
  CHECK(d.target == Target::Primary);
  CHECK(d.reason == Reason::UnknownServer);
}

TEST_CASE("strong requires what the primary's binlog has shown, even when less is known visible there",
          "[router][consistency]") {
  // At start-up a primary's visible set can be known as less than its binlog (its stream
  // reported before the monitor knew it was the primary): the requirement must not shrink.
  Topology t = tracked();
  t.servers[0].executed = shared("");
  t.servers[0].streamed = shared("0-1-100");
  const SessionState s;
  const Decision d = Read(Consistency::Strong).decide(s, t);
  CHECK(d.target == Target::Replica);
  CHECK(d.server == 2);  // replica1 at 0-1-90 lacks what the primary's binlog has
}

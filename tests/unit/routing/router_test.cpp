// The routing decision, table-driven: statement, session state, topology -> target, reason.
#include <catch2/catch.hpp>

#include <algorithm>

#include <string>
#include <vector>

#include "routing/classifier.hpp"
#include "routing/hint.hpp"
#include "routing/router.hpp"
#include "routing/session_state.hpp"

using namespace causeway::routing;

namespace {

// primary (0), replica1 (1), replica2 (2), all healthy.
Topology three_servers() {
  Topology t;
  for (const char* name : {"primary", "replica1", "replica2"}) {
    ServerState s;
    s.name = name;
    s.reachable = true;
    s.is_replica = t.servers.size() > 0;
    s.read_only = s.is_replica;
    s.io_running = s.sql_running = s.is_replica;
    s.configured_role = s.is_replica ? ConfiguredRole::Replica : ConfiguredRole::Primary;
    t.servers.push_back(s);
  }
  t.writer = 0;
  return t;
}

Decision route(const std::string& sql, const SessionState& state, const Topology& t, RoutePolicy policy = {},
               std::vector<std::uint32_t> outstanding = {}) {
  const Classification c = classify(sql);
  RouteHint hint;
  Request req;
  req.statement = &c;
  if (c.has(flag::HasHint)) {
    hint = parse_hint(c.hint);
    req.hint = &hint;
  }
  return decide(req, state, t, policy, LoadView{outstanding, 0});
}

struct Row {
  const char* sql;
  Target target;
  Reason reason;
};

}  // namespace

TEST_CASE("statements outside a transaction go where their class says", "[router]") {
  const Topology t = three_servers();
  const SessionState idle;
  const Row rows[] = {
      {"SELECT * FROM t WHERE id = 1", Target::Replica, Reason::Read},
      {"select c from sbtest1 where id=5", Target::Replica, Reason::Read},
      {"/* FOR UPDATE */ SELECT 1", Target::Replica, Reason::Read},
      {"WITH x AS (SELECT 1) SELECT * FROM x", Target::Replica, Reason::Read},
      {"SELECT * FROM t FOR UPDATE", Target::Primary, Reason::Locking},
      {"SELECT * FROM t LOCK IN SHARE MODE", Target::Primary, Reason::Locking},
      {"SELECT GET_LOCK('a', 1)", Target::Primary, Reason::Locking},
      {"SELECT LAST_INSERT_ID()", Target::Primary, Reason::SideEffect},
      {"SELECT a INTO @v FROM t", Target::Primary, Reason::SideEffect},
      {"SELECT NEXTVAL(s)", Target::Primary, Reason::SideEffect},
      {"INSERT INTO t VALUES (1)", Target::Primary, Reason::Write},
      {"WITH x AS (SELECT 1) DELETE FROM t WHERE id IN (SELECT * FROM x)", Target::Primary, Reason::Write},
      {"UPDATE t SET a = 1", Target::Primary, Reason::Write},
      {"CREATE TABLE t (id int)", Target::Primary, Reason::Ddl},
      {"GRANT SELECT ON *.* TO u", Target::Primary, Reason::Ddl},
      {"BEGIN", Target::Primary, Reason::TransactionControl},
      {"START TRANSACTION READ ONLY", Target::Replica, Reason::ReadOnlyTransaction},
      {"SET NAMES utf8mb4", Target::Primary, Reason::SessionStatement},
      {"USE demo", Target::Primary, Reason::SessionStatement},
      {"LOCK TABLES t WRITE", Target::Primary, Reason::Locking},
      {"CALL p()", Target::Primary, Reason::Call},
      {"SHOW TABLES", Target::Primary, Reason::Show},
      {"SELECT 1; SELECT 2", Target::Primary, Reason::MultiStatement},
      {"FROBNICATE everything", Target::Primary, Reason::Unknown},
      {"/* causeway: route=primary */ SELECT 1", Target::Primary, Reason::HintPrimary},
      {"/* causeway: route=replica */ SELECT @@server_id", Target::Replica, Reason::HintReplica},
      {"/* causeway: route=replica */ INSERT INTO t VALUES (1)", Target::Primary, Reason::Write},
      {"/* causeway: route=replica */ SELECT * FROM t FOR UPDATE", Target::Primary, Reason::Locking},
      {"/* causeway: route=server:replica2 */ SELECT 1", Target::Server, Reason::HintServer},
  };
  for (const auto& row : rows) {
    INFO(row.sql);
    const Decision d = route(row.sql, idle, t);
    CHECK(to_string(d.target) == std::string(to_string(row.target)));
    CHECK(to_string(d.reason) == std::string(to_string(row.reason)));
    if (row.target == Target::Primary) CHECK(d.server == 0);
    if (row.target == Target::Replica) CHECK(d.server != 0);
  }
  CHECK(route("/* causeway: route=server:replica2 */ SELECT 1", idle, t).server == 2);
}

TEST_CASE("everything inside a read-write transaction stays on its server", "[router]") {
  const Topology t = three_servers();
  SessionState s;
  s.in_transaction = true;
  s.transaction_server = 0;
  for (const char* sql : {"SELECT 1", "/* causeway: route=replica */ SELECT 1", "INSERT INTO t VALUES (1)"}) {
    INFO(sql);
    const Decision d = route(sql, s, t);
    CHECK(d.server == 0);
    CHECK(d.reason == Reason::InTransaction);
  }
}

TEST_CASE("a read-only transaction runs whole on the replica where it began", "[router]") {
  const Topology t = three_servers();
  SessionState s;
  after_statement(s, nullptr, 2, server_status::in_trans | server_status::in_trans_readonly | server_status::autocommit,
                  true);
  const Decision d = route("SELECT * FROM t", s, t);
  CHECK(d.server == 2);
  CHECK(d.reason == Reason::ReadOnlyTransaction);
}

TEST_CASE("session state that lives on a connection pins the session there", "[router]") {
  const Topology t = three_servers();
  for (const char* sql : {"SET @x = 1", "CREATE TEMPORARY TABLE tmp (id int)", "SELECT GET_LOCK('a', 1)",
                          "LOCK TABLES t READ", "PREPARE s FROM 'SELECT 1'", "SELECT 1 INTO @v"}) {
    INFO(sql);
    SessionState s;
    const Classification c = classify(sql);
    after_statement(s, &c, 0, server_status::autocommit, true);
    CHECK(s.pinned());
    const Decision d = route("SELECT * FROM t", s, t);
    CHECK(d.server == 0);
    CHECK(d.reason == Reason::Pinned);
  }
}

TEST_CASE("UNLOCK TABLES releases the LOCK TABLES pin", "[router]") {
  SessionState s;
  const Classification lock = classify("LOCK TABLES t WRITE");
  const Classification unlock = classify("UNLOCK TABLES");
  after_statement(s, &lock, 0, server_status::autocommit, true);
  CHECK(s.pinned());
  after_statement(s, &unlock, 0, server_status::autocommit, true);
  CHECK_FALSE(s.pinned());
  CHECK(route("SELECT 1", s, three_servers()).target == Target::Replica);
}

TEST_CASE("autocommit off pins the session until it is back on", "[router]") {
  SessionState s;
  after_statement(s, nullptr, 0, 0, true);  // the server reports autocommit off
  CHECK(route("SELECT 1", s, three_servers()).reason == Reason::Pinned);
  after_statement(s, nullptr, 0, server_status::autocommit, true);
  CHECK(route("SELECT 1", s, three_servers()).reason == Reason::Read);
}

TEST_CASE("the transaction ends with the server's status flags, not with parsing", "[router]") {
  SessionState s;
  after_statement(s, nullptr, 0, server_status::in_trans | server_status::autocommit, true);
  CHECK(s.in_transaction);
  // DDL commits implicitly: the server's OK says so.
  const Classification ddl = classify("CREATE TABLE t2 (id int)");
  after_statement(s, &ddl, 0, server_status::autocommit, true);
  CHECK_FALSE(s.in_transaction);
  CHECK(route("SELECT 1", s, three_servers()).target == Target::Replica);
}

TEST_CASE("reads avoid unhealthy replicas and fall back to the primary by policy", "[router]") {
  Topology t = three_servers();
  t.servers[1].sql_running = false;  // broken replication
  t.servers[2].reachable = false;    // down
  const SessionState s;
  const Decision d = route("SELECT 1", s, t);
  CHECK(d.target == Target::Primary);
  CHECK(d.reason == Reason::NoReplicaFallback);
  RoutePolicy strict;
  strict.fallback_to_primary = false;
  const Decision e = route("SELECT 1", s, t, strict);
  CHECK(e.target == Target::Reject);
  CHECK(e.reason == Reason::NoReplica);
  t.servers[1].sql_running = true;
  CHECK(route("SELECT 1", s, t).server == 1);
  t.servers[1].drained = true;
  CHECK(route("SELECT 1", s, t).target == Target::Primary);
}

TEST_CASE("replica choice follows least outstanding requests and weights", "[router]") {
  Topology t = three_servers();
  const SessionState s;
  CHECK(route("SELECT 1", s, t, {}, {0, 5, 0}).server == 2);
  CHECK(route("SELECT 1", s, t, {}, {0, 0, 5}).server == 1);
  t.servers[1].weight = 10;  // ten times the capacity: preferred despite more in flight
  CHECK(route("SELECT 1", s, t, {}, {0, 5, 1}).server == 1);
}

TEST_CASE("ties between replicas rotate", "[router]") {
  const Topology t = three_servers();
  const SessionState s;
  const Classification c = classify("SELECT 1");
  Request req;
  req.statement = &c;
  std::vector<std::size_t> seen;
  for (std::uint32_t r = 0; r < 4; ++r) seen.push_back(decide(req, s, t, {}, LoadView{{}, r}).server);
  CHECK(std::count(seen.begin(), seen.end(), 1u) == 2);
  CHECK(std::count(seen.begin(), seen.end(), 2u) == 2);
}

TEST_CASE("with splitting off everything goes to the primary", "[router]") {
  RoutePolicy off;
  off.split = false;
  const Decision d = route("SELECT 1", SessionState{}, three_servers(), off);
  CHECK(d.target == Target::Primary);
  CHECK(d.reason == Reason::SplitDisabled);
}

TEST_CASE("SHOW WARNINGS goes to the server of the previous statement", "[router]") {
  SessionState s;
  after_statement(s, nullptr, 2, server_status::autocommit, true);
  const Decision d = route("SHOW WARNINGS", s, three_servers());
  CHECK(d.server == 2);
  CHECK(d.reason == Reason::ServerSpecific);
}

TEST_CASE("a response without status flags leaves transaction and autocommit as they were", "[router]") {
  SessionState s;
  after_statement(s, nullptr, 0, std::nullopt, true);  // e.g. PREPARE_OK as a session's first answer
  CHECK(s.autocommit);
  CHECK_FALSE(s.pinned());
  after_statement(s, nullptr, 0, server_status::in_trans | server_status::autocommit, true);
  after_statement(s, nullptr, 0, std::nullopt, false);  // an ERR inside the transaction
  CHECK(s.in_transaction);
  CHECK(route("SELECT 1", s, three_servers()).reason == Reason::InTransaction);
}

TEST_CASE("SET TRANSACTION for the next transaction keeps the connection until it is used", "[router]") {
  SessionState s;
  const Classification set_tx = classify("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
  const Classification begin = classify("START TRANSACTION");
  after_statement(s, &set_tx, 0, server_status::autocommit, true);
  CHECK(s.pinned());
  CHECK(route("START TRANSACTION", s, three_servers()).reason == Reason::Pinned);
  after_statement(s, &begin, 0, server_status::in_trans | server_status::autocommit, true);
  CHECK_FALSE((s.pins & pin::NextTransaction) != 0);
  CHECK(s.in_transaction);
  // SESSION scope is session state: replayed, not pinned.
  SessionState t;
  const Classification session_tx = classify("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
  after_statement(t, &session_tx, 0, server_status::autocommit, true);
  CHECK_FALSE(t.pinned());
}

TEST_CASE("session settings inside a multi-statement pin the session; alone they are replayed", "[router]") {
  for (const char* sql : {"SET sql_mode = 'ANSI_QUOTES'; SELECT 1", "SELECT 1; SET NAMES cp1251",
                          "SELECT 1; USE other", "DO 1; SET SESSION TRANSACTION READ ONLY"}) {
    INFO(sql);
    const Classification c = classify(sql);
    CHECK(changes_session_settings(c));
    SessionState s;
    after_statement(s, &c, 2, server_status::autocommit, false);  // even when it failed part-way
    CHECK(s.pinned());
    CHECK((s.pins & pin::Settings) != 0);
    CHECK(route("SELECT 2", s, three_servers()).server == 2);
  }
  for (const char* sql : {"SET sql_mode = 'ANSI_QUOTES'", "USE other", "SET SESSION TRANSACTION READ ONLY"}) {
    INFO(sql);
    const Classification c = classify(sql);
    CHECK(changes_session_settings(c));
    SessionState s;
    after_statement(s, &c, 0, server_status::autocommit, true);
    CHECK_FALSE(s.pinned());
  }
  for (const char* sql : {"SELECT 1; SELECT 2", "SET @x = 1; SELECT 1", "SET GLOBAL max_connections = 10; DO 1",
                          "SET TRANSACTION READ ONLY"}) {
    INFO(sql);
    CHECK_FALSE(changes_session_settings(classify(sql)));
  }
}

TEST_CASE("add_pins pins to the server the first pin names", "[router]") {
  SessionState s;
  add_pins(s, pin::Settings, 1);
  add_pins(s, pin::UserVariables, 2);
  CHECK(s.pinned_server == 1);
  CHECK(s.pins == (pin::Settings | pin::UserVariables));
  add_pins(s, 0, 0);
  CHECK(s.pinned_server == 1);
}

TEST_CASE("state pinned on a replica keeps reads there but never takes a write", "[router]") {
  SessionState s;
  add_pins(s, pin::UserVariables, 1);  // e.g. SET @x inside START TRANSACTION READ ONLY on replica 1
  const auto read = route("SELECT @x", s, three_servers());
  CHECK(read.server == 1);
  CHECK(read.reason == Reason::Pinned);
  for (const char* sql : {"INSERT INTO t VALUES (1)", "CREATE TABLE t2 (a INT)", "CALL p()", "GRANT SELECT ON t TO u"}) {
    INFO(sql);
    const auto d = route(sql, s, three_servers());
    CHECK(d.server == 0);
    CHECK(d.reason == Reason::Write);
  }
  SessionState on_primary;
  add_pins(on_primary, pin::UserVariables, 0);
  CHECK(route("INSERT INTO t VALUES (1)", on_primary, three_servers()).reason == Reason::Pinned);
}

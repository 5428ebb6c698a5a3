// Routing rules: matching keys, first match wins, actions, and how the router applies them.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "routing/classifier.hpp"
#include "routing/hint.hpp"
#include "routing/router.hpp"
#include "routing/rules.hpp"
#include "routing/session_state.hpp"

using namespace causeway::routing;

namespace {

const std::vector<std::string> servers = {"primary", "replica1", "replica2"};

RuleSpec spec(std::string name) {
  RuleSpec s;
  s.name = std::move(name);
  s.consistency = Consistency::Eventual;  // an action that changes no route
  return s;
}

RuleSetPtr build(const std::vector<RuleSpec>& specs) { return RuleSet::build(specs, servers); }

// Matches `sql` as user `app` on schema `shop` from 10.1.2.3 unless told otherwise.
struct Probe {
  std::string sql;
  std::string user = "app";
  std::string schema = "shop";
  std::optional<IpAddress> client = IpAddress::parse("10.1.2.3");

  const Rule* against(const RuleSet& rules) const {
    const Classification c = classify(sql);
    RuleContext ctx;
    ctx.user = user;
    ctx.schema = schema;
    ctx.client = client;
    ctx.statement = &c;
    ctx.sql = sql;
    return rules.match(ctx);
  }
};

std::string matched(const RuleSet& rules, const Probe& p) {
  const Rule* r = p.against(rules);
  return r == nullptr ? "none" : r->name;
}

// primary (0), replica1 (1), replica2 (2), all healthy.
Topology three_servers() {
  Topology t;
  for (const auto& name : servers) {
    ServerState s;
    s.name = name;
    s.reachable = true;
    s.is_replica = !t.servers.empty();
    s.read_only = s.is_replica;
    s.io_running = s.sql_running = s.is_replica;
    s.configured_role = s.is_replica ? ConfiguredRole::Replica : ConfiguredRole::Primary;
    t.servers.push_back(s);
  }
  t.writer = 0;
  return t;
}

Decision route(const std::string& sql, const RuleAction* rule, const SessionState& state = {},
               const Topology& t = three_servers(), RoutePolicy policy = {}) {
  const Classification c = classify(sql);
  RouteHint hint;
  Request req;
  req.statement = &c;
  req.rule = rule;
  if (c.has(flag::HasHint)) {
    hint = parse_hint(c.hint);
    req.hint = &hint;
  }
  return decide(req, state, t, policy, LoadView{});
}

RuleAction action(RouteTarget target, std::size_t server = 0) {
  RuleAction a;
  a.route = target;
  a.server = server;
  return a;
}

}  // namespace

TEST_CASE("client addresses and networks parse as IPv4 or IPv6", "[rules][address]") {
  const auto net = [](const char* text) { return IpNetwork::parse(text); };
  const auto ip = [](const char* text) { return *IpAddress::parse(text); };
  REQUIRE(net("10.0.0.0/8"));
  CHECK(net("10.0.0.0/8")->contains(ip("10.255.0.1")));
  CHECK_FALSE(net("10.0.0.0/8")->contains(ip("11.0.0.1")));
  CHECK(net("192.168.0.0/23")->contains(ip("192.168.1.7")));
  CHECK_FALSE(net("192.168.2.0/23")->contains(ip("192.168.1.7")));
  CHECK(net("127.0.0.1")->contains(ip("127.0.0.1")));
  CHECK_FALSE(net("127.0.0.1")->contains(ip("127.0.0.2")));
  CHECK(net("0.0.0.0/0")->contains(ip("8.8.8.8")));
  CHECK_FALSE(net("0.0.0.0/0")->contains(ip("::1")));  // families never mix
  CHECK(net("::1/128")->contains(ip("::1")));
  CHECK(net("fd00::/8")->contains(ip("fd12:3456::1")));
  CHECK_FALSE(net("fd00::/8")->contains(ip("fe80::1")));

  SECTION("a dual-stack listener's IPv4-mapped client is an IPv4 client") {
    CHECK(net("10.0.0.0/8")->contains(ip("::ffff:10.9.8.7")));
    CHECK(net("::ffff:10.0.0.0/104")->contains(ip("10.1.1.1")));
    CHECK(IpAddress::v6_from({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1}) ==
          IpAddress::v4_from({127, 0, 0, 1}));
  }
  SECTION("malformed networks are refused") {
    for (const char* bad : {"10.0.0.1/8", "192.168.1.0/23", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "::1/129",
                            "10.0.0", "host.example", "", "::ffff:10.0.0.0/90"}) {
      INFO(bad);
      CHECK_FALSE(net(bad));
    }
  }
}

TEST_CASE("the first rule whose keys all match wins", "[rules]") {
  auto by_user = spec("by_user");
  by_user.users = {"report", "batch"};
  auto by_schema = spec("by_schema");
  by_schema.schemas = {"analytics"};
  auto by_client = spec("by_client");
  by_client.clients = {"192.168.0.0/16", "::1"};
  auto by_class = spec("by_class");
  by_class.classes = {StatementClass::Ddl, StatementClass::Dcl};
  auto both = spec("writes_from_app");
  both.users = {"app"};
  both.classes = {StatementClass::Write};
  auto everything = spec("everything");
  const auto rules = build({by_user, by_schema, by_client, by_class, both, everything});

  CHECK(matched(*rules, {"SELECT 1", "report"}) == "by_user");
  CHECK(matched(*rules, {"SELECT 1", "batch", "analytics"}) == "by_user");  // earlier rule wins
  CHECK(matched(*rules, {"SELECT 1", "app", "analytics"}) == "by_schema");
  CHECK(matched(*rules, {"SELECT 1", "app", "shop", IpAddress::parse("192.168.7.7")}) == "by_client");
  CHECK(matched(*rules, {"SELECT 1", "app", "shop", IpAddress::parse("::1")}) == "by_client");
  CHECK(matched(*rules, {"DROP TABLE t"}) == "by_class");
  CHECK(matched(*rules, {"GRANT SELECT ON *.* TO u"}) == "by_class");
  CHECK(matched(*rules, {"INSERT INTO t VALUES (1)"}) == "writes_from_app");
  CHECK(matched(*rules, {"INSERT INTO t VALUES (1)", "other"}) == "everything");
  CHECK(matched(*rules, {"SELECT 1"}) == "everything");
  CHECK(rules->size() == 6);
  CHECK(rules->name(4) == "writes_from_app");
  CHECK(rules->rule(4).index == 4);
}

TEST_CASE("an unknown user, schema or client matches no rule that asks for one", "[rules]") {
  auto by_user = spec("by_user");
  by_user.users = {"app"};
  auto by_schema = spec("by_schema");
  by_schema.schemas = {"shop"};
  auto by_client = spec("by_client");
  by_client.clients = {"0.0.0.0/0", "::/0"};
  const auto rules = build({by_user, by_schema, by_client});
  CHECK(matched(*rules, {"SELECT 1", "", "", std::nullopt}) == "none");
  CHECK(matched(*rules, {"SELECT 1", "", "", IpAddress::parse("fe80::1")}) == "by_client");
}

TEST_CASE("match searches the statement text with RE2", "[rules][regex]") {
  auto orders = spec("orders");
  orders.match = R"(\bFROM\s+orders\b)";
  auto caseless = spec("caseless");
  caseless.match = "(?i)^\\s*select .* from audit";
  auto anchored = spec("anchored");
  anchored.match = "^SELECT 1$";
  const auto rules = build({orders, caseless, anchored});
  CHECK(matched(*rules, {"SELECT * FROM orders WHERE id = 1"}) == "orders");
  CHECK(matched(*rules, {"SELECT * FROM orders_archive"}) == "none");
  CHECK(matched(*rules, {"select * from orders"}) == "none");  // case-sensitive unless (?i)
  CHECK(matched(*rules, {"  SeLeCt a\n  FROM audit"}) == "caseless");  // `.` spans lines
  CHECK(matched(*rules, {"SELECT 1"}) == "anchored");
  CHECK(matched(*rules, {"SELECT 1, 2"}) == "none");
  // Bytes that are not UTF-8 do not stop a match (patterns work on bytes).
  CHECK(matched(*rules, {std::string("SELECT x'\xff\xfe' FROM orders")}) == "orders");
}

TEST_CASE("digest matches the normalized statement, computed only when reached", "[rules][regex]") {
  auto point = spec("point_lookup");
  point.digest = R"(^select \* from users where id = \?$)";
  auto in_list = spec("in_list");
  in_list.classes = {StatementClass::Read};
  in_list.digest = R"(in \(\?, \.\.\.\))";
  const auto rules = build({point, in_list});
  CHECK(rules->uses_digest());
  CHECK(matched(*rules, {"SELECT * FROM `users` WHERE id = 42"}) == "point_lookup");
  CHECK(matched(*rules, {"select *   from users where id='x' /* c */"}) == "point_lookup");
  CHECK(matched(*rules, {"SELECT a FROM t WHERE b IN (1, 2, 3)"}) == "in_list");
  CHECK(matched(*rules, {"DELETE FROM t WHERE b IN (1, 2, 3)"}) == "none");
  CHECK_FALSE(build({spec("plain")})->uses_digest());
}

TEST_CASE("a command without SQL matches only rules without statement keys", "[rules]") {
  auto by_class = spec("by_class");
  by_class.classes = {StatementClass::Read};
  auto by_regex = spec("by_regex");
  by_regex.match = ".";
  auto by_user = spec("by_user");
  by_user.users = {"app"};
  const auto rules = build({by_class, by_regex, by_user});
  RuleContext ctx;
  ctx.user = "app";
  const Rule* r = rules->match(ctx);
  REQUIRE(r != nullptr);
  CHECK(r->name == "by_user");
}

TEST_CASE("rule actions resolve server names and keep the reject message", "[rules]") {
  auto to_server = spec("to_server");
  to_server.route = RouteTarget::Server;
  to_server.server = "replica2";
  to_server.consistency = Consistency::Strong;
  auto reject = spec("reject");
  reject.consistency = Consistency::Unspecified;
  reject.reject = "no DROP through the proxy";
  const auto rules = build({to_server, reject});
  CHECK(rules->rule(0).action.route == RouteTarget::Server);
  CHECK(rules->rule(0).action.server == 2);
  CHECK(rules->rule(0).action.consistency == Consistency::Strong);
  CHECK_FALSE(rules->rule(0).action.reject);
  CHECK(rules->rule(1).action.reject);
  CHECK(rules->rule(1).action.reject_message == "no DROP through the proxy");
}

TEST_CASE("building refuses what validation would", "[rules]") {
  const auto fails = [](RuleSpec s, const char* words) {
    INFO(words);
    CHECK_THROWS_WITH(build({s}), Catch::Contains(words));
  };
  auto bad_regex = spec("bad_regex");
  bad_regex.match = "(unclosed";
  fails(bad_regex, "invalid regular expression: missing )");
  auto bad_digest = spec("bad_digest");
  bad_digest.digest = "a**";
  fails(bad_digest, "digest: invalid regular expression");
  auto unknown = spec("unknown");
  unknown.route = RouteTarget::Server;
  unknown.server = "db9";
  fails(unknown, "unknown server \"db9\"");
  auto both = spec("both");
  both.route = RouteTarget::Primary;
  both.reject = "no";
  fails(both, "reject cannot be combined with route");
  auto client = spec("client");
  client.clients = {"10.0.0.1/8"};
  fails(client, "client: not an address or network: 10.0.0.1/8");
}

TEST_CASE("a rule routes a statement after the transaction, pins and the hint", "[rules][router]") {
  const RuleAction to_primary = action(RouteTarget::Primary);
  const RuleAction to_replica = action(RouteTarget::Replica);
  const RuleAction to_server = action(RouteTarget::Server, 2);
  struct Row {
    const char* sql;
    const RuleAction* rule;
    Target target;
    Reason reason;
    std::size_t server;  // checked for primary and server targets
  };
  const Row rows[] = {
      {"SELECT * FROM t", &to_primary, Target::Primary, Reason::RulePrimary, 0},
      {"SELECT @@server_id", &to_replica, Target::Replica, Reason::RuleReplica, 0},
      {"SELECT * FROM t", &to_server, Target::Server, Reason::RuleServer, 2},
      {"INSERT INTO t VALUES (1)", &to_primary, Target::Primary, Reason::RulePrimary, 0},
      // Never a write, a locking read or several statements away from the primary.
      {"INSERT INTO t VALUES (1)", &to_replica, Target::Primary, Reason::Write, 0},
      {"UPDATE t SET a = 1", &to_server, Target::Primary, Reason::Write, 0},
      {"SELECT * FROM t FOR UPDATE", &to_replica, Target::Primary, Reason::Locking, 0},
      {"SELECT * FROM t FOR UPDATE", &to_server, Target::Primary, Reason::Locking, 0},
      {"SELECT GET_LOCK('a', 1)", &to_replica, Target::Primary, Reason::Locking, 0},
      {"SELECT 1; DELETE FROM t", &to_replica, Target::Primary, Reason::MultiStatement, 0},
      {"SELECT 1; DELETE FROM t", &to_server, Target::Primary, Reason::MultiStatement, 0},
      // The hint comes first.
      {"/* causeway: route=replica */ SELECT 1", &to_primary, Target::Replica, Reason::HintReplica, 0},
      {"/* causeway: route=primary */ SELECT 1", &to_replica, Target::Primary, Reason::HintPrimary, 0},
      // A hint that does not apply leaves the rule to decide.
      {"/* causeway: route=replica */ SELECT 1 FOR UPDATE", &to_primary, Target::Primary, Reason::RulePrimary, 0},
      {"/* causeway: consistency=strong */ SELECT 1", &to_server, Target::Server, Reason::RuleServer, 2},
  };
  for (const auto& row : rows) {
    INFO(row.sql << " with rule route " << to_string(row.rule->route));
    const Decision d = route(row.sql, row.rule);
    CHECK(to_string(d.target) == std::string(to_string(row.target)));
    CHECK(to_string(d.reason) == std::string(to_string(row.reason)));
    if (row.target != Target::Replica) CHECK(d.server == row.server);
    if (row.target == Target::Replica) CHECK(d.server != 0);
  }
}

TEST_CASE("a transaction or pinned state outranks a rule's route", "[rules][router]") {
  const RuleAction to_replica = action(RouteTarget::Replica);
  SessionState in_tx;
  in_tx.in_transaction = true;
  in_tx.transaction_server = 0;
  CHECK(route("SELECT 1", &to_replica, in_tx).reason == Reason::InTransaction);
  SessionState pinned;
  const Classification set_var = classify("SET @x = 1");
  after_statement(pinned, &set_var, 0, server_status::autocommit, true);
  CHECK(route("SELECT 1", &to_replica, pinned).reason == Reason::Pinned);
  RoutePolicy off;
  off.split = false;
  CHECK(route("SELECT 1", &to_replica, {}, three_servers(), off).reason == Reason::SplitDisabled);
}

TEST_CASE("a rejecting rule holds in a transaction and with splitting off", "[rules][router]") {
  RuleAction reject;
  reject.reject = true;
  reject.reject_message = "not here";
  SessionState in_tx;
  in_tx.in_transaction = true;
  in_tx.transaction_server = 0;
  RoutePolicy off;
  off.split = false;
  for (const Decision& d : {route("DROP TABLE t", &reject), route("DROP TABLE t", &reject, in_tx),
                            route("/* causeway: route=primary */ DROP TABLE t", &reject, {}, three_servers(), off)}) {
    CHECK(d.target == Target::Reject);
    CHECK(d.reason == Reason::RuleReject);
    CHECK(std::string(to_string(d.reason)) == "rule_reject");
  }
}

TEST_CASE("a rule's server that is down falls back by policy", "[rules][router]") {
  const RuleAction to_server = action(RouteTarget::Server, 2);
  Topology t = three_servers();
  t.servers[2].reachable = false;
  const Decision d = route("SELECT 1", &to_server, {}, t);
  CHECK(d.target == Target::Primary);
  CHECK(d.reason == Reason::UnknownServer);
  RoutePolicy strict;
  strict.fallback_to_primary = false;
  CHECK(route("SELECT 1", &to_server, {}, t, strict).target == Target::Reject);
  // A replica route with no replica left behaves like a plain read.
  const RuleAction to_replica = action(RouteTarget::Replica);
  t.servers[1].reachable = false;
  CHECK(route("SELECT 1", &to_replica, {}, t).reason == Reason::NoReplicaFallback);
}

TEST_CASE("a rule with only a consistency leaves the route to the class", "[rules][router]") {
  RuleAction strong;
  strong.consistency = Consistency::Strong;
  CHECK(route("SELECT 1", &strong).reason == Reason::Read);
  CHECK(route("INSERT INTO t VALUES (1)", &strong).reason == Reason::Write);
}

TEST_CASE("reason names for rules", "[rules][router]") {
  CHECK(std::string(to_string(Reason::RulePrimary)) == "rule_primary");
  CHECK(std::string(to_string(Reason::RuleReplica)) == "rule_replica");
  CHECK(std::string(to_string(Reason::RuleServer)) == "rule_server");
  CHECK(std::string(to_string(Reason::RuleReject)) == "rule_reject");
}

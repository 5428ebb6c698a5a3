// The status port's formats: JSON text, Prometheus exposition, and the renderers over a
// snapshot built from a real config (no sockets, no threads).
#include <catch2/catch.hpp>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "proxy/status_data.hpp"
#include "proxy/status_format.hpp"

namespace st = causeway::proxy::status;
using causeway::replication::LogHistogram;

namespace {

std::string json_string(std::string_view s) {
  std::string out;
  st::append_json_string(out, s);
  return out;
}

std::string label_value(std::string_view s) {
  std::string out;
  st::append_label_value(out, s);
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Every line of the text format is a HELP/TYPE comment or `name{labels} value`.
const std::regex sample_line(R"re(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$)re");

}  // namespace

TEST_CASE("JSON strings escape quotes, backslashes and control characters", "[status][json]") {
  CHECK(json_string("plain") == R"("plain")");
  CHECK(json_string("a\"b\\c") == R"("a\"b\\c")");
  CHECK(json_string("line\nnext\ttab\r") == R"("line\nnext\ttab\r")");
  CHECK(json_string(std::string_view("\x00\x01\x1f", 3)) == R"("\u0000\u0001\u001f")");
  CHECK(json_string("\x7f") == "\"\x7f\"");
  CHECK(json_string("</script>") == R"("</script>")");
}

TEST_CASE("JSON strings keep valid UTF-8 and replace invalid bytes with U+FFFD", "[status][json]") {
  CHECK(json_string("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") == "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  const std::string fffd = "\xEF\xBF\xBD";
  // A statement prefix cut inside a character, a lone continuation byte, Latin-1.
  CHECK(json_string("ab\xE2\x82") == "\"ab" + fffd + fffd + "\"");
  CHECK(json_string("\x80x") == "\"" + fffd + "x\"");
  CHECK(json_string("\xE9t\xE9") == "\"" + fffd + "t" + fffd + "\"");
  // Overlong forms, surrogates and code points above U+10FFFF are not UTF-8 either.
  CHECK(json_string("\xC0\xAF") == "\"" + fffd + fffd + "\"");
  CHECK(json_string("\xED\xA0\x80") == "\"" + fffd + fffd + fffd + "\"");
  CHECK(json_string("\xF4\x90\x80\x80") == "\"" + fffd + fffd + fffd + fffd + "\"");
}

TEST_CASE("the JSON writer places commas and nests containers", "[status][json]") {
  st::Json j;
  j.begin_object().field("a", 1).field("b", "x").key("list").begin_array();
  j.value(true).null().begin_object().end_object().value(std::uint64_t{18446744073709551615ull});
  j.end_array().field("opt", std::optional<std::string>()).field("d", 0.5).field("inf", 1.0 / 0.0);
  j.key("empty").begin_array().end_array().end_object();
  CHECK(j.take() ==
        R"({"a":1,"b":"x","list":[true,null,{},18446744073709551615],"opt":null,"d":0.5,"inf":null,"empty":[]})");
}

TEST_CASE("times are ISO-8601 UTC with milliseconds", "[status][json]") {
  using namespace std::chrono;
  const system_clock::time_point t{milliseconds(1'795'330'800'123)};
  CHECK(st::iso8601(t) == "2026-11-22T07:00:00.123Z");
  CHECK(st::iso8601(system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("Prometheus label values escape backslash, quote and newline only", "[status][metrics]") {
  CHECK(label_value("replica1") == "replica1");
  CHECK(label_value("a\\b\"c\nd\te") == "a\\\\b\\\"c\\nd\te");
  CHECK(label_value("\xFF") == "\xEF\xBF\xBD");
}

TEST_CASE("microseconds print as exact decimal seconds", "[status][metrics]") {
  CHECK(st::seconds_from_us(0) == "0");
  CHECK(st::seconds_from_us(1) == "0.000001");
  CHECK(st::seconds_from_us(1024) == "0.001024");
  CHECK(st::seconds_from_us(1'500'000) == "1.5");
  CHECK(st::seconds_from_us(std::uint64_t{1} << 38) == "274877.906944");
}

TEST_CASE("families get HELP and TYPE once; samples carry escaped labels", "[status][metrics]") {
  st::Metrics m;
  m.family("causeway_x_total", "counter", "Help with a \\ backslash\nand a newline.");
  m.sample("causeway_x_total", {{"server", "a\"b"}, {"role", "replica"}}, std::uint64_t{7});
  m.sample("causeway_x_total", {}, std::int64_t{-3});
  m.family("causeway_lag_seconds", "gauge", "Lag.");
  m.sample("causeway_lag_seconds", {{"server", "r"}}, 0.25);
  m.sample("causeway_lag_seconds", {{"server", "n"}}, std::nan(""));
  CHECK(m.take() ==
        "# HELP causeway_x_total Help with a \\\\ backslash\\nand a newline.\n"
        "# TYPE causeway_x_total counter\n"
        "causeway_x_total{server=\"a\\\"b\",role=\"replica\"} 7\n"
        "causeway_x_total -3\n"
        "# HELP causeway_lag_seconds Lag.\n"
        "# TYPE causeway_lag_seconds gauge\n"
        "causeway_lag_seconds{server=\"r\"} 0.25\n"
        "causeway_lag_seconds{server=\"n\"} NaN\n");
}

TEST_CASE("a LogHistogram becomes cumulative le buckets in seconds, +Inf, _sum and _count", "[status][metrics]") {
  LogHistogram h;
  for (std::uint64_t v : {0u, 1u, 3u, 3u, 1000u, 1'000'000u}) h.add(v);
  LogHistogram::Totals t{};
  h.add_to(t);
  CHECK(h.sum() == 1'001'007);
  st::Metrics m;
  m.histogram("causeway_wait_seconds", {{"server", "r1"}}, t, h.sum());
  const auto lines = lines_of(m.take());
  REQUIRE(lines.size() == LogHistogram::buckets + 2);
  // Bucket i holds values below 2^i microseconds: 0 -> le 1us; 1 -> le 2us; 3, 3 -> le 4us.
  CHECK(lines[0] == "causeway_wait_seconds_bucket{server=\"r1\",le=\"0.000001\"} 1");
  CHECK(lines[1] == "causeway_wait_seconds_bucket{server=\"r1\",le=\"0.000002\"} 2");
  CHECK(lines[2] == "causeway_wait_seconds_bucket{server=\"r1\",le=\"0.000004\"} 4");
  CHECK(lines[9] == "causeway_wait_seconds_bucket{server=\"r1\",le=\"0.000512\"} 4");
  CHECK(lines[10] == "causeway_wait_seconds_bucket{server=\"r1\",le=\"0.001024\"} 5");
  CHECK(lines[20] == "causeway_wait_seconds_bucket{server=\"r1\",le=\"1.048576\"} 6");
  CHECK(lines[LogHistogram::buckets - 1] == "causeway_wait_seconds_bucket{server=\"r1\",le=\"+Inf\"} 6");
  CHECK(lines[LogHistogram::buckets] == "causeway_wait_seconds_sum{server=\"r1\"} 1.001007");
  CHECK(lines[LogHistogram::buckets + 1] == "causeway_wait_seconds_count{server=\"r1\"} 6");
  // Cumulative: never decreasing.
  std::uint64_t previous = 0;
  for (std::size_t i = 0; i < LogHistogram::buckets; ++i) {
    const auto n = std::stoull(lines[i].substr(lines[i].rfind(' ') + 1));
    CHECK(n >= previous);
    previous = n;
  }
}

TEST_CASE("the Bearer token is taken from the Authorization header", "[status][auth]") {
  CHECK(st::bearer_token("Bearer abc") == std::optional<std::string_view>("abc"));
  CHECK(st::bearer_token("bearer   abc  ") == std::optional<std::string_view>("abc"));
  CHECK_FALSE(st::bearer_token("Basic YWJjOmRlZg=="));
  CHECK_FALSE(st::bearer_token("Bearer"));
  CHECK_FALSE(st::bearer_token("Bearer "));
  CHECK_FALSE(st::bearer_token("Bearerabc"));
  CHECK_FALSE(st::bearer_token("Bearer a b"));
  CHECK(st::constant_time_equal("same-token", "same-token"));
  CHECK_FALSE(st::constant_time_equal("same-token", "same-tokeN"));
  CHECK_FALSE(st::constant_time_equal("same-token", "same-token-longer"));
  CHECK_FALSE(st::constant_time_equal("", "x"));
}

namespace {

const char* const three_servers = R"(listeners:
  - port: 16033
servers:
  - name: primary
    port: 13306
    role: primary
  - name: replica1
    port: 13307
    role: replica
  - name: replica2
    port: 13308
    role: replica
users:
  - name: app
    password: topsecret
  - name: ro
    password_hash: "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7"
monitor:
  user: mon
  password: monpass
replication:
  user: repl
  password: replpass
status:
  port: 16080
  admin_token: the-admin-token-0123456789
rules:
  - name: reports
    user: report
    route: replica
  - name: no-audit
    match: audit_log
    reject: "say \"no\"\n"
)";

struct Fixture {
  causeway::proxy::WorkerStats stats;
  st::Snapshot snapshot;
  Fixture() {
    auto cfg = std::make_shared<const causeway::config::Config>(causeway::config::load_string(three_servers));
    snapshot.runtime = causeway::proxy::Runtime::build(cfg);
    snapshot.topology = snapshot.runtime->configured_topology;
    snapshot.stats.push_back(&stats);
    st::WorkerSample w;
    w.pools = {{3, 1}, {2, 2}, {0, 0}};
    w.statements_by_server = {10, 20, 30};
    w.rule_hits = {4, 1};
    snapshot.workers.push_back(w);
    stats.client_connections.add(5);
    stats.auth_failures.add(2);
    stats.consistency_wait.add(300);
    stats.decisions[static_cast<std::size_t>(causeway::routing::Reason::Read)].add(9);
  }
};

}  // namespace

TEST_CASE("/metrics: every line parses and each family is described once", "[status][metrics]") {
  Fixture f;
  const std::string text = st::metrics_text(f.snapshot);
  std::set<std::string> helped, typed;
  std::map<std::string, std::string> values;
  for (const auto& line : lines_of(text)) {
    INFO(line);
    if (line.starts_with("# HELP ")) {
      CHECK(helped.insert(line.substr(7, line.find(' ', 7) - 7)).second);
      continue;
    }
    if (line.starts_with("# TYPE ")) {
      CHECK(typed.insert(line.substr(7, line.find(' ', 7) - 7)).second);
      continue;
    }
    CHECK(std::regex_match(line, sample_line));
    values[line.substr(0, line.rfind(' '))] = line.substr(line.rfind(' ') + 1);
  }
  CHECK(helped == typed);
  for (const char* family :
       {"causeway_client_connections_total", "causeway_client_connections", "causeway_backend_connections",
        "causeway_backend_connections_idle", "causeway_statements_total", "causeway_server_statements_total",
        "causeway_routing_decisions_total", "causeway_errors_total", "causeway_rule_hits_total", "causeway_server_up",
        "causeway_replica_lag_seconds", "causeway_replica_lag_transactions", "causeway_stream_state",
        "causeway_consistency_wait_seconds", "causeway_consistency_fallbacks_total",
        "causeway_stale_read_guards_total", "causeway_tracker_freshness_seconds"})
    CHECK(typed.count(family) == 1);
  CHECK(values["causeway_client_connections_total"] == "5");
  CHECK(values["causeway_errors_total{kind=\"auth_failure\"}"] == "2");
  CHECK(values["causeway_backend_connections{server=\"primary\"}"] == "3");
  CHECK(values["causeway_backend_connections_idle{server=\"replica1\"}"] == "2");
  CHECK(values["causeway_server_statements_total{server=\"replica2\"}"] == "30");
  CHECK(values["causeway_routing_decisions_total{reason=\"read\"}"] == "9");
  CHECK(values["causeway_rule_hits_total{rule=\"reports\"}"] == "4");
  CHECK(values["causeway_rule_hits_total{rule=\"no-audit\"}"] == "1");
  CHECK(values["causeway_server_up{server=\"replica1\",role=\"replica\"}"] == "1");
  CHECK(values["causeway_server_up{server=\"primary\",role=\"primary\"}"] == "1");
  CHECK(values["causeway_stream_state{server=\"primary\",state=\"off\"}"] == "1");
  CHECK(values["causeway_stream_state{server=\"primary\",state=\"streaming\"}"] == "0");
  CHECK(values["causeway_consistency_wait_seconds_count"] == "1");
  CHECK(values["causeway_consistency_wait_seconds_sum"] == "0.0003");
  CHECK(values["causeway_consistency_wait_seconds_bucket{le=\"0.000256\"}"] == "0");
  CHECK(values["causeway_consistency_wait_seconds_bucket{le=\"0.000512\"}"] == "1");
  CHECK(values["causeway_stale_read_guards_total{guard=\"wait\"}"] == "1");
}

TEST_CASE("/api/config shows the running config with every secret as ***", "[status][json]") {
  Fixture f;
  const std::string json = st::config_json(*f.snapshot.runtime->config);
  INFO(json);
  for (const char* secret : {"topsecret", "14E65567", "monpass", "replpass", "the-admin-token"})
    CHECK(json.find(secret) == std::string::npos);
  CHECK(json.find(R"("password":"***")") != std::string::npos);
  CHECK(json.find(R"("password_hash":"***")") != std::string::npos);
  CHECK(json.find(R"("admin_token":"***")") != std::string::npos);
  CHECK(json.find(R"({"name":"replica1","host":"127.0.0.1","port":13307,"role":"replica","weight":1,)"
                  R"("tls":{"mode":"disabled","ca_file":"","cert_file":"","key_file":""}})") != std::string::npos);
  CHECK(json.find(R"("handshake":"10s")") != std::string::npos);
  CHECK(json.find(R"("reject":"say \"no\"\n"})") != std::string::npos);
}

TEST_CASE("/api/servers and /api/rules carry names, roles, counts and hits", "[status][json]") {
  Fixture f;
  const std::string servers = st::servers_json(f.snapshot);
  INFO(servers);
  CHECK(servers.starts_with(R"({"servers":[{"name":"primary","address":"127.0.0.1:13306","configured_role":"primary","role":"primary","health":"up")"));
  CHECK(servers.find(R"("name":"replica2","address":"127.0.0.1:13308","configured_role":"replica","role":"replica")") !=
        std::string::npos);
  CHECK(servers.find(R"("pool":{"open":2,"idle":2},"statements_total":20})") != std::string::npos);
  CHECK(servers.find(R"("stream":{"state":"off","error":""},"gtid_executed":null,"gtid_streamed":null,"semi_sync":null,"lag":{"transactions":null,"ms":null,"apply_delay_ms":null})") !=
        std::string::npos);
  const std::string rules = st::rules_json(f.snapshot);
  INFO(rules);
  CHECK(rules.find(R"("name":"reports","index":0,"hits":4)") != std::string::npos);
  CHECK(rules.find(R"("name":"no-audit","index":1,"hits":1)") != std::string::npos);
  CHECK(rules.find(R"("reject":"say \"no\"\n"})") != std::string::npos);
  CHECK(rules.find(R"("action":{"route":"replica","server":null,"consistency":null,"wait_ms":null,"reject":null})") !=
        std::string::npos);
}

TEST_CASE("/api/decisions lists every worker's records newest first with names and reasons", "[status][json]") {
  Fixture f;
  using namespace std::chrono;
  const auto record = [](std::int64_t ms, causeway::routing::Target target, std::uint16_t server, const char* sql) {
    causeway::proxy::DecisionRecord r;
    r.at = system_clock::time_point{milliseconds(ms)};
    r.target = target;
    r.server = server;
    r.reason = causeway::routing::Reason::Read;
    causeway::proxy::copy_truncated(sql, r.statement.data(), r.statement.size());
    causeway::proxy::copy_truncated("app", r.user.data(), r.user.size());
    return r;
  };
  f.snapshot.workers[0].decisions = {record(1000, causeway::routing::Target::Replica, 1, "SELECT 1"),
                                     record(3000, causeway::routing::Target::Reject, 0, "SELECT \"x\"\n")};
  st::WorkerSample other;
  other.worker = 1;
  other.decisions = {record(2000, causeway::routing::Target::Primary, 0, "SELECT \xE2\x82")};
  f.snapshot.workers.push_back(other);
  const std::string json = st::decisions_json(f.snapshot, 10);
  INFO(json);
  const auto first = json.find("1970-01-01T00:00:03.000Z"), second = json.find("1970-01-01T00:00:02.000Z"),
             third = json.find("1970-01-01T00:00:01.000Z");
  CHECK(first < second);
  CHECK(second < third);
  CHECK(third != std::string::npos);
  CHECK(json.find(R"("statement":"SELECT \"x\"\n","target":"reject","server":null,"reason":"read")") != std::string::npos);
  CHECK(json.find(R"("worker":1,"session":0,"user":"app","statement":"SELECT )" "\xEF\xBF\xBD\xEF\xBF\xBD" R"(","target":"primary","server":"primary")") !=
        std::string::npos);
  CHECK(json.find(R"("target":"replica","server":"replica1")") != std::string::npos);
  CHECK(st::decisions_json(f.snapshot, 1).find("00:00:02") == std::string::npos);
}

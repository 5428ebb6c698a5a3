// The JSON API (docs/status-api.md): topology, servers, pools, rules, decisions, stats.
#include <fmt/format.h>

#include <algorithm>

#include "proxy/status_data.hpp"
#include "proxy/status_format.hpp"

namespace causeway::proxy::status {
namespace {

using replication::LogHistogram;

std::string endpoint(std::string_view host, std::uint16_t port) {
  return host.find(':') != std::string_view::npos ? fmt::format("[{}]:{}", host, port)
                                                  : fmt::format("{}:{}", host, port);
}

std::string address_of(const Snapshot& s, std::size_t i) {
  const auto& servers = s.runtime->servers;
  return i < servers.size() ? endpoint(servers[i].host, servers[i].port) : std::string();
}

// The configured server a replica's "host:port" source names, if any.
std::optional<std::size_t> source_server(const Snapshot& s, std::string_view source) {
  const auto colon = source.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto same_host = [](std::string_view a, std::string_view b) {
    const auto norm = [](std::string_view h) { return h == "localhost" ? std::string_view("127.0.0.1") : h; };
    return norm(a) == norm(b);
  };
  const std::string_view host = source.substr(0, colon), port = source.substr(colon + 1);
  const auto& servers = s.runtime->servers;
  for (std::size_t i = 0; i < servers.size(); ++i)
    if (same_host(servers[i].host, host) && std::to_string(servers[i].port) == port) return i;
  return std::nullopt;
}

Json& optional_int(Json& j, std::string_view key, std::int64_t v) {
  return v < 0 ? j.null_field(key) : j.field(key, v);
}

void server_object(Json& j, const Snapshot& s, std::size_t i) {
  const routing::Topology& t = *s.topology;
  const routing::ServerState& srv = t.servers[i];
  j.begin_object();
  j.field("name", srv.name).field("address", address_of(s, i));
  const char* configured = srv.configured_role == routing::ConfiguredRole::Primary   ? "primary"
                           : srv.configured_role == routing::ConfiguredRole::Replica ? "replica"
                                                                                      : "auto";
  j.field("configured_role", configured);
  j.field("role", role(t, i)).field("health", health(srv, s.monitored));
  j.field("checked", srv.checked).field("reachable", srv.reachable).field("read_only", srv.read_only);
  j.field("drained", srv.drained).field("weight", srv.weight).field("error", srv.last_error);
  j.key("replication");
  if (srv.is_replica) {
    j.begin_object().field("source", srv.source);
    const auto source = source_server(s, srv.source);
    if (source) j.field("source_server", s.server_name(*source));
    else j.null_field("source_server");
    j.field("io_running", srv.io_running).field("sql_running", srv.sql_running);
    optional_int(j, "seconds_behind", srv.seconds_behind);
    j.field("last_error", srv.last_error).end_object();
  } else {
    j.null();
  }
  j.field("version", srv.version);
  if (srv.checked_at == std::chrono::system_clock::time_point{}) j.null_field("checked_at");
  else j.field("checked_at", iso8601(srv.checked_at));
  j.key("stream").begin_object().field("state", routing::to_string(srv.stream)).field("error", srv.stream_error).end_object();
  if (srv.executed) j.field("gtid_executed", srv.executed->to_string());
  else j.null_field("gtid_executed");
  if (srv.streamed) j.field("gtid_streamed", srv.streamed->to_string());
  else j.null_field("gtid_streamed");
  if (srv.semi_sync.available) {
    j.key("semi_sync").begin_object().field("source", srv.semi_sync.source).field("replica", srv.semi_sync.replica);
    optional_int(j, "clients", srv.semi_sync.clients);
    j.end_object();
  } else {
    j.null_field("semi_sync");
  }
  j.key("lag").begin_object();
  if (srv.executed) j.field("transactions", srv.lag_transactions);
  else j.null_field("transactions");
  optional_int(j, "ms", srv.lag_ms(s.now));
  optional_int(j, "apply_delay_ms", srv.last_delay_ms);
  j.end_object();
  const PoolCount pool = s.pool(i);
  j.key("pool").begin_object().field("open", pool.open).field("idle", pool.idle).end_object();
  j.field("statements_total", s.statements(i));
  j.end_object();
}

void servers_array(Json& j, const Snapshot& s) {
  j.key("servers").begin_array();
  for (std::size_t i = 0; i < s.topology->servers.size(); ++i) server_object(j, s, i);
  j.end_array();
}

void quantiles(Json& j, const LogHistogram::Totals& t, std::uint64_t sum_us) {
  j.field("count", LogHistogram::total(t)).field("sum_us", sum_us);
  j.field("p50_us", LogHistogram::quantile(t, 0.5)).field("p99_us", LogHistogram::quantile(t, 0.99));
  j.field("max_us", LogHistogram::quantile(t, 1.0));
}

void consistency_stats(Json& j, const Snapshot& s) {
  std::uint64_t wait_sum = 0;
  const LogHistogram::Totals waits = consistency_waits(s, wait_sum);
  j.key("consistency").begin_object();
  j.field("commit_gtids_total", total(s, &WorkerStats::commit_gtids));
  j.field("waits_total", LogHistogram::total(waits));
  j.field("wait_timeouts_total", decisions(s, routing::Reason::ConsistencyTimeout));
  j.field("fallbacks_total", decisions(s, routing::Reason::ConsistencyFallback));
  j.field("strong_no_stream_total", decisions(s, routing::Reason::StrongNoStream));
  j.field("visibility_checks_total", s.visibility_checks);
  j.key("wait").begin_object();
  quantiles(j, waits, wait_sum);
  j.end_object();
  j.key("freshness").begin_array();
  for (const auto& f : s.freshness) {
    j.begin_object().field("server", f.server);
    quantiles(j, f.buckets, f.sum_us);
    j.end_object();
  }
  j.end_array().end_object();
}

}  // namespace

std::string error_json(std::string_view message) {
  Json j;
  j.begin_object().field("error", message).end_object();
  return j.take();
}

std::string topology_json(const Snapshot& s) {
  const routing::Topology& t = *s.topology;
  Json j;
  j.begin_object();
  j.field("generation", t.generation).field("monitored", s.monitored);
  j.field("streams", s.runtime->config->replication.has_value());
  if (t.writer) j.field("writer", s.server_name(*t.writer));
  else j.null_field("writer");
  j.field("ready", !s.stopping && t.writer.has_value());
  servers_array(j, s);
  j.key("links").begin_array();
  for (std::size_t i = 0; i < t.servers.size(); ++i) {
    const auto& srv = t.servers[i];
    if (!srv.is_replica) continue;
    j.begin_object().field("replica", srv.name).field("source_address", srv.source);
    if (const auto src = source_server(s, srv.source)) j.field("source", s.server_name(*src));
    else j.null_field("source");
    j.field("io_running", srv.io_running).field("sql_running", srv.sql_running);
    optional_int(j, "lag_ms", srv.lag_ms(s.now));
    j.end_object();
  }
  j.end_array().end_object();
  return j.take();
}

std::string servers_json(const Snapshot& s) {
  Json j;
  j.begin_object();
  servers_array(j, s);
  j.end_object();
  return j.take();
}

std::string server_json(const Snapshot& s, std::size_t server) {
  Json j;
  server_object(j, s, server);
  return j.take();
}

std::string pools_json(const Snapshot& s) {
  const auto& pool = s.runtime->config->pool;
  const std::uint64_t workers = std::max<std::size_t>(1, s.workers.size());
  const std::uint64_t per_worker =
      pool.max_connections_per_server == 0 ? 0 : std::max<std::uint64_t>(1, pool.max_connections_per_server / workers);
  Json j;
  j.begin_object().key("limits").begin_object();
  j.field("max_connections_per_server", std::uint64_t{pool.max_connections_per_server});
  j.field("per_worker", per_worker).field("idle_timeout_ms", static_cast<std::int64_t>(pool.idle_timeout.count()));
  j.field("min_idle", std::uint64_t{pool.min_idle}).end_object();
  j.field("pool_exhausted_total", total(s, &WorkerStats::pool_exhausted));
  j.field("backend_connects_total", total(s, &WorkerStats::backend_connects));
  j.field("backend_connect_failures_total", total(s, &WorkerStats::backend_connect_failures));
  j.key("servers").begin_array();
  for (std::size_t i = 0; i < s.topology->servers.size(); ++i) {
    const PoolCount p = s.pool(i);
    j.begin_object().field("name", s.server_name(i)).field("open", p.open).field("idle", p.idle);
    j.field("in_use", p.open >= p.idle ? p.open - p.idle : 0);
    j.key("workers").begin_array();
    for (const auto& w : s.workers) {
      if (i >= w.pools.size()) continue;
      j.begin_object().field("worker", std::uint64_t{w.worker}).field("open", w.pools[i].open);
      j.field("idle", w.pools[i].idle).end_object();
    }
    j.end_array().end_object();
  }
  j.end_array().end_object();
  return j.take();
}

std::string rules_json(const Snapshot& s) {
  const auto& rules = s.runtime->config->rules;
  const std::size_t compiled = s.runtime->rules ? s.runtime->rules->size() : 0;
  const auto list = [](Json& j, std::string_view key, const std::vector<std::string>& items) {
    j.key(key).begin_array();
    for (const auto& item : items) j.value(item);
    j.end_array();
  };
  Json j;
  j.begin_object().key("rules").begin_array();
  for (std::size_t i = 0; i < std::min(rules.size(), compiled); ++i) {
    const config::Rule& r = rules[i];
    j.begin_object().field("name", r.name).field("index", std::uint64_t{i}).field("hits", s.rule_hits(i));
    j.key("match").begin_object();
    list(j, "users", r.users);
    list(j, "schemas", r.schemas);
    list(j, "clients", r.clients);
    j.key("classes").begin_array();
    for (auto c : r.classes) j.value(config::to_string(c));
    j.end_array();
    j.field("match", r.match).field("digest", r.digest).end_object();
    j.key("action").begin_object();
    switch (r.route) {
      case config::RuleRoute::None: j.null_field("route"); break;
      case config::RuleRoute::Primary: j.field("route", "primary"); break;
      case config::RuleRoute::Replica: j.field("route", "replica"); break;
      case config::RuleRoute::Server: j.field("route", "server"); break;
    }
    if (r.route == config::RuleRoute::Server) j.field("server", r.server);
    else j.null_field("server");
    if (r.consistency) j.field("consistency", config::to_string(*r.consistency));
    else j.null_field("consistency");
    if (r.wait) j.field("wait_ms", static_cast<std::int64_t>(r.wait->count()));
    else j.null_field("wait_ms");
    j.field("reject", r.reject).end_object();
    j.end_object();
  }
  j.end_array().end_object();
  return j.take();
}

std::string decisions_json(const Snapshot& s, std::size_t limit) {
  struct Item {
    const DecisionRecord* record;
    std::size_t worker;
  };
  std::vector<Item> items;
  for (const auto& w : s.workers)
    for (const auto& r : w.decisions) items.push_back({&r, w.worker});
  // Newest first; each worker's ring is oldest first, so ties keep their ring order reversed.
  std::reverse(items.begin(), items.end());
  std::stable_sort(items.begin(), items.end(),
                   [](const Item& a, const Item& b) { return a.record->at > b.record->at; });
  if (items.size() > limit) items.resize(limit);
  Json j;
  j.begin_object().field("sample_every", std::uint64_t{DecisionRing::sample_every});
  j.field("capacity", std::uint64_t{DecisionRing::capacity * s.workers.size()});
  j.key("decisions").begin_array();
  for (const Item& it : items) {
    const DecisionRecord& r = *it.record;
    j.begin_object().field("at", iso8601(r.at)).field("worker", std::uint64_t{it.worker});
    j.field("session", std::uint64_t{r.session}).field("user", std::string_view(r.user.data()));
    j.field("statement", std::string_view(r.statement.data())).field("target", routing::to_string(r.target));
    // Reject and Wait name no server that ran anything.
    if (r.target == routing::Target::Reject || r.target == routing::Target::Wait) j.null_field("server");
    else j.field("server", s.server_name(r.server));
    j.field("reason", routing::to_string(r.reason)).field("consistency", routing::to_string(r.consistency));
    j.field("waited_us", std::uint64_t{r.waited_us}).end_object();
  }
  j.end_array().end_object();
  return j.take();
}

std::string stats_json(const Snapshot& s) {
  Json j;
  j.begin_object().key("clients").begin_object();
  j.field("connections_total", total(s, &WorkerStats::client_connections));
  std::int64_t active = 0;
  for (const WorkerStats* st : s.stats) active += st->client_connections_active.get();
  j.field("connections", active).field("tls_connections_total", total(s, &WorkerStats::client_tls_connections));
  j.field("compressed_connections_total", total(s, &WorkerStats::client_compressed_connections));
  j.field("idle_timeouts_total", total(s, &WorkerStats::idle_timeouts)).end_object();
  j.field("commands_total", total(s, &WorkerStats::commands));
  j.key("statements").begin_object();
  for (std::size_t c = 0; c < routing::statement_class_count; ++c) {
    std::uint64_t n = 0;
    for (const WorkerStats* st : s.stats) n += st->statements_by_class[c].get();
    j.field(routing::to_string(static_cast<routing::StatementClass>(c)), n);
  }
  j.end_object().key("decisions").begin_object();
  for (std::size_t r = 0; r < routing::reason_count; ++r)
    j.field(routing::to_string(static_cast<routing::Reason>(r)), decisions(s, static_cast<routing::Reason>(r)));
  j.end_object().key("errors").begin_object();
  for (const ErrorKind& e : error_kinds) j.field(e.kind, total(s, e.counter));
  j.end_object().key("backends").begin_object();
  j.field("connects_total", total(s, &WorkerStats::backend_connects));
  j.field("received_bytes_total", total(s, &WorkerStats::bytes_from_backends));
  j.field("read_retries_total", total(s, &WorkerStats::read_retries)).end_object();
  consistency_stats(j, s);
  j.end_object();
  return j.take();
}

}  // namespace causeway::proxy::status

// GET /metrics: Prometheus text exposition format 0.0.4 (docs/status-api.md, "Metrics").
#include <fmt/format.h>

#include "proxy/status_data.hpp"
#include "proxy/status_format.hpp"

namespace causeway::proxy::status {
namespace {

using replication::LogHistogram;

void counter(Metrics& m, std::string_view name, std::string_view help, std::uint64_t value) {
  m.family(name, "counter", help);
  m.sample(name, {}, value);
}

void connections(Metrics& m, const Snapshot& s) {
  counter(m, "causeway_client_connections_total", "Client connections accepted.",
          total(s, &WorkerStats::client_connections));
  m.family("causeway_client_connections", "gauge", "Client connections open now.");
  std::int64_t active = 0;
  for (const WorkerStats* st : s.stats) active += st->client_connections_active.get();
  m.sample("causeway_client_connections", {}, active);
  counter(m, "causeway_client_tls_connections_total", "Client connections that switched to TLS.",
          total(s, &WorkerStats::client_tls_connections));
  counter(m, "causeway_client_compressed_connections_total", "Client connections that use the compressed protocol.",
          total(s, &WorkerStats::client_compressed_connections));
  counter(m, "causeway_client_idle_timeouts_total", "Client connections closed after timeouts.client_idle.",
          total(s, &WorkerStats::idle_timeouts));
  counter(m, "causeway_commands_total", "Client commands received (every COM_*).", total(s, &WorkerStats::commands));

  const auto& servers = s.topology->servers;
  m.family("causeway_backend_connections", "gauge", "Open backend connections (idle and in use), all workers.");
  for (std::size_t i = 0; i < servers.size(); ++i)
    m.sample("causeway_backend_connections", {{"server", servers[i].name}}, s.pool(i).open);
  m.family("causeway_backend_connections_idle", "gauge", "Idle pooled backend connections, all workers.");
  for (std::size_t i = 0; i < servers.size(); ++i)
    m.sample("causeway_backend_connections_idle", {{"server", servers[i].name}}, s.pool(i).idle);
  counter(m, "causeway_backend_connects_total", "Backend connections opened.", total(s, &WorkerStats::backend_connects));
  counter(m, "causeway_backend_received_bytes_total", "Bytes relayed from backends to clients.",
          total(s, &WorkerStats::bytes_from_backends));
  counter(m, "causeway_read_retries_total", "Reads moved to the primary after their replica failed.",
          total(s, &WorkerStats::read_retries));
}

void statements(Metrics& m, const Snapshot& s) {
  m.family("causeway_statements_total", "counter", "Statements by class (text and prepared).");
  for (std::size_t c = 0; c < routing::statement_class_count; ++c) {
    std::uint64_t n = 0;
    for (const WorkerStats* st : s.stats) n += st->statements_by_class[c].get();
    m.sample("causeway_statements_total", {{"class", routing::to_string(static_cast<routing::StatementClass>(c))}}, n);
  }
  const auto& servers = s.topology->servers;
  m.family("causeway_server_statements_total", "counter", "Commands sent to each server.");
  for (std::size_t i = 0; i < servers.size(); ++i)
    m.sample("causeway_server_statements_total", {{"server", servers[i].name}}, s.statements(i));
  m.family("causeway_routing_decisions_total", "counter", "Routing decisions by reason.");
  for (std::size_t i = 0; i < routing::reason_count; ++i) {
    const auto r = static_cast<routing::Reason>(i);
    m.sample("causeway_routing_decisions_total", {{"reason", routing::to_string(r)}}, decisions(s, r));
  }
  m.family("causeway_errors_total", "counter", "Errors by kind (each error path counts once).");
  for (const ErrorKind& e : error_kinds) m.sample("causeway_errors_total", {{"kind", e.kind}}, total(s, e.counter));
  m.family("causeway_rule_hits_total", "counter", "Statements each routing rule matched.");
  const auto& rules = s.runtime->rules;
  for (std::size_t i = 0; rules && i < rules->size(); ++i)
    m.sample("causeway_rule_hits_total", {{"rule", rules->name(i)}}, s.rule_hits(i));
}

void servers(Metrics& m, const Snapshot& s) {
  const auto& t = *s.topology;
  m.family("causeway_server_up", "gauge",
           "1 when the server is reachable and, if a replica, replicating without error (drained or not).");
  for (std::size_t i = 0; i < t.servers.size(); ++i) {
    const std::string_view h = health(t.servers[i], s.monitored);
    m.sample("causeway_server_up", {{"server", t.servers[i].name}, {"role", role(t, i)}},
             std::int64_t{h == "up" || h == "drained"});
  }
  m.family("causeway_server_drained", "gauge", "1 while an operator has drained the server.");
  for (const auto& srv : t.servers) m.sample("causeway_server_drained", {{"server", srv.name}}, std::int64_t{srv.drained});
  // Lag is known only where the GTIDs are tracked; the writer has none.
  m.family("causeway_replica_lag_seconds", "gauge",
           "Age of the oldest transaction the primary has and the server lacks; 0 when level.");
  for (std::size_t i = 0; i < t.servers.size(); ++i) {
    const auto ms = t.servers[i].lag_ms(s.now);
    if (ms < 0 || (t.writer && *t.writer == i)) continue;
    m.sample("causeway_replica_lag_seconds", {{"server", t.servers[i].name}}, static_cast<double>(ms) / 1000.0);
  }
  m.family("causeway_replica_lag_transactions", "gauge", "Transactions the primary has that the server lacks.");
  for (std::size_t i = 0; i < t.servers.size(); ++i) {
    if (!t.servers[i].executed || (t.writer && *t.writer == i)) continue;
    m.sample("causeway_replica_lag_transactions", {{"server", t.servers[i].name}}, t.servers[i].lag_transactions);
  }
  m.family("causeway_stream_state", "gauge", "The binlog stream's state per server: 1 for the current state.");
  using routing::StreamState;
  for (const auto& srv : t.servers) {
    for (StreamState st : {StreamState::Off, StreamState::Connecting, StreamState::Streaming, StreamState::Polling})
      m.sample("causeway_stream_state", {{"server", srv.name}, {"state", routing::to_string(st)}},
               std::int64_t{srv.stream == st});
  }
  m.family("causeway_topology_generation", "gauge", "Topology snapshots published so far.");
  m.sample("causeway_topology_generation", {}, t.generation);
}

void consistency(Metrics& m, const Snapshot& s) {
  std::uint64_t wait_sum = 0;
  const LogHistogram::Totals waits = consistency_waits(s, wait_sum);
  m.family("causeway_consistency_wait_seconds", "histogram",
           "How long reads were parked until a replica had what they required.");
  m.histogram("causeway_consistency_wait_seconds", {}, waits, wait_sum);

  const std::uint64_t fallbacks = decisions(s, routing::Reason::ConsistencyFallback);
  const std::uint64_t timeouts = decisions(s, routing::Reason::ConsistencyTimeout);
  m.family("causeway_consistency_fallbacks_total", "counter",
           "Reads that did not get a replica with what their consistency level required, by reason.");
  m.sample("causeway_consistency_fallbacks_total", {{"reason", "consistency_fallback"}}, fallbacks);
  m.sample("causeway_consistency_fallbacks_total", {{"reason", "consistency_timeout"}}, timeouts);
  m.sample("causeway_consistency_fallbacks_total", {{"reason", "strong_no_stream"}},
           decisions(s, routing::Reason::StrongNoStream));
  counter(m, "causeway_commit_gtids_total", "Commit GTIDs captured from the primary's OK packets.",
          total(s, &WorkerStats::commit_gtids));

  m.family("causeway_stale_read_guards_total", "counter",
           "Times a guard against stale reads acted: a read parked (wait), sent to the primary instead "
           "(fallback), a replica's visibility of streamed GTIDs confirmed (visibility_check).");
  m.sample("causeway_stale_read_guards_total", {{"guard", "wait"}}, LogHistogram::total(waits));
  m.sample("causeway_stale_read_guards_total", {{"guard", "fallback"}}, fallbacks + timeouts);
  m.sample("causeway_stale_read_guards_total", {{"guard", "visibility_check"}}, s.visibility_checks);

  m.family("causeway_tracker_freshness_seconds", "histogram",
           "From a server's stream showing a transaction to the router's snapshot saying it is visible there.");
  for (const auto& f : s.freshness) m.histogram("causeway_tracker_freshness_seconds", {{"server", f.server}}, f.buckets, f.sum_us);
}

}  // namespace

std::string metrics_text(const Snapshot& s) {
  Metrics m;
  m.family("causeway_ready", "gauge", "1 when causeway accepts clients and a writer is known (as /readyz).");
  m.sample("causeway_ready", {}, std::int64_t{!s.stopping && s.topology->writer.has_value()});
  connections(m, s);
  statements(m, s);
  servers(m, s);
  consistency(m, s);
  return m.take();
}

}  // namespace causeway::proxy::status

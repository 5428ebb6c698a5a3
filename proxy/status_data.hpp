// What one status request sees: a snapshot gathered by the status server (each worker's
// non-atomic state on that worker's own thread) and rendered by pure functions into
// Prometheus text (status_metrics.cpp) or JSON (status_json.cpp, status_config_json.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "proxy/services.hpp"
#include "proxy/stats.hpp"
#include "replication/monitor.hpp"
#include "routing/topology.hpp"

namespace causeway::proxy::status {

struct PoolCount {
  std::uint64_t open = 0;  // idle + in use
  std::uint64_t idle = 0;
};

// One worker's state that only its own thread may read, copied there.
struct WorkerSample {
  std::size_t worker = 0;
  std::vector<PoolCount> pools;                     // per server
  std::vector<std::uint64_t> rule_hits;             // per rule
  std::vector<std::uint64_t> statements_by_server;  // per server
  std::vector<DecisionRecord> decisions;            // oldest first; only when asked for
};

struct Snapshot {
  std::shared_ptr<const Runtime> runtime;  // the running config, servers and rules
  routing::TopologyPtr topology;
  bool monitored = false;  // a monitor checks the servers; else they are as configured
  bool stopping = false;   // shutdown has begun
  std::chrono::steady_clock::time_point now{};
  std::vector<const WorkerStats*> stats;  // relaxed atomics: read from any thread
  std::vector<WorkerSample> workers;
  std::vector<replication::Monitor::FreshnessHistogram> freshness;  // empty without a monitor
  std::uint64_t visibility_checks = 0;

  std::uint64_t rule_hits(std::size_t rule) const;
  std::uint64_t statements(std::size_t server) const;
  PoolCount pool(std::size_t server) const;
  // Server name by topology index ("" if out of range).
  std::string_view server_name(std::size_t server) const;
  std::optional<std::size_t> find_server(std::string_view name) const;
};

// Summing one WorkerStats counter over every worker.
std::uint64_t total(const Snapshot& s, Counter WorkerStats::*counter);
// Routing decisions with this reason, over every worker.
std::uint64_t decisions(const Snapshot& s, routing::Reason reason);
// Every worker's consistency-wait histogram added up; `sum_us` their summed microseconds.
replication::LogHistogram::Totals consistency_waits(const Snapshot& s, std::uint64_t& sum_us);

// How a server is doing, in the words of the status API: up, down, broken, drained, unknown.
const char* health(const routing::ServerState& server, bool monitored);
// primary (the writer), replica or unknown.
const char* role(const routing::Topology& topology, std::size_t server);

// WorkerStats counters that are errors, by their `kind` label.
struct ErrorKind {
  const char* kind;
  Counter WorkerStats::*counter;
};
inline constexpr ErrorKind error_kinds[] = {
    {"auth_failure", &WorkerStats::auth_failures},
    {"handshake_timeout", &WorkerStats::handshake_timeouts},
    {"malformed_packet", &WorkerStats::malformed_packets},
    {"sequence_error", &WorkerStats::sequence_errors},
    {"oversized_packet", &WorkerStats::oversized_packets},
    {"too_many_connections", &WorkerStats::too_many_connections},
    {"unsupported_command", &WorkerStats::unsupported_commands},
    {"client_abort", &WorkerStats::client_aborts},
    {"backend_connect_failure", &WorkerStats::backend_connect_failures},
    {"backend_lost", &WorkerStats::backend_lost},
    {"backend_protocol_error", &WorkerStats::backend_protocol_errors},
    {"routing_reject", &WorkerStats::routing_rejects},
    {"rule_reject", &WorkerStats::rule_rejects},
    {"pool_exhausted", &WorkerStats::pool_exhausted},
    {"backend_refused", &WorkerStats::backend_refused},
};

// Renderers.
std::string metrics_text(const Snapshot& s);
std::string topology_json(const Snapshot& s);
std::string servers_json(const Snapshot& s);
std::string server_json(const Snapshot& s, std::size_t server);
std::string pools_json(const Snapshot& s);
std::string rules_json(const Snapshot& s);
std::string decisions_json(const Snapshot& s, std::size_t limit);
std::string stats_json(const Snapshot& s);
// The configuration with every password, password hash and the admin token as "***".
std::string config_json(const config::Config& c);
// {"error": message}
std::string error_json(std::string_view message);

}  // namespace causeway::proxy::status

#include "proxy/status_data.hpp"

#include <algorithm>

namespace causeway::proxy::status {

std::uint64_t Snapshot::rule_hits(std::size_t rule) const {
  std::uint64_t n = 0;
  for (const auto& w : workers)
    if (rule < w.rule_hits.size()) n += w.rule_hits[rule];
  return n;
}

std::uint64_t Snapshot::statements(std::size_t server) const {
  std::uint64_t n = 0;
  for (const auto& w : workers)
    if (server < w.statements_by_server.size()) n += w.statements_by_server[server];
  return n;
}

PoolCount Snapshot::pool(std::size_t server) const {
  PoolCount p;
  for (const auto& w : workers) {
    if (server >= w.pools.size()) continue;
    p.open += w.pools[server].open;
    p.idle += w.pools[server].idle;
  }
  return p;
}

std::string_view Snapshot::server_name(std::size_t server) const {
  if (topology && server < topology->servers.size()) return topology->servers[server].name;
  return {};
}

std::optional<std::size_t> Snapshot::find_server(std::string_view name) const {
  if (!topology) return std::nullopt;
  const auto& servers = topology->servers;
  auto it = std::find_if(servers.begin(), servers.end(), [&](const auto& s) { return s.name == name; });
  if (it == servers.end()) return std::nullopt;
  return static_cast<std::size_t>(it - servers.begin());
}

std::uint64_t total(const Snapshot& s, Counter WorkerStats::*counter) {
  std::uint64_t n = 0;
  for (const WorkerStats* st : s.stats) n += (st->*counter).get();
  return n;
}

std::uint64_t decisions(const Snapshot& s, routing::Reason reason) {
  std::uint64_t n = 0;
  for (const WorkerStats* st : s.stats) n += st->decisions[static_cast<std::size_t>(reason)].get();
  return n;
}

replication::LogHistogram::Totals consistency_waits(const Snapshot& s, std::uint64_t& sum_us) {
  replication::LogHistogram::Totals waits{};
  sum_us = 0;
  for (const WorkerStats* st : s.stats) {
    st->consistency_wait.add_to(waits);
    sum_us += st->consistency_wait.sum();
  }
  return waits;
}

const char* health(const routing::ServerState& server, bool monitored) {
  if (server.removed) return "removed";
  if (monitored && !server.checked) return "unknown";
  if (!server.reachable) return "down";
  if (server.is_replica && (!server.io_running || !server.sql_running || !server.last_error.empty()))
    return "broken";
  if (server.drained) return "drained";
  return "up";
}

const char* role(const routing::Topology& topology, std::size_t server) {
  if (topology.writer && *topology.writer == server) return "primary";
  const auto& s = topology.servers[server];
  if (s.is_replica) return "replica";
  return "unknown";
}

}  // namespace causeway::proxy::status

// The config's routing pieces in the shape routing/ wants them: compiled rules, the
// topology as configured (before the monitor reports), the route policy.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "routing/router.hpp"
#include "routing/rules.hpp"
#include "routing/topology.hpp"

namespace causeway::proxy {

// config.rules compiled, in order; route=server:NAME resolved to the index of NAME in
// config.servers (= the topology's order). Throws std::invalid_argument only for a config
// that did not pass validation.
routing::RuleSetPtr build_rules(const config::Config& config);
// The same, with route=server:NAME resolved to NAME's slot in `table` (see server_table()).
routing::RuleSetPtr build_rules(const config::Config& config, const std::vector<std::string>& table);
// Server names in config order: the topology's slots at start-up. A reload keeps every
// slot (indices stay valid for sessions, pools and counters): a removed server's slot
// becomes "", a new server gets a new slot at the end.
std::vector<std::string> server_table(const config::Config& config);

// Servers as configured, all up: the configured primary (else the first server) is the
// writer, every other server a healthy replica. Stands in until the monitor reports.
routing::TopologyPtr configured_topology(const config::Config& config);
// The same over `table`'s slots; a removed slot is unreachable and marked removed.
routing::TopologyPtr configured_topology(const config::Config& config, const std::vector<std::string>& table);
routing::ConfiguredRole configured_role(config::ServerRole role);

routing::Consistency consistency_level(config::Consistency level);
// consistency.wait.<level>: how long a read at `level` may wait for a replica (0 for eventual).
std::chrono::milliseconds consistency_wait(const config::ConsistencySettings& settings, routing::Consistency level);

// routing.read_write_split, routing.fallback and the consistency policy.
routing::RoutePolicy route_policy(const config::Config& config);

}  // namespace causeway::proxy

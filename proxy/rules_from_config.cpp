#include "proxy/rules_from_config.hpp"

#include <optional>

#include <memory>
#include <string>
#include <vector>

namespace causeway::proxy {

namespace {

routing::StatementClass to_routing(config::StatementClass c) {
  using C = config::StatementClass;
  using R = routing::StatementClass;
  switch (c) {
    case C::Empty: return R::Empty;
    case C::Read: return R::Read;
    case C::Write: return R::Write;
    case C::Ddl: return R::Ddl;
    case C::Dcl: return R::Dcl;
    case C::Transaction: return R::Transaction;
    case C::Session: return R::Session;
    case C::Lock: return R::Lock;
    case C::Show: return R::Show;
    case C::Call: return R::Call;
    case C::Prepare: return R::Prepare;
    case C::Execute: return R::Execute;
    case C::Deallocate: return R::Deallocate;
    case C::Kill: return R::Kill;
    case C::Admin: return R::Admin;
    case C::Other: return R::Other;
  }
  return R::Other;
}

}  // namespace

routing::Consistency consistency_level(config::Consistency c) {
  switch (c) {
    case config::Consistency::Eventual: return routing::Consistency::Eventual;
    case config::Consistency::ReadYourWrites: return routing::Consistency::ReadYourWrites;
    case config::Consistency::Monotonic: return routing::Consistency::Monotonic;
    case config::Consistency::Strong: return routing::Consistency::Strong;
  }
  return routing::Consistency::Unspecified;
}

std::chrono::milliseconds consistency_wait(const config::ConsistencySettings& k, routing::Consistency level) {
  switch (level) {
    case routing::Consistency::ReadYourWrites: return k.wait_read_your_writes;
    case routing::Consistency::Monotonic: return k.wait_monotonic;
    case routing::Consistency::Strong: return k.wait_strong;
    case routing::Consistency::Eventual:
    case routing::Consistency::Unspecified: break;
  }
  return std::chrono::milliseconds{0};
}

namespace {

routing::RouteTarget to_routing(config::RuleRoute r) {
  switch (r) {
    case config::RuleRoute::None: return routing::RouteTarget::Unspecified;
    case config::RuleRoute::Primary: return routing::RouteTarget::Primary;
    case config::RuleRoute::Replica: return routing::RouteTarget::Replica;
    case config::RuleRoute::Server: return routing::RouteTarget::Server;
  }
  return routing::RouteTarget::Unspecified;
}

routing::RuleSpec to_spec(const config::Rule& r) {
  routing::RuleSpec s;
  s.name = r.name;
  s.users = r.users;
  s.schemas = r.schemas;
  s.clients = r.clients;
  for (auto c : r.classes) s.classes.push_back(to_routing(c));
  s.match = r.match.value_or("");
  s.digest = r.digest.value_or("");
  s.route = to_routing(r.route);
  s.server = r.server;
  if (r.consistency) s.consistency = consistency_level(*r.consistency);
  if (r.wait) s.wait_ms = r.wait->count();
  s.reject = r.reject;
  return s;
}

}  // namespace

std::vector<std::string> server_table(const config::Config& config) {
  std::vector<std::string> names;
  for (const auto& s : config.servers) names.push_back(s.name);
  return names;
}

routing::RuleSetPtr build_rules(const config::Config& config, const std::vector<std::string>& table) {
  std::vector<routing::RuleSpec> specs;
  specs.reserve(config.rules.size());
  for (const auto& r : config.rules) specs.push_back(to_spec(r));
  return routing::RuleSet::build(specs, table);
}

routing::RuleSetPtr build_rules(const config::Config& config) { return build_rules(config, server_table(config)); }

routing::ConfiguredRole configured_role(config::ServerRole role) {
  switch (role) {
    case config::ServerRole::Primary: return routing::ConfiguredRole::Primary;
    case config::ServerRole::Replica: return routing::ConfiguredRole::Replica;
    case config::ServerRole::Auto: break;
  }
  return routing::ConfiguredRole::Auto;
}

routing::TopologyPtr configured_topology(const config::Config& config, const std::vector<std::string>& table) {
  std::optional<std::size_t> primary;
  const auto config_server = [&](const std::string& name) -> const config::Server* {
    for (const auto& s : config.servers)
      if (!name.empty() && s.name == name) return &s;
    return nullptr;
  };
  for (std::size_t i = 0; i < table.size(); ++i) {
    const auto* s = config_server(table[i]);
    if (s != nullptr && (s->role == config::ServerRole::Primary || !primary)) primary = i;
    if (s != nullptr && s->role == config::ServerRole::Primary) break;
  }
  auto topo = std::make_shared<routing::Topology>();
  for (std::size_t i = 0; i < table.size(); ++i) {
    routing::ServerState st;
    const auto* s = config_server(table[i]);
    if (s == nullptr) {
      // Removed from the config by a reload: kept so indices stay valid, never used.
      st.name = "(removed " + std::to_string(i) + ")";  // unique: names label metrics
      st.removed = true;
      st.configured_role = routing::ConfiguredRole::Replica;
      topo->servers.push_back(std::move(st));
      continue;
    }
    st.name = s->name;
    st.weight = s->weight;
    st.configured_role = configured_role(s->role);
    const bool replica = i != primary && s->role != config::ServerRole::Primary;
    st.reachable = true;
    st.read_only = replica;
    st.is_replica = replica;
    st.io_running = st.sql_running = replica;
    topo->servers.push_back(std::move(st));
  }
  topo->writer = primary;
  return topo;
}

routing::TopologyPtr configured_topology(const config::Config& config) {
  return configured_topology(config, server_table(config));
}

routing::RoutePolicy route_policy(const config::Config& config) {
  routing::RoutePolicy p;
  p.split = config.routing.read_write_split;
  p.fallback_to_primary = config.routing.fallback == config::Fallback::Primary;
  p.timeout_to_primary = config.consistency.on_timeout == config::Fallback::Primary;
  p.max_replica_lag_ms = config.consistency.max_replica_lag.count();
  return p;
}

}  // namespace causeway::proxy

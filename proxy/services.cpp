#include "proxy/services.hpp"

namespace causeway::proxy {

std::shared_ptr<const Runtime> Runtime::build(std::shared_ptr<const config::Config> cfg) {
  auto rt = std::make_shared<Runtime>();
  for (const auto& u : cfg->users) {
    UserEntry e;
    e.name = u.name;
    e.password = u.password;
    if (u.password_hash) e.double_sha1 = protocol::auth::parse_native_hash(*u.password_hash);
    e.plugin = u.auth_plugin;
    rt->users.emplace(u.name, std::move(e));
  }
  for (std::size_t i = 0; i < cfg->servers.size(); ++i) {
    const auto& s = cfg->servers[i];
    rt->servers.push_back(Endpoint{s.name, s.host, s.port});
    if (s.role == config::ServerRole::Primary) rt->primary = i;
  }
  auto topo = std::make_shared<routing::Topology>();
  for (std::size_t i = 0; i < cfg->servers.size(); ++i) {
    const auto& s = cfg->servers[i];
    routing::ServerState st;
    st.name = s.name;
    st.weight = s.weight;
    st.configured_role = s.role == config::ServerRole::Primary   ? routing::ConfiguredRole::Primary
                         : s.role == config::ServerRole::Replica ? routing::ConfiguredRole::Replica
                                                                 : routing::ConfiguredRole::Auto;
    const bool replica = i != rt->primary && s.role != config::ServerRole::Primary;
    st.reachable = true;
    st.read_only = replica;
    st.is_replica = replica;
    st.io_running = st.sql_running = replica;
    topo->servers.push_back(std::move(st));
  }
  topo->writer = rt->primary;
  rt->configured_topology = std::move(topo);
  rt->policy.split = cfg->routing.read_write_split;
  rt->policy.fallback_to_primary = cfg->routing.fallback == config::Fallback::Primary;
  rt->config = std::move(cfg);
  return rt;
}

bool Sha2Cache::contains(const std::string& user, std::string_view password) const {
  const auto digest = protocol::auth::sha256(protocol::auth::sha256(protocol::as_bytes(password)));
  std::lock_guard lock(mutex_);
  auto it = entries_.find(user);
  return it != entries_.end() && it->second == digest;
}

void Sha2Cache::add(const std::string& user, std::string_view password) {
  const auto digest = protocol::auth::sha256(protocol::auth::sha256(protocol::as_bytes(password)));
  std::lock_guard lock(mutex_);
  entries_[user] = digest;
}

}  // namespace causeway::proxy

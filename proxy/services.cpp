#include "proxy/services.hpp"

#include "proxy/rules_from_config.hpp"

namespace causeway::proxy {

std::shared_ptr<const Runtime> Runtime::build(std::shared_ptr<const config::Config> cfg, const Runtime* previous) {
  auto rt = std::make_shared<Runtime>();
  for (const auto& u : cfg->users) {
    UserEntry e;
    e.name = u.name;
    e.password = u.password;
    if (u.password_hash) e.double_sha1 = protocol::auth::parse_native_hash(*u.password_hash);
    e.plugin = u.auth_plugin;
    e.consistency = consistency_level(u.consistency.value_or(cfg->consistency.level));
    rt->users.emplace(u.name, std::move(e));
  }
  if (previous != nullptr) {
    rt->servers = previous->servers;
    rt->table = previous->table;
    std::vector<bool> kept(rt->servers.size(), false);
    for (const auto& s : cfg->servers) {
      std::size_t i = 0;
      while (i < rt->servers.size() &&
             (rt->servers[i].removed || rt->servers[i].name != s.name || rt->servers[i].host != s.host ||
              rt->servers[i].port != s.port || rt->servers[i].tls_settings != config::backend_tls_for(*cfg, s)))
        ++i;
      if (i == rt->servers.size()) {
        rt->servers.push_back(make_endpoint(*cfg, s));
        rt->table.push_back(s.name);
        kept.push_back(true);
        rt->servers_changed = true;
      } else {
        kept[i] = true;
        rt->servers[i] = make_endpoint(*cfg, s);  // TLS files are read again (rotated certificates)
      }
    }
    for (std::size_t i = 0; i < kept.size(); ++i) {
      if (kept[i] || rt->servers[i].removed) continue;
      rt->servers[i].removed = true;
      rt->table[i].clear();
      rt->servers_changed = true;
    }
  } else {
    for (const auto& s : cfg->servers) rt->servers.push_back(make_endpoint(*cfg, s));
    rt->table = server_table(*cfg);
  }
  rt->configured_topology = proxy::configured_topology(*cfg, rt->table);
  rt->policy = route_policy(*cfg);
  rt->rules = build_rules(*cfg, rt->table);
  rt->track_gtids = cfg->replication.has_value() && cfg->monitor.has_value() && cfg->routing.read_write_split;
  rt->config = std::move(cfg);
  return rt;
}

void SessionRegistry::add(std::uint32_t id, Entry entry) {
  std::lock_guard lock(mutex_);
  entries_[id] = std::move(entry);
}

void SessionRegistry::remove(std::uint32_t id) {
  std::lock_guard lock(mutex_);
  entries_.erase(id);
}

std::optional<SessionRegistry::Entry> SessionRegistry::find(std::uint32_t id) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
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

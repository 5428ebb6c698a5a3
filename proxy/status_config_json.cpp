// GET /api/config: the running configuration in the shape of the file, secrets as "***".
// Durations are written as the file writes them ("10s", "250ms"), sizes in bytes.
#include <fmt/format.h>

#include "proxy/status_data.hpp"
#include "proxy/status_format.hpp"

namespace causeway::proxy::status {
namespace {

constexpr std::string_view redacted = "***";

std::string duration(config::Millis d) {
  const auto ms = d.count();
  if (ms != 0 && ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms != 0 && ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms != 0 && ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

const char* fallback(config::Fallback f) { return f == config::Fallback::Primary ? "primary" : "error"; }

void secret(Json& j, std::string_view key, bool present) {
  if (present) j.field(key, redacted);
  else j.null_field(key);
}

void strings(Json& j, std::string_view key, const std::vector<std::string>& items) {
  j.key(key).begin_array();
  for (const auto& s : items) j.value(s);
  j.end_array();
}

void rule(Json& j, const config::Rule& r) {
  j.begin_object().field("name", r.name);
  strings(j, "user", r.users);
  strings(j, "schema", r.schemas);
  strings(j, "client", r.clients);
  j.key("class").begin_array();
  for (auto c : r.classes) j.value(config::to_string(c));
  j.end_array();
  j.field("match", r.match).field("digest", r.digest);
  switch (r.route) {
    case config::RuleRoute::None: j.null_field("route"); break;
    case config::RuleRoute::Primary: j.field("route", "primary"); break;
    case config::RuleRoute::Replica: j.field("route", "replica"); break;
    case config::RuleRoute::Server: j.field("route", "server:" + r.server); break;
  }
  if (r.consistency) j.field("consistency", config::to_string(*r.consistency));
  else j.null_field("consistency");
  if (r.wait) j.field("wait", duration(*r.wait));
  else j.null_field("wait");
  j.field("reject", r.reject).end_object();
}

void backend_tls(Json& j, const config::BackendTls& t) {
  j.begin_object().field("mode", config::to_string(t.mode)).field("ca_file", t.ca_file);
  j.field("cert_file", t.cert_file).field("key_file", t.key_file).end_object();
}

void servers_and_users(Json& j, const config::Config& c) {
  j.key("listeners").begin_array();
  for (const auto& l : c.listeners)
    j.begin_object().field("name", l.name).field("address", l.address).field("port", unsigned{l.port}).end_object();
  j.end_array().key("servers").begin_array();
  for (const auto& s : c.servers) {
    j.begin_object().field("name", s.name).field("host", s.host).field("port", unsigned{s.port});
    j.field("role", config::to_string(s.role)).field("weight", s.weight).key("tls");
    backend_tls(j, config::backend_tls_for(c, s));
    j.end_object();
  }
  j.end_array().key("users").begin_array();
  for (const auto& u : c.users) {
    j.begin_object().field("name", u.name);
    secret(j, "password", u.password.has_value());
    secret(j, "password_hash", u.password_hash.has_value());
    j.field("auth_plugin", config::to_string(u.auth_plugin));
    if (u.consistency) j.field("consistency", config::to_string(*u.consistency));
    else j.null_field("consistency");
    j.end_object();
  }
  j.end_array();
}

void accounts(Json& j, const config::Config& c) {
  j.key("monitor");
  if (c.monitor) {
    j.begin_object().field("user", c.monitor->user);
    secret(j, "password", true);
    j.field("interval", duration(c.monitor->interval)).field("timeout", duration(c.monitor->timeout)).end_object();
  } else {
    j.null();
  }
  j.key("account_discovery");
  if (c.account_discovery) {
    j.begin_object().field("user", config::discovery_account(c).user);
    secret(j, "password", true);
    j.field("refresh", duration(c.account_discovery->refresh)).end_object();
  } else {
    j.null();
  }
  j.key("replication");
  if (c.replication) {
    const auto& r = *c.replication;
    j.begin_object().field("user", r.user);
    secret(j, "password", true);
    j.field("heartbeat", duration(r.heartbeat)).field("poll_interval", duration(r.poll_interval));
    j.field("server_id", std::uint64_t{r.server_id}).end_object();
  } else {
    j.null();
  }
}

void settings(Json& j, const config::Config& c) {
  j.key("tls").begin_object().field("cert_file", c.tls.cert_file).field("key_file", c.tls.key_file);
  j.field("require", c.tls.require).end_object();
  j.key("backend_tls");
  backend_tls(j, c.backend_tls);
  j.key("limits").begin_object().field("max_client_connections", std::uint64_t{c.limits.max_client_connections});
  j.field("max_packet_size", c.limits.max_packet_size).end_object();
  const auto& t = c.timeouts;
  j.key("timeouts").begin_object().field("handshake", duration(t.handshake)).field("client_idle", duration(t.client_idle));
  j.field("backend_connect", duration(t.backend_connect)).field("shutdown_grace", duration(t.shutdown_grace));
  j.end_object();
  const auto& k = c.consistency;
  j.key("consistency").begin_object().field("default", config::to_string(k.level));
  j.field("scope", k.scope == config::ConsistencyScope::Global ? "global" : "session");
  j.field("max_replica_lag", duration(k.max_replica_lag)).field("on_timeout", fallback(k.on_timeout));
  j.key("wait").begin_object().field("read_your_writes", duration(k.wait_read_your_writes));
  j.field("monotonic", duration(k.wait_monotonic)).field("strong", duration(k.wait_strong)).end_object();
  j.end_object();
  j.key("routing").begin_object().field("read_write_split", c.routing.read_write_split);
  j.field("fallback", fallback(c.routing.fallback)).end_object();
  j.key("pool").begin_object().field("max_connections_per_server", std::uint64_t{c.pool.max_connections_per_server});
  j.field("idle_timeout", duration(c.pool.idle_timeout)).field("min_idle", std::uint64_t{c.pool.min_idle});
  j.end_object();
  j.key("status").begin_object().field("address", c.status.address).field("port", unsigned{c.status.port});
  secret(j, "admin_token", c.status.admin_token.has_value());
  j.end_object();
}

}  // namespace

std::string config_json(const config::Config& c) {
  Json j;
  j.begin_object();
  servers_and_users(j, c);
  j.field("server_version", c.server_version).field("workers", c.workers);
  settings(j, c);
  accounts(j, c);
  j.key("rules").begin_array();
  for (const auto& r : c.rules) rule(j, r);
  j.end_array();
  j.field("log_level", c.log_level);
  j.end_object();
  return j.take();
}

}  // namespace causeway::proxy::status

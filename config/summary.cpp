// `causeway --check` output: what the proxy will do with this config, without secrets.
#include <fmt/format.h>

#include "config/config.hpp"
#include "config/detail.hpp"

namespace causeway::config {
namespace {

// IPv6 literals need brackets before ":port" to stay readable.
std::string endpoint(const std::string& host, std::uint16_t port) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
}

// Says how a user's secret is kept, never the secret itself.
const char* credential_kind(const User& u) {
  if (u.password) return "clear password";
  if (u.password_hash) return "password hash";
  return "no credential";
}


// client_idle and shutdown_grace use 0 for "no limit" / "do not wait".
std::string timeout(Millis d, const char* zero_means) {
  return d.count() == 0 ? fmt::format("0 ({})", zero_means) : detail::format_duration(d);
}

std::string joined(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ",") + v;
  return out;
}

// "user=app,report class=read match=/^SELECT/ -> route=replica consistency=strong"
std::string describe_rule(const Rule& r) {
  std::string out;
  const auto add = [&out](std::string item) { out += (out.empty() ? "" : " ") + item; };
  if (!r.users.empty()) add("user=" + joined(r.users));
  if (!r.schemas.empty()) add("schema=" + joined(r.schemas));
  if (!r.clients.empty()) add("client=" + joined(r.clients));
  if (!r.classes.empty()) {
    std::vector<std::string> names;
    for (auto cls : r.classes) names.emplace_back(to_string(cls));
    add("class=" + joined(names));
  }
  if (r.match) add(fmt::format("match=/{}/", *r.match));
  if (r.digest) add(fmt::format("digest=/{}/", *r.digest));
  if (out.empty()) out = "every statement";
  out += " ->";
  switch (r.route) {
    case RuleRoute::None: break;
    case RuleRoute::Primary: out += " route=primary"; break;
    case RuleRoute::Replica: out += " route=replica"; break;
    case RuleRoute::Server: out += " route=server:" + r.server; break;
  }
  if (r.consistency) out += fmt::format(" consistency={}", to_string(*r.consistency));
  if (r.wait) out += fmt::format(" wait={}", detail::format_duration(*r.wait));
  if (r.reject) out += fmt::format(" reject \"{}\"", *r.reject);
  return out;
}

}  // namespace

std::string summary(const Config& c) {
  using detail::format_duration;
  std::string out;
  auto line = [&out](std::string text) {
    out += text;
    out += '\n';
  };
  line(fmt::format("listeners ({}):", c.listeners.size()));
  for (const Listener& l : c.listeners)
    line(fmt::format("  {:<16} {}", l.name, endpoint(l.address, l.port)));
  line(fmt::format("servers ({}):", c.servers.size()));
  for (const Server& s : c.servers) {
    const BackendTls& tls = backend_tls_for(c, s);
    line(fmt::format("  {:<16} {:<24} role={:<8} weight={}{}", s.name, endpoint(s.host, s.port), to_string(s.role),
                     s.weight, tls.mode == BackendTlsMode::Disabled ? "" : fmt::format(" tls={}", to_string(tls.mode))));
  }
  line(fmt::format("users ({}):", c.users.size()));
  for (const User& u : c.users)
    line(fmt::format("  {:<16} {} ({}){}", u.name, to_string(u.auth_plugin), credential_kind(u),
                     u.consistency ? fmt::format(", consistency {}", to_string(*u.consistency)) : std::string()));
  line(fmt::format("server_version: {}",
                   c.server_version.empty() ? "mirror the primary" : c.server_version));
  line(fmt::format("workers: {}", c.workers == 0 ? std::string("one per CPU core")
                                                  : std::to_string(c.workers)));
  if (c.tls.enabled())
    line(fmt::format("tls: on (cert {}, key {}){}", c.tls.cert_file, c.tls.key_file,
                     c.tls.require ? ", required" : ", optional"));
  else
    line("tls: off");
  line(fmt::format("limits: max_client_connections={} max_packet_size={}",
                   c.limits.max_client_connections, detail::format_size(c.limits.max_packet_size)));
  line(fmt::format("timeouts: handshake={} client_idle={} backend_connect={} shutdown_grace={}",
                   format_duration(c.timeouts.handshake), timeout(c.timeouts.client_idle, "never"),
                   format_duration(c.timeouts.backend_connect),
                   timeout(c.timeouts.shutdown_grace, "close at once")));
  if (c.monitor)
    line(fmt::format("monitor: user {}, every {}, timeout {}", c.monitor->user,
                     format_duration(c.monitor->interval), format_duration(c.monitor->timeout)));
  else
    line("monitor: not configured");
  if (c.account_discovery)
    line(fmt::format("account_discovery: accounts from the primary's mysql.user as {}, reread at most every {}",
                     discovery_account(c).user, format_duration(c.account_discovery->refresh)));
  if (c.replication)
    line(fmt::format("replication: user {}, heartbeat {}, poll_interval {}, server_id {}", c.replication->user,
                     format_duration(c.replication->heartbeat), format_duration(c.replication->poll_interval),
                     c.replication->server_id == 0 ? std::string("random") : std::to_string(c.replication->server_id)));
  else
    line("replication: not configured (no GTID tracking: reads that need it go to the primary)");
  line(fmt::format("consistency: default={} scope={} max_replica_lag={} on_timeout={} wait: read_your_writes={} "
                   "monotonic={} strong={}",
                   to_string(c.consistency.level),
                   c.consistency.scope == ConsistencyScope::Global ? "global" : "session",
                   timeout(c.consistency.max_replica_lag, "no limit"),
                   c.consistency.on_timeout == Fallback::Primary ? "primary" : "error",
                   format_duration(c.consistency.wait_read_your_writes),
                   format_duration(c.consistency.wait_monotonic), format_duration(c.consistency.wait_strong)));
  // Whether there is an admin token, never the token.
  if (c.status.port == 0)
    line("status: disabled");
  else
    line(fmt::format("status: {}, admin token: {}", endpoint(c.status.address, c.status.port),
                     c.status.admin_token ? "set" : "not set (admin actions refused)"));
  line(fmt::format("routing: read_write_split={} fallback={}", c.routing.read_write_split ? "on" : "off",
                   c.routing.fallback == Fallback::Primary ? "primary" : "error"));
  line(fmt::format("pool: max_connections_per_server={} idle_timeout={}ms min_idle={}",
                   c.pool.max_connections_per_server, c.pool.idle_timeout.count(), c.pool.min_idle));
  if (c.rules.empty()) line("rules: none");
  else line(fmt::format("rules ({}, first match wins):", c.rules.size()));
  for (const Rule& r : c.rules) line(fmt::format("  {:<16} {}", r.name, describe_rule(r)));
  line(fmt::format("log_level: {}", c.log_level));
  return out;
}

}  // namespace causeway::config

#include "proxy/explain.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "proxy/rules_from_config.hpp"
#include "routing/classifier.hpp"
#include "routing/digest.hpp"
#include "routing/hint.hpp"
#include "routing/router.hpp"
#include "routing/session_state.hpp"

namespace causeway::proxy {

namespace {

std::string flag_names(std::uint32_t flags) {
  std::string out;
  for (std::uint32_t bit = 1; bit != 0; bit <<= 1) {
    if ((flags & bit) == 0) continue;
    const auto name = routing::flag_name(bit);
    out += fmt::format("{}{}", out.empty() ? "" : " ", name.empty() ? fmt::format("{:#x}", bit) : std::string(name));
  }
  return out.empty() ? "none" : out;
}

std::string describe(const routing::RouteHint& h) {
  std::string out;
  const auto add = [&out](const std::string& item) { out += (out.empty() ? "" : " ") + item; };
  if (h.route == routing::RouteTarget::Server) {
    add(fmt::format("route=server:{}", h.server));
  } else if (h.route != routing::RouteTarget::Unspecified) {
    add(fmt::format("route={}", routing::to_string(h.route)));
  }
  if (h.consistency != routing::Consistency::Unspecified)
    add(fmt::format("consistency={}", routing::to_string(h.consistency)));
  if (!h.min_gtid.empty()) add(fmt::format("min_gtid={}", h.min_gtid));
  for (std::size_t i = 0; i < h.pair_count; ++i) {
    const auto& p = h.pairs[i];
    const bool known = p.key == "route" || p.key == "consistency" || p.key == "min_gtid";
    if (!known) add(fmt::format("{}={} (not used)", p.key, p.value));
  }
  if (h.error != routing::HintError::None)
    add(fmt::format("error: {} at \"{}\" (the items before it apply)", routing::to_string(h.error), h.error_item));
  return out.empty() ? "(empty)" : out;
}

std::string describe(const routing::Rule& r, const routing::Topology& t) {
  std::string out = fmt::format("{} (rules[{}]):", r.name, r.index);
  const auto& a = r.action;
  if (a.reject) out += fmt::format(" reject \"{}\"", a.reject_message);
  if (a.route == routing::RouteTarget::Server) {
    out += fmt::format(" route=server:{}", a.server < t.servers.size() ? t.servers[a.server].name : "?");
  } else if (a.route != routing::RouteTarget::Unspecified) {
    out += fmt::format(" route={}", routing::to_string(a.route));
  }
  if (a.consistency != routing::Consistency::Unspecified)
    out += fmt::format(" consistency={}", routing::to_string(a.consistency));
  return out;
}

std::string describe(const routing::Decision& d, const routing::Topology& t, const routing::Rule* rule) {
  const std::string server = d.server < t.servers.size() ? t.servers[d.server].name : "?";
  const char* reason = routing::to_string(d.reason);
  if (d.target != routing::Target::Reject) {
    return fmt::format("{} {} (reason: {})", routing::to_string(d.target), server, reason);
  }
  if (d.reason == routing::Reason::RuleReject && rule != nullptr) {
    return fmt::format("reject (reason: {}): the client gets ERR \"{}\"", reason, rule->action.reject_message);
  }
  return fmt::format("reject (reason: {}): the client gets an error", reason);
}

}  // namespace

std::string explain(const config::Config& config, const ExplainInput& in) {
  const auto rules = build_rules(config);
  // The steady state: servers as configured, every one streamed and level with the primary.
  auto steady = std::make_shared<routing::Topology>(*configured_topology(config));
  for (auto& server : steady->servers) {
    server.stream = routing::StreamState::Streaming;
    server.executed = std::make_shared<const replication::GtidSet>();
  }
  const routing::TopologyPtr topology = steady;
  const routing::RoutePolicy policy = route_policy(config);

  const routing::Classification c = routing::classify(in.sql);
  routing::RouteHint hint;
  routing::Request req;
  req.statement = &c;
  if (c.has(routing::flag::HasHint)) {
    hint = routing::parse_hint(c.hint);
    req.hint = &hint;
  }
  routing::RuleContext ctx;
  ctx.user = in.user;
  ctx.schema = in.schema;
  if (!in.client.empty()) {
    ctx.client = routing::IpAddress::parse(in.client);
    if (!ctx.client) throw std::invalid_argument(fmt::format("--client: not an IP address: {}", in.client));
  }
  ctx.statement = &c;
  ctx.sql = in.sql;
  const routing::Rule* rule = rules->match(ctx);
  if (rule != nullptr) req.rule = &rule->action;
  // The level as a session resolves it: hint, rule, the user's, the default.
  std::string consistency;
  const config::User* user = nullptr;
  for (const auto& u : config.users)
    if (u.name == in.user) user = &u;
  if (req.hint != nullptr && hint.consistency != routing::Consistency::Unspecified) {
    req.consistency = hint.consistency;
    consistency = fmt::format("{} (from the hint)", routing::to_string(hint.consistency));
  } else if (rule != nullptr && rule->action.consistency != routing::Consistency::Unspecified) {
    req.consistency = rule->action.consistency;
    consistency = fmt::format("{} (from rule {})", routing::to_string(rule->action.consistency), rule->name);
  } else if (user != nullptr && user->consistency) {
    req.consistency = consistency_level(*user->consistency);
    consistency = fmt::format("{} (user {})", routing::to_string(req.consistency), user->name);
  } else {
    req.consistency = consistency_level(config.consistency.level);
    consistency = fmt::format("{} (the default)", routing::to_string(req.consistency));
  }
  if (req.consistency != routing::Consistency::Eventual) {
    const auto wait = rule != nullptr && rule->action.wait_ms >= 0
                          ? std::chrono::milliseconds(rule->action.wait_ms)
                          : consistency_wait(config.consistency, req.consistency);
    consistency += fmt::format(", scope {}, waits up to {} ms for a replica",
                               config.consistency.scope == config::ConsistencyScope::Global ? "global" : "session",
                               wait.count());
  }
  // A session that has written nothing yet: no GTID to wait for.
  const routing::SessionState idle;
  const routing::Decision d = routing::decide(req, idle, *topology, policy, routing::LoadView{});

  std::string out;
  const auto line = [&out](std::string_view key, const std::string& value) {
    out += fmt::format("{:<14}{}\n", fmt::format("{}:", key), value);
  };
  line("statement", in.sql);
  line("class", routing::to_string(c.cls));
  line("action", routing::to_string(c.action));
  line("flags", flag_names(c.flags));
  line("replica-safe", routing::is_replica_safe(c) ? "yes" : "no");
  line("hint", req.hint != nullptr ? describe(hint) : "none");
  line("digest", routing::digest(in.sql));
  line("session", fmt::format("user={} schema={} client={}", in.user.empty() ? "(none)" : in.user,
                              in.schema.empty() ? "(none)" : in.schema,
                              in.client.empty() ? "(none)" : in.client));
  line("rule", rule != nullptr ? describe(*rule, *topology) : fmt::format("none ({} rules)", rules->size()));
  line("consistency", consistency);
  line("policy", fmt::format("read_write_split={} fallback={}", policy.split ? "on" : "off",
                             policy.fallback_to_primary ? "primary" : "error"));
  line("decision", describe(d, *topology, rule));
  return out;
}

}  // namespace causeway::proxy

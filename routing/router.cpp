#include "routing/router.hpp"

#include <limits>

namespace causeway::routing {

namespace {

Decision primary(const Topology& t, Reason reason) { return {Target::Primary, primary_index(t), reason}; }

// What a read at this consistency level requires of a replica (docs/consistency.md).
Eligibility eligibility_for(const Request& req, const SessionState& s, const Topology& t, const RoutePolicy& p) {
  Eligibility e;
  e.max_lag_ms = p.max_replica_lag_ms;
  e.now = req.now;
  e.required[0] = req.token;
  switch (req.consistency) {
    case Consistency::Unspecified:
    case Consistency::Eventual: break;
    case Consistency::ReadYourWrites: e.required[1] = &s.written; break;
    case Consistency::Monotonic:
      e.required[1] = &s.written;
      e.required[2] = &s.observed;
      break;
    case Consistency::Strong: {
      e.required[1] = &s.written;
      const ServerState& primary = t.servers[primary_index(t)];
      // What the primary's binlog has shown: never less than it has committed.
      if (primary.tracked()) e.required[2] = primary.streamed ? primary.streamed.get() : primary.executed.get();
      break;
    }
  }
  if (req.consistency != Consistency::Eventual && req.consistency != Consistency::Unspecified)
    e.required[3] = req.acknowledged;
  return e;
}

// A replica that could soon qualify: healthy, tracked and within the lag limit. When a read
// that waits in vain goes to the primary anyway, also one that can apply the read's
// requirement within the wait, as far as its lag tells: one whose oldest missing
// transaction is older than the whole wait would have to apply faster than the primary
// committed to make it, and waiting for it only delays the read.
bool catching_up(const Topology& t, const Eligibility& e, const Request& req, const RoutePolicy& p) {
  const bool estimate = p.timeout_to_primary && req.wait_ms >= 0;
  for (std::size_t i = 0; i < t.servers.size(); ++i) {
    const auto& s = t.servers[i];
    if (t.writer != i && s.can_serve_reads() && s.weight > 0 && s.tracked() && e.lag_ok(s) &&
        (!estimate || s.lag_ms(req.now) <= req.wait_ms))
      return true;
  }
  return false;
}

Decision replica_or_fallback(const Request& req, const SessionState& s, const Topology& t, const RoutePolicy& policy,
                             const LoadView& load, Reason reason) {
  if (req.consistency == Consistency::Strong && !t.servers[primary_index(t)].tracked())
    return primary(t, Reason::StrongNoStream);
  const Eligibility e = eligibility_for(req, s, t, policy);
  if (auto r = pick_replica(t, load, e)) return {Target::Replica, *r, reason};
  if (e.has_requirement() && (pick_replica(t, load, Eligibility{{}, e.max_lag_ms, e.now}) || req.waited)) {
    // Replicas are up but none has the GTIDs: wait for one, or give up by policy.
    if (!req.waited && catching_up(t, e, req, policy)) return {Target::Wait, primary_index(t), Reason::WaitForReplica};
    if (!req.waited) return primary(t, Reason::ConsistencyFallback);
    if (policy.timeout_to_primary) return primary(t, Reason::ConsistencyTimeout);
    return {Target::Reject, primary_index(t), Reason::ConsistencyTimeout};
  }
  if (policy.fallback_to_primary) return primary(t, Reason::NoReplicaFallback);
  return {Target::Reject, primary_index(t), Reason::NoReplica};
}

std::optional<std::size_t> find_server(const Topology& t, std::string_view name) {
  for (std::size_t i = 0; i < t.servers.size(); ++i) {
    if (t.servers[i].name == name && t.servers[i].reachable && !t.servers[i].drained) return i;
  }
  return std::nullopt;
}

constexpr std::size_t no_server = std::numeric_limits<std::size_t>::max();

// A route asked for by a hint or a rule; nullopt if it does not apply to this statement.
// `server` (route=server:NAME) is no_server when the name is unknown.
std::optional<Decision> requested(RouteTarget route, std::size_t server, const Request& req,
                                  const SessionState& s, const Topology& t, const RoutePolicy& p, const LoadView& load, bool from_rule) {
  const Classification* c = req.statement;
  const bool is_read = c != nullptr ? c->cls == StatementClass::Read : req.is_read_command;
  // Anywhere for a read; never a write, a locking read or a multi-statement to a replica.
  const bool movable = is_read && !(c != nullptr && (c->has(flag::MultiStatement) || is_locking(*c)));
  switch (route) {
    case RouteTarget::Unspecified: return std::nullopt;
    case RouteTarget::Primary: return primary(t, from_rule ? Reason::RulePrimary : Reason::HintPrimary);
    case RouteTarget::Replica:
      if (!movable) return std::nullopt;
      return replica_or_fallback(req, s, t, p, load, from_rule ? Reason::RuleReplica : Reason::HintReplica);
    case RouteTarget::Server:
      if (!movable) return std::nullopt;
      if (server < t.servers.size() && t.servers[server].reachable && !t.servers[server].drained) {
        return Decision{Target::Server, server, from_rule ? Reason::RuleServer : Reason::HintServer};
      }
      return p.fallback_to_primary ? primary(t, Reason::UnknownServer)
                                   : Decision{Target::Reject, primary_index(t), Reason::UnknownServer};
  }
  return std::nullopt;
}

// Where a statement goes by what it is, before session state and hints are considered.
Decision by_statement(const Request& req, const Classification& c, const SessionState& s, const Topology& t,
                      const RoutePolicy& p, const LoadView& load) {
  if (c.has(flag::MultiStatement)) return primary(t, Reason::MultiStatement);
  if (c.has(flag::ServerSpecific)) return {Target::Server, s.last_server.value_or(primary_index(t)), Reason::ServerSpecific};
  switch (c.cls) {
    case StatementClass::Read:
      if (is_replica_safe(c)) return replica_or_fallback(req, s, t, p, load, Reason::Read);
      if (is_locking(c)) return primary(t, Reason::Locking);
      return primary(t, Reason::SideEffect);
    case StatementClass::Transaction:
      if (c.action == StatementAction::StartTransaction && c.access == AccessMode::ReadOnly) {
        return replica_or_fallback(req, s, t, p, load, Reason::ReadOnlyTransaction);
      }
      return primary(t, Reason::TransactionControl);
    case StatementClass::Write: return primary(t, Reason::Write);
    case StatementClass::Ddl:
    case StatementClass::Dcl:
    case StatementClass::Admin:
    case StatementClass::Kill: return primary(t, Reason::Ddl);
    case StatementClass::Session: return primary(t, Reason::SessionStatement);
    case StatementClass::Lock: return primary(t, Reason::Locking);
    case StatementClass::Show: return primary(t, Reason::Show);
    case StatementClass::Call: return primary(t, Reason::Call);
    case StatementClass::Prepare:
    case StatementClass::Execute:
    case StatementClass::Deallocate: return primary(t, Reason::SideEffect);
    case StatementClass::Empty:
    case StatementClass::Other: return primary(t, Reason::Unknown);
  }
  return primary(t, Reason::Unknown);
}

}  // namespace

std::size_t primary_index(const Topology& t) {
  if (t.writer) return *t.writer;
  for (std::size_t i = 0; i < t.servers.size(); ++i) {
    if (t.servers[i].configured_role == ConfiguredRole::Primary) return i;
  }
  return 0;
}

bool Eligibility::has_requirement() const {
  for (const auto* r : required)
    if (r != nullptr && !r->empty()) return true;
  return false;
}

bool Eligibility::lag_ok(const ServerState& s) const {
  if (max_lag_ms <= 0) return true;
  const std::int64_t lag = s.lag_ms(now);
  // Unknown lag (no stream): the monitor's Seconds_Behind_Master is the best there is.
  if (lag < 0) return s.seconds_behind < 0 || s.seconds_behind * 1000 <= max_lag_ms;
  return lag <= max_lag_ms;
}

bool Eligibility::accepts(const ServerState& s) const {
  if (!lag_ok(s)) return false;
  for (const auto* r : required) {
    if (r == nullptr || r->empty()) continue;
    if (!s.executed || !s.executed->contains(*r)) return false;
  }
  return true;
}

void observe_read(SessionState& session, const ServerState& server) {
  if (server.executed) session.observed.unite(*server.executed);
}

std::optional<std::size_t> pick_replica(const Topology& t, const LoadView& load, const Eligibility& e) {
  // Two passes without allocating: the lowest cost, then the rotation-th replica at it, so
  // equally loaded replicas take turns.
  const auto cost = [&](std::size_t i) -> std::optional<std::uint64_t> {
    const auto& s = t.servers[i];
    if (t.writer == i || !s.can_serve_reads() || s.weight == 0 || !e.accepts(s)) return std::nullopt;
    const std::uint64_t outstanding = i < load.outstanding.size() ? load.outstanding[i] : 0;
    return (outstanding + 1) * 1'000'000 / s.weight;
  };
  std::uint64_t best = std::numeric_limits<std::uint64_t>::max();
  std::size_t ties = 0;
  for (std::size_t i = 0; i < t.servers.size(); ++i) {
    const auto c = cost(i);
    if (!c) continue;
    if (*c < best) {
      best = *c;
      ties = 1;
    } else if (*c == best) {
      ++ties;
    }
  }
  if (ties == 0) return std::nullopt;
  std::size_t skip = load.rotation % ties;
  for (std::size_t i = 0; i < t.servers.size(); ++i) {
    const auto c = cost(i);
    if (c && *c == best && skip-- == 0) return i;
  }
  return std::nullopt;
}

Decision decide(const Request& req, const SessionState& s, const Topology& t, const RoutePolicy& p,
                const LoadView& load) {
  // A rejecting rule is a firewall: it holds whatever the session's state or the policy.
  if (req.rule != nullptr && req.rule->reject) return {Target::Reject, primary_index(t), Reason::RuleReject};
  if (!p.split) return primary(t, Reason::SplitDisabled);
  // Session state first: a transaction or pinned state must not move.
  if (s.in_transaction) {
    const bool ro = s.read_only_transaction;
    return {Target::Server, s.transaction_server.value_or(primary_index(t)),
            ro ? Reason::ReadOnlyTransaction : Reason::InTransaction};
  }
  if (s.pinned()) {
    // State taken on a replica (inside a read-only transaction there) keeps the session's
    // reads there, but a write never runs on a replica: the primary takes it, as a pooling
    // proxy's writer connection would (that server does not have the pinned state).
    const Classification* c = req.statement;
    const bool writes = c != nullptr && (c->cls == StatementClass::Write || c->cls == StatementClass::Ddl ||
                                         c->cls == StatementClass::Dcl || c->has(flag::Call));
    if (writes && *s.pinned_server != primary_index(t)) return primary(t, Reason::Write);
    return {Target::Server, *s.pinned_server, Reason::Pinned};
  }

  if (req.hint != nullptr) {
    const RouteHint& h = *req.hint;
    const std::size_t server =
        h.route == RouteTarget::Server ? find_server(t, h.server).value_or(no_server) : no_server;
    if (auto d = requested(h.route, server, req, s, t, p, load, false)) return *d;
  }
  if (req.rule != nullptr) {
    const RuleAction& r = *req.rule;
    if (auto d = requested(r.route, r.server, req, s, t, p, load, true)) return *d;
  }
  const Classification* c = req.statement;
  const bool is_read = c != nullptr ? c->cls == StatementClass::Read : req.is_read_command;
  if (c == nullptr) {
    return is_read ? replica_or_fallback(req, s, t, p, load, Reason::Read) : primary(t, Reason::Unknown);
  }
  return by_statement(req, *c, s, t, p, load);
}

const char* to_string(StreamState state) {
  switch (state) {
    case StreamState::Off: return "off";
    case StreamState::Connecting: return "connecting";
    case StreamState::Streaming: return "streaming";
    case StreamState::Polling: return "polling";
  }
  return "unknown";
}

const char* to_string(Target target) {
  switch (target) {
    case Target::Primary: return "primary";
    case Target::Replica: return "replica";
    case Target::Server: return "server";
    case Target::Reject: return "reject";
    case Target::Wait: return "wait";
  }
  return "unknown";
}

const char* to_string(Reason reason) {
  switch (reason) {
    case Reason::SplitDisabled: return "split_disabled";
    case Reason::Write: return "write";
    case Reason::Ddl: return "ddl";
    case Reason::TransactionControl: return "transaction_control";
    case Reason::SessionStatement: return "session_statement";
    case Reason::Locking: return "locking";
    case Reason::SideEffect: return "side_effect";
    case Reason::MultiStatement: return "multi_statement";
    case Reason::Call: return "call";
    case Reason::Unknown: return "unknown_statement";
    case Reason::Show: return "show";
    case Reason::ServerSpecific: return "server_specific";
    case Reason::InTransaction: return "in_transaction";
    case Reason::ReadOnlyTransaction: return "read_only_transaction";
    case Reason::Pinned: return "pinned";
    case Reason::Read: return "read";
    case Reason::HintPrimary: return "hint_primary";
    case Reason::HintReplica: return "hint_replica";
    case Reason::HintServer: return "hint_server";
    case Reason::NoReplicaFallback: return "no_replica_fallback";
    case Reason::NoReplica: return "no_replica";
    case Reason::UnknownServer: return "unknown_server";
    case Reason::RulePrimary: return "rule_primary";
    case Reason::RuleReplica: return "rule_replica";
    case Reason::RuleServer: return "rule_server";
    case Reason::RuleReject: return "rule_reject";
    case Reason::WaitForReplica: return "wait_for_replica";
    case Reason::ConsistencyFallback: return "consistency_fallback";
    case Reason::ConsistencyTimeout: return "consistency_timeout";
    case Reason::StrongNoStream: return "strong_no_stream";
  }
  return "unknown";
}

}  // namespace causeway::routing

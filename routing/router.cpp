#include "routing/router.hpp"

#include <limits>

namespace causeway::routing {

namespace {

Decision primary(const Topology& t, Reason reason) { return {Target::Primary, primary_index(t), reason}; }

Decision replica_or_fallback(const Topology& t, const RoutePolicy& policy, const LoadView& load, Reason reason) {
  if (auto r = pick_replica(t, load)) return {Target::Replica, *r, reason};
  if (policy.fallback_to_primary) return primary(t, Reason::NoReplicaFallback);
  return {Target::Reject, primary_index(t), Reason::NoReplica};
}

std::optional<std::size_t> find_server(const Topology& t, std::string_view name) {
  for (std::size_t i = 0; i < t.servers.size(); ++i) {
    if (t.servers[i].name == name && t.servers[i].reachable) return i;
  }
  return std::nullopt;
}

// Where a statement goes by what it is, before session state and hints are considered.
Decision by_statement(const Classification& c, const SessionState& s, const Topology& t, const RoutePolicy& p,
                      const LoadView& load) {
  if (c.has(flag::MultiStatement)) return primary(t, Reason::MultiStatement);
  if (c.has(flag::ServerSpecific)) return {Target::Server, s.last_server.value_or(primary_index(t)), Reason::ServerSpecific};
  switch (c.cls) {
    case StatementClass::Read:
      if (is_replica_safe(c)) return replica_or_fallback(t, p, load, Reason::Read);
      if (is_locking(c)) return primary(t, Reason::Locking);
      return primary(t, Reason::SideEffect);
    case StatementClass::Transaction:
      if (c.action == StatementAction::StartTransaction && c.access == AccessMode::ReadOnly) {
        return replica_or_fallback(t, p, load, Reason::ReadOnlyTransaction);
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

std::optional<std::size_t> pick_replica(const Topology& t, const LoadView& load) {
  // Two passes without allocating: the lowest cost, then the rotation-th replica at it, so
  // equally loaded replicas take turns.
  const auto cost = [&](std::size_t i) -> std::optional<std::uint64_t> {
    const auto& s = t.servers[i];
    if (t.writer == i || !s.can_serve_reads() || s.weight == 0) return std::nullopt;
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
  if (!p.split) return primary(t, Reason::SplitDisabled);
  // Session state first: a transaction or pinned state must not move.
  if (s.in_transaction) {
    const bool ro = s.read_only_transaction;
    return {Target::Server, s.transaction_server.value_or(primary_index(t)),
            ro ? Reason::ReadOnlyTransaction : Reason::InTransaction};
  }
  if (s.pinned()) return {Target::Server, *s.pinned_server, Reason::Pinned};

  const Classification* c = req.statement;
  const bool is_read = c != nullptr ? c->cls == StatementClass::Read : req.is_read_command;
  if (req.hint != nullptr) {
    const RouteHint& h = *req.hint;
    if (h.route == RouteTarget::Primary) return primary(t, Reason::HintPrimary);
    // A hint may send a read anywhere, but never a write or a locking read to a replica.
    if (h.route == RouteTarget::Server && is_read && !(c != nullptr && is_locking(*c))) {
      if (auto i = find_server(t, h.server)) return {Target::Server, *i, Reason::HintServer};
      return p.fallback_to_primary ? primary(t, Reason::UnknownServer)
                                   : Decision{Target::Reject, primary_index(t), Reason::UnknownServer};
    }
    const bool unsafe = c != nullptr && (c->has(flag::MultiStatement) || is_locking(*c));
    if (h.route == RouteTarget::Replica && is_read && !unsafe) {
      return replica_or_fallback(t, p, load, Reason::HintReplica);
    }
  }
  if (c == nullptr) {
    return is_read ? replica_or_fallback(t, p, load, Reason::Read) : primary(t, Reason::Unknown);
  }
  return by_statement(*c, s, t, p, load);
}

const char* to_string(Target target) {
  switch (target) {
    case Target::Primary: return "primary";
    case Target::Replica: return "replica";
    case Target::Server: return "server";
    case Target::Reject: return "reject";
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
  }
  return "unknown";
}

}  // namespace causeway::routing

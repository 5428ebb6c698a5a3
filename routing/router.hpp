// The routing decision: a pure function from a statement, the session's state and the
// topology snapshot to a target server and the reason for it. The same reason strings
// reach the status port and the client-visible route trace.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "routing/classifier.hpp"
#include "routing/hint.hpp"
#include "routing/rules.hpp"
#include "routing/session_state.hpp"
#include "routing/topology.hpp"

namespace causeway::routing {

// Wait: no replica has what the read's consistency level requires yet, but one is catching
// up: park the read until the topology changes or its deadline passes, then decide again.
enum class Target : std::uint8_t { Primary, Replica, Server, Reject, Wait };

enum class Reason : std::uint8_t {
  SplitDisabled,        // read/write splitting is off: everything to the primary
  Write,                // DML
  Ddl,                  // DDL, DCL, admin statements
  TransactionControl,   // BEGIN, COMMIT, SAVEPOINT, XA, ...
  SessionStatement,     // SET, USE: run on the primary, replayed elsewhere
  Locking,              // LOCK TABLES, FOR UPDATE, GET_LOCK, ...
  SideEffect,           // LAST_INSERT_ID(), FOUND_ROWS(), NEXTVAL, INTO, user variables, ...
  MultiStatement,       // several statements in one COM_QUERY
  Call,                 // stored procedures may write
  Unknown,              // not recognised: the conservative answer is the primary
  Show,                 // SHOW statements run on the primary
  ServerSpecific,       // SHOW WARNINGS, CONNECTION_ID(): the server of the previous statement
  InTransaction,        // an open read-write transaction stays where it began
  ReadOnlyTransaction,  // START TRANSACTION READ ONLY runs whole on one replica
  Pinned,               // session state lives on one connection
  Read,                 // a read outside a transaction: a replica
  HintPrimary,          // /* causeway: route=primary */
  HintReplica,          // /* causeway: route=replica */
  HintServer,           // /* causeway: route=server:NAME */
  NoReplicaFallback,    // no usable replica: the primary serves the read
  NoReplica,            // no usable replica and the policy says error
  UnknownServer,        // route=server:NAME names no usable server
  RulePrimary,          // a rule's route: primary
  RuleReplica,          // a rule's route: replica
  RuleServer,           // a rule's route: server:NAME
  RuleReject,           // a rule's reject: the statement is refused
  WaitForReplica,       // no replica has the read's required GTIDs yet; one is catching up
  ConsistencyFallback,  // no replica has (or can soon have) the required GTIDs: the primary
  ConsistencyTimeout,   // the read waited until its deadline; the policy decides
  StrongNoStream,       // strong read, but the primary's GTIDs are not known: the primary
};
inline constexpr std::size_t reason_count = static_cast<std::size_t>(Reason::StrongNoStream) + 1;

struct Decision {
  Target target = Target::Primary;
  std::size_t server = 0;  // index into the topology's servers
  Reason reason = Reason::SplitDisabled;
};

struct RoutePolicy {
  bool split = true;                  // send reads to replicas
  bool fallback_to_primary = true;    // no usable replica: primary (else an error)
  bool timeout_to_primary = true;     // a consistent read waited in vain: primary (else an error)
  std::int64_t max_replica_lag_ms = 0;  // replicas further behind serve no reads; 0: no limit
};

// Per-worker load of each server, for least-outstanding-requests balancing.
struct LoadView {
  std::span<const std::uint32_t> outstanding;  // requests in flight per server (may be empty)
  std::uint32_t rotation = 0;                  // breaks ties: changes from call to call
};

struct Request {
  const Classification* statement = nullptr;  // null: a command without SQL
  const RouteHint* hint = nullptr;            // null: no hint
  const RuleAction* rule = nullptr;           // the matching rule's action; null: none
  bool is_read_command = false;               // e.g. COM_FIELD_LIST (without a statement)

  // What a replica must have applied before it may serve this read. The caller resolves
  // the level (hint, then rule, then the session's SET causeway_consistency, then the
  // user's, then the default) and parses a min_gtid token.
  Consistency consistency = Consistency::Eventual;
  const replication::GtidSet* token = nullptr;  // min_gtid hint; null: none
  // consistency.scope global: every commit causeway has acknowledged to any client; at
  // read_your_writes and above a read requires these too. Null: session scope.
  const replication::GtidSet* acknowledged = nullptr;
  bool waited = false;  // the read already waited until its deadline: decide for good
  // How long the read may wait for a replica in all (ms); -1: no estimate of whether
  // waiting can succeed.
  std::int64_t wait_ms = -1;
  std::chrono::steady_clock::time_point now{};  // for replica lag
};

// Precedence: a rule's reject; splitting off; the open transaction; pinned state; the
// hint's route; the rule's route; the statement's class. A hint or rule may send a read
// to a replica or a named server, never a write, a locking read or several statements.
Decision decide(const Request& request, const SessionState& session, const Topology& topology,
                const RoutePolicy& policy, const LoadView& load);

// The index of the primary to use: the monitor's writer, else the configured primary.
std::size_t primary_index(const Topology& topology);

// Whether a replica may serve a read: the GTIDs it must have applied (all null: any
// healthy replica) and the lag limit.
struct Eligibility {
  const replication::GtidSet* required[4] = {nullptr, nullptr, nullptr, nullptr};
  std::int64_t max_lag_ms = 0;  // 0: no limit
  std::chrono::steady_clock::time_point now{};
  bool has_requirement() const;
  bool lag_ok(const ServerState& server) const;
  bool accepts(const ServerState& server) const;  // lag_ok and has every required GTID
};

// A replica for a read, by weighted least outstanding requests among those `eligibility`
// accepts; nullopt if none is.
std::optional<std::size_t> pick_replica(const Topology& topology, const LoadView& load,
                                        const Eligibility& eligibility = {});

// After a read ran on a replica: a monotonic session never reads older state again.
void observe_read(SessionState& session, const ServerState& server);

const char* to_string(Reason reason);
const char* to_string(Target target);

}  // namespace causeway::routing

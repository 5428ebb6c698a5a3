// The routing decision: a pure function from a statement, the session's state and the
// topology snapshot to a target server and the reason for it. The same reason strings
// reach the status port and the client-visible route trace.
#pragma once

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

enum class Target : std::uint8_t { Primary, Replica, Server, Reject };

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
};

struct Decision {
  Target target = Target::Primary;
  std::size_t server = 0;  // index into the topology's servers
  Reason reason = Reason::SplitDisabled;
};

struct RoutePolicy {
  bool split = true;                  // send reads to replicas
  bool fallback_to_primary = true;    // no usable replica: primary (else an error)
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
};

// Precedence: a rule's reject; splitting off; the open transaction; pinned state; the
// hint's route; the rule's route; the statement's class. A hint or rule may send a read
// to a replica or a named server, never a write, a locking read or several statements.
Decision decide(const Request& request, const SessionState& session, const Topology& topology,
                const RoutePolicy& policy, const LoadView& load);

// The index of the primary to use: the monitor's writer, else the configured primary.
std::size_t primary_index(const Topology& topology);

// A replica for a read, by weighted least outstanding requests; nullopt if none is usable.
std::optional<std::size_t> pick_replica(const Topology& topology, const LoadView& load);

const char* to_string(Reason reason);
const char* to_string(Target target);

}  // namespace causeway::routing

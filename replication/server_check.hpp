// The health monitor's decisions, as pure functions: what a server's answers mean
// (flavour, variables, SHOW SLAVE/REPLICA STATUS by column name), how one check changes
// a server's state, which server is the writer, and which changes are worth a new
// topology snapshot. No I/O here; monitor.cpp and probe.cpp do the talking.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "routing/topology.hpp"

#include "replication/gtid_set.hpp"  // Flavour

namespace causeway::replication {

// One result-set row as the client library hands it over: NULL is nullopt.
using Row = std::vector<std::optional<std::string>>;


struct ServerFlavour {
  Flavour flavour = Flavour::Mysql;
  unsigned long version = 0;  // major * 10000 + minor * 100 + patch, as mysql_get_server_version
};

// From the handshake's version string ("10.11.6-MariaDB-log"; libmariadb strips MariaDB's
// "5.5.5-" prefix) and the number the client library derives from it.
ServerFlavour detect_flavour(std::string_view server_info, unsigned long version);

// The first query of a check: version, read_only, server_id and, on MySQL 5.7.8+,
// super_read_only. MariaDB has no super_read_only (asking for it is an error).
std::string_view variables_query(const ServerFlavour&);

// MySQL 8.0.22 renamed SHOW SLAVE STATUS to SHOW REPLICA STATUS (and its columns);
// MariaDB has said SLAVE all along. `replica_refused`: REPLICA already failed to parse on
// this server (a fork that reports a high version without the new syntax).
std::string_view replica_status_query(const ServerFlavour&, bool replica_refused = false);

struct Variables {
  std::string version;
  bool read_only = true;
  std::uint32_t server_id = 0;
};

// The row of variables_query(). Empty and `error` set when it is not what was asked for.
std::optional<Variables> parse_variables(const Row& row, const ServerFlavour&, std::string& error);

// One row of SHOW SLAVE STATUS / SHOW REPLICA STATUS, read by column name because the
// column order differs between versions and flavours.
struct ReplicaStatus {
  bool io_running = false;   // Slave_IO_Running / Replica_IO_Running is "Yes" (not "Connecting")
  bool sql_running = false;  // Slave_SQL_Running / Replica_SQL_Running is "Yes"
  std::string io_state;      // the raw Slave_IO_Running text, for messages
  std::int64_t seconds_behind = -1;  // Seconds_Behind_Master / _Source; -1 when NULL
  std::string last_io_error;
  std::string last_sql_error;
  std::string source_host;  // Master_Host / Source_Host
  unsigned source_port = 0;
};

// Empty and `error` set when a column the monitor cannot do without is missing.
std::optional<ReplicaStatus> parse_replica_status(const std::vector<std::string>& columns,
                                                  const Row& values, std::string& error);

// Several rows (MySQL replication channels): the replica is as healthy as its worst
// channel. Multi-source is otherwise out of scope (see docs/monitoring.md).
ReplicaStatus combine(const std::vector<ReplicaStatus>& channels);

// What one check found out.
// SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync%' rows (name, value), both flavours and both
// namings (master/slave, source/replica). No rows: the server has no semi-sync.
routing::ServerState::SemiSync parse_semi_sync(const std::vector<Row>& rows);

struct CheckResult {
  bool ok = false;
  std::string error;  // when !ok: the connection or query error, naming the step
  Variables variables;
  routing::ServerState::SemiSync semi_sync;
  std::optional<ReplicaStatus> replica;  // nullopt: no replication configured
  std::chrono::system_clock::time_point at{};
};

// The server's state after a check. Keeps what the check does not measure (name, role,
// weight, drained) from `previous`. A failed check marks the server unreachable at once:
// there is no "N failures in a row" grace, because a broken replica must leave rotation
// within one check (see docs/monitoring.md).
routing::ServerState apply_check(const routing::ServerState& previous, const CheckResult&);

// Indexes of the servers that could be the writer on their own evidence: reachable, not
// pinned as replica, and read_only=OFF (Auto) or pinned as primary.
std::vector<std::size_t> writer_candidates(const std::vector<routing::ServerState>& servers);

// The writer: the pinned primary while it is reachable; otherwise the single reachable Auto
// server with read_only=OFF. Several such servers (split brain, or a failover in progress):
// keep `previous` if it is one of them, else none, rather than guess.
std::optional<std::size_t> pick_writer(const std::vector<routing::ServerState>& servers,
                                       std::optional<std::size_t> previous);

// Lag as the router sees it: the whole seconds the server reports, NULL as -1. A function
// of its own so coarser buckets stay a one-line change.
std::int64_t lag_bucket(std::int64_t seconds_behind);

// Whether `b` differs from `a` in anything the router or an operator acts on (not the
// check time): reachability, read_only, replication threads, errors, lag bucket, source,
// version, drained.
bool relevant_change(const routing::ServerState& a, const routing::ServerState& b);

// One line for logs: "reachable, read_only=ON, replica of 127.0.0.1:3306, IO=Yes SQL=No, lag 3s".
std::string describe(const routing::ServerState&);

}  // namespace causeway::replication

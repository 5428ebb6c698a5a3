// What the router knows about the servers: an immutable snapshot, produced by the health
// monitor (and later the binlog client) and handed to every worker. Never mutated after
// publication; a new state is a new snapshot.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "replication/gtid_set.hpp"

namespace causeway::routing {

enum class ConfiguredRole : std::uint8_t { Auto, Primary, Replica };

// The binlog side's knowledge of a server (replication/stream.hpp).
enum class StreamState : std::uint8_t {
  Off,         // no replication account configured: GTIDs unknown
  Connecting,  // no stream yet, or reconnecting after a failure
  Streaming,   // the server's binlog is streamed: GTIDs known to the transaction
  Polling,     // degraded: no stream possible, the executed set is polled
};
const char* to_string(StreamState state);

using GtidSetPtr = std::shared_ptr<const replication::GtidSet>;

struct ServerState {
  std::string name;
  ConfiguredRole configured_role = ConfiguredRole::Auto;
  unsigned weight = 1;

  // Filled by the health monitor.
  bool checked = false;         // at least one check finished
  bool reachable = false;       // the last check connected and queried
  bool read_only = true;        // @@read_only or @@super_read_only (MySQL)
  bool is_replica = false;      // has a replication source configured
  bool io_running = false;      // Slave_IO_Running / Replica_IO_Running = Yes
  bool sql_running = false;     // Slave_SQL_Running / Replica_SQL_Running = Yes
  std::int64_t seconds_behind = -1;  // Seconds_Behind_Master; -1 when NULL/unknown
  std::string last_error;       // Last_IO_Error / Last_SQL_Error / connection error
  std::string source;           // host:port of its replication source, if any
  std::string version;          // @@version
  std::chrono::system_clock::time_point checked_at{};
  // Semi-synchronous replication as the server reports it (Rpl_semi_sync_* status);
  // `available` false when the server has none (MySQL without the plugin).
  struct SemiSync {
    bool available = false;
    bool source = false;   // Rpl_semi_sync_master_status / _source_status = ON
    bool replica = false;  // Rpl_semi_sync_slave_status / _replica_status = ON
    std::int64_t clients = -1;  // semi-sync replicas connected to it; -1 unknown
    friend bool operator==(const SemiSync&, const SemiSync&) = default;
  } semi_sync;
  bool drained = false;         // set by an operator: no new reads
  bool removed = false;         // dropped from the config by a reload (slot kept, never used)

  // Filled by the binlog stream (or the polling fallback).
  StreamState stream = StreamState::Off;
  std::string stream_error;     // why the stream is not streaming, if it is not
  // GTIDs this server has applied AND made visible to readers (replicas: confirmed with
  // MASTER_GTID_WAIT / WAIT_FOR_EXECUTED_GTID_SET after the stream showed them; the
  // primary: its binlog). Null: unknown.
  GtidSetPtr executed;
  // What the server's binlog stream has shown: never less than it has committed (the
  // primary's is what a strong read requires and what lag is measured against).
  GtidSetPtr streamed;
  std::uint64_t lag_transactions = 0;  // GTIDs the primary has that this server lacks
  // While behind: when the primary's stream showed the oldest GTID this server still
  // lacks (steady clock); default-constructed when level with the primary.
  std::chrono::steady_clock::time_point behind_since{};
  std::int64_t last_delay_ms = -1;  // primary stream -> this server, for the last GTID; -1 unknown

  // Replication lag in milliseconds at `now`: the age of the oldest missing transaction
  // while behind, 0 when level with the primary; -1 when unknown (not streamed).
  std::int64_t lag_ms(std::chrono::steady_clock::time_point now) const {
    if (behind_since != std::chrono::steady_clock::time_point{})
      return std::chrono::duration_cast<std::chrono::milliseconds>(now - behind_since).count();
    return executed ? 0 : -1;
  }
  // The server's GTIDs are known and kept current.
  bool tracked() const { return executed && (stream == StreamState::Streaming || stream == StreamState::Polling); }

  // The writer: pinned by config, or read_only=OFF when the config says auto.
  bool is_writer() const {
    if (configured_role == ConfiguredRole::Primary) return reachable;
    if (configured_role == ConfiguredRole::Replica) return false;
    return reachable && !read_only;
  }
  // Serves reads: reachable, replicating without error, not drained.
  bool can_serve_reads() const {
    return reachable && !drained && is_replica && io_running && sql_running && last_error.empty();
  }
};

struct Topology {
  std::vector<ServerState> servers;  // in config order
  std::optional<std::size_t> writer;  // index of the primary, if one is known and up
  std::uint64_t generation = 0;       // increases with every published snapshot
};

using TopologyPtr = std::shared_ptr<const Topology>;

}  // namespace causeway::routing

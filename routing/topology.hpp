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

namespace causeway::routing {

enum class ConfiguredRole : std::uint8_t { Auto, Primary, Replica };

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
  bool drained = false;         // set by an operator: no new reads

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

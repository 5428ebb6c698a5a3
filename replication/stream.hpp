// The binlog client: one thread per server streams that server's binary log as a replica
// would (COM_BINLOG_DUMP_GTID for MySQL; @slave_connect_state + COM_BINLOG_DUMP for
// MariaDB), decodes the events, and reports every committed GTID. Replicas' GTIDs are
// reported only once they are visible to readers (see docs/consistency.md: the binlog is
// written a moment before the engine commit). Where no stream is possible (binary log off,
// missing privilege) it polls the executed set instead: degraded, and reported as such.
// It never registers as a semi-sync replica, so it never acknowledges anything.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "replication/client_tls.hpp"
#include "replication/lag.hpp"
#include "routing/topology.hpp"

struct st_mysql;

namespace causeway::replication {

struct StreamSettings {
  std::string user;
  std::string password;
  std::chrono::milliseconds heartbeat{500};
  std::chrono::milliseconds poll_interval{100};
  std::chrono::milliseconds connect_timeout{2000};
  std::uint32_t server_id = 0;  // this client's replica id on the dump connection
  ClientTls tls;
};

struct StreamReport {
  routing::StreamState state = routing::StreamState::Connecting;
  std::string error;       // why not streaming (empty when streaming)
  Flavour flavour = Flavour::Unknown;
  // The server's visible GTIDs, when they changed (else null).
  std::shared_ptr<const GtidSet> executed;
  // What the server's binlog has shown, when it changed (else null): never less than what
  // it has committed, so the primary's is what a strong read requires.
  std::shared_ptr<const GtidSet> streamed;
  // New transactions in commit order with the time the stream showed them (for lag).
  std::vector<std::pair<Gtid, std::chrono::steady_clock::time_point>> committed;
  bool replaced = false;  // `executed` was read afresh, not grown from the stream
  bool visibility_checked = false;  // a replica's visibility check ran for this report
};

class Stream {
 public:
  using Report = std::function<void(StreamReport&&)>;
  // Whether the monitor takes the server for a replica (its reads need the visibility
  // check), true while unknown; asked on the stream thread before each check.
  using IsReplica = std::function<bool()>;

  Stream(std::string name, std::string host, std::uint16_t port, StreamSettings settings, IsReplica is_replica,
         Report report);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  void start();
  void stop();  // wakes the thread (also out of a blocking read) and joins it

 private:
  struct Session;
  void run();
  void run_once(Session& s);
  // A report that only says the stream's state and why.
  void report_state(const Session& s, routing::StreamState state, std::string why);
  void poll_loop(Session& s, std::string reason);
  void stream_loop(Session& s);
  std::optional<GtidSet> confirm(Session& s, std::string& error);
  bool wait_readable(int fd, std::chrono::milliseconds timeout);
  void pause(std::chrono::milliseconds d);

  const std::string name_;
  const std::string host_;
  const std::uint16_t port_;
  const StreamSettings settings_;
  const IsReplica is_replica_;
  const Report report_;

  std::atomic<bool> stopping_{false};
  int wake_fd_ = -1;  // eventfd: stop() writes, blocked polls return
  std::thread thread_;
  GtidSet accumulated_;  // what the stream has shown so far: where a reconnect resumes
};

}  // namespace causeway::replication

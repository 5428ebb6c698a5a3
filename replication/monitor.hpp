// The health monitor: checks every server on its own thread, folds the results into
// immutable topology snapshots and hands each new one to `publish` (the proxy posts it to
// every worker's event loop). Nothing here is on the data path: workers only ever see
// the snapshots. What is checked and why: docs/monitoring.md.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "replication/histogram.hpp"
#include "replication/lag.hpp"
#include "replication/server_check.hpp"
#include "replication/stream.hpp"
#include "routing/topology.hpp"

namespace causeway::replication {

struct ServerSpec {
  std::string name;
  std::string host;
  std::uint16_t port = 3306;
  routing::ConfiguredRole role = routing::ConfiguredRole::Auto;
  unsigned weight = 1;
  bool removed = false;  // a slot kept for a server a reload removed: never checked or streamed
  ClientTls tls;
};

struct MonitorSettings {
  std::string user;
  std::string password;
  std::chrono::milliseconds interval{250};  // from the end of one check to the next
  std::chrono::milliseconds timeout{700};  // a check not finished by then has failed
};

class Monitor {
 public:
  // Called on a monitor thread with each new snapshot, in increasing generation order
  // (a snapshot overtaken by a newer one is skipped). It must return quickly and must
  // not call set_drained() or stop(); current() is fine.
  using Publish = std::function<void(routing::TopologyPtr)>;

  // With `streams`, every server's binlog is streamed too (replication/stream.hpp) and the
  // snapshots carry each server's visible GTIDs and lag.
  Monitor(std::vector<ServerSpec> servers, MonitorSettings settings, Publish publish,
          std::optional<StreamSettings> streams = std::nullopt);
  ~Monitor();  // stop()
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // One thread per server plus a watchdog. Checks begin at once.
  void start();
  // Wakes every thread and joins them. A thread blocked inside the client library on a
  // hung server returns within the socket timeout (timeout rounded up to whole seconds).
  void stop();

  // Operator drain: the server keeps being checked but serves no new reads. Publishes a
  // new snapshot at once. False when no server has that name.
  bool set_drained(std::string_view name, bool drained);

  // The latest snapshot (generation 0, nothing checked, before the first check ends).
  routing::TopologyPtr current() const;

  // Per server: microseconds from its stream showing a transaction to the snapshot that
  // says it is visible there (replicas: after the visibility check) - how fresh the
  // router's knowledge is.
  std::vector<std::pair<std::string, LogHistogram::Totals>> freshness() const;
  // The same with each histogram's sum (microseconds), for the status port.
  struct FreshnessHistogram {
    std::string server;
    LogHistogram::Totals buckets{};
    std::uint64_t sum_us = 0;
  };
  std::vector<FreshnessHistogram> freshness_histograms() const;
  // Visibility checks the replicas' streams ran (a stale-read guard: see stream.hpp).
  std::uint64_t visibility_checks() const { return visibility_checks_.load(std::memory_order_relaxed); }

 private:
  struct Slot {
    ServerSpec spec;
    routing::ServerState state;
    bool in_check = false;
    bool timed_out = false;  // the watchdog has already failed the running check
    std::chrono::steady_clock::time_point started{};
  };
  using Lock = std::unique_lock<std::mutex>;

  void run(std::size_t index);
  void on_stream(std::size_t index, StreamReport&& report);
  std::optional<std::size_t> lag_reference_locked() const;
  void refresh_lag_locked(LagTracker::Clock::time_point now);
  void watchdog();
  // Applies one check to the server's state; returns the new snapshot if it changed
  // anything relevant, to be delivered once the lock is released.
  routing::TopologyPtr record_locked(std::size_t index, const CheckResult& result);
  routing::TopologyPtr snapshot_locked();
  void deliver(const routing::TopologyPtr& snapshot);

  const MonitorSettings settings_;
  const Publish publish_;

  mutable std::mutex mutex_;  // guards everything below up to threads_
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<Slot> slots_;
  std::optional<std::size_t> writer_;
  std::vector<std::size_t> split_brain_;  // writable Auto servers last warned about
  std::uint64_t generation_ = 0;
  routing::TopologyPtr current_;

  std::mutex deliver_mutex_;  // orders publish_ calls
  std::uint64_t delivered_ = 0;

  LagTracker lag_;                            // guarded by mutex_
  std::vector<std::unique_ptr<LogHistogram>> freshness_;  // per server, written under mutex_
  std::optional<std::size_t> lag_primary_;    // whose stream times the GTIDs
  std::atomic<std::uint64_t> visibility_checks_{0};

  std::vector<std::thread> threads_;  // touched only by start() and stop()
  const std::optional<StreamSettings> stream_settings_;
  std::vector<std::unique_ptr<Stream>> streams_;  // touched only by start() and stop()
};

}  // namespace causeway::replication

// One worker thread: its own io_context, counters and sessions. Sessions never leave it.
#pragma once

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "proxy/asio.hpp"
#include "proxy/pool.hpp"
#include "proxy/protocol/compression.hpp"
#include "proxy/services.hpp"
#include "proxy/stats.hpp"
#include "routing/topology.hpp"

namespace causeway::proxy {

class Session;

struct Worker {
  Worker(Services& s, std::size_t i) : services(s), index(i) {}
  // Idle pooled connections close while the event loop still exists; then the loop goes
  // first (ctx is the last member), destroying suspended sessions while everything they
  // touch is still alive.
  ~Worker() {
    if (pool) pool->close();
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  Services& services;
  std::size_t index;
  WorkerStats stats;
  std::unordered_set<Session*> sessions;  // touched only on this worker's thread
  bool stopping = false;
  // The running config; replaced on the worker's thread by a reload. Sessions take it at
  // their next command.
  std::shared_ptr<const Runtime> runtime;
  // The latest topology snapshot, replaced by a handler posted from the monitor.
  routing::TopologyPtr topology;
  std::atomic<bool> topology_pending{false};  // a newer snapshot is on its way (Server::publish)
  // Reads parked until a replica has what they require: each waits on its own timer (its
  // deadline), cancelled when a new snapshot arrives so it can look again.
  std::vector<asio::steady_timer*> topology_waiters;
  void topology_changed() {
    for (auto* t : topology_waiters) t->cancel();
  }
  std::vector<std::uint32_t> outstanding;  // requests in flight per server, this worker
  std::uint32_t rotation = 0;              // tie-breaker for replica choice
  std::unique_ptr<BackendPool> pool;       // idle backend connections of this worker
  // When a statement last failed for want of a backend connection was logged (at most one
  // warning per 10 s per worker; the errors_total counters have them all).
  std::chrono::steady_clock::time_point pool_warned{};
  std::unique_ptr<protocol::Zlib> zlib;    // for compressed clients; made for the first one
  std::vector<Counter> rule_hits;          // per routing rule, in config order
  std::vector<Counter> statements_by_server;  // commands sent to each server
  DecisionRing decisions;                  // recent routing decisions (sampled)
  replication::GtidSet acknowledged;       // this worker's copy of Services::acknowledged
  std::uint64_t acknowledged_version = 0;
  asio::io_context ctx{1};                 // last: destroyed first
};

}  // namespace causeway::proxy

// Counters the proxy keeps for the status port. One instance per worker: single writer,
// relaxed atomics so the status port can read them from another thread.
#pragma once

#include <atomic>
#include <cstdint>

#include "replication/histogram.hpp"

namespace causeway::proxy {

struct Counter {
  std::atomic<std::uint64_t> value{0};
  void add(std::uint64_t n = 1) { value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  std::uint64_t get() const { return value.load(std::memory_order_relaxed); }
};

struct Gauge {
  std::atomic<std::int64_t> value{0};
  void add(std::int64_t n) { value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  std::int64_t get() const { return value.load(std::memory_order_relaxed); }
};

struct WorkerStats {
  Counter client_connections;       // accepted
  Gauge client_connections_active;
  Counter client_tls_connections;
  Counter auth_failures;
  Counter handshake_timeouts;
  Counter idle_timeouts;
  Counter malformed_packets;        // client sent bytes that are not the protocol
  Counter sequence_errors;
  Counter oversized_packets;
  Counter too_many_connections;
  Counter unsupported_commands;
  Counter client_aborts;            // client went away mid-response
  Counter backend_connects;
  Counter backend_connect_failures;
  Counter backend_lost;             // a backend connection died while in use
  Counter backend_protocol_errors;  // a backend sent bytes causeway could not follow
  Counter commands;
  Counter routing_rejects;          // no replica for a read and the policy says error
  Counter rule_rejects;             // a routing rule rejected the statement
  Counter read_retries;             // a read moved to the primary after its replica failed
  Counter pool_exhausted;           // a statement found every pooled connection busy until its deadline
  Counter bytes_from_backends;

  // Consistency (docs/consistency.md).
  Counter consistency_waits;        // reads parked until a replica caught up
  Counter consistency_wait_us;      // total time they spent parked
  Counter consistency_wait_timeouts;  // parked reads that reached their deadline
  Counter consistency_fallbacks;    // reads sent to the primary because no replica had their GTIDs
  Counter commit_gtids;             // commit GTIDs captured from the primary's OK packets
  replication::LogHistogram consistency_wait;      // how long parked reads waited, in microseconds
  void record_wait(std::uint64_t us) {
    consistency_waits.add();
    consistency_wait_us.add(us);
    consistency_wait.add(us);
  }
};

}  // namespace causeway::proxy

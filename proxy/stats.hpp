// Counters the proxy keeps for the status port. One instance per worker: single writer,
// relaxed atomics so the status port can read them from another thread.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "replication/histogram.hpp"
#include "routing/classifier.hpp"
#include "routing/router.hpp"

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
  Counter client_compressed_connections;
  Counter auth_failures;
  Counter handshake_timeouts;
  Counter idle_timeouts;
  Counter malformed_packets;        // client sent bytes that are not the protocol
  Counter sequence_errors;
  Counter oversized_packets;
  Counter too_many_connections;
  Counter unsupported_commands;
  Counter client_aborts;            // client went away mid-response or mid-statement
  Counter backend_connects;
  Counter backend_connect_failures;
  Counter backend_lost;             // a backend connection died while in use
  Counter backend_protocol_errors;  // a backend sent bytes causeway could not follow
  Counter commands;
  Counter routing_rejects;          // no replica for a read and the policy says error
  Counter rule_rejects;             // a routing rule rejected the statement
  Counter read_retries;             // a read moved to the primary after its replica failed
  Counter pool_exhausted;           // a statement found every pooled connection busy until its deadline
  Counter backend_refused;          // a server refused a connection for its max_connections (ERR 1040)
  Counter bytes_from_backends;

  // Consistency (docs/consistency.md).
  Counter commit_gtids;             // commit GTIDs captured from the primary's OK packets
  // How long parked reads waited, in microseconds (its count is the number of waits;
  // deadline hits and fallbacks are decisions[ConsistencyTimeout / ConsistencyFallback]).
  replication::LogHistogram consistency_wait;
  Counter decisions[routing::reason_count];        // routing decisions by reason
  Counter statements_by_class[routing::statement_class_count];  // COM_QUERY / prepared statements
};

// A sample of recent routing decisions for the status port (/api/decisions): every
// decision that waited, fell back or was refused, and one in `sample_every` of the rest.
// Written and read only on its worker's thread (the status port asks the worker).
struct DecisionRecord {
  std::chrono::system_clock::time_point at{};
  std::uint32_t session = 0;   // causeway connection id
  routing::Target target = routing::Target::Primary;
  routing::Reason reason = routing::Reason::SplitDisabled;
  routing::Consistency consistency = routing::Consistency::Unspecified;
  std::uint16_t server = 0;    // index in the topology
  std::uint32_t waited_us = 0;
  std::array<char, 32> user{};        // truncated, NUL-terminated
  std::array<char, 120> statement{};  // the statement's first bytes, NUL-terminated
};

class DecisionRing {
 public:
  static constexpr std::size_t capacity = 256;
  static constexpr std::uint32_t sample_every = 16;

  // Whether the next decision should be kept (always for the interesting ones).
  bool wants(routing::Reason reason, bool waited) {
    if (waited) return true;
    switch (reason) {
      case routing::Reason::NoReplicaFallback:
      case routing::Reason::NoReplica:
      case routing::Reason::ConsistencyFallback:
      case routing::Reason::ConsistencyTimeout:
      case routing::Reason::StrongNoStream:
      case routing::Reason::UnknownServer:
      case routing::Reason::RuleReject: return true;
      default: return ++tick_ % sample_every == 0;
    }
  }
  DecisionRecord& next() {
    DecisionRecord& r = ring_[head_ % capacity];
    ++head_;
    return r;
  }
  // Oldest first.
  template <class F>
  void for_each(F&& f) const {
    const std::uint64_t n = std::min<std::uint64_t>(head_, capacity);
    for (std::uint64_t i = head_ - n; i < head_; ++i) f(ring_[i % capacity]);
  }

 private:
  std::array<DecisionRecord, capacity> ring_{};
  std::uint64_t head_ = 0;
  std::uint32_t tick_ = 0;
};

inline void copy_truncated(std::string_view from, char* to, std::size_t size) {
  const std::size_t n = std::min(from.size(), size - 1);
  std::memcpy(to, from.data(), n);
  to[n] = '\0';
}

}  // namespace causeway::proxy

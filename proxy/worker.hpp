// One worker thread: its own io_context, counters and sessions. Sessions never leave it.
#pragma once

#include <string>
#include <unordered_set>

#include "proxy/asio.hpp"
#include "proxy/services.hpp"
#include "proxy/stats.hpp"

namespace causeway::proxy {

class Session;

struct Worker {
  Worker(Services& s, std::size_t i) : services(s), index(i) {}

  asio::io_context ctx{1};
  Services& services;
  std::size_t index;
  WorkerStats stats;
  std::unordered_set<Session*> sessions;  // touched only on this worker's thread
  bool stopping = false;
};

}  // namespace causeway::proxy

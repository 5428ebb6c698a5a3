// One server's check over the libmariadb C API: a persistent, blocking connection owned
// by that server's monitor thread (so a hung server blocks only its own thread). The
// answers are interpreted by the pure functions in server_check.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "replication/client_tls.hpp"
#include "replication/server_check.hpp"

// From <mysql.h>; kept out of this header so users of the monitor do not see it.
struct st_mysql;

namespace causeway::replication {

struct ProbeTarget {
  std::string name;
  std::string host;
  std::uint16_t port = 3306;
  std::string user;
  std::string password;
  std::chrono::milliseconds timeout{1000};
  ClientTls tls;
  bool operator==(const ProbeTarget&) const = default;
};

class Probe {
 public:
  explicit Probe(ProbeTarget target);
  ~Probe();
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  // Connects if there is no connection, then asks. A client-side error (lost connection,
  // timeout) drops the connection, so the next check reconnects; a server-side error
  // (missing privilege) keeps it.
  CheckResult check();
  // The rows of one query (connecting if needed); nullopt with `error` on failure.
  std::optional<std::vector<Row>> rows(std::string_view sql, std::string& error);

 private:
  bool connect(std::string& error);
  void disconnect();
  // A failed statement: the error text, naming the step; drops the connection when the
  // connection itself is at fault.
  std::string fail(std::string_view step);

  ProbeTarget target_;
  st_mysql* mysql_ = nullptr;
  ServerFlavour flavour_;
  bool replica_refused_ = false;  // SHOW REPLICA STATUS was a syntax error here
};

// libmariadb's process-wide initialisation; call before starting probe threads (it is not
// thread-safe on its first call). Idempotent.
void init_client_library();

// libmariadb's per-thread state, for the life of this object on the thread that made it.
class ClientThread {
 public:
  ClientThread();
  ~ClientThread();
  ClientThread(const ClientThread&) = delete;
  ClientThread& operator=(const ClientThread&) = delete;
};

}  // namespace causeway::replication

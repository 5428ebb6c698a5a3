// causeway configuration: plain, validated structs. yaml-cpp never leaves config/.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace causeway::config {

using Millis = std::chrono::milliseconds;

struct Listener {
  std::string name = "main";
  std::string address = "127.0.0.1";
  std::uint16_t port = 16033;
};

enum class ServerRole { Auto, Primary, Replica };

// TLS from causeway to a database server (docs/configuration.md, "backend_tls"). The
// modes are the MySQL client's --ssl-mode values.
enum class BackendTlsMode { Disabled, Preferred, Required, VerifyCa, VerifyIdentity };

struct BackendTls {
  BackendTlsMode mode = BackendTlsMode::Disabled;
  std::string ca_file;    // verify_ca, verify_identity: the CA bundle; empty: the system's
  std::string cert_file;  // a client certificate, for accounts that REQUIRE X509 or SUBJECT
  std::string key_file;
  bool operator==(const BackendTls&) const = default;
};

struct Server {
  std::string name;
  std::string host = "127.0.0.1";
  std::uint16_t port = 3306;
  ServerRole role = ServerRole::Auto;  // Auto: decided by the monitor (read_only)
  unsigned weight = 1;                 // for load balancing over replicas
  std::optional<BackendTls> tls;       // set: replaces Config::backend_tls for this server
};

enum class AuthPlugin { MysqlNativePassword, CachingSha2Password };
enum class Consistency { Eventual, ReadYourWrites, Monotonic, Strong };

struct User {
  std::string name;
  // Exactly one of these is set. `password` is clear text; `password_hash` is the
  // mysql_native_password double-SHA1 hash as MySQL/MariaDB store it: "*" + 40 hex digits.
  std::optional<std::string> password;
  std::optional<std::string> password_hash;
  AuthPlugin auth_plugin = AuthPlugin::MysqlNativePassword;  // what the proxy asks clients for
  std::optional<Consistency> consistency;  // this user's default level; unset: consistency.default
};

struct Credentials {
  std::string user;
  std::string password;
};

// The binlog client: the account it streams with and how (docs/consistency.md).
struct ReplicationSettings : Credentials {
  Millis heartbeat{500};       // heartbeat period asked of each server (an idle stream's pulse)
  Millis poll_interval{100};   // degraded mode: how often the executed set is read instead
  std::uint32_t server_id = 0; // replica server id of the dump connections; 0: random per start
};

// The health monitor: its account and how often / how patiently it checks each server.
struct MonitorSettings {
  std::string user;
  std::string password;
  Millis interval{250};  // pause between the end of one check of a server and the next
  // A check (connect + queries) not answered within this fails. With the interval, a hung
  // server leaves rotation in under a second.
  Millis timeout{700};
};

// Client accounts read from the primary's mysql.user (as MaxScale does), beside `users`:
// accounts created on the servers at run time log in without a config change.
struct AccountDiscovery {
  std::string user;      // empty: the monitor's account
  std::string password;
  Millis refresh{1000};  // an unknown user or a wrong password rereads at most this often
};

struct Tls {
  std::string cert_file;  // empty: TLS to clients disabled
  std::string key_file;
  bool require = false;  // refuse clients that do not switch to TLS
  bool enabled() const { return !cert_file.empty(); }
};

struct Limits {
  std::uint32_t max_client_connections = 10000;
  std::uint64_t max_packet_size = 64ull * 1024 * 1024;  // bytes, one logical packet
};

struct Timeouts {
  Millis handshake{10'000};        // client must finish authentication within this
  Millis client_idle{28'800'000};  // like wait_timeout (8h)
  Millis backend_connect{5'000};
  Millis shutdown_grace{30'000};   // SIGTERM: how long running statements may finish
};

// Read/write splitting, under the consistency each read asks for (ConsistencySettings).
enum class Fallback { Primary, Error };

struct Routing {
  bool read_write_split = true;
  Fallback fallback = Fallback::Primary;  // no usable replica for a read
};

// Backend connection pooling: sessions borrow connections per statement or transaction.
struct Pool {
  std::uint32_t max_connections_per_server = 1000;  // across all workers; 0 = no limit
  Millis idle_timeout{60'000};                      // idle pooled connections close after this
  std::uint32_t min_idle = 0;  // warm-up: idle connections kept ready per server, user and worker
};

// Routing rules (docs/configuration.md, "rules"), stored as written. The proxy compiles
// them (proxy/rules_from_config.cpp); validation only checks that they compile.
enum class StatementClass {
  // The same classes as routing::StatementClass: config/ does not depend on routing/.
  Empty, Read, Write, Ddl, Dcl, Transaction, Session, Lock, Show, Call, Prepare, Execute,
  Deallocate, Kill, Admin, Other,
};
enum class RuleRoute { None, Primary, Replica, Server };

// What reads at each level may see and how long they wait for a replica
// (docs/consistency.md).
// Whose writes "your writes" are: the session's own, or every write causeway has
// acknowledged to any client (so a row one connection committed is seen by the next read
// on any other connection, as with a single server).
enum class ConsistencyScope { Global, Session };

struct ConsistencySettings {
  Consistency level = Consistency::ReadYourWrites;  // `default:` in the file
  ConsistencyScope scope = ConsistencyScope::Global;
  Millis max_replica_lag{0};                        // replicas further behind serve no reads; 0: no limit
  Fallback on_timeout = Fallback::Primary;          // a read that waited in vain
  // How long a read may wait for a replica to apply what it requires, per level.
  Millis wait_read_your_writes{500};
  Millis wait_monotonic{500};
  Millis wait_strong{1000};
};

struct Rule {
  std::string name;
  // Match keys: every one given must match; a rule without any matches every statement.
  std::vector<std::string> users;
  std::vector<std::string> schemas;
  std::vector<std::string> clients;  // as written: "10.0.0.0/8", "127.0.0.1", "::1/128"
  std::vector<StatementClass> classes;
  std::optional<std::string> match;   // RE2, searched for in the statement text
  std::optional<std::string> digest;  // RE2, searched for in the normalized digest
  // Actions: at least one; reject excludes the others.
  RuleRoute route = RuleRoute::None;
  std::string server;  // route == Server: a configured server's name
  std::optional<Consistency> consistency;
  std::optional<Millis> wait;         // how long its reads may wait for a replica
  std::optional<std::string> reject;  // the error message the client gets
};

struct Status {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: status port disabled
  // Bearer token for admin actions (drain, reload). load_file() lets the environment
  // variable CAUSEWAY_ADMIN_TOKEN override it. Unset: admin actions are refused.
  std::optional<std::string> admin_token;
};

struct Config {
  std::vector<Listener> listeners;  // at least one
  std::vector<Server> servers;      // at least one
  std::vector<User> users;          // at least one
  std::string server_version;       // empty: mirror the primary's version string
  unsigned workers = 0;             // 0: one per core
  Tls tls;
  BackendTls backend_tls;  // every server's, unless the server has its own `tls`
  Limits limits;
  Timeouts timeouts;
  std::optional<MonitorSettings> monitor;  // account and timing of the health monitor
  std::optional<AccountDiscovery> account_discovery;  // unset: only `users` log in
  std::optional<ReplicationSettings> replication;  // the binlog client; unset: no GTID tracking
  Routing routing;
  ConsistencySettings consistency;
  std::vector<Rule> rules;  // in order: the first that matches decides
  Pool pool;
  Status status;
  std::string log_level = "info";
};

// The account that reads mysql.user for account_discovery: its own, else the monitor's.
inline Credentials discovery_account(const Config& c) {
  if (!c.account_discovery) return {};
  if (!c.account_discovery->user.empty()) return {c.account_discovery->user, c.account_discovery->password};
  return c.monitor ? Credentials{c.monitor->user, c.monitor->password} : Credentials{};
}

// Whether the mode checks the server's certificate (against ca_file or the system store).
inline bool checks_certificate(BackendTlsMode m) {
  return m == BackendTlsMode::VerifyCa || m == BackendTlsMode::VerifyIdentity;
}

// The TLS settings causeway uses towards `server`.
inline const BackendTls& backend_tls_for(const Config& c, const Server& server) {
  return server.tls ? *server.tls : c.backend_tls;
}

// One located problem in a config file: "servers[1].port" at 12:9.
struct Issue {
  std::string path;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based
  std::string message;
  std::string to_string() const;  // "servers[1].port (12:9): must be 1..65535"
};

// Thrown by load() when the file cannot be read, is not YAML, or fails validation.
class Error : public std::runtime_error {
 public:
  explicit Error(std::vector<Issue> issues);
  // what() is one "source:line:col: path: message" line per issue.
  Error(std::string source, std::vector<Issue> issues);
  const std::vector<Issue>& issues() const { return issues_; }
  const std::string& source() const { return source_; }  // file path or source name

 private:
  std::vector<Issue> issues_;
  std::string source_;
};

// Parse and validate. Collects every problem it can before throwing. load_file() also
// applies the environment: CAUSEWAY_ADMIN_TOKEN (non-empty) replaces status.admin_token.
Config load_file(const std::string& path);
Config load_string(const std::string& yaml, const std::string& source_name = "<string>");

// Human summary for `causeway --check` (no secrets).
std::string summary(const Config&);

const char* to_string(AuthPlugin);
const char* to_string(ServerRole);
const char* to_string(StatementClass);  // as written in the config: "read", "ddl", ...
const char* to_string(Consistency);     // "eventual", "read_your_writes", ...
const char* to_string(BackendTlsMode);  // "disabled", "verify_ca", ...

}  // namespace causeway::config

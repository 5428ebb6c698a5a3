// Step 2 of loading: rules over the parsed structs. Every rule reports and moves on,
// so one run lists every problem in the file.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <unordered_map>

#include <fmt/format.h>

#include "config/detail.hpp"

namespace causeway::config::detail {
namespace {

constexpr unsigned max_workers = 256;
constexpr unsigned max_weight = 1000;
constexpr std::uint64_t min_packet_size = 1ull << 10;
constexpr std::uint64_t max_packet_size = 1ull << 30;  // MySQL's own max_allowed_packet cap
constexpr Millis min_monitor_period{10};

class Checker {
 public:
  explicit Checker(const Locations& locations) : loc_(locations) {}

  void fail(const std::string& path, std::string message) {
    const Pos p = loc_.nearest(path);
    issues_.push_back({path, p.line, p.column, std::move(message)});
  }
  bool has(const std::string& path) const { return loc_.has(path); }
  int line_of(const std::string& path) const { return loc_.nearest(path).line; }
  std::vector<Issue> take() { return std::move(issues_); }

 private:
  const Locations& loc_;
  std::vector<Issue> issues_;
};

std::string item(std::string_view list, std::size_t i, std::string_view key = {}) {
  return key.empty() ? fmt::format("{}[{}]", list, i) : fmt::format("{}[{}].{}", list, i, key);
}

bool is_ip_or_localhost(const std::string& address) {
  in6_addr buf{};
  return address == "localhost" || inet_pton(AF_INET, address.c_str(), &buf) == 1 ||
         inet_pton(AF_INET6, address.c_str(), &buf) == 1;
}

bool is_double_sha1_hash(std::string_view h) {
  if (h.size() != 41 || h[0] != '*') return false;
  for (char c : h.substr(1))
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// Listener and server names end up in log lines, Prometheus labels and status API
// URLs, where spaces and punctuation would need quoting everywhere.
void check_name(Checker& c, const std::string& path, const std::string& name) {
  if (name.empty()) {
    c.fail(path, c.has(path) ? "must not be empty" : "is required");
    return;
  }
  const bool plain = name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.';
  });
  if (!plain)
    c.fail(path, "may contain only letters, digits, '_', '-' and '.' (at most 64); it is "
                 "used in logs, metrics labels and status API paths");
}

void check_port(Checker& c, const std::string& path, std::uint16_t port) {
  if (port == 0) c.fail(path, "must be between 1 and 65535");
}

template <class T>
void check_unique_names(Checker& c, const std::vector<T>& items, std::string_view list,
                        std::string_view what) {
  std::unordered_map<std::string, std::size_t> first;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].name.empty()) continue;
    auto [it, fresh] = first.emplace(items[i].name, i);
    if (fresh) continue;
    const int line = c.line_of(item(list, it->second, "name"));
    c.fail(item(list, i, "name"),
           fmt::format("duplicate {} name \"{}\" (already used by {}{})", what, items[i].name,
                       item(list, it->second), line ? fmt::format(" at line {}", line) : ""));
  }
}

void check_listeners(Checker& c, const Config& cfg) {
  if (cfg.listeners.empty()) c.fail("listeners", "at least one listener is required");
  for (std::size_t i = 0; i < cfg.listeners.size(); ++i) {
    const Listener& l = cfg.listeners[i];
    check_name(c, item("listeners", i, "name"), l.name);
    // Bound literally: a host name could resolve to several or changing addresses.
    if (!is_ip_or_localhost(l.address))
      c.fail(item("listeners", i, "address"),
             fmt::format("must be an IPv4 or IPv6 address or \"localhost\", got \"{}\"",
                         l.address));
    check_port(c, item("listeners", i, "port"), l.port);
  }
  check_unique_names(c, cfg.listeners, "listeners", "listener");
}

void check_servers(Checker& c, const Config& cfg) {
  if (cfg.servers.empty()) c.fail("servers", "at least one server is required");
  std::optional<std::size_t> primary;
  for (std::size_t i = 0; i < cfg.servers.size(); ++i) {
    const Server& s = cfg.servers[i];
    check_name(c, item("servers", i, "name"), s.name);
    const bool blank = std::any_of(s.host.begin(), s.host.end(),
                                   [](char ch) { return std::isspace(static_cast<unsigned char>(ch)); });
    if (s.host.empty() || blank)
      c.fail(item("servers", i, "host"), "must be a host name or an IP address");
    check_port(c, item("servers", i, "port"), s.port);
    if (s.weight < 1 || s.weight > max_weight)
      c.fail(item("servers", i, "weight"), fmt::format("must be between 1 and {}", max_weight));
    if (s.role != ServerRole::Primary) continue;
    if (primary)
      c.fail(item("servers", i, "role"),
             fmt::format("only one server may have role primary; {} (\"{}\") already has it",
                         item("servers", *primary), cfg.servers[*primary].name));
    else
      primary = i;
  }
  check_unique_names(c, cfg.servers, "servers", "server");
}

void check_user(Checker& c, const User& u, std::size_t i) {
  const std::string name_path = item("users", i, "name");
  if (u.name.empty()) c.fail(name_path, c.has(name_path) ? "must not be empty" : "is required");
  if (u.password && u.password_hash) {
    c.fail(item("users", i, "password_hash"),
           "set either password or password_hash, not both");
    return;
  }
  if (!u.password && !u.password_hash) {
    c.fail(item("users", i), "needs a password or a password_hash");
    return;
  }
  if (u.password_hash && !is_double_sha1_hash(*u.password_hash))
    c.fail(item("users", i, "password_hash"),
           "must be \"*\" followed by 40 hex digits: the mysql_native_password hash, as in "
           "SELECT authentication_string FROM mysql.user (quote it in YAML)");
  if (u.password_hash && u.auth_plugin == AuthPlugin::CachingSha2Password)
    c.fail(item("users", i, "auth_plugin"),
           "caching_sha2_password needs a clear password, not password_hash: the proxy "
           "verifies the client's SHA-256 scramble, which cannot be checked against a "
           "mysql_native_password hash");
}

void check_users(Checker& c, const Config& cfg) {
  if (cfg.users.empty()) c.fail("users", "at least one user is required");
  for (std::size_t i = 0; i < cfg.users.size(); ++i) check_user(c, cfg.users[i], i);
  check_unique_names(c, cfg.users, "users", "user");
}

void check_readable_file(Checker& c, const std::string& path, const std::string& file) {
  std::error_code ec;
  const auto st = std::filesystem::status(file, ec);
  if (!std::filesystem::exists(st)) {
    c.fail(path, fmt::format("file not found: {}", file));
    return;
  }
  if (std::filesystem::is_directory(st)) {
    c.fail(path, fmt::format("is a directory, not a file: {}", file));
    return;
  }
  if (std::FILE* f = std::fopen(file.c_str(), "rb")) {
    std::fclose(f);
    return;
  }
  c.fail(path, fmt::format("cannot read {}: {}", file, std::generic_category().message(errno)));
}

void check_tls_file(Checker& c, std::string_view key, const std::string& file,
                    std::string_view other_key, const std::string& other) {
  const std::string path = fmt::format("tls.{}", key);
  if (file.empty() && c.has(path))
    c.fail(path, "must not be empty (remove the tls section to disable TLS)");
  else if (file.empty() && !other.empty())
    c.fail(path, fmt::format("is required when tls.{} is set", other_key));
  else if (!file.empty())
    check_readable_file(c, path, file);
}

void check_tls(Checker& c, const Tls& tls) {
  check_tls_file(c, "cert_file", tls.cert_file, "key_file", tls.key_file);
  check_tls_file(c, "key_file", tls.key_file, "cert_file", tls.cert_file);
  if (tls.require && !tls.enabled())
    c.fail("tls.require",
           "needs tls.cert_file and tls.key_file: without a certificate no client could "
           "satisfy it");
}

// `path` is "backend_tls" or "servers[i].tls".
void check_backend_tls(Checker& c, const std::string& path, const BackendTls& tls) {
  const auto key = [&](std::string_view k) { return fmt::format("{}.{}", path, k); };
  for (auto [name, file] : {std::pair{"ca_file", &tls.ca_file}, {"cert_file", &tls.cert_file}, {"key_file", &tls.key_file}}) {
    if (!file->empty()) check_readable_file(c, key(name), *file);
    else if (c.has(key(name))) c.fail(key(name), "must not be empty (leave it out)");
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    const bool cert = tls.cert_file.empty();
    c.fail(key(cert ? "cert_file" : "key_file"),
           fmt::format("is required when {} is set (a client certificate needs its key)", key(cert ? "key_file" : "cert_file")));
  }
  if (!tls.ca_file.empty() && tls.mode != BackendTlsMode::Disabled && !checks_certificate(tls.mode))
    c.fail(key("ca_file"), fmt::format("is only used by mode verify_ca or verify_identity; {} does not check the "
                                       "server's certificate (set {} to verify_ca)",
                                       to_string(tls.mode), key("mode")));
}

void check_limits_and_timeouts(Checker& c, const Config& cfg) {
  if (cfg.limits.max_client_connections == 0)
    c.fail("limits.max_client_connections", "must be at least 1");
  const auto packet = cfg.limits.max_packet_size;
  if (packet < min_packet_size || packet > max_packet_size)
    c.fail("limits.max_packet_size", "must be between 1KiB and 1GiB");
  // Zero would make every handshake / backend connection fail at once; idle and grace
  // may be 0 (never time out / do not wait).
  if (cfg.timeouts.handshake.count() == 0) c.fail("timeouts.handshake", "must be greater than 0");
  if (cfg.timeouts.backend_connect.count() == 0)
    c.fail("timeouts.backend_connect", "must be greater than 0");
}

// Monitor and replication sections: both keys required when the section is present.
void check_account(Checker& c, const std::string& account_user, const char* section) {
  const std::string user = fmt::format("{}.user", section);
  const std::string password = fmt::format("{}.password", section);
  if (account_user.empty()) c.fail(user, c.has(user) ? "must not be empty" : "is required");
  if (!c.has(password))
    c.fail(password, "is required (write password: \"\" for an account without one)");
}

void check_monitor(Checker& c, const std::optional<MonitorSettings>& m) {
  if (!m) return;
  check_account(c, m->user, "monitor");
  // Below 10ms a check loop would only burn CPU on the servers; a zero timeout would
  // fail every check.
  if (m->interval < min_monitor_period)
    c.fail("monitor.interval", "must be at least 10ms");
  if (m->timeout < min_monitor_period)
    c.fail("monitor.timeout", "must be at least 10ms");
}

void check_account_discovery(Checker& c, const Config& cfg) {
  const auto& d = cfg.account_discovery;
  if (!d) return;
  if (d->user.empty() && !d->password.empty())
    c.fail("account_discovery.user", "is required when account_discovery.password is set");
  else if (d->user.empty() && !cfg.monitor)
    c.fail("account_discovery", "needs a user and password, or a monitor section whose account it uses");
  // A login that needs a read waits up to one refresh: it must fit in the handshake timeout.
  if (d->refresh < min_monitor_period || d->refresh > Millis{60'000})
    c.fail("account_discovery.refresh", "must be between 10ms and 60s");
  else if (d->refresh >= cfg.timeouts.handshake)
    c.fail("account_discovery.refresh", "must be shorter than timeouts.handshake (a login may wait one refresh)");
}

void check_replication(Checker& c, const Config& cfg) {
  if (const auto& r = cfg.replication) {
    check_account(c, r->user, "replication");
    // A heartbeat below 10ms floods the stream; above a minute a dead server goes unnoticed.
    if (r->heartbeat < min_monitor_period || r->heartbeat > Millis{60'000})
      c.fail("replication.heartbeat", "must be between 10ms and 60s");
    if (r->poll_interval < min_monitor_period) c.fail("replication.poll_interval", "must be at least 10ms");
  }
  const auto& k = cfg.consistency;
  const Millis max_wait{3'600'000};
  for (const auto& [key, value] : {std::pair{"consistency.wait.read_your_writes", k.wait_read_your_writes},
                                   std::pair{"consistency.wait.monotonic", k.wait_monotonic},
                                   std::pair{"consistency.wait.strong", k.wait_strong}}) {
    if (value > max_wait) c.fail(key, "must be at most 1h");
  }
}

void check_misc(Checker& c, const Config& cfg) {
  const auto& v = cfg.server_version;
  // Connectors parse the leading "major.minor" to decide which features to use.
  const auto digit = [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)) != 0; };
  const auto dot = v.find('.');
  const bool numeric = dot != std::string::npos && dot > 0 && dot + 1 < v.size() &&
                       std::all_of(v.begin(), v.begin() + static_cast<long>(dot), digit) &&
                       digit(v[dot + 1]);
  if (!v.empty() && !numeric)
    c.fail("server_version", "must start with a version number such as 8.0.36, because "
                             "client libraries read it to decide which features to use");
  if (cfg.workers > max_workers)
    c.fail("workers", fmt::format("must be at most {} (0 means one per CPU core)", max_workers));
  if (cfg.status.port != 0 && !is_ip_or_localhost(cfg.status.address))
    c.fail("status.address",
           fmt::format("must be an IPv4 or IPv6 address or \"localhost\", got \"{}\"",
                       cfg.status.address));
  if (cfg.status.admin_token) {
    if (auto problem = admin_token_problem(*cfg.status.admin_token); !problem.empty())
      c.fail("status.admin_token", problem);
  }
  const std::vector<std::string_view> levels = {"trace", "debug", "info", "warn", "error", "off"};
  if (cfg.pool.idle_timeout.count() < 1000)
    c.fail("pool.idle_timeout", "must be at least 1s");
  if (cfg.pool.min_idle > 1000) c.fail("pool.min_idle", "must be at most 1000");
  if (std::find(levels.begin(), levels.end(), cfg.log_level) == levels.end())
    c.fail("log_level", fmt::format("must be one of trace, debug, info, warn, error, off; "
                                    "got \"{}\"{}",
                                    cfg.log_level, suggestion(cfg.log_level, levels)));
}

}  // namespace

// The token travels in an HTTP header ("Authorization: Bearer <token>"): visible ASCII only.
std::string admin_token_problem(std::string_view token) {
  if (token.empty()) return "must not be empty (leave it out to turn admin actions off)";
  if (token.size() < 16) return "must be at least 16 characters (it guards drain and reload)";
  for (char ch : token)
    if (ch <= ' ' || ch > '~') return "must be printable ASCII without spaces (it is sent in an HTTP header)";
  return {};
}

std::vector<Issue> validate(const Config& config, const Locations& locations) {
  Checker c(locations);
  check_listeners(c, config);
  check_servers(c, config);
  check_users(c, config);
  check_tls(c, config.tls);
  check_backend_tls(c, "backend_tls", config.backend_tls);
  for (std::size_t i = 0; i < config.servers.size(); ++i)
    if (config.servers[i].tls) check_backend_tls(c, item("servers", i, "tls"), *config.servers[i].tls);
  check_limits_and_timeouts(c, config);
  check_monitor(c, config.monitor);
  check_account_discovery(c, config);
  check_replication(c, config);
  check_misc(c, config);
  std::vector<Issue> issues = c.take();
  for (Issue& i : validate_rules(config, locations)) issues.push_back(std::move(i));
  return issues;
}

void resolve_relative_paths(Config& config, const std::string& base_dir) {
  if (base_dir.empty()) return;
  std::vector<std::string*> files{&config.tls.cert_file, &config.tls.key_file};
  std::vector<BackendTls*> backend{&config.backend_tls};
  for (Server& s : config.servers)
    if (s.tls) backend.push_back(&*s.tls);
  for (BackendTls* t : backend) files.insert(files.end(), {&t->ca_file, &t->cert_file, &t->key_file});
  for (std::string* file : files) {
    if (!file->empty() && std::filesystem::path(*file).is_relative())
      *file = (std::filesystem::path(base_dir) / *file).lexically_normal().string();
  }
}

}  // namespace causeway::config::detail

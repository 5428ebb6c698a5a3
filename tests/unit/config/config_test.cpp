// config/: YAML -> validated structs, located error reports, summary.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace cfg = causeway::config;
using namespace std::chrono_literals;

namespace {

// The smallest valid config; tests add sections after it or write their own.
const std::string minimal = R"(listeners:
  - port: 16033
servers:
  - name: db1
users:
  - name: app
    password: app
)";

std::vector<cfg::Issue> issues_of(const std::string& yaml) {
  try {
    cfg::load_string(yaml, "test.yaml");
  } catch (const cfg::Error& e) {
    return e.issues();
  }
  return {};
}

std::string dump(const std::vector<cfg::Issue>& issues) {
  std::string out;
  for (const auto& i : issues) out += i.to_string() + "\n";
  return out;
}

const cfg::Issue* find_issue(const std::vector<cfg::Issue>& issues, const std::string& path) {
  for (const auto& i : issues)
    if (i.path == path) return &i;
  return nullptr;
}

// A private directory for files the TLS checks look at; removed afterwards.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "causeway-config-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
};

}  // namespace

TEST_CASE("a full config loads into the structs", "[config]") {
  TempDir dir;
  const auto cert = dir.write("cert.pem", "CERT");
  const auto key = dir.write("key.pem", "KEY");
  const std::string yaml = R"(
listeners:
  - name: main
    address: 0.0.0.0
    port: 16033
  - name: v6
    address: "::1"
    port: 16034
servers:
  - name: db1
    host: 10.0.0.1
    port: 13306
    role: primary
  - name: db2
    host: db2.internal
    port: 13307
    role: replica
    weight: 3
  - name: db3
    role: auto
users:
  - name: app
    password: s3cret
    auth_plugin: caching_sha2_password
  - name: report
    password_hash: "*5BCB3E6AC345B435C7C2E6B7949A04CE6F6563D3"
server_version: 8.0.36-causeway
workers: 4
tls:
  cert_file: )" + cert + R"(
  key_file: )" + key + R"(
  require: yes
limits:
  max_client_connections: 500
  max_packet_size: 16MiB
timeouts:
  handshake: 3s
  client_idle: 1h
  backend_connect: 750ms
  shutdown_grace: 2m
monitor:
  user: monitor
  password: mon
  interval: 100ms
  timeout: 2s
replication:
  user: repl
  password: ""
status:
  address: 127.0.0.1
  port: 16080
log_level: debug
)";
  const cfg::Config c = cfg::load_string(yaml);

  REQUIRE(c.listeners.size() == 2);
  CHECK(c.listeners[0].name == "main");
  CHECK(c.listeners[0].address == "0.0.0.0");
  CHECK(c.listeners[0].port == 16033);
  CHECK(c.listeners[1].address == "::1");
  REQUIRE(c.servers.size() == 3);
  CHECK(c.servers[0].host == "10.0.0.1");
  CHECK(c.servers[0].port == 13306);
  CHECK(c.servers[0].role == cfg::ServerRole::Primary);
  CHECK(c.servers[0].weight == 1);
  CHECK(c.servers[1].host == "db2.internal");
  CHECK(c.servers[1].role == cfg::ServerRole::Replica);
  CHECK(c.servers[1].weight == 3);
  CHECK(c.servers[2].host == "127.0.0.1");
  CHECK(c.servers[2].port == 3306);
  CHECK(c.servers[2].role == cfg::ServerRole::Auto);
  REQUIRE(c.users.size() == 2);
  CHECK(c.users[0].password == "s3cret");
  CHECK_FALSE(c.users[0].password_hash);
  CHECK(c.users[0].auth_plugin == cfg::AuthPlugin::CachingSha2Password);
  CHECK_FALSE(c.users[1].password);
  CHECK(c.users[1].password_hash == "*5BCB3E6AC345B435C7C2E6B7949A04CE6F6563D3");
  CHECK(c.users[1].auth_plugin == cfg::AuthPlugin::MysqlNativePassword);
  CHECK(c.server_version == "8.0.36-causeway");
  CHECK(c.workers == 4);
  CHECK(c.tls.enabled());
  CHECK(c.tls.cert_file == cert);
  CHECK(c.tls.key_file == key);
  CHECK(c.tls.require);
  CHECK(c.limits.max_client_connections == 500);
  CHECK(c.limits.max_packet_size == 16u * 1024 * 1024);
  CHECK(c.timeouts.handshake == 3s);
  CHECK(c.timeouts.client_idle == 1h);
  CHECK(c.timeouts.backend_connect == 750ms);
  CHECK(c.timeouts.shutdown_grace == 2min);
  REQUIRE(c.monitor);
  CHECK(c.monitor->user == "monitor");
  CHECK(c.monitor->password == "mon");
  CHECK(c.monitor->interval == 100ms);
  CHECK(c.monitor->timeout == 2s);
  REQUIRE(c.replication);
  CHECK(c.replication->user == "repl");
  CHECK(c.replication->password.empty());
  CHECK(c.status.port == 16080);
  CHECK(c.log_level == "debug");
}

TEST_CASE("backend_tls applies to every server; a server's own tls replaces it", "[config]") {
  const cfg::Config c = cfg::load_string(R"(listeners:
  - port: 16033
servers:
  - name: a
  - name: b
    tls:
      mode: preferred
  - name: c
    tls:
users:
  - name: app
    password: app
backend_tls:
  mode: verify_identity
  ca_file: /dev/null
)");
  REQUIRE(c.servers.size() == 3);
  const auto& a = cfg::backend_tls_for(c, c.servers[0]);
  CHECK(a.mode == cfg::BackendTlsMode::VerifyIdentity);
  CHECK(a.ca_file == "/dev/null");
  const auto& b = cfg::backend_tls_for(c, c.servers[1]);
  CHECK(b.mode == cfg::BackendTlsMode::Preferred);
  CHECK(b.ca_file.empty());
  // An empty `tls:` is a block of defaults: plain TCP to that server.
  CHECK(cfg::backend_tls_for(c, c.servers[2]).mode == cfg::BackendTlsMode::Disabled);
  CHECK(cfg::load_string(minimal).backend_tls.mode == cfg::BackendTlsMode::Disabled);
}

TEST_CASE("account_discovery uses the monitor's account unless it names its own", "[config]") {
  const std::string monitor = "monitor:\n  user: mon\n  password: monpw\n";
  auto c = cfg::load_string(minimal + monitor + "account_discovery:\n");
  REQUIRE(c.account_discovery);
  CHECK(cfg::discovery_account(c).user == "mon");
  CHECK(cfg::discovery_account(c).password == "monpw");
  CHECK(c.account_discovery->refresh == 1s);
  c = cfg::load_string(minimal + monitor + "account_discovery:\n  user: reader\n  password: r\n  refresh: 250ms\n");
  CHECK(cfg::discovery_account(c).user == "reader");
  CHECK(c.account_discovery->refresh == 250ms);
  CHECK_FALSE(cfg::load_string(minimal).account_discovery);
}

TEST_CASE("omitted optional keys keep their documented defaults", "[config]") {
  const cfg::Config c = cfg::load_string(minimal);
  CHECK(c.listeners.at(0).name == "main");
  CHECK(c.listeners.at(0).address == "127.0.0.1");
  CHECK(c.servers.at(0).host == "127.0.0.1");
  CHECK(c.servers.at(0).port == 3306);
  CHECK(c.servers.at(0).role == cfg::ServerRole::Auto);
  CHECK(c.users.at(0).auth_plugin == cfg::AuthPlugin::MysqlNativePassword);
  CHECK(c.server_version.empty());
  CHECK(c.workers == 0);
  CHECK_FALSE(c.tls.enabled());
  CHECK(c.limits.max_client_connections == 10000);
  CHECK(c.limits.max_packet_size == 64u * 1024 * 1024);
  CHECK(c.timeouts.handshake == 10s);
  CHECK(c.timeouts.client_idle == 8h);
  CHECK(c.timeouts.backend_connect == 5s);
  CHECK(c.timeouts.shutdown_grace == 30s);
  CHECK_FALSE(c.monitor);
  CHECK_FALSE(c.replication);
  CHECK(c.status.port == 0);
  CHECK(c.log_level == "info");
}

TEST_CASE("an empty section means all its defaults", "[config]") {
  const cfg::Config c = cfg::load_string(minimal + "tls:\ntimeouts:\nlimits: {}\n");
  CHECK_FALSE(c.tls.enabled());
  CHECK(c.timeouts.handshake == 10s);
}

TEST_CASE("the quickstart example file loads and matches the sandbox", "[config]") {
  const cfg::Config c = cfg::load_file(CAUSEWAY_SOURCE_DIR "/deploy/causeway.example.yaml");
  REQUIRE(c.listeners.size() == 1);
  CHECK(c.listeners[0].address == "127.0.0.1");
  CHECK(c.listeners[0].port == 16033);
  REQUIRE(c.servers.size() == 3);
  CHECK(c.servers[0].port == 13306);
  CHECK(c.servers[0].role == cfg::ServerRole::Primary);
  CHECK(c.servers[1].port == 13307);
  CHECK(c.servers[2].port == 13308);
  REQUIRE(c.users.size() == 2);
  CHECK(c.users[0].name == "app");
  CHECK(c.users[0].password == "app");
  CHECK(c.users[1].name == "root");
  CHECK(c.users[1].password == "root");
  CHECK(c.monitor->user == "monitor");
  CHECK(c.monitor->password == "monitor");
  CHECK(c.monitor->interval == 250ms);  // the example file leaves the timing at its defaults
  CHECK(c.monitor->timeout == 700ms);
  CHECK(c.replication->user == "repl");
  CHECK(c.replication->password == "repl");
  REQUIRE(c.account_discovery);
  CHECK(cfg::discovery_account(c).user == "monitor");
  CHECK(c.status.address == "127.0.0.1");
  CHECK(c.status.port == 16080);
  CHECK_FALSE(c.tls.enabled());
}

TEST_CASE("durations accept milliseconds or a number with a unit", "[config][values]") {
  struct Row {
    const char* text;
    cfg::Millis expected;
  };
  const Row rows[] = {{"0", 0ms},         {"500", 500ms}, {"500ms", 500ms}, {"10s", 10s},
                      {"5m", 5min},       {"8h", 8h},     {"\"15s\"", 15s}, {"8760h", 8760h}};
  for (const auto& row : rows) {
    CAPTURE(row.text);
    const auto c = cfg::load_string(minimal + "timeouts:\n  client_idle: " + row.text + "\n");
    CHECK(c.timeouts.client_idle == row.expected);
  }
}

TEST_CASE("malformed or negative durations are rejected with the expected form", "[config][values]") {
  struct Row {
    const char* text;
    const char* message;
  };
  const Row rows[] = {{"-5s", "must not be negative"},
                      {"-1", "must not be negative"},
                      {"abc", "expected a duration"},
                      {"1.5s", "expected a duration"},
                      {"10 s", "expected a duration"},
                      {"5d", "expected a duration"},
                      {"s", "expected a duration"},
                      {"8761h", "at most 8760h"},
                      {"99999999999999999999", "at most 8760h"},
                      {"[1, 2]", "expected a duration"}};
  for (const auto& row : rows) {
    CAPTURE(row.text);
    const auto issues = issues_of(minimal + "timeouts:\n  handshake: " + row.text + "\n");
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].path == "timeouts.handshake");
    CHECK_THAT(issues[0].message, Catch::Contains(row.message));
  }
}

TEST_CASE("sizes accept bytes or 1024-based units", "[config][values]") {
  struct Row {
    const char* text;
    std::uint64_t expected;
  };
  const Row rows[] = {{"1024", 1024},           {"16K", 16u << 10},   {"16k", 16u << 10},
                      {"16KB", 16u << 10},      {"16KiB", 16u << 10}, {"64M", 64u << 20},
                      {"64MB", 64u << 20},      {"64MiB", 64u << 20}, {"1G", 1u << 30},
                      {"1GiB", 1u << 30},       {"2048B", 2048}};
  for (const auto& row : rows) {
    CAPTURE(row.text);
    const auto c = cfg::load_string(minimal + "limits:\n  max_packet_size: " + row.text + "\n");
    CHECK(c.limits.max_packet_size == row.expected);
  }
}

TEST_CASE("malformed or out-of-range sizes are rejected", "[config][values]") {
  struct Row {
    const char* text;
    const char* message;
  };
  const Row rows[] = {{"-1M", "must not be negative"},
                      {"64X", "expected a size"},
                      {"1.5M", "expected a size"},
                      {"M", "expected a size"},
                      {"99999999999999999999G", "too large"},
                      {"1023", "between 1KiB and 1GiB"},
                      {"2G", "between 1KiB and 1GiB"},
                      {"1025M", "between 1KiB and 1GiB"}};
  for (const auto& row : rows) {
    CAPTURE(row.text);
    const auto issues = issues_of(minimal + "limits:\n  max_packet_size: " + row.text + "\n");
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].path == "limits.max_packet_size");
    CHECK_THAT(issues[0].message, Catch::Contains(row.message));
  }
}

TEST_CASE("each validation rule reports its key path and reason", "[config][validate]") {
  struct Row {
    const char* rule;
    std::string yaml;
    const char* path;
    const char* message;
  };
  const std::string servers = "servers:\n  - name: db1\n";
  const std::string users = "users:\n  - name: app\n    password: app\n";
  const std::string listeners = "listeners:\n  - port: 16033\n";
  const Row rows[] = {
      {"a listener is required", servers + users, "listeners", "at least one listener"},
      {"a server is required", listeners + users, "servers", "at least one server"},
      {"a user is required", listeners + servers, "users", "at least one user"},
      {"an empty list counts as none", listeners + users + "servers: []\n", "servers",
       "at least one server"},
      {"listener port 0", servers + users + "listeners:\n  - port: 0\n", "listeners[0].port",
       "must be between 1 and 65535"},
      {"listener port too big", servers + users + "listeners:\n  - port: 65536\n",
       "listeners[0].port", "must be between 1 and 65535"},
      {"server port too big", listeners + users + "servers:\n  - name: a\n    port: 99999\n",
       "servers[0].port", "must be between 1 and 65535"},
      {"status port too big", minimal + "status:\n  port: 70000\n", "status.port",
       "between 0 and 65535"},
      {"listener address must be an IP", servers + users + "listeners:\n  - address: db.example\n",
       "listeners[0].address", "IPv4 or IPv6 address"},
      {"status address must be an IP", minimal + "status:\n  address: example\n  port: 1\n",
       "status.address", "IPv4 or IPv6 address"},
      {"server name is required", listeners + users + "servers:\n  - host: h\n", "servers[0].name",
       "is required"},
      {"server name is plain", listeners + users + "servers:\n  - name: my db\n",
       "servers[0].name", "letters, digits"},
      {"server host is not blank", listeners + users + "servers:\n  - name: a\n    host: \"\"\n",
       "servers[0].host", "host name or an IP"},
      {"server weight at least 1", listeners + users + "servers:\n  - name: a\n    weight: 0\n",
       "servers[0].weight", "between 1 and 1000"},
      {"one primary at most",
       listeners + users +
           "servers:\n  - name: a\n    role: primary\n  - name: b\n    role: primary\n",
       "servers[1].role", "only one server may have role primary; servers[0] (\"a\")"},
      {"unique server names", listeners + users + "servers:\n  - name: a\n  - name: a\n",
       "servers[1].name", "duplicate server name \"a\" (already used by servers[0] at line 7)"},
      {"unique listener names", servers + users + "listeners:\n  - port: 1\n  - port: 2\n",
       "listeners[1].name", "duplicate listener name \"main\""},
      {"unique user names",
       listeners + servers + "users:\n  - name: u\n    password: a\n  - name: u\n    password: b\n",
       "users[1].name", "duplicate user name \"u\""},
      {"user name is required", listeners + servers + "users:\n  - password: x\n",
       "users[0].name", "is required"},
      {"user needs a credential", listeners + servers + "users:\n  - name: u\n", "users[0]",
       "needs a password or a password_hash"},
      {"user has one credential only",
       listeners + servers +
           "users:\n  - name: u\n    password: x\n    password_hash: "
           "\"*5BCB3E6AC345B435C7C2E6B7949A04CE6F6563D3\"\n",
       "users[0].password_hash", "either password or password_hash, not both"},
      {"hash needs the star", listeners + servers +
           "users:\n  - name: u\n    password_hash: 5BCB3E6AC345B435C7C2E6B7949A04CE6F6563D3\n",
       "users[0].password_hash", "\"*\" followed by 40 hex digits"},
      {"hash is 40 digits", listeners + servers + "users:\n  - name: u\n    password_hash: \"*5BCB\"\n",
       "users[0].password_hash", "40 hex digits"},
      {"hash is hex", listeners + servers +
           "users:\n  - name: u\n    password_hash: \"*ZBCB3E6AC345B435C7C2E6B7949A04CE6F6563D3\"\n",
       "users[0].password_hash", "40 hex digits"},
      {"caching_sha2 needs a clear password",
       listeners + servers +
           "users:\n  - name: u\n    auth_plugin: caching_sha2_password\n    password_hash: "
           "\"*5BCB3E6AC345B435C7C2E6B7949A04CE6F6563D3\"\n",
       "users[0].auth_plugin", "verifies the client's SHA-256 scramble"},
      {"tls key without cert", minimal + "tls:\n  key_file: /dev/null\n",
       "tls.cert_file", "is required when tls.key_file is set"},
      {"tls require without cert", minimal + "tls:\n  require: true\n", "tls.require",
       "without a certificate"},
      {"tls file must exist",
       minimal + "tls:\n  cert_file: /nonexistent/c.pem\n  key_file: /dev/null\n",
       "tls.cert_file", "file not found: /nonexistent/c.pem"},
      {"tls file must not be empty", minimal + "tls:\n  cert_file: \"\"\n", "tls.cert_file",
       "must not be empty"},
      {"tls file is not a directory",
       minimal + "tls:\n  cert_file: /tmp\n  key_file: /dev/null\n", "tls.cert_file",
       "is a directory"},
      {"backend tls mode from the list", minimal + "backend_tls:\n  mode: verify\n", "backend_tls.mode",
       "must be one of disabled, preferred, required, verify_ca, verify_identity; got \"verify\""},
      {"backend tls cert needs its key", minimal + "backend_tls:\n  mode: required\n  cert_file: /dev/null\n",
       "backend_tls.key_file", "is required when backend_tls.cert_file is set"},
      {"backend tls ca needs a verifying mode", minimal + "backend_tls:\n  mode: required\n  ca_file: /dev/null\n",
       "backend_tls.ca_file", "required does not check the server's certificate"},
      {"a server's tls file must exist",
       listeners + users + "servers:\n  - name: a\n    tls:\n      mode: verify_ca\n      ca_file: /nonexistent/ca.pem\n",
       "servers[0].tls.ca_file", "file not found: /nonexistent/ca.pem"},
      {"account discovery needs an account", minimal + "account_discovery:\n  refresh: 1s\n", "account_discovery",
       "needs a user and password, or a monitor section whose account it uses"},
      {"account discovery refresh at least 10ms",
       minimal + "account_discovery:\n  user: u\n  password: p\n  refresh: 1ms\n", "account_discovery.refresh",
       "must be between 10ms and 60s"},
      {"monitor needs a password", minimal + "monitor:\n  user: m\n", "monitor.password",
       "is required"},
      {"monitor needs a user", minimal + "monitor:\n  password: m\n", "monitor.user",
       "is required"},
      {"replication needs a user", minimal + "replication:\n  user: \"\"\n  password: r\n",
       "replication.user", "must not be empty"},
      {"monitor interval not zero",
       minimal + "monitor:\n  user: m\n  password: m\n  interval: 0\n", "monitor.interval",
       "must be at least 10ms"},
      {"monitor timeout at least 10ms",
       minimal + "monitor:\n  user: m\n  password: m\n  timeout: 5ms\n", "monitor.timeout",
       "must be at least 10ms"},
      {"workers at most 256", minimal + "workers: 257\n", "workers", "at most 256"},
      {"workers not negative", minimal + "workers: -1\n", "workers", "must not be negative"},
      {"log level from the list", minimal + "log_level: verbose\n", "log_level",
       "must be one of trace, debug, info, warn, error, off"},
      {"log level typo gets a suggestion", minimal + "log_level: inf\n", "log_level",
       "(did you mean \"info\"?)"},
      {"role from the list", listeners + users + "servers:\n  - name: a\n    role: primay\n",
       "servers[0].role", "must be one of primary, replica, auto; got \"primay\" (did you mean "
                          "\"primary\"?)"},
      {"auth plugin from the list",
       listeners + servers + "users:\n  - name: u\n    password: p\n    auth_plugin: sha256_password\n",
       "users[0].auth_plugin", "must be one of mysql_native_password, caching_sha2_password"},
      {"at least one client connection", minimal + "limits:\n  max_client_connections: 0\n",
       "limits.max_client_connections", "at least 1"},
      {"handshake timeout above zero", minimal + "timeouts:\n  handshake: 0\n",
       "timeouts.handshake", "greater than 0"},
      {"backend connect timeout above zero", minimal + "timeouts:\n  backend_connect: 0ms\n",
       "timeouts.backend_connect", "greater than 0"},
      {"server_version starts with a number", minimal + "server_version: causeway\n",
       "server_version", "must start with a version number"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.rule, row.yaml);
    const auto issues = issues_of(row.yaml);
    INFO(dump(issues));
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].path == row.path);
    CHECK_THAT(issues[0].message, Catch::Contains(row.message));
  }
}

TEST_CASE("permitted edge values pass validation", "[config][validate]") {
  const std::string accepted[] = {
      minimal + "status:\n  port: 0\n",
      minimal + "status:\n  port: 65535\n  address: \"::\"\n",
      minimal + "workers: 256\n",
      minimal + "timeouts:\n  client_idle: 0\n  shutdown_grace: 0\n",
      minimal + "limits:\n  max_packet_size: 1K\n",
      minimal + "limits:\n  max_packet_size: 1G\n",
      minimal + "server_version: 10.11.6-MariaDB\n",
      minimal + "log_level: off\n",
      "listeners:\n  - address: localhost\n    port: 1\n" + std::string("servers:\n  - name: a\n") +
          "users:\n  - name: u\n    password: \"\"\n    auth_plugin: caching_sha2_password\n",
      "listeners:\n  - address: \"::1\"\n" + std::string("servers:\n  - name: a\n    weight: 1000\n") +
          "users:\n  - name: u\n    password_hash: \"*5bcb3e6ac345b435c7c2e6b7949a04ce6f6563d3\"\n",
  };
  for (const auto& yaml : accepted) {
    CAPTURE(yaml);
    CHECK(dump(issues_of(yaml)).empty());
  }
}

TEST_CASE("an unreadable tls file is reported with its path", "[config][validate]") {
  if (::geteuid() == 0) SUCCEED("root reads any file; nothing to test");
  if (::geteuid() == 0) return;
  TempDir dir;
  const auto cert = dir.write("cert.pem", "CERT");
  const auto key = dir.write("key.pem", "KEY");
  std::filesystem::permissions(key, std::filesystem::perms::none);
  const auto issues = issues_of(minimal + "tls:\n  cert_file: " + cert + "\n  key_file: " + key + "\n");
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].path == "tls.key_file");
  CHECK_THAT(issues[0].message, Catch::Contains("cannot read " + key) &&
                                    Catch::Contains("Permission denied"));
}

TEST_CASE("relative tls paths are relative to the config file", "[config]") {
  TempDir dir;
  dir.write("cert.pem", "CERT");
  dir.write("key.pem", "KEY");
  const auto file = dir.write("causeway.yaml", minimal + "tls:\n  cert_file: cert.pem\n  key_file: key.pem\n");
  const cfg::Config c = cfg::load_file(file);
  CHECK(c.tls.cert_file == (dir.path / "cert.pem").string());
  CHECK(c.tls.key_file == (dir.path / "key.pem").string());
}

TEST_CASE("an unknown key is rejected with its line and column and a suggestion", "[config][locations]") {
  const std::string yaml = minimal + "servres:\n  - name: x\n";
  const auto issues = issues_of(yaml);
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].path == "servres");
  CHECK(issues[0].line == 8);
  CHECK(issues[0].column == 1);
  CHECK(issues[0].message == "unknown key \"servres\" (did you mean \"servers\"?)");

  const auto nested = issues_of("listeners:\n  - prot: 1\nservers:\n  - name: a\n"
                                "users:\n  - name: u\n    pasword: p\n");
  const auto* prot = find_issue(nested, "listeners[0].prot");
  REQUIRE(prot);
  CHECK(prot->line == 2);
  CHECK(prot->column == 5);
  CHECK_THAT(prot->message, Catch::EndsWith("(did you mean \"port\"?)"));
  const auto* pasword = find_issue(nested, "users[0].pasword");
  REQUIRE(pasword);
  CHECK(pasword->line == 7);
  CHECK_THAT(pasword->message, Catch::EndsWith("(did you mean \"password\"?)"));
}

TEST_CASE("an unknown key far from every known key gets no suggestion", "[config][locations]") {
  const auto issues = issues_of(minimal + "frobnicate: 1\n");
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].message == "unknown key \"frobnicate\"");
}

TEST_CASE("a wrong type names the expected type at the value's position", "[config][locations]") {
  const std::string yaml = "listeners:\n  - port: 16033\n"
                           "servers:\n  - name: db1\n  - name: db2\n    port: abc\n"
                           "users:\n  - name: app\n    password: app\n";
  const auto issues = issues_of(yaml);
  REQUIRE(issues.size() == 1);  // not also "must be between 1 and 65535"
  CHECK(issues[0].path == "servers[1].port");
  CHECK(issues[0].line == 6);
  CHECK(issues[0].column == 11);
  CHECK(issues[0].message == "expected an integer, got \"abc\"");

  struct Row {
    std::string yaml;
    const char* path;
    const char* message;
  };
  const Row rows[] = {
      {minimal + "tls:\n  require: maybe\n", "tls.require", "expected a boolean"},
      {minimal + "server_version: [8, 0]\n", "server_version", "expected a string, got a list"},
      {minimal + "monitor:\n  user: m\n  password:\n", "monitor.password",
       "expected a string, got an empty value (write \"\" for an empty string)"},
      {minimal + "timeouts: 5s\n", "timeouts", "expected a map, got a single value"},
      {minimal + "monitor:\n  user: m\n  password: m\n  interval: often\n", "monitor.interval",
       "expected a duration"},
      {"listeners: 16033\nservers:\n  - name: a\nusers:\n  - name: u\n    password: p\n",
       "listeners", "expected a list, got a single value"},
      {minimal + "workers: 2.5\n", "workers", "expected an integer"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.yaml);
    const auto found = issues_of(row.yaml);
    INFO(dump(found));
    REQUIRE(found.size() == 1);
    CHECK(found[0].path == row.path);
    CHECK_THAT(found[0].message, Catch::Contains(row.message));
  }
}

TEST_CASE("a rule violation points at the offending value", "[config][locations]") {
  const std::string yaml = "listeners:\n  - port: 16033\n"
                           "servers:\n  - name: db1\n    port: 0\n"
                           "users:\n  - name: app\n";
  const auto issues = issues_of(yaml);
  REQUIRE(issues.size() == 2);
  CHECK(issues[0].to_string() == "servers[0].port (5:11): must be between 1 and 65535");
  // A missing key is reported where its list entry starts.
  CHECK(issues[1].to_string() == "users[0] (7:5): needs a password or a password_hash");
}

TEST_CASE("a YAML syntax error reports its line and column", "[config][locations]") {
  const auto issues = issues_of("listeners:\n  - port: 1\nworkers: 1: 2\n");
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].path.empty());
  CHECK(issues[0].line == 3);
  CHECK(issues[0].column == 11);  // the second ':'
  CHECK_THAT(issues[0].message, Catch::StartsWith("YAML syntax error: "));

  const auto unclosed = issues_of("listeners: [1, 2\nservers: x\n");
  REQUIRE(unclosed.size() == 1);
  CHECK(unclosed[0].line == 2);
}

TEST_CASE("an unquoted password hash gets a hint to quote it", "[config][locations]") {
  const auto issues = issues_of("users:\n  - name: u\n    password_hash: *5BCB3E6AC345B435C7C2E6B7949A04CE6F6563D3\n");
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].line == 3);
  CHECK_THAT(issues[0].message, Catch::Contains("quote it"));
}

TEST_CASE("tabs in indentation get a hint", "[config][locations]") {
  const auto issues = issues_of("listeners:\n\t- port: 1\n");
  REQUIRE(issues.size() == 1);
  CHECK_THAT(issues[0].message, Catch::Contains("tabs"));
}

TEST_CASE("a duplicate key is rejected and names the first one", "[config][locations]") {
  const auto issues = issues_of(minimal + "workers: 1\nworkers: 2\n");
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].path == "workers");
  CHECK(issues[0].line == 9);
  CHECK(issues[0].message == "duplicate key (first given at line 8)");
}

TEST_CASE("every problem in a file is reported at once, in file order", "[config]") {
  const std::string yaml = "listeners:\n  - port: 0\n"   // 2
                           "servers:\n  - name: a\n    role: primary\n  - name: b\n    role: primary\n"
                           "users:\n  - name: u\n    password_hash: nope\n"  // 10
                           "log_level: loud\n"                                // 11
                           "colour: blue\n";                                  // 12
  const auto issues = issues_of(yaml);
  INFO(dump(issues));
  REQUIRE(issues.size() == 5);
  CHECK(issues[0].path == "listeners[0].port");
  CHECK(issues[1].path == "servers[1].role");
  CHECK(issues[2].path == "users[0].password_hash");
  CHECK(issues[3].path == "log_level");
  CHECK(issues[4].path == "colour");
}

TEST_CASE("what() lists every issue as file:line:col: key: message", "[config]") {
  const std::string yaml = "servers:\n  - name: db1\n  - name: db2\n    port: 70000\n"
                           "users:\n  - name: u\n    password: p\n";
  try {
    cfg::load_string(yaml, "causeway.yaml");
    FAIL("expected config::Error");
  } catch (const cfg::Error& e) {
    CHECK(e.source() == "causeway.yaml");
    CHECK(std::string(e.what()) ==
          "causeway.yaml:4:11: servers[1].port: must be between 1 and 65535\n"
          "causeway.yaml: listeners: at least one listener is required");
  }
}

TEST_CASE("an Error built without a source still formats each issue", "[config]") {
  const cfg::Error e({{"workers", 3, 10, "must be at most 256"}, {"", 0, 0, "whole file"}});
  CHECK(std::string(e.what()) == "3:10: workers: must be at most 256\nwhole file");
  CHECK(e.issues()[0].to_string() == "workers (3:10): must be at most 256");
  CHECK(e.issues()[1].to_string() == "whole file");
}

TEST_CASE("a missing config file is reported with its path", "[config]") {
  try {
    cfg::load_file("/nonexistent/causeway.yaml");
    FAIL("expected config::Error");
  } catch (const cfg::Error& e) {
    REQUIRE(e.issues().size() == 1);
    CHECK_THAT(e.issues()[0].message, Catch::Contains("/nonexistent/causeway.yaml") &&
                                          Catch::Contains("No such file or directory"));
    CHECK_THAT(std::string(e.what()), Catch::StartsWith("/nonexistent/causeway.yaml: "));
  }
  CHECK_THROWS_AS(cfg::load_file("/tmp"), cfg::Error);
}

TEST_CASE("an empty document asks for the required sections", "[config]") {
  const auto issues = issues_of("# nothing yet\n");
  REQUIRE(issues.size() == 3);
  CHECK(issues[0].path == "listeners");
  CHECK(issues[1].path == "servers");
  CHECK(issues[2].path == "users");
  CHECK(issues[0].line == 0);
}

TEST_CASE("a document that is not a map is one issue, not a cascade", "[config]") {
  const auto issues = issues_of("- a\n- b\n");
  REQUIRE(issues.size() == 1);
  CHECK_THAT(issues[0].message, Catch::Contains("must be a map"));
}

TEST_CASE("a list entry of the wrong shape does not cascade into rule errors", "[config]") {
  const auto issues = issues_of("listeners:\n  - port: 1\nservers:\n  - db1\nusers:\n  - name: u\n    password: p\n");
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].path == "servers[0]");
  CHECK(issues[0].message == "expected a map, got a single value");
}

TEST_CASE("the summary shows the topology but never a password or hash", "[config][summary]") {
  const cfg::Config c = cfg::load_string(
      "listeners:\n  - port: 16033\n"
      "servers:\n  - name: db1\n    port: 13306\n    role: primary\n  - name: db2\n    port: 13307\n"
      "users:\n  - name: app\n    password: topsecret\n"
      "  - name: ro\n    password_hash: \"*14E65567ABDB5135D0CFD9A70B3032C179A49EE7\"\n"
      "monitor:\n  user: mon\n  password: monpass\n"
      "replication:\n  user: repl\n  password: replpass\n"
      "status:\n  port: 16080\n");
  const std::string s = cfg::summary(c);
  INFO(s);
  CHECK_THAT(s, Catch::Contains("127.0.0.1:16033"));
  CHECK_THAT(s, Catch::Contains("db1") && Catch::Contains("127.0.0.1:13306") &&
                    Catch::Contains("role=primary"));
  CHECK_THAT(s, Catch::Contains("db2") && Catch::Contains("role=auto"));
  CHECK_THAT(s, Catch::Contains("app") && Catch::Contains("mysql_native_password"));
  CHECK_THAT(s, Catch::Contains("tls: off"));
  CHECK_THAT(s, Catch::Contains("max_packet_size=64MiB"));
  CHECK_THAT(s, Catch::Contains("handshake=10s") && Catch::Contains("client_idle=8h"));
  CHECK_THAT(s, Catch::Contains("status: 127.0.0.1:16080"));
  CHECK_THAT(s, Catch::Contains("monitor: user mon, every 250ms, timeout 700ms"));
  for (const char* secret : {"topsecret", "14E65567", "monpass", "replpass"})
    CHECK_THAT(s, !Catch::Contains(secret));
}

TEST_CASE("enum names print as they are written in the config", "[config]") {
  CHECK(std::string(cfg::to_string(cfg::ServerRole::Primary)) == "primary");
  CHECK(std::string(cfg::to_string(cfg::ServerRole::Replica)) == "replica");
  CHECK(std::string(cfg::to_string(cfg::ServerRole::Auto)) == "auto");
  CHECK(std::string(cfg::to_string(cfg::AuthPlugin::MysqlNativePassword)) == "mysql_native_password");
  CHECK(std::string(cfg::to_string(cfg::AuthPlugin::CachingSha2Password)) == "caching_sha2_password");
}

TEST_CASE("rules load in order with every match key and action", "[config][rules]") {
  const cfg::Config c = cfg::load_string(minimal + R"(rules:
  - name: no-drops
    class: [ddl, dcl]
    user: app
    reject: "DDL is not allowed through the proxy"
  - name: reports.to_replica
    user: [report, batch]
    schema: analytics
    client: [10.0.0.0/8, 127.0.0.1, "::1/128"]
    class: read
    match: '(?i)^\s*select'
    digest: 'from orders'
    route: replica
    consistency: eventual
  - name: pinned
    route: server:db1
  - name: strong
    consistency: read_your_writes
  - name: to-primary
    route: primary
)");
  REQUIRE(c.rules.size() == 5);
  const cfg::Rule& r0 = c.rules[0];
  CHECK(r0.name == "no-drops");
  CHECK(r0.classes == std::vector<cfg::StatementClass>{cfg::StatementClass::Ddl, cfg::StatementClass::Dcl});
  CHECK(r0.users == std::vector<std::string>{"app"});
  CHECK(r0.route == cfg::RuleRoute::None);
  CHECK(r0.reject == "DDL is not allowed through the proxy");
  const cfg::Rule& r1 = c.rules[1];
  CHECK(r1.users == std::vector<std::string>{"report", "batch"});
  CHECK(r1.schemas == std::vector<std::string>{"analytics"});
  CHECK(r1.clients == std::vector<std::string>{"10.0.0.0/8", "127.0.0.1", "::1/128"});
  CHECK(r1.classes == std::vector<cfg::StatementClass>{cfg::StatementClass::Read});
  CHECK(r1.match == R"((?i)^\s*select)");
  CHECK(r1.digest == "from orders");
  CHECK(r1.route == cfg::RuleRoute::Replica);
  CHECK(r1.consistency == cfg::Consistency::Eventual);
  CHECK_FALSE(r1.reject);
  CHECK(c.rules[2].route == cfg::RuleRoute::Server);
  CHECK(c.rules[2].server == "db1");
  CHECK(c.rules[3].route == cfg::RuleRoute::None);
  CHECK(c.rules[3].consistency == cfg::Consistency::ReadYourWrites);
  CHECK(c.rules[4].route == cfg::RuleRoute::Primary);
  CHECK(cfg::load_string(minimal).rules.empty());
}

TEST_CASE("each rule problem names its key path and reason", "[config][rules][validate]") {
  struct Row {
    const char* yaml;
    const char* path;
    const char* message;
  };
  const Row rows[] = {
      {"  - route: primary\n", "rules[0].name", "is required"},
      {"  - name: \"a b\"\n    route: primary\n", "rules[0].name", "may contain only letters"},
      {"  - name: a\n    route: primary\n  - name: a\n    route: replica\n", "rules[1].name",
       "duplicate rule name \"a\" (already used by rules[0] at line 9)"},
      {"  - name: a\n    class: raed\n    route: primary\n", "rules[0].class",
       "got \"raed\" (did you mean \"read\"?)"},
      {"  - name: a\n    class: [read, wrte]\n    route: primary\n", "rules[0].class[1]",
       "(did you mean \"write\"?)"},
      {"  - name: a\n    class: []\n    route: primary\n", "rules[0].class", "must not be an empty list"},
      {"  - name: a\n    match: \"(abc\"\n    route: primary\n", "rules[0].match",
       "invalid regular expression: missing ): (abc"},
      {"  - name: a\n    digest: \"a**\"\n    route: primary\n", "rules[0].digest",
       "invalid regular expression: bad repetition operator: **"},
      {"  - name: a\n    match: \"\"\n    route: primary\n", "rules[0].match", "must not be empty"},
      {"  - name: a\n    route: somewhere\n", "rules[0].route", "must be primary, replica or server:NAME"},
      {"  - name: a\n    route: replcia\n", "rules[0].route", "(did you mean \"replica\"?)"},
      {"  - name: a\n    route: \"server:\"\n", "rules[0].route", "the server name is missing"},
      {"  - name: a\n    route: server:db2\n", "rules[0].route",
       "unknown server \"db2\" (did you mean \"db1\"?)"},
      {"  - name: a\n    consistency: read-your-writes\n", "rules[0].consistency",
       "(did you mean \"read_your_writes\"?)"},
      {"  - name: a\n    route: primary\n    reject: no\n", "rules[0].reject", "cannot be combined with route"},
      {"  - name: a\n    consistency: strong\n    reject: no\n", "rules[0].reject",
       "cannot be combined with consistency"},
      {"  - name: a\n    reject: \"\"\n", "rules[0].reject", "must not be empty"},
      {"  - name: a\n    user: app\n", "rules[0]", "needs an action: route, consistency, wait or reject"},
      {"  - name: a\n    user: []\n    route: primary\n", "rules[0].user", "must not be an empty list"},
      {"  - name: a\n    schema: [shop, \"\"]\n    route: primary\n", "rules[0].schema[1]", "must not be empty"},
      {"  - name: a\n    user: {x: 1}\n    route: primary\n", "rules[0].user",
       "expected a string or a list of strings, got a map"},
      {"  - name: a\n    client: [10.0.0.0/8, 10.0.0.1/8]\n    route: primary\n", "rules[0].client[1]",
       "has address bits set past the /8 prefix"},
      {"  - name: a\n    client: 10.0.0.300\n    route: primary\n", "rules[0].client",
       "must be an IPv4 or IPv6 address or network"},
      {"  - name: a\n    client: \"::1/129\"\n    route: primary\n", "rules[0].client",
       "prefix length after '/' must be 0 to 128"},
  };
  for (const auto& row : rows) {
    const std::string yaml = minimal + "rules:\n" + row.yaml;
    CAPTURE(yaml);
    const auto issues = issues_of(yaml);
    INFO(dump(issues));
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].path == row.path);
    CHECK_THAT(issues[0].message, Catch::Contains(row.message));
  }
}

TEST_CASE("a misspelt rule key gets a suggestion", "[config][rules][locations]") {
  const auto issues = issues_of(minimal + "rules:\n  - name: a\n    rout: primary\n");
  INFO(dump(issues));
  const cfg::Issue* typo = find_issue(issues, "rules[0].rout");
  REQUIRE(typo != nullptr);
  CHECK(typo->to_string() == "rules[0].rout (10:5): unknown key \"rout\" (did you mean \"route\"?)");
  // Without its misspelt action the rule has none, which is said too.
  CHECK(find_issue(issues, "rules[0]") != nullptr);
}

TEST_CASE("a bad rule regex is reported at its line and column", "[config][rules][locations]") {
  const auto issues = issues_of(minimal + "rules:\n  - name: a\n    route: primary\n    match: 'x[y'\n");
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].to_string() == "rules[0].match (11:12): invalid regular expression: missing ]: [y");
}

TEST_CASE("permitted rule forms pass validation", "[config][rules][validate]") {
  const std::string accepted[] = {
      minimal + "rules:\n  - name: everything\n    consistency: strong\n",
      minimal + "rules:\n  - name: a\n    client: [0.0.0.0/0, \"::/0\", \"::ffff:10.0.0.0/104\", fe80::1]\n"
                "    route: replica\n",
      minimal + "rules:\n  - name: a\n    class: [empty, other, kill, admin, show, lock, call]\n    reject: nope\n",
      minimal + "rules:\n  - name: a\n    match: 'é|\\bFROM\\s+`?orders`?'\n    route: server:db1\n",
      minimal + "rules: []\n",
  };
  for (const auto& yaml : accepted) {
    CAPTURE(yaml);
    CHECK(dump(issues_of(yaml)).empty());
  }
}

TEST_CASE("the summary lists the rules in order", "[config][rules][summary]") {
  const cfg::Config c = cfg::load_string(minimal + R"(rules:
  - name: no_ddl
    class: [ddl]
    reject: "no DDL here"
  - name: reports
    user: [report, batch]
    client: 10.0.0.0/8
    match: '^SELECT'
    route: server:db1
    consistency: strong
  - name: all
    consistency: eventual
)");
  const std::string s = cfg::summary(c);
  INFO(s);
  CHECK_THAT(s, Catch::Contains("rules (3, first match wins):"));
  CHECK_THAT(s, Catch::Contains("no_ddl           class=ddl -> reject \"no DDL here\""));
  CHECK_THAT(s, Catch::Contains("reports          user=report,batch client=10.0.0.0/8 match=/^SELECT/ -> "
                                "route=server:db1 consistency=strong"));
  CHECK_THAT(s, Catch::Contains("all              every statement -> consistency=eventual"));
  CHECK_THAT(cfg::summary(cfg::load_string(minimal)), Catch::Contains("rules: none"));
}

TEST_CASE("rule enum names print as they are written in the config", "[config][rules]") {
  CHECK(std::string(cfg::to_string(cfg::StatementClass::Transaction)) == "transaction");
  CHECK(std::string(cfg::to_string(cfg::StatementClass::Deallocate)) == "deallocate");
  CHECK(std::string(cfg::to_string(cfg::Consistency::ReadYourWrites)) == "read_your_writes");
  CHECK(std::string(cfg::to_string(cfg::Consistency::Strong)) == "strong");
}

TEST_CASE("consistency settings load per default, level, user and rule", "[config][consistency]") {
  const cfg::Config c = cfg::load_string(minimal + R"(replication:
  user: repl
  password: r
  heartbeat: 250ms
  poll_interval: 50ms
  server_id: 4242
consistency:
  default: monotonic
  scope: session
  max_replica_lag: 2s
  on_timeout: error
  wait:
    read_your_writes: 100ms
    strong: 3s
rules:
  - name: reports
    match: "^SELECT .* FROM report"
    consistency: eventual
    wait: 20ms
)");
  CHECK(c.consistency.level == cfg::Consistency::Monotonic);
  CHECK(c.consistency.scope == cfg::ConsistencyScope::Session);
  CHECK(c.consistency.max_replica_lag == 2s);
  CHECK(c.consistency.on_timeout == cfg::Fallback::Error);
  CHECK(c.consistency.wait_read_your_writes == 100ms);
  CHECK(c.consistency.wait_monotonic == 500ms);  // default kept
  CHECK(c.consistency.wait_strong == 3s);
  REQUIRE(c.rules.size() == 1);
  CHECK(c.rules[0].consistency == cfg::Consistency::Eventual);
  CHECK(c.rules[0].wait == 20ms);
  CHECK(c.replication->heartbeat == 250ms);
  CHECK(c.replication->poll_interval == 50ms);
  CHECK(c.replication->server_id == 4242);

  const cfg::Config d = cfg::load_string(minimal);
  CHECK(d.consistency.level == cfg::Consistency::ReadYourWrites);
  CHECK(d.consistency.max_replica_lag == 0ms);
  CHECK(d.consistency.on_timeout == cfg::Fallback::Primary);
  CHECK(d.consistency.scope == cfg::ConsistencyScope::Global);
}

TEST_CASE("a user's consistency level loads and a bad one is located", "[config][consistency]") {
  const std::string users = R"(listeners:
  - port: 16033
servers:
  - name: p
    port: 3306
users:
  - name: app
    password: app
    consistency: strong
  - name: other
    password: x
    consistency: strongest
)";
  try {
    cfg::load_string(users);
    FAIL("expected an error");
  } catch (const cfg::Error& e) {
    REQUIRE(e.issues().size() == 1);
    CHECK(e.issues()[0].path == "users[1].consistency");
    CHECK(e.issues()[0].line == 12);
    CHECK_THAT(e.issues()[0].message, Catch::Contains("strong"));
  }
  const cfg::Config c = cfg::load_string(users.substr(0, users.find("  - name: other")));
  CHECK(c.users[0].consistency == cfg::Consistency::Strong);
}

TEST_CASE("consistency and replication values out of range are rejected", "[config][consistency][validate]") {
  const auto issue_of = [](const std::string& yaml) {
    try {
      cfg::load_string(minimal + yaml);
    } catch (const cfg::Error& e) {
      return e.issues().front().path + ": " + e.issues().front().message;
    }
    return std::string("no error");
  };
  CHECK(issue_of("replication:\n  user: r\n  password: r\n  heartbeat: 5ms\n") ==
        "replication.heartbeat: must be between 10ms and 60s");
  CHECK(issue_of("replication:\n  user: r\n  password: r\n  poll_interval: 0\n") ==
        "replication.poll_interval: must be at least 10ms");
  CHECK(issue_of("consistency:\n  wait:\n    strong: 2h\n") == "consistency.wait.strong: must be at most 1h");
  CHECK_THAT(issue_of("consistency:\n  default: sometimes\n"), Catch::Contains("consistency.default"));
  CHECK_THAT(issue_of("consistency:\n  wait:\n    eventual: 1s\n"), Catch::Contains("consistency.wait.eventual"));
  CHECK(issue_of("rules:\n  - name: r\n    reject: no\n    wait: 1s\n") ==
        "rules[0].reject: cannot be combined with wait: a rejected statement reads nothing");
}

TEST_CASE("the status admin token loads, is validated, and never shows in the summary", "[config][status]") {
  const std::string token = "s3cret-token-0123456789";
  const cfg::Config c = cfg::load_string(minimal + "status:\n  port: 16080\n  admin_token: " + token + "\n");
  REQUIRE(c.status.admin_token);
  CHECK(*c.status.admin_token == token);
  const std::string s = cfg::summary(c);
  CHECK_THAT(s, Catch::Contains("status: 127.0.0.1:16080, admin token: set"));
  CHECK_THAT(s, !Catch::Contains(token));
  CHECK_FALSE(cfg::load_string(minimal).status.admin_token);
  CHECK_THAT(cfg::summary(cfg::load_string(minimal + "status:\n  port: 1\n")), Catch::Contains("admin token: not set"));

  for (const char* bad : {"\"\"", "short", "\"has a space in it 0123\"", "\"tab\\there-0123456789\""}) {
    INFO(bad);
    const auto issues = issues_of(minimal + "status:\n  port: 16080\n  admin_token: " + bad + "\n");
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].path == "status.admin_token");
    CHECK(issues[0].line == 10);
  }
}

TEST_CASE("CAUSEWAY_ADMIN_TOKEN overrides status.admin_token when loading a file", "[config][status]") {
  TempDir dir;
  const std::string file = dir.write("c.yaml", minimal + "status:\n  port: 16080\n  admin_token: from-the-file-0123456789\n");
  struct EnvGuard {
    ~EnvGuard() { ::unsetenv("CAUSEWAY_ADMIN_TOKEN"); }
  } guard;
  ::unsetenv("CAUSEWAY_ADMIN_TOKEN");
  CHECK(*cfg::load_file(file).status.admin_token == "from-the-file-0123456789");
  ::setenv("CAUSEWAY_ADMIN_TOKEN", "from-the-environment-0123", 1);
  CHECK(*cfg::load_file(file).status.admin_token == "from-the-environment-0123");
  // load_string is the file's text alone: no environment.
  CHECK(*cfg::load_string(minimal + "status:\n  admin_token: from-the-file-0123456789\n").status.admin_token ==
        "from-the-file-0123456789");
  ::setenv("CAUSEWAY_ADMIN_TOKEN", "bad token", 1);
  try {
    cfg::load_file(file);
    FAIL("expected config::Error");
  } catch (const cfg::Error& e) {
    REQUIRE(e.issues().size() == 1);
    CHECK(e.issues()[0].path == "CAUSEWAY_ADMIN_TOKEN");
  }
  ::setenv("CAUSEWAY_ADMIN_TOKEN", "", 1);  // empty: as if unset
  CHECK(*cfg::load_file(file).status.admin_token == "from-the-file-0123456789");
}

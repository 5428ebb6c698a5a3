// itest_monitor: the health monitor against a real sandbox (deploy/sandbox.sh, one
// primary and two replicas). Each case breaks something for real, waits for the
// published snapshot that shows it (an event with a deadline, never a sleep), repairs it
// and waits for the snapshot that shows the server back.
//
// Environment (tests/integration/run.sh exports it): CW_PRIMARY_PORT, CW_REPLICA_PORTS
// (space separated), CW_MONITOR_USER/CW_MONITOR_PASSWORD, CW_ROOT_USER/CW_ROOT_PASSWORD,
// CW_SANDBOX_DIR (for the kill/restart case), CW_HOST (default 127.0.0.1).
// Run the cases in declaration order: the last one kills and restarts a server.
#include <mysql.h>
#include <signal.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "replication/monitor.hpp"

namespace repl = causeway::replication;
using causeway::routing::ServerState;
using causeway::routing::Topology;
using causeway::routing::TopologyPtr;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

struct Env {
  std::string host = env_or("CW_HOST", "127.0.0.1");
  std::string primary_port = env_or("CW_PRIMARY_PORT", "");
  std::vector<std::uint16_t> replica_ports;
  std::string monitor_user = env_or("CW_MONITOR_USER", "monitor");
  std::string monitor_password = env_or("CW_MONITOR_PASSWORD", "monitor");
  std::string root_user = env_or("CW_ROOT_USER", "root");
  std::string root_password = env_or("CW_ROOT_PASSWORD", "root");
  std::string sandbox_dir = env_or("CW_SANDBOX_DIR", "");

  Env() {
    std::istringstream ports(env_or("CW_REPLICA_PORTS", ""));
    unsigned p = 0;
    while (ports >> p) replica_ports.push_back(static_cast<std::uint16_t>(p));
  }
  std::uint16_t port(std::size_t index) const {  // 0: primary, 1..: replicas
    return index == 0 ? static_cast<std::uint16_t>(std::stoul(primary_port)) : replica_ports.at(index - 1);
  }
};

const Env& env() {
  static const Env e;
  return e;
}

void require_sandbox() {
  if (env().primary_port.empty() || env().replica_ports.size() < 2)
    FAIL("needs CW_PRIMARY_PORT and two CW_REPLICA_PORTS (run it through tests/integration/run.sh)");
}

// A root connection to one server, for breaking and repairing things.
class Root {
 public:
  explicit Root(std::size_t index) : m_(mysql_init(nullptr)) {
    const unsigned timeout = 10;
    mysql_options(m_, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    if (!mysql_real_connect(m_, env().host.c_str(), env().root_user.c_str(), env().root_password.c_str(),
                            nullptr, env().port(index), nullptr, 0))
      FAIL("root connect to port " << env().port(index) << ": " << mysql_error(m_));
  }
  ~Root() { mysql_close(m_); }
  Root(const Root&) = delete;
  Root& operator=(const Root&) = delete;

  void exec(const std::string& sql) {
    INFO(sql);
    if (mysql_real_query(m_, sql.data(), sql.size()) != 0) FAIL(sql << ": " << mysql_error(m_));
    if (MYSQL_RES* r = mysql_store_result(m_)) mysql_free_result(r);
  }
  std::string scalar(const std::string& sql) {
    INFO(sql);
    if (mysql_real_query(m_, sql.data(), sql.size()) != 0) FAIL(sql << ": " << mysql_error(m_));
    MYSQL_RES* r = mysql_store_result(m_);
    REQUIRE(r);
    MYSQL_ROW row = mysql_fetch_row(r);
    std::string out = row && row[0] ? row[0] : "";
    mysql_free_result(r);
    return out;
  }

 private:
  MYSQL* m_;
};

// Every replica has applied everything the primary has (MASTER_GTID_WAIT blocks until it
// has, on the server side).
void sync_replicas() {
  const std::string pos = Root(0).scalar("SELECT @@gtid_binlog_pos");
  for (std::size_t i = 1; i <= env().replica_ports.size(); ++i)
    REQUIRE(Root(i).scalar("SELECT MASTER_GTID_WAIT('" + pos + "', 60)") == "0");
}

// Records every published snapshot; waits for one, published after a mark, that matches.
class Snapshots {
 public:
  repl::Monitor::Publish callback() {
    return [this](TopologyPtr t) {
      std::lock_guard lock(mutex_);
      all_.push_back(std::move(t));
      cv_.notify_all();
    };
  }
  std::size_t mark() {
    std::lock_guard lock(mutex_);
    return all_.size();
  }
  TopologyPtr wait(std::size_t from, const std::function<bool(const Topology&)>& pred,
                   std::chrono::seconds deadline = 10s) {
    std::unique_lock lock(mutex_);
    TopologyPtr found;
    cv_.wait_for(lock, deadline, [&] {
      for (std::size_t i = from; i < all_.size(); ++i)
        if (pred(*all_[i])) return (found = all_[i]), true;
      return false;
    });
    return found;
  }
  TopologyPtr latest() {
    std::lock_guard lock(mutex_);
    return all_.empty() ? nullptr : all_.back();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<TopologyPtr> all_;
};

std::string dump(const TopologyPtr& t) {
  if (!t) return "no snapshot published";
  std::string out = "generation " + std::to_string(t->generation) + ", writer " +
                    (t->writer ? t->servers[*t->writer].name : std::string("none")) + "\n";
  for (const auto& s : t->servers) out += "  " + s.name + ": " + repl::describe(s) + "\n";
  return out;
}

// Repairs the sandbox if a case fails halfway, so later suites find it healthy.
class Undo {
 public:
  explicit Undo(std::function<void()> f) : f_(std::move(f)) {}
  ~Undo() {
    if (!f_) return;
    try {
      f_();
    } catch (...) {  // already failing; the original failure is the one to report
    }
  }
  Undo(const Undo&) = delete;
  Undo& operator=(const Undo&) = delete;
  void dismiss() { f_ = nullptr; }

 private:
  std::function<void()> f_;
};

bool all_healthy(const Topology& t) {
  if (t.writer != std::optional<std::size_t>(0)) return false;
  for (std::size_t i = 1; i < t.servers.size(); ++i)
    if (!t.servers[i].can_serve_reads()) return false;
  return true;
}

// A monitor over the sandbox, every server role auto (the writer comes from read_only).
struct Fixture {
  Snapshots snapshots;
  repl::Monitor monitor;

  Fixture() : monitor(specs(), {env().monitor_user, env().monitor_password, 250ms, 1000ms}, snapshots.callback()) {
    monitor.start();
    const auto t = snapshots.wait(0, all_healthy, 30s);
    INFO(dump(snapshots.latest()));
    REQUIRE(t);
  }
  static std::vector<repl::ServerSpec> specs() {
    std::vector<repl::ServerSpec> out;
    for (std::size_t i = 0; i <= env().replica_ports.size(); ++i)
      out.push_back({i == 0 ? "primary" : "replica" + std::to_string(i), env().host, env().port(i),
                     causeway::routing::ConfiguredRole::Auto, 1});
    return out;
  }
  // Waits for the state after `action`; prints how long it took (information, not a check).
  TopologyPtr await(const char* what, std::size_t from, const std::function<bool(const Topology&)>& pred,
                    Clock::time_point since, std::chrono::seconds deadline = 10s) {
    const auto t = snapshots.wait(from, pred, deadline);
    INFO(what << "; latest: " << dump(snapshots.latest()));
    REQUIRE(t);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
    std::printf("  %s: after %lld ms (generation %llu)\n", what, static_cast<long long>(ms),
                static_cast<unsigned long long>(t->generation));
    return t;
  }
};

}  // namespace

TEST_CASE("the first snapshots show the primary as writer and both replicas serving reads",
          "[monitor]") {
  require_sandbox();
  Fixture f;
  const auto t = f.snapshots.latest();
  INFO(dump(t));
  REQUIRE(t->servers.size() == 3);
  CHECK(t->writer == std::optional<std::size_t>(0));
  const ServerState& p = t->servers[0];
  CHECK(p.reachable);
  CHECK_FALSE(p.read_only);
  CHECK_FALSE(p.is_replica);
  CHECK_THAT(p.version, Catch::Contains("MariaDB"));
  for (std::size_t i = 1; i <= 2; ++i) {
    const ServerState& r = t->servers[i];
    CHECK(r.read_only);
    CHECK(r.is_replica);
    CHECK(r.io_running);
    CHECK(r.sql_running);
    CHECK(r.seconds_behind >= 0);
    CHECK(r.last_error.empty());
    CHECK(r.source == env().host + ":" + env().primary_port);
    CHECK(r.can_serve_reads());
  }
  CHECK(f.monitor.current()->generation == t->generation);
}

TEST_CASE("a stopped SQL thread takes the replica out of rotation until it runs again",
          "[monitor]") {
  require_sandbox();
  Fixture f;
  auto mark = f.snapshots.mark();
  auto since = Clock::now();
  Root(1).exec("STOP SLAVE SQL_THREAD");
  Undo undo([] { Root(1).exec("START SLAVE SQL_THREAD"); });
  auto t = f.await("replica1 out after STOP SLAVE SQL_THREAD", mark,
                   [](const Topology& t) { return !t.servers[1].sql_running; }, since);
  CHECK(t->servers[1].reachable);
  CHECK(t->servers[1].io_running);
  CHECK(t->servers[1].last_error.empty());  // stopped on purpose: no error
  CHECK_FALSE(t->servers[1].can_serve_reads());
  CHECK(t->servers[2].can_serve_reads());  // the other replica is untouched
  CHECK(t->writer == std::optional<std::size_t>(0));

  mark = f.snapshots.mark();
  since = Clock::now();
  undo.dismiss();
  Root(1).exec("START SLAVE SQL_THREAD");
  f.await("replica1 back after START SLAVE SQL_THREAD", mark, all_healthy, since);
}

TEST_CASE("a replication error takes the replica out with the server's error text",
          "[monitor]") {
  require_sandbox();
  Fixture f;
  {
    Root primary(0);
    primary.exec("DROP TABLE IF EXISTS demo.mon_conflict");
    primary.exec("CREATE TABLE demo.mon_conflict (id INT PRIMARY KEY)");
  }
  sync_replicas();
  {
    // The row exists on replica2 only (not binlogged there), so the primary's insert of the
    // same row stops replica2's SQL thread with a duplicate-key error.
    Root r2(2);
    r2.exec("SET SESSION sql_log_bin = 0");
    r2.exec("INSERT INTO demo.mon_conflict VALUES (1)");
  }
  auto repair = [] {
    Root r2(2);
    r2.exec("SET SESSION sql_log_bin = 0");
    r2.exec("DELETE FROM demo.mon_conflict WHERE id = 1");
    r2.exec("START SLAVE");
  };
  Undo undo([&] {
    repair();
    Root(0).exec("DROP TABLE IF EXISTS demo.mon_conflict");
  });
  auto mark = f.snapshots.mark();
  auto since = Clock::now();
  Root(0).exec("INSERT INTO demo.mon_conflict VALUES (1)");
  auto t = f.await("replica2 out after a duplicate-key error", mark,
                   [](const Topology& t) { return !t.servers[2].last_error.empty(); }, since);
  CHECK(t->servers[2].reachable);
  CHECK_FALSE(t->servers[2].sql_running);
  CHECK_THAT(t->servers[2].last_error, Catch::Contains("Last_SQL_Error") && Catch::Contains("Duplicate entry"));
  CHECK_FALSE(t->servers[2].can_serve_reads());
  CHECK(t->servers[1].can_serve_reads());

  // Repair: remove the replica's own row (again unbinlogged) and restart the SQL thread,
  // which retries the primary's insert; then the table goes away everywhere.
  mark = f.snapshots.mark();
  since = Clock::now();
  undo.dismiss();
  repair();
  f.await("replica2 back after the conflict was removed", mark, all_healthy, since);
  Root(0).exec("DROP TABLE demo.mon_conflict");
  sync_replicas();
}

TEST_CASE("read_only decides the writer when roles are auto", "[monitor]") {
  require_sandbox();
  Fixture f;
  auto mark = f.snapshots.mark();
  auto since = Clock::now();
  Root(0).exec("SET GLOBAL read_only = ON");
  Undo undo([] { Root(0).exec("SET GLOBAL read_only = OFF"); });
  auto t = f.await("no writer once the primary is read_only", mark,
                   [](const Topology& t) { return !t.writer; }, since);
  CHECK(t->servers[0].reachable);
  CHECK(t->servers[0].read_only);

  mark = f.snapshots.mark();
  since = Clock::now();
  undo.dismiss();
  Root(0).exec("SET GLOBAL read_only = OFF");
  f.await("primary is the writer again", mark, all_healthy, since);
}

TEST_CASE("an account without SLAVE MONITOR gets every server out, saying why", "[monitor]") {
  require_sandbox();
  Root(0).exec("CREATE OR REPLACE USER 'cw_noprivs'@'%' IDENTIFIED BY 'cw_noprivs'");
  Undo undo([] { Root(0).exec("DROP USER IF EXISTS 'cw_noprivs'@'%'"); });
  sync_replicas();
  {
    Snapshots snapshots;
    repl::Monitor monitor(Fixture::specs(), {"cw_noprivs", "cw_noprivs", 250ms, 1000ms},
                          snapshots.callback());
    monitor.start();
    const auto t = snapshots.wait(0, [](const Topology& t) {
      return std::all_of(t.servers.begin(), t.servers.end(), [](const auto& s) { return s.checked; });
    });
    INFO(dump(snapshots.latest()));
    REQUIRE(t);
    for (const auto& s : t->servers) {
      CHECK_FALSE(s.reachable);
      CHECK_THAT(s.last_error, Catch::Contains("SHOW SLAVE STATUS") && Catch::Contains("SLAVE MONITOR"));
    }
    CHECK_FALSE(t->writer);
  }
  undo.dismiss();
  Root(0).exec("DROP USER 'cw_noprivs'@'%'");
  sync_replicas();
}

// The pid of the sandbox's mariadbd for one server directory, checked against its command
// line so that nothing else is ever signalled.
pid_t sandbox_pid(const std::string& server) {
  if (env().sandbox_dir.empty()) FAIL("needs CW_SANDBOX_DIR to find the server's pid");
  const std::string server_dir = env().sandbox_dir + "/" + server;
  std::string pid_text;
  std::ifstream(server_dir + "/mariadbd.pid") >> pid_text;
  REQUIRE_FALSE(pid_text.empty());
  std::ifstream cmdline_file("/proc/" + pid_text + "/cmdline");
  const std::string cmdline((std::istreambuf_iterator<char>(cmdline_file)), std::istreambuf_iterator<char>());
  INFO("pid " << pid_text << " cmdline " << cmdline);
  REQUIRE(cmdline.find("--defaults-file=" + server_dir + "/my.cnf") != std::string::npos);
  return static_cast<pid_t>(std::stol(pid_text));
}

TEST_CASE("a hung replica leaves rotation after the timeout and returns when it answers",
          "[monitor][hang]") {
  require_sandbox();
  Fixture f;
  const pid_t pid = sandbox_pid("replica2");
  auto mark = f.snapshots.mark();
  auto since = Clock::now();
  REQUIRE(::kill(pid, SIGSTOP) == 0);
  Undo undo([pid] { ::kill(pid, SIGCONT); });
  auto t = f.await("replica2 out while stopped (SIGSTOP)", mark,
                   [](const Topology& t) { return !t.servers[2].reachable; }, since);
  // Either the monitor's watchdog or the client library's own read timeout (1 s here,
  // the same moment) ends the check; both are errors, both take the server out.
  INFO(t->servers[2].last_error);
  CHECK((t->servers[2].last_error.find("no answer within 1000 ms") != std::string::npos ||
         t->servers[2].last_error.find("Lost connection") != std::string::npos));
  CHECK(t->servers[1].can_serve_reads());  // its neighbours are checked as before

  mark = f.snapshots.mark();
  since = Clock::now();
  undo.dismiss();
  REQUIRE(::kill(pid, SIGCONT) == 0);
  f.await("replica2 back after SIGCONT", mark, all_healthy, since);
}

TEST_CASE("a killed replica leaves rotation and returns once restarted", "[monitor][kill]") {
  require_sandbox();
  Fixture f;
  const pid_t pid = sandbox_pid("replica1");
  auto mark = f.snapshots.mark();
  auto since = Clock::now();
  REQUIRE(::kill(pid, SIGKILL) == 0);
  auto t = f.await("replica1 unreachable after SIGKILL", mark,
                   [](const Topology& t) { return !t.servers[1].reachable; }, since);
  CHECK_FALSE(t->servers[1].last_error.empty());
  CHECK_FALSE(t->servers[1].can_serve_reads());
  CHECK(t->servers[2].can_serve_reads());
  CHECK(t->writer == std::optional<std::size_t>(0));

  // `up` on an existing sandbox starts only what is stopped and waits for it to sync.
  mark = f.snapshots.mark();
  since = Clock::now();
  const std::string up = "'" CAUSEWAY_SOURCE_DIR "/deploy/sandbox.sh' up --dir '" + env().sandbox_dir + "' >&2";
  REQUIRE(std::system(up.c_str()) == 0);
  f.await("replica1 back after restart", mark, all_healthy, since, 60s);
}

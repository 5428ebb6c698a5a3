// replication/server_check: reading a server's answers and deciding its state, from rows
// captured on real MariaDB replicas (captured_status.hpp).
#include <catch2/catch.hpp>

#include <algorithm>

#include "replication/server_check.hpp"
#include "tests/unit/replication/captured_status.hpp"

namespace repl = causeway::replication;
namespace td = causeway::replication::testdata;
using causeway::routing::ConfiguredRole;
using causeway::routing::ServerState;

namespace {

struct Table {
  std::vector<std::string> columns;
  repl::Row values;
};

Table table(const std::vector<td::Field>& fields) {
  Table t;
  for (const auto& f : fields) {
    t.columns.emplace_back(f.name);
    t.values.push_back(f.value ? std::optional<std::string>(f.value) : std::nullopt);
  }
  return t;
}

// The captured row with some values replaced.
Table with(const std::vector<td::Field>& fields, const std::vector<td::Field>& overrides) {
  Table t = table(fields);
  for (const auto& o : overrides) {
    auto it = std::find(t.columns.begin(), t.columns.end(), o.name);
    REQUIRE(it != t.columns.end());
    t.values[static_cast<std::size_t>(it - t.columns.begin())] =
        o.value ? std::optional<std::string>(o.value) : std::nullopt;
  }
  return t;
}

repl::ReplicaStatus parse(const Table& t) {
  std::string error;
  auto r = repl::parse_replica_status(t.columns, t.values, error);
  INFO(error);
  REQUIRE(r);
  return *r;
}

ServerState server(const char* name, ConfiguredRole role = ConfiguredRole::Auto) {
  ServerState s;
  s.name = name;
  s.configured_role = role;
  return s;
}

repl::CheckResult ok_check(bool read_only, std::optional<repl::ReplicaStatus> replica = std::nullopt) {
  repl::CheckResult r;
  r.ok = true;
  r.variables = {"10.11.19-MariaDB-0+deb12u1-log", read_only, 25301};
  r.replica = std::move(replica);
  return r;
}

repl::CheckResult failed_check(std::string error) {
  repl::CheckResult r;
  r.error = std::move(error);
  return r;
}

// A server in a given condition, built through apply_check like the monitor does.
ServerState primary_up(const char* name, ConfiguredRole role = ConfiguredRole::Auto) {
  return repl::apply_check(server(name, role), ok_check(false));
}
ServerState replica_up(const char* name, ConfiguredRole role = ConfiguredRole::Auto) {
  return repl::apply_check(server(name, role), ok_check(true, parse(table(td::mariadb_healthy))));
}
ServerState down(const char* name, ConfiguredRole role = ConfiguredRole::Auto) {
  return repl::apply_check(server(name, role), failed_check("connect: refused"));
}

}  // namespace

TEST_CASE("a healthy MariaDB replica's status reads as both threads running, no lag",
          "[replication][status]") {
  const auto r = parse(table(td::mariadb_healthy));
  CHECK(r.io_running);
  CHECK(r.sql_running);
  CHECK(r.io_state == "Yes");
  CHECK(r.seconds_behind == 0);
  CHECK(r.last_io_error.empty());
  CHECK(r.last_sql_error.empty());
  CHECK(r.source_host == "127.0.0.1");
  CHECK(r.source_port == 25300);
}

TEST_CASE("STOP SLAVE SQL_THREAD reads as SQL not running and lag unknown",
          "[replication][status]") {
  const auto r = parse(table(td::mariadb_sql_stopped));
  CHECK(r.io_running);
  CHECK_FALSE(r.sql_running);
  CHECK(r.seconds_behind == -1);  // Seconds_Behind_Master is NULL, not 0
  CHECK(r.last_sql_error.empty());
}

TEST_CASE("a replication error stops the SQL thread and carries Last_SQL_Error",
          "[replication][status]") {
  const auto r = parse(table(td::mariadb_sql_error));
  CHECK(r.io_running);
  CHECK_FALSE(r.sql_running);
  CHECK_THAT(r.last_sql_error, Catch::Contains("Duplicate entry '1' for key 'PRIMARY'"));
  CHECK(r.last_io_error.empty());
}

TEST_CASE("an IO thread that keeps reconnecting is not running", "[replication][status]") {
  const auto r = parse(table(td::mariadb_io_error));
  CHECK_FALSE(r.io_running);  // "Connecting" is not "Yes"
  CHECK(r.io_state == "Connecting");
  CHECK(r.sql_running);
  CHECK(r.seconds_behind == -1);
  CHECK_THAT(r.last_io_error, Catch::Contains("Connection refused"));
  CHECK(r.source_port == 25399);
}

TEST_CASE("MySQL 8.0 SHOW REPLICA STATUS is read through its Replica_/Source_ names",
          "[replication][status]") {
  const auto r = parse(table(td::mysql80_healthy));
  CHECK(r.io_running);
  CHECK(r.sql_running);
  CHECK(r.seconds_behind == 7);
  CHECK(r.source_host == "10.0.0.1");
  CHECK(r.source_port == 3306);
}

TEST_CASE("columns are found by name whatever their order", "[replication][status]") {
  Table t = table(td::mariadb_sql_error);
  std::reverse(t.columns.begin(), t.columns.end());
  std::reverse(t.values.begin(), t.values.end());
  const auto r = parse(t);
  CHECK_FALSE(r.sql_running);
  CHECK_THAT(r.last_sql_error, Catch::Contains("Duplicate entry"));
  CHECK(r.source_port == 25300);
}

TEST_CASE("a status without the thread columns, or misaligned, is an error",
          "[replication][status]") {
  std::string error;
  Table t = table(td::mariadb_healthy);
  auto it = std::find(t.columns.begin(), t.columns.end(), "Slave_IO_Running");
  *it = "Something_Else";
  CHECK_FALSE(repl::parse_replica_status(t.columns, t.values, error));
  CHECK_THAT(error, Catch::Contains("Slave_IO_Running/Replica_IO_Running"));

  t = table(td::mariadb_healthy);
  t.values.pop_back();
  CHECK_FALSE(repl::parse_replica_status(t.columns, t.values, error));
  CHECK_THAT(error, Catch::Contains("54 columns but 53 values"));
}

TEST_CASE("an unparsable lag is unknown, not zero", "[replication][status]") {
  CHECK(parse(with(td::mariadb_healthy, {{"Seconds_Behind_Master", "soon"}})).seconds_behind == -1);
  CHECK(parse(with(td::mariadb_healthy, {{"Seconds_Behind_Master", "-3"}})).seconds_behind == -1);
  CHECK(parse(with(td::mariadb_healthy, {{"Seconds_Behind_Master", "12"}})).seconds_behind == 12);
}

TEST_CASE("several channels: the replica is as healthy as its worst channel",
          "[replication][status]") {
  const auto healthy = parse(table(td::mysql80_healthy));  // lag 7
  auto lagging = healthy;
  lagging.seconds_behind = 30;
  const auto broken = parse(table(td::mariadb_sql_error));

  auto both = repl::combine({healthy, lagging});
  CHECK(both.sql_running);
  CHECK(both.seconds_behind == 30);

  both = repl::combine({healthy, broken});
  CHECK_FALSE(both.sql_running);
  CHECK(both.seconds_behind == -1);
  CHECK_THAT(both.last_sql_error, Catch::Contains("Duplicate entry"));

  const auto io = repl::combine({healthy, parse(table(td::mariadb_io_error))});
  CHECK_FALSE(io.io_running);
  CHECK(io.io_state == "Connecting");
}

TEST_CASE("the flavour decides the queries", "[replication][flavour]") {
  const auto mariadb = repl::detect_flavour("10.11.19-MariaDB-0+deb12u1-log", 101119);
  CHECK(mariadb.flavour == repl::Flavour::Mariadb);
  CHECK(repl::variables_query(mariadb) == "SELECT @@version, @@read_only, @@server_id");
  CHECK(repl::replica_status_query(mariadb) == "SHOW SLAVE STATUS");

  const auto mysql8 = repl::detect_flavour("8.0.36", 80036);
  CHECK(mysql8.flavour == repl::Flavour::Mysql);
  CHECK(repl::variables_query(mysql8) ==
        "SELECT @@version, @@read_only, @@server_id, @@super_read_only");
  CHECK(repl::replica_status_query(mysql8) == "SHOW REPLICA STATUS");
  CHECK(repl::replica_status_query(mysql8, true) == "SHOW SLAVE STATUS");

  CHECK(repl::replica_status_query(repl::detect_flavour("8.0.21", 80021)) == "SHOW SLAVE STATUS");
  const auto mysql56 = repl::detect_flavour("5.6.51-log", 50651);
  CHECK(repl::variables_query(mysql56) == "SELECT @@version, @@read_only, @@server_id");
  CHECK(repl::detect_flavour("5.7.44-48-log", 50744).flavour == repl::Flavour::Mysql);  // Percona
}

TEST_CASE("variables: read_only, and super_read_only on MySQL", "[replication][flavour]") {
  const auto mariadb = repl::detect_flavour("10.11.19-MariaDB-log", 101119);
  const auto mysql8 = repl::detect_flavour("8.0.36", 80036);
  std::string error;

  auto v = repl::parse_variables({"10.11.19-MariaDB-log", "1", "25301"}, mariadb, error);
  REQUIRE(v);
  CHECK(v->read_only);
  CHECK(v->server_id == 25301);
  CHECK(v->version == "10.11.19-MariaDB-log");

  v = repl::parse_variables({"10.11.19-MariaDB-log", "0", "25300"}, mariadb, error);
  REQUIRE(v);
  CHECK_FALSE(v->read_only);

  v = repl::parse_variables({"8.0.36", "0", "1", "1"}, mysql8, error);  // super_read_only alone
  REQUIRE(v);
  CHECK(v->read_only);
  v = repl::parse_variables({"8.0.36", "0", "1", "0"}, mysql8, error);
  REQUIRE(v);
  CHECK_FALSE(v->read_only);

  CHECK_FALSE(repl::parse_variables({"8.0.36", "0", "1"}, mysql8, error));
  CHECK_THAT(error, Catch::Contains("expected 4 values"));
  CHECK_FALSE(repl::parse_variables({"10.11", std::nullopt, "1"}, mariadb, error));
  CHECK_THAT(error, Catch::Contains("@@read_only"));
  CHECK_FALSE(repl::parse_variables({"10.11", "1", "x"}, mariadb, error));
  CHECK_THAT(error, Catch::Contains("@@server_id"));
}

TEST_CASE("a failed check takes the server out at once, with the error",
          "[replication][apply]") {
  ServerState s = replica_up("replica1");
  s.weight = 3;
  s.drained = true;
  REQUIRE(s.reachable);
  const ServerState after = repl::apply_check(s, failed_check("connect to 127.0.0.1:3307: refused"));
  CHECK(after.checked);
  CHECK_FALSE(after.reachable);
  CHECK_FALSE(after.can_serve_reads());
  CHECK_FALSE(after.is_writer());
  CHECK(after.last_error == "connect to 127.0.0.1:3307: refused");
  // Identity and operator state survive; last known version and source stay for operators.
  CHECK(after.name == "replica1");
  CHECK(after.weight == 3);
  CHECK(after.drained);
  CHECK(after.version == "10.11.19-MariaDB-0+deb12u1-log");
  CHECK(after.source == "127.0.0.1:25300");
  CHECK(after.seconds_behind == -1);
}

TEST_CASE("one good check brings a server back", "[replication][apply]") {
  const ServerState back = repl::apply_check(down("replica1"), ok_check(true, parse(table(td::mariadb_healthy))));
  CHECK(back.reachable);
  CHECK(back.last_error.empty());
  CHECK(back.can_serve_reads());
}

TEST_CASE("replica states decide whether it serves reads", "[replication][apply]") {
  struct Row {
    const char* what;
    std::vector<td::Field> status;
    bool serves;
    const char* error;  // substring of last_error, "" for none
  };
  const Row rows[] = {
      {"healthy", td::mariadb_healthy, true, ""},
      {"SQL thread stopped", td::mariadb_sql_stopped, false, ""},
      {"SQL error", td::mariadb_sql_error, false, "Last_SQL_Error: Could not execute Write_rows_v1"},
      {"IO reconnecting", td::mariadb_io_error, false, "Last_IO_Error: error connecting to master"},
      {"MySQL 8.0 healthy", td::mysql80_healthy, true, ""},
  };
  for (const auto& row : rows) {
    CAPTURE(row.what);
    const ServerState s = repl::apply_check(server("r"), ok_check(true, parse(table(row.status))));
    CHECK(s.is_replica);
    CHECK(s.can_serve_reads() == row.serves);
    CHECK_FALSE(s.is_writer());
    if (*row.error)
      CHECK_THAT(s.last_error, Catch::Contains(row.error));
    else
      CHECK(s.last_error.empty());
  }
}

TEST_CASE("an error left over on a running thread is history, not a fault",
          "[replication][apply]") {
  // MySQL can keep Last_IO_Error after the receiver reconnected by itself.
  const auto status = parse(with(td::mariadb_healthy, {{"Last_IO_Errno", "2003"},
                                                       {"Last_IO_Error", "error reconnecting to master"}}));
  const ServerState s = repl::apply_check(server("r"), ok_check(true, status));
  CHECK(s.last_error.empty());
  CHECK(s.can_serve_reads());
}

TEST_CASE("a server without replication is not a replica; read_only=OFF makes it the writer",
          "[replication][apply]") {
  const ServerState p = primary_up("db1");
  CHECK(p.reachable);
  CHECK_FALSE(p.is_replica);
  CHECK_FALSE(p.read_only);
  CHECK(p.is_writer());
  CHECK_FALSE(p.can_serve_reads());
  CHECK(p.source.empty());
}

TEST_CASE("the writer: pinned primary, else the single writable auto server",
          "[replication][writer]") {
  using R = ConfiguredRole;
  struct Row {
    const char* what;
    std::vector<ServerState> servers;
    std::optional<std::size_t> previous;
    std::optional<std::size_t> expected;
  };
  const std::vector<Row> rows = {
      {"read_only=OFF decides", {replica_up("a"), primary_up("b"), replica_up("c")}, {}, 1},
      {"pinned primary wins even when read_only=ON",
       {replica_up("a", R::Primary), primary_up("b")}, {}, 0},
      {"pinned primary down: fall back to a writable auto server",
       {down("a", R::Primary), primary_up("b")}, 0, 1},
      {"pinned primary down, nothing writable", {down("a", R::Primary), replica_up("b")}, 0, {}},
      {"a pinned replica is never the writer", {primary_up("a", R::Replica), replica_up("b")}, {}, {}},
      {"pinned replica writable, auto writable", {primary_up("a", R::Replica), primary_up("b")}, {}, 1},
      {"writer down: none", {down("a"), replica_up("b")}, 0, {}},
      {"two writable, previous among them: keep it", {primary_up("a"), primary_up("b")}, 1, 1},
      {"two writable, no previous: none", {primary_up("a"), primary_up("b")}, {}, {}},
      {"two writable, previous elsewhere: none",
       {primary_up("a"), primary_up("b"), down("c")}, 2, {}},
      {"previous no longer writable: the new single one", {replica_up("a"), primary_up("b")}, 0, 1},
      {"nothing checked yet", {server("a"), server("b")}, {}, {}},
  };
  for (const auto& row : rows) {
    CAPTURE(row.what);
    CHECK(repl::pick_writer(row.servers, row.previous) == row.expected);
  }
}

TEST_CASE("relevant changes publish; a new check time alone does not", "[replication][change]") {
  const ServerState base = replica_up("r");
  auto changed = [&](auto edit) {
    ServerState s = base;
    edit(s);
    return repl::relevant_change(base, s);
  };
  CHECK_FALSE(changed([](ServerState& s) { s.checked_at += std::chrono::seconds(1); }));
  CHECK_FALSE(changed([](ServerState&) {}));
  CHECK(changed([](ServerState& s) { s.reachable = false; }));
  CHECK(changed([](ServerState& s) { s.read_only = false; }));
  CHECK(changed([](ServerState& s) { s.io_running = false; }));
  CHECK(changed([](ServerState& s) { s.sql_running = false; }));
  CHECK(changed([](ServerState& s) { s.seconds_behind = 1; }));
  CHECK(changed([](ServerState& s) { s.seconds_behind = -1; }));
  CHECK(changed([](ServerState& s) { s.last_error = "x"; }));
  CHECK(changed([](ServerState& s) { s.drained = true; }));
  CHECK(changed([](ServerState& s) { s.is_replica = false; }));
  CHECK(changed([](ServerState& s) { s.source = "10.0.0.9:3306"; }));

  // The same check repeated changes nothing.
  const auto again = repl::apply_check(base, ok_check(true, parse(table(td::mariadb_healthy))));
  CHECK_FALSE(repl::relevant_change(base, again));
}

TEST_CASE("describe says what an operator needs in one line", "[replication][change]") {
  CHECK(repl::describe(server("x")) == "not checked yet");
  CHECK(repl::describe(down("x")) == "unreachable: connect: refused");
  CHECK(repl::describe(replica_up("x")) ==
        "reachable, read_only=ON, replica of 127.0.0.1:25300, IO=Yes SQL=Yes, lag 0s");
  CHECK(repl::describe(primary_up("x")) == "reachable, read_only=OFF");
}

TEST_CASE("semi-sync state is read in both namings, and its absence is told apart", "[monitor][semi_sync]") {
  using causeway::replication::parse_semi_sync;
  using causeway::replication::Row;
  const auto row = [](const char* n, const char* v) { return Row{std::string(n), std::string(v)}; };
  const auto mariadb = parse_semi_sync({row("Rpl_semi_sync_master_clients", "2"), row("Rpl_semi_sync_master_status", "ON"),
                                        row("Rpl_semi_sync_slave_status", "OFF")});
  CHECK(mariadb.available);
  CHECK(mariadb.source);
  CHECK_FALSE(mariadb.replica);
  CHECK(mariadb.clients == 2);
  const auto mysql = parse_semi_sync({row("Rpl_semi_sync_replica_status", "ON")});
  CHECK(mysql.available);
  CHECK(mysql.replica);
  CHECK(mysql.clients == -1);
  CHECK_FALSE(parse_semi_sync({}).available);  // MySQL without the plugin
}

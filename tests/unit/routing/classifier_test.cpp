// Classifier behaviour, named by what it means for routing, and the details the session
// tracker reads (autocommit value, schema, savepoint names, isolation, kill id...).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "routing/classifier.hpp"
#include "routing/digest.hpp"
#include "routing/words.hpp"

namespace r = causeway::routing;
using r::StatementClass;
namespace flag = r::flag;

namespace {

struct Case {
  const char* sql;
  StatementClass cls;
  bool replica_safe;
  std::uint32_t flags_present = 0;  // must all be set
  std::uint32_t flags_absent = 0;   // must all be clear
};

void check_cases(const std::vector<Case>& cases) {
  for (const auto& k : cases) {
    INFO(k.sql);
    const auto c = r::classify(k.sql);
    CHECK(r::to_string(c.cls) == std::string(r::to_string(k.cls)));
    CHECK(r::is_replica_safe(c) == k.replica_safe);
    CHECK((c.flags & k.flags_present) == k.flags_present);
    CHECK((c.flags & k.flags_absent) == 0);
  }
}

}  // namespace

TEST_CASE("SELECT with FOR UPDATE inside a comment or a string is a replica-safe read", "[routing][classifier]") {
  check_cases({
      {"SELECT a /* FOR UPDATE */ FROM t", StatementClass::Read, true, 0, flag::LockingRead},
      {"SELECT a FROM t -- FOR UPDATE", StatementClass::Read, true, 0, flag::LockingRead},
      {"SELECT a FROM t # FOR UPDATE", StatementClass::Read, true, 0, flag::LockingRead},
      {"SELECT 'x FOR UPDATE' FROM t", StatementClass::Read, true, 0, flag::LockingRead},
      {"SELECT `FOR UPDATE` FROM t", StatementClass::Read, true, 0, flag::LockingRead},
      {"SELECT 'it''s FOR UPDATE' FROM t", StatementClass::Read, true, 0, flag::LockingRead},
      {"SELECT 'it\\'s FOR UPDATE' FROM t", StatementClass::Read, true, 0, flag::LockingRead},
  });
}

TEST_CASE("SELECT with a locking clause goes to the primary", "[routing][classifier]") {
  check_cases({
      {"SELECT * FROM t WHERE id = 1 FOR UPDATE", StatementClass::Read, false, flag::LockingRead},
      {"SELECT * FROM t FOR SHARE", StatementClass::Read, false, flag::LockingRead},
      {"SELECT * FROM t LOCK IN SHARE MODE", StatementClass::Read, false, flag::LockingRead},
      {"SELECT * FROM t FOR /* c */ UPDATE", StatementClass::Read, false, flag::LockingRead},
      {"SELECT * FROM t /*!50000 FOR UPDATE */", StatementClass::Read, false, flag::LockingRead},
      {"SELECT * FROM t /*M!100300 FOR UPDATE */", StatementClass::Read, false, flag::LockingRead},
      {"SELECT 1 --x\nFROM t FOR UPDATE", StatementClass::Read, false, flag::LockingRead},
  });
}

TEST_CASE("`--` starts a comment only before whitespace or a control character", "[routing][classifier]") {
  check_cases({
      {"SELECT 1 -- FOR UPDATE", StatementClass::Read, true, 0, flag::LockingRead},
      {"SELECT 1 --\tFOR UPDATE", StatementClass::Read, true, 0, flag::LockingRead},
      {"SELECT 1 --FOR UPDATE", StatementClass::Read, false, flag::LockingRead},
      {"SELECT 1--1 FROM t", StatementClass::Read, true},
      {"SELECT 1 --", StatementClass::Read, true},
  });
}

TEST_CASE("WITH ... DELETE and WITH ... UPDATE are writes; WITH ... SELECT is a read", "[routing][classifier]") {
  check_cases({
      {"WITH x AS (SELECT id FROM t) DELETE FROM t WHERE id IN (SELECT id FROM x)", StatementClass::Write, false},
      {"WITH x AS (SELECT 1) UPDATE t SET a = 1", StatementClass::Write, false},
      {"WITH RECURSIVE x (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM x WHERE n < 3) SELECT * FROM x",
       StatementClass::Read, true},
      {"WITH a AS (SELECT 1), b AS (SELECT 2) SELECT * FROM a JOIN b", StatementClass::Read, true},
      {"WITH x AS (SELECT GET_LOCK('l', 1)) SELECT * FROM x", StatementClass::Read, false, flag::LockFunction},
      {"WITH broken SELECT 1", StatementClass::Other, false},
  });
}

TEST_CASE("SELECT ... INTO goes to the primary wherever INTO appears", "[routing][classifier]") {
  check_cases({
      {"SELECT a INTO @v FROM t", StatementClass::Read, false, flag::SelectInto | flag::UserVariableWrite},
      {"SELECT a FROM t INTO @v", StatementClass::Read, false, flag::SelectInto | flag::UserVariableWrite},
      {"SELECT a, b FROM t INTO @x, @y", StatementClass::Read, false, flag::SelectInto | flag::UserVariableWrite,
       flag::UserVariableRead},
      {"SELECT * FROM t INTO OUTFILE '/tmp/x'", StatementClass::Read, false, flag::SelectInto},
      {"SELECT a INTO DUMPFILE '/tmp/x' FROM t", StatementClass::Read, false, flag::SelectInto},
      {"SELECT 'INTO @v' FROM t", StatementClass::Read, true},
  });
}

TEST_CASE("Statements with side effects on the connection go to the primary", "[routing][classifier]") {
  check_cases({
      {"SELECT LAST_INSERT_ID()", StatementClass::Read, false, flag::LastInsertId},
      {"SELECT FOUND_ROWS()", StatementClass::Read, false, flag::FoundRows},
      {"SELECT SQL_CALC_FOUND_ROWS * FROM t LIMIT 10", StatementClass::Read, false, flag::CalcFoundRows},
      {"SELECT ROW_COUNT()", StatementClass::Read, false, flag::RowCount},
      {"SELECT NEXTVAL(s)", StatementClass::Read, false, flag::Sequence},
      {"SELECT NEXT VALUE FOR s", StatementClass::Read, false, flag::Sequence},
      {"SELECT PREVIOUS VALUE FOR s", StatementClass::Read, false, flag::Sequence},
      {"SELECT s.nextval FROM dual", StatementClass::Read, false, flag::Sequence},
      {"SELECT GET_LOCK('x', 1)", StatementClass::Read, false, flag::LockFunction},
      {"SELECT `GET_LOCK`('x', 1)", StatementClass::Read, false, flag::LockFunction | flag::UnknownFunction},
      {"DO RELEASE_LOCK('x')", StatementClass::Read, false, flag::LockFunction},
      {"SELECT @x := 1", StatementClass::Read, false, flag::UserVariableWrite},
      {"SELECT @x", StatementClass::Read, false, flag::UserVariableRead},
      {"SELECT @@session.transaction_read_only", StatementClass::Read, false, flag::SessionVariableRead},
      {"SELECT CONNECTION_ID()", StatementClass::Read, false, flag::ServerSpecific},
      {"SELECT 1; SELECT 2", StatementClass::Read, false, flag::MultiStatement},
  });
}

TEST_CASE("Reads that only compute values are replica-safe", "[routing][classifier]") {
  check_cases({
      {"SELECT 1", StatementClass::Read, true},
      {"select now(), uuid(), rand(), sleep(0)", StatementClass::Read, true},
      {"(SELECT a FROM t1) UNION (SELECT a FROM t2)", StatementClass::Read, true},
      {"VALUES ROW(1), ROW(2)", StatementClass::Read, true},
      {"TABLE t", StatementClass::Read, true},
      {"DO SLEEP(1)", StatementClass::Read, true},
      {"DESC t", StatementClass::Read, true},
      {"DESCRIBE t", StatementClass::Read, true},
      {"EXPLAIN SELECT * FROM t", StatementClass::Read, true, flag::Explain},
      {"HELP 'select'", StatementClass::Read, true},
      {"CHECKSUM TABLE t", StatementClass::Read, true},
      {"SELECT 1;", StatementClass::Read, true, 0, flag::MultiStatement},
      {"SELECT 1; -- done", StatementClass::Read, true, 0, flag::MultiStatement},
  });
}

TEST_CASE("EXPLAIN takes the class of the statement it explains", "[routing][classifier]") {
  check_cases({
      {"EXPLAIN UPDATE t SET a = 1", StatementClass::Write, false, flag::Explain},
      {"EXPLAIN FORMAT=JSON DELETE FROM t", StatementClass::Write, false, flag::Explain},
      {"EXPLAIN ANALYZE SELECT 1", StatementClass::Read, true, flag::Explain},
      {"ANALYZE UPDATE t SET a = 1", StatementClass::Write, false, flag::Explain},
      {"ANALYZE TABLE t", StatementClass::Admin, false, flag::ImplicitCommit},
  });
}

TEST_CASE("A statement calling an unknown function is a read with a flag", "[routing][classifier]") {
  check_cases({
      {"SELECT my_func(1)", StatementClass::Read, true, flag::UnknownFunction},
      {"SELECT db.my_func(1)", StatementClass::Read, true, flag::UnknownFunction},
      {"SELECT COUNT(*), CAST(a AS DECIMAL(10,2)), CONVERT(b, CHAR(3)) FROM t", StatementClass::Read, true, 0,
       flag::UnknownFunction},
      {"SELECT * FROM t WHERE a IN (1) AND EXISTS (SELECT 1) AND b = ANY (SELECT 2)", StatementClass::Read, true, 0,
       flag::UnknownFunction},
      {"SELECT * FROM (SELECT 1 AS a) AS d (x)", StatementClass::Read, true, 0, flag::UnknownFunction},
      {"INSERT INTO t(a) VALUES (1)", StatementClass::Write, false, 0, flag::UnknownFunction},
  });
}

TEST_CASE("Unknown, malformed and unterminated statements go to the primary", "[routing][classifier]") {
  check_cases({
      {"FROBNICATE everything", StatementClass::Other, false},
      {"SELECT 'open", StatementClass::Other, false, flag::LexError},
      {"SELECT `open", StatementClass::Other, false, flag::LexError},
      {"SELECT 1 /* open", StatementClass::Other, false, flag::LexError},
      {"SELECT 1 /*! open", StatementClass::Other, false, flag::LexError},
      {"SELECT 1; SELECT 'open", StatementClass::Other, false, flag::LexError | flag::MultiStatement},
      {"123", StatementClass::Other, false},
  });
}

TEST_CASE("A backslash in a string is read both ways when sql_mode is unknown", "[routing][classifier]") {
  // With NO_BACKSLASH_ESCAPES the string ends at the backslash and FOR UPDATE is SQL.
  const char* sql = "SELECT 'a\\' FOR UPDATE -- '";
  CHECK(r::classify(sql).has(flag::LockingRead));
  CHECK_FALSE(r::is_replica_safe(r::classify(sql)));
  r::LexOptions known;
  known.sql_mode_known = true;
  CHECK(r::is_replica_safe(r::classify(sql, known)));
  known.backslash_escapes = false;
  CHECK(r::classify(sql, known).has(flag::LockingRead));
  // A reading the server would reject does not count.
  CHECK(r::is_replica_safe(r::classify("SELECT 'It\\'s' FROM t")));
}

TEST_CASE("Empty input and lone separators are Empty", "[routing][classifier]") {
  for (const char* sql : {"", "   ", ";", " ; ;", "/* c */", "-- c", "# c\n", "/*!40101 */"}) {
    INFO(sql);
    const auto c = r::classify(sql);
    CHECK(c.cls == StatementClass::Empty);
    CHECK_FALSE(r::is_replica_safe(c));
  }
}

TEST_CASE("The first keyword and the end of the first statement are reported", "[routing][classifier]") {
  auto c = r::classify("  /* x */ select 1; update t set a = 1");
  CHECK(c.keyword == "select");
  CHECK(c.first_end == std::string("  /* x */ select 1;").size());
  CHECK(c.has(flag::MultiStatement));
  c = r::classify("/*!40101 SET NAMES utf8 */");
  CHECK(c.keyword == "SET");
  c = r::classify("(SELECT 1)");
  CHECK(c.keyword.empty());
  c = r::classify("SELECT 1 -- end");
  CHECK(c.first_end == std::string("SELECT 1 -- end").size());
}

TEST_CASE("SET autocommit reports the value assigned", "[routing][classifier][session]") {
  struct {
    const char* sql;
    int value;
    bool implicit_commit;
  } const cases[] = {
      {"SET autocommit=0", 0, false},       {"SET autocommit = 1", 1, true},
      {"set AUTOCOMMIT = off", 0, false},   {"SET autocommit=ON", 1, true},
      {"SET @@autocommit = 0", 0, false},   {"SET SESSION autocommit = 'OFF'", 0, false},
      {"SET @@session.autocommit=1", 1, true}, {"SET autocommit = @x", -1, false},
      {"SET autocommit = DEFAULT", -1, false}, {"SET autocommit = 1 + 0", -1, false},
  };
  for (const auto& k : cases) {
    INFO(k.sql);
    const auto c = r::classify(k.sql);
    CHECK(c.cls == StatementClass::Session);
    CHECK(c.action == r::StatementAction::Set);
    CHECK((c.session_vars & r::setvar::Autocommit) != 0);
    CHECK(int(c.autocommit) == k.value);
    CHECK(c.has(flag::ImplicitCommit) == k.implicit_commit);
  }
}

TEST_CASE("SET names the session variables it assigns", "[routing][classifier][session]") {
  using namespace r::setvar;
  struct {
    const char* sql;
    std::uint16_t vars;
  } const cases[] = {
      {"SET NAMES utf8mb4", Names},
      {"SET CHARACTER SET utf8", CharacterSet},
      {"SET CHARSET utf8", CharacterSet},
      {"SET character_set_client = utf8mb4, collation_connection = utf8mb4_bin", Names},
      {"SET sql_mode = 'ANSI'", SqlMode},
      {"SET @@SESSION.sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES')", SqlMode},
      {"SET time_zone = '+00:00'", TimeZone},
      {"SET SESSION transaction_isolation = 'READ-COMMITTED'", Isolation},
      {"SET tx_read_only = 1", ReadOnly},
      {"SET ROLE ALL", Role},
      {"SET @a = 1, @b := 2", UserVariable},
      {"SET wait_timeout = 10", Other},
      {"SET GLOBAL max_connections = 10", Global},
      {"SET @@global.max_connections = 10", Global},
      {"SET NAMES utf8mb4, @@SESSION.sql_mode = 'x', autocommit = 0, @u = 1, @@SESSION.wait_timeout = 5",
       Names | SqlMode | Autocommit | UserVariable | Other},
  };
  for (const auto& k : cases) {
    INFO(k.sql);
    const auto c = r::classify(k.sql);
    CHECK(c.cls == StatementClass::Session);
    CHECK(c.session_vars == k.vars);
  }
  // wait_timeout: the session's idle limit through causeway too.
  CHECK(r::classify("SET wait_timeout = 10").wait_timeout == 10);
  CHECK(r::classify("SET @@SESSION.wait_timeout=1, sql_mode = ''").wait_timeout == 1);
  CHECK(r::classify("SET SESSION wait_timeout = DEFAULT").wait_timeout == -1);
  CHECK(r::classify("SET wait_timeout = 10 * 60").wait_timeout == -1);
  CHECK_FALSE(r::classify("SET GLOBAL wait_timeout = 10").wait_timeout);
  CHECK_FALSE(r::classify("SET interactive_timeout = 10").wait_timeout);
  CHECK(r::classify("SET GLOBAL max_connections = 10").has(flag::GlobalVariableWrite));
  CHECK_FALSE(r::classify("SET GLOBAL max_connections = 10").has(flag::SessionVariableWrite));
  CHECK(r::classify("SET SESSION transaction_isolation = 'READ-COMMITTED'").isolation ==
        r::Isolation::ReadCommitted);
  CHECK(r::classify("SET transaction_read_only = ON").access == r::AccessMode::ReadOnly);
}

TEST_CASE("SETs of session tracking say whether the client now tracks commit GTIDs", "[routing][classifier]") {
  using T = r::GtidTracking;
  const auto tracking = [](std::string_view sql) { return r::classify(sql).gtid_tracking; };
  CHECK(tracking("SELECT 'session_track_system_variables=last_gtid'") == T::Unchanged);
  CHECK(tracking("SET autocommit = 1") == T::Unchanged);
  // MariaDB: the list names last_gtid, or is `*`.
  CHECK(tracking("SET session_track_system_variables = 'autocommit, last_gtid'") == T::On);
  CHECK(tracking("SET @@session.session_track_system_variables='*'") == T::On);
  CHECK(tracking("SET SESSION session_track_system_variables = \"LAST_GTID\"") == T::On);
  CHECK(tracking("SET session_track_system_variables = 'autocommit,time_zone'") == T::Off);
  CHECK(tracking("SET session_track_system_variables = 'last_gtid_x'") == T::Off);
  CHECK(tracking("SET session_track_system_variables = DEFAULT") == T::Off);
  CHECK(tracking("SET session_track_system_variables = CONCAT('last', '_gtid')") == T::Off);
  // Built by an expression, as clients append to the server's list.
  CHECK(tracking("SET SESSION session_track_system_variables = IF(@@session_track_system_variables = '', "
                 "'last_gtid', CONCAT(@@session_track_system_variables, ',last_gtid'))") == T::On);
  CHECK(tracking("SET session_track_system_variables = CONCAT(@@session_track_system_variables, ',autocommit')") ==
        T::Off);
  // MySQL: anything but OFF.
  CHECK(tracking("SET session_track_gtids = OWN_GTID") == T::On);
  CHECK(tracking("SET @@session_track_gtids = 'ALL_GTIDS'") == T::On);
  CHECK(tracking("SET session_track_gtids = OFF") == T::Off);
  CHECK(tracking("SET session_track_gtids = DEFAULT") == T::Off);
  CHECK(tracking("SET session_track_gtids = 2") == T::On);
  CHECK(tracking("SET session_track_gtids = 0") == T::Off);
  // GLOBAL changes no session; in a list or a multi-statement, On wins.
  CHECK(tracking("SET GLOBAL session_track_system_variables = 'last_gtid'") == T::Unchanged);
  CHECK(tracking("SET session_track_gtids = OWN_GTID, session_track_system_variables = 'autocommit'") == T::On);
  CHECK(tracking("SELECT 1; SET session_track_system_variables = 'autocommit'") == T::Off);
  CHECK(tracking("SET session_track_system_variables = 'last_gtid'; SET session_track_gtids = OFF") == T::On);
}

TEST_CASE("commits_nothing tells statements that cannot commit a transaction", "[routing][classifier]") {
  const auto nothing = [](std::string_view sql) { return r::classify(sql).commits_nothing; };
  CHECK(nothing("SELECT 1"));
  CHECK(nothing("SET session_track_system_variables = 'autocommit'; SELECT * FROM t; SHOW WARNINGS"));
  CHECK(nothing("USE db; SET NAMES utf8mb4; DO 1"));
  CHECK_FALSE(nothing("SET session_track_system_variables = 'autocommit'; INSERT INTO t VALUES (1)"));
  CHECK_FALSE(nothing("SELECT 1; COMMIT"));
  CHECK_FALSE(nothing("SELECT 1; CREATE TABLE t (a INT)"));
  CHECK_FALSE(nothing("SET autocommit = 1"));           // commits an open transaction
  CHECK_FALSE(nothing("SELECT my_function(1)"));        // may write
  CHECK_FALSE(nothing("SELECT NEXTVAL(s)"));            // writes the sequence
  CHECK_FALSE(nothing("SELECT 1; CALL p()"));
}

TEST_CASE("Transaction statements report what they do", "[routing][classifier][transaction]") {
  auto c = r::classify("START TRANSACTION READ ONLY");
  CHECK(c.action == r::StatementAction::StartTransaction);
  CHECK(c.access == r::AccessMode::ReadOnly);
  CHECK(c.has(flag::ReadOnlyTransaction | flag::ImplicitCommit));

  c = r::classify("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ WRITE");
  CHECK(c.access == r::AccessMode::ReadWrite);
  CHECK(c.tx_options == r::txopt::ConsistentSnapshot);
  CHECK_FALSE(c.has(flag::ReadOnlyTransaction));

  c = r::classify("COMMIT AND CHAIN NO RELEASE");
  CHECK(c.action == r::StatementAction::Commit);
  CHECK(c.tx_options == (r::txopt::Chain | r::txopt::NoRelease));
  CHECK(r::classify("ROLLBACK AND NO CHAIN RELEASE").tx_options == (r::txopt::NoChain | r::txopt::Release));

  c = r::classify("ROLLBACK WORK TO SAVEPOINT `s1_x2`");
  CHECK(c.action == r::StatementAction::RollbackToSavepoint);
  CHECK(c.object == "s1_x2");
  CHECK(r::classify("SAVEPOINT sp1").object == "sp1");
  CHECK(r::classify("RELEASE SAVEPOINT \"s 2\"").object == "s 2");

  c = r::classify("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
  CHECK(c.action == r::StatementAction::SetTransaction);
  CHECK(c.scope == r::TransactionScope::Next);
  CHECK(c.isolation == r::Isolation::ReadCommitted);
  c = r::classify("SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY");
  CHECK(c.scope == r::TransactionScope::Session);
  CHECK(c.isolation == r::Isolation::Serializable);
  CHECK(c.access == r::AccessMode::ReadOnly);
  CHECK(r::classify("SET GLOBAL TRANSACTION READ WRITE").scope == r::TransactionScope::Global);
  CHECK(r::classify("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").isolation == r::Isolation::RepeatableRead);
  CHECK(r::classify("SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED").isolation ==
        r::Isolation::ReadUncommitted);

  c = r::classify("XA START 'trx-1', 'b1'");
  CHECK(c.action == r::StatementAction::XaStart);
  CHECK(c.object == "trx-1");
  CHECK(r::classify("XA COMMIT 'trx-1' ONE PHASE").action == r::StatementAction::XaCommit);
}

TEST_CASE("USE reports the schema without quotes", "[routing][classifier][session]") {
  CHECK(r::classify("USE shop").object == "shop");
  CHECK(r::classify("use `my shop`;").object == "my shop");
  CHECK(r::classify("USE shop").action == r::StatementAction::Use);
  CHECK(r::classify("USE").object.empty());
}

TEST_CASE("KILL reports the connection or query and the id", "[routing][classifier]") {
  auto c = r::classify("KILL 42");
  CHECK(c.cls == StatementClass::Kill);
  CHECK(c.action == r::StatementAction::KillConnection);
  CHECK(c.kill_id == 42);
  c = r::classify("KILL QUERY 7");
  CHECK(c.action == r::StatementAction::KillQuery);
  CHECK(c.kill_id == 7);
  CHECK(r::classify("KILL CONNECTION 18446744073709551615").kill_id == 18446744073709551615ull);
  CHECK(r::classify("KILL CONNECTION 18446744073709551616").kill_id == 0);  // does not fit: unknown
  CHECK(r::classify("KILL SOFT CONNECTION 9").kill_id == 9);
  CHECK(r::classify("KILL QUERY ID 9").kill_id == 0);  // MariaDB: a query id, not a connection
  CHECK(r::classify("KILL CONNECTION_ID()").kill_id == 0);
  // Connector/J 2 keeps the connection id in a signed int: ids from 2^31 come negative.
  CHECK(r::classify("KILL QUERY -2147483569").kill_id == 2147483727ull);
  CHECK(r::classify("KILL -1").kill_id == 4294967295ull);
  CHECK(r::classify("KILL -2147483648").kill_id == 2147483648ull);
  CHECK(r::classify("KILL -2147483649").kill_id == 0);  // below any 32-bit id: unknown
  CHECK(r::classify("KILL -0").kill_id == 0);
  // The id alone ends the statement; anything else is the server's to judge.
  CHECK(r::classify("KILL 42;").kill_id == 42);
  CHECK(r::classify("KILL 42; SELECT 1").kill_id == 42);
  CHECK(r::classify("KILL 2147483661-1").kill_id == 0);
  CHECK(r::classify("KILL 2147483660 garbage; SELECT 1").kill_id == 0);
}

TEST_CASE("Prepared statement names are reported", "[routing][classifier]") {
  CHECK(r::classify("PREPARE s1 FROM 'SELECT 1'").object == "s1");
  CHECK(r::classify("EXECUTE s1 USING @a").object == "s1");
  CHECK(r::classify("DEALLOCATE PREPARE s1").object == "s1");
  CHECK(r::classify("DROP PREPARE `s1`").object == "s1");
  CHECK(r::classify("DROP PREPARE s1").cls == StatementClass::Deallocate);
}

TEST_CASE("Temporary tables are flagged and do not commit", "[routing][classifier]") {
  auto c = r::classify("CREATE TEMPORARY TABLE t (a INT)");
  CHECK(c.action == r::StatementAction::CreateTemporaryTable);
  CHECK(c.has(flag::TempTable));
  CHECK_FALSE(c.has(flag::ImplicitCommit));
  c = r::classify("DROP TEMPORARY TABLE IF EXISTS t");
  CHECK(c.action == r::StatementAction::DropTemporaryTable);
  CHECK_FALSE(c.has(flag::ImplicitCommit));
  CHECK(r::classify("CREATE TABLE t (a INT)").has(flag::ImplicitCommit));
}

TEST_CASE("Stored program bodies are one statement", "[routing][classifier]") {
  auto c = r::classify(
      "CREATE PROCEDURE p() BEGIN DECLARE x INT; SET x = 1; IF x THEN SELECT 1; END IF; "
      "CASE x WHEN 1 THEN SELECT 2; END CASE; WHILE x < 3 DO SET x = x + 1; END WHILE; END");
  CHECK(c.cls == StatementClass::Ddl);
  CHECK(c.has(flag::StoredProgram));
  CHECK_FALSE(c.has(flag::MultiStatement));
  c = r::classify("CREATE PROCEDURE p() BEGIN SELECT 1; END; SELECT 2");
  CHECK(c.has(flag::MultiStatement));
  c = r::classify("CREATE PROCEDURE p() SELECT 1; SELECT 2");
  CHECK(c.has(flag::MultiStatement));
}

TEST_CASE("The route hint comment is found anywhere in the statement", "[routing][classifier][hint]") {
  auto c = r::classify("SELECT 1 /* causeway: route=replica */");
  CHECK(c.has(flag::HasHint));
  CHECK(c.hint == "route=replica");
  c = r::classify("/*  CAUSEWAY:  consistency=strong   */ SELECT 1");
  CHECK(c.hint == "consistency=strong");
  c = r::classify("/* load User */ SELECT 1");
  CHECK_FALSE(c.has(flag::HasHint));
  CHECK(c.hint.empty());
  CHECK_FALSE(r::classify("SELECT '/* causeway: route=primary */'").has(flag::HasHint));
}

TEST_CASE("is_locking covers LOCK TABLES, locking reads and lock functions", "[routing][classifier]") {
  CHECK(r::is_locking(r::classify("LOCK TABLES t WRITE")));
  CHECK(r::is_locking(r::classify("SELECT * FROM t FOR UPDATE")));
  CHECK(r::is_locking(r::classify("SELECT GET_LOCK('a', 0)")));
  CHECK_FALSE(r::is_locking(r::classify("SELECT * FROM t")));
}

TEST_CASE("The classification is a small fixed-size value", "[routing][classifier]") {
  STATIC_REQUIRE(sizeof(r::Classification) <= 96);
  STATIC_REQUIRE(std::is_trivially_copyable_v<r::Classification>);
}

TEST_CASE("Every listed function and keyword is found, in any case", "[routing][words]") {
  for (std::size_t i = 0; i < r::function_count(); ++i) {
    const auto name = r::function_name(i);
    INFO(name);
    CHECK(r::lookup_function(name) != r::FunctionKind::Unknown);
    std::string upper(name);
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    CHECK(r::lookup_function(upper) == r::lookup_function(name));
  }
  for (std::size_t i = 0; i < r::keyword_count(); ++i) {
    INFO(r::keyword_name(i));
    CHECK(r::is_keyword(r::keyword_name(i)));
  }
  CHECK(r::lookup_function("GET_LOCK") == r::FunctionKind::Lock);
  CHECK(r::lookup_function("Last_Insert_Id") == r::FunctionKind::LastInsertId);
  CHECK(r::lookup_function("my_function") == r::FunctionKind::Unknown);
  CHECK(r::lookup_function("") == r::FunctionKind::Unknown);
  CHECK_FALSE(r::is_keyword("users"));
}

TEST_CASE("Multi-statement text can be walked statement by statement", "[routing][classifier]") {
  const std::string sql = "SELECT 1; SET autocommit = 0; /* c */ UPDATE t SET a = 1;";
  const auto all = r::classify(sql);
  CHECK(all.cls == StatementClass::Read);
  CHECK(all.has(flag::MultiStatement | flag::SessionVariableWrite));
  CHECK(all.session_vars == r::setvar::Autocommit);

  std::vector<StatementClass> seen;
  std::string_view rest = sql;
  for (int guard = 0; guard < 10; ++guard) {
    const auto c = r::classify(rest);
    if (c.cls == StatementClass::Empty) break;
    seen.push_back(c.cls);
    rest.remove_prefix(c.first_end);
  }
  CHECK(seen == std::vector<StatementClass>{StatementClass::Read, StatementClass::Session, StatementClass::Write});
}

TEST_CASE("Arbitrary input never breaks the classifier", "[routing][classifier]") {
  // Fragments that exercise every lexer state, glued at random (deterministic seed).
  const char* parts[] = {"SELECT", " ", "'", "\"", "`", "\\", "/*", "*/", "/*!", "/*M!", "--", "-- ", "#", "\n",
                         "@", "@@", ":=", "(", ")", ";", ",", ".", "FOR", "UPDATE", "INTO", "@v", "1", "0x",
                         "e", "BEGIN", "END", "CASE", "SET", "WITH", "AS", "f(", "\xc3\xa9", "N'", "X'"};
  std::uint32_t seed = 12345;
  auto rnd = [&seed] {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 16) & 0x7fff;
  };
  for (int i = 0; i < 5000; ++i) {
    std::string sql;
    const int n = static_cast<int>(rnd() % 24);
    for (int k = 0; k < n; ++k) sql += parts[rnd() % (sizeof(parts) / sizeof(parts[0]))];
    const auto c = r::classify(sql);
    CHECK(c.first_end <= sql.size());
    CHECK(r::digest(sql).size() <= 2 * sql.size() + 8);
    if (r::is_replica_safe(c)) CHECK(c.cls == StatementClass::Read);
  }
}

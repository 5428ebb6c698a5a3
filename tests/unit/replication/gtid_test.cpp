// replication/gtid: MySQL GTID sets (text and binary) and MariaDB GTID positions. The
// binary vectors are PREVIOUS_GTIDS bodies cut from ../shared/testdata/binlog/mysql
// (event header and CRC removed).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "replication/gtid.hpp"

namespace repl = causeway::replication;

namespace {

constexpr const char* uuid_a = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
constexpr const char* uuid_b = "4e11fa47-71ca-11e1-9e33-c80aa9429562";

repl::MysqlGtidSet set(const std::string& text) {
  repl::GtidError error;
  auto s = repl::MysqlGtidSet::parse(text, error);
  INFO(text << " -> " << error.message);
  REQUIRE(s);
  return *s;
}

repl::MysqlGtid gtid(const std::string& text) {
  repl::GtidError error;
  auto g = repl::parse_mysql_gtid(text, error);
  INFO(text << " -> " << error.message);
  REQUIRE(g);
  return *g;
}

repl::MariadbGtidPosition position(const std::string& text) {
  repl::GtidError error;
  auto p = repl::MariadbGtidPosition::parse(text, error);
  INFO(text << " -> " << error.message);
  REQUIRE(p);
  return *p;
}

repl::MariadbGtid mariadb_gtid(const std::string& text) {
  repl::GtidError error;
  auto g = repl::parse_mariadb_gtid(text, error);
  INFO(text << " -> " << error.message);
  REQUIRE(g);
  return *g;
}

std::vector<std::uint8_t> from_hex(std::string_view hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string a(const std::string& rest) { return std::string(uuid_a) + rest; }
std::string b(const std::string& rest) { return std::string(uuid_b) + rest; }

}  // namespace

TEST_CASE("MySQL GTID set text is parsed and printed canonically", "[gtid][mysql]") {
  struct Row {
    std::string input;
    std::string canonical;
  };
  const std::vector<Row> rows = {
      {"", ""},
      {"  \n ", ""},
      {a(":1-5"), a(":1-5")},
      {a(":7"), a(":7")},
      {"3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:7", a(":1-5:7")},
      {a(":7:1-5"), a(":1-5:7")},                                // sorted
      {a(":1-5:3-9"), a(":1-9")},                                // overlapping merged
      {a(":1-5:6-9"), a(":1-9")},                                // adjacent merged
      {a(":1:2:3:5"), a(":1-3:5")},                              // singles merged
      {a(":5-5"), a(":5")},
      {b(":1-3,") + a(":1-5"), a(":1-5,") + b(":1-3")},         // sorted by uuid
      {a(":1-5,\n") + b(":1-3"), a(":1-5,") + b(":1-3")},       // @@gtid_executed style
      {" " + a(" : 1 - 5 : 7 ") + " ,\n\t" + b(":1-3") + "\n", a(":1-5:7,") + b(":1-3")},
      {a(":1-2,") + a(":3-4"), a(":1-4")},                       // same uuid twice
      {a(":1-13:mytag:1-2"), a(":1-13:mytag:1-2")},              // tagged, MySQL 8.4
      {a(":MyTag:1-2"), a(":mytag:1-2")},                        // tags lower-cased
      {a(":t2:5:t1:1:3"), a(":t1:1:3:t2:5")},                    // sorted by tag
      {a(":_x_9:1,") + a(":4"), a(":4:_x_9:1")},                 // untagged first
      {a(":9223372036854775806"), a(":9223372036854775806")},    // max gno
  };
  for (const auto& row : rows) {
    INFO(row.input);
    const auto s = set(row.input);
    CHECK(s.to_string() == row.canonical);
    CHECK(set(s.to_string()) == s);  // round trip
  }
}

TEST_CASE("MySQL GTID set printed with MySQL's own separator", "[gtid][mysql]") {
  CHECK(set(a(":1-5,") + b(":1")).to_string(",\n") == a(":1-5,\n") + b(":1"));
}

TEST_CASE("Malformed MySQL GTID set text is rejected with its offset", "[gtid][mysql]") {
  struct Row {
    std::string input;
    std::size_t offset;
  };
  const std::vector<Row> rows = {
      {"x", 0},
      {"3e11fa47-71ca-11e1-9e33-c80aa942956", 0},           // short uuid
      {"3e11fa47-71ca-11e1-9e33-c80aa942956g:1", 0},        // not hex
      {"3e11fa4771ca-11e1-9e33-c80aa9429562a:1", 0},        // hyphen misplaced
      {a(""), 36},                                          // no intervals
      {a(":"), 37},
      {a(":5-3"), 37},                                      // reversed
      {a(":0"), 37},                                        // gno 0
      {a(":0-3"), 37},
      {a(":9223372036854775807"), 37},                      // past max gno
      {a(":1-99999999999999999999999"), 39},                // overflow
      {a(":1-"), 39},
      {a(":1,"), 39},                                       // trailing comma
      {a(":1,,") + b(":1"), 39},
      {a(":1;2"), 38},
      {a(":-1"), 37},
      {a(":tag"), 37},                                      // tag without intervals
      {a(":t1:t2:1"), 37},
      {a(":1tag:1"), 38},
      {a(":abcdefghijabcdefghijabcdefghijabc:1"), 37},      // 33-char tag
      {a(":1") + " " + b(":1"), 39},                        // missing comma
  };
  for (const auto& row : rows) {
    INFO(row.input);
    repl::GtidError error;
    CHECK_FALSE(repl::MysqlGtidSet::parse(row.input, error));
    CHECK(error.offset == row.offset);
    CHECK_FALSE(error.message.empty());
  }
}

TEST_CASE("Single MySQL GTIDs parse, print and reject garbage", "[gtid][mysql]") {
  CHECK(repl::to_string(gtid(a(":7"))) == a(":7"));
  CHECK(repl::to_string(gtid(a(":MyTag:3"))) == a(":mytag:3"));
  for (const std::string& bad : {std::string(""), a(""), a(":"), a(":0"), a(":1-2"), a(":t:"),
                                a(":t:0"), a(":1:2"), std::string("zz:1")}) {
    INFO(bad);
    repl::GtidError error;
    CHECK_FALSE(repl::parse_mysql_gtid(bad, error));
  }
}

TEST_CASE("MySQL set membership, superset, union, difference and count", "[gtid][mysql]") {
  const auto s = set(a(":1-5:7:mytag:1-2,") + b(":1-3"));
  CHECK(s.count() == 11);
  CHECK(s.contains(gtid(a(":1"))));
  CHECK(s.contains(gtid(a(":5"))));
  CHECK_FALSE(s.contains(gtid(a(":6"))));
  CHECK(s.contains(gtid(a(":7"))));
  CHECK_FALSE(s.contains(gtid(a(":8"))));
  CHECK(s.contains(gtid(a(":mytag:2"))));
  CHECK_FALSE(s.contains(gtid(a(":mytag:3"))));
  CHECK_FALSE(s.contains(gtid(a(":other:1"))));
  CHECK_FALSE(s.contains(gtid(b(":4"))));

  struct Row {
    std::string other;
    bool subset;
  };
  const std::vector<Row> rows = {
      {"", true},
      {a(":2-4"), true},
      {a(":1-5:7"), true},
      {a(":4-7"), false},  // 6 missing
      {a(":mytag:1,") + b(":3"), true},
      {b(":1-4"), false},
      {"5e11fa47-71ca-11e1-9e33-c80aa9429562:1", false},
  };
  for (const auto& row : rows) {
    INFO(row.other);
    CHECK(s.contains(set(row.other)) == row.subset);
  }

  CHECK(repl::set_union(set(a(":1-3")), set(a(":4-6:9,") + b(":1"))).to_string() ==
        a(":1-6:9,") + b(":1"));
  CHECK(repl::set_difference(s, set(a(":2-3:7:mytag:1-2,") + b(":1-3"))).to_string() ==
        a(":1:4-5"));
  CHECK(repl::set_difference(set(a(":1-10")), set(a(":1-10"))).empty());
  CHECK(repl::set_difference(set(a(":1-10")), set(a(":3:5-6:10"))).to_string() ==
        a(":1-2:4:7-9"));
  CHECK(repl::set_difference(set(a(":1-3:5-8")), set(b(":1-100"))).to_string() ==
        a(":1-3:5-8"));
  CHECK(set(a(":1-9223372036854775806,") + b(":1-9223372036854775806")).count() ==
        2 * 9223372036854775806ULL);
}

TEST_CASE("Adding GTIDs merges neighbours and reports duplicates", "[gtid][mysql]") {
  repl::MysqlGtidSet s;
  CHECK(s.add(gtid(a(":3"))));
  CHECK(s.add(gtid(a(":1"))));
  CHECK(s.to_string() == a(":1:3"));
  CHECK(s.add(gtid(a(":2"))));
  CHECK(s.to_string() == a(":1-3"));
  CHECK_FALSE(s.add(gtid(a(":2"))));
  CHECK(s.add(gtid(a(":t:1"))));
  CHECK(s.to_string() == a(":1-3:t:1"));
  CHECK_FALSE(s.add(repl::MysqlGtid{s.members().begin()->first.first, "", 0}));
  CHECK_FALSE(s.add({{}, ""}, {5, 4}));
  CHECK(s.add({{}, ""}, {1, 10}));
  CHECK(s.add({{}, ""}, {12, 20}));
  CHECK(s.add({{}, ""}, {5, 14}));  // swallows both
  CHECK(s.members().begin()->second == repl::MysqlGtidSet::Intervals{{1, 20}});
}

TEST_CASE("Real PREVIOUS_GTIDS bodies decode and re-encode byte for byte", "[gtid][mysql][binary]") {
  struct Row {
    const char* file;
    const char* hex;
    std::string text;
  };
  const std::vector<Row> rows = {
      {"binlog-invisible-columns.000001", "0000000000000000", ""},
      {"binlog_transaction_previous_GTID_no_tag.000001",
       "0100000000000000b9b88c66075511f198994a9da94c4d7101000000000000000100000000000000030000000000"
       "0000",
       "b9b88c66-0755-11f1-9899-4a9da94c4d71:1-2"},
      {"transaction_compression.000001",
       "0100000000000000357df524413911ee9979b033ee13919e01000000000000000100000000000000020000000000"
       "0000",
       "357df524-4139-11ee-9979-b033ee13919e:1"},
      {"binlog_transaction_with_GTID_TAG.000001 (MySQL 9.6, tagged format)",
       "010200000000000155778904029911f1b1b84ef0c4956feb00010000000000000001000000000000000e00000000"
       "00000055778904029911f1b1b84ef0c4956feb0a6d79746167010000000000000001000000000000000300000000"
       "000000",
       "55778904-0299-11f1-b1b8-4ef0c4956feb:1-13:mytag:1-2"},
  };
  for (const auto& row : rows) {
    INFO(row.file);
    const auto bytes = from_hex(row.hex);
    repl::GtidError error;
    const auto decoded = repl::decode_mysql_gtid_set(bytes, error);
    INFO(error.message);
    REQUIRE(decoded);
    CHECK(decoded->to_string() == row.text);
    std::vector<std::uint8_t> encoded;
    repl::encode(set(row.text), encoded);
    CHECK(encoded == bytes);
    CHECK(repl::encoded_size(*decoded) == bytes.size());
  }
}

TEST_CASE("Binary GTID sets round-trip", "[gtid][mysql][binary]") {
  for (const std::string& text :
       {std::string(""), a(":1-5:7:100-200,") + b(":1"), a(":9223372036854775806"),
        a(":1:x:1-3:y_y:5,") + b(":z:1")}) {
    INFO(text);
    const auto s = set(text);
    std::vector<std::uint8_t> bytes = {0xaa};  // encode appends
    repl::encode(s, bytes);
    CHECK(bytes.size() == 1 + repl::encoded_size(s));
    repl::GtidError error;
    const auto back = repl::decode_mysql_gtid_set(std::span(bytes).subspan(1), error);
    INFO(error.message);
    REQUIRE(back);
    CHECK(*back == s);
  }
}

TEST_CASE("Truncated or garbage binary GTID sets are rejected, never read past the end",
          "[gtid][mysql][binary]") {
  std::vector<std::uint8_t> good;
  repl::encode(set(a(":1-5:7:t:1,") + b(":1")), good);
  // Every proper prefix is truncated (the tagged encoding; no prefix is a complete set).
  for (std::size_t n = 0; n < good.size(); ++n) {
    INFO("prefix " << n);
    repl::GtidError error;
    CHECK_FALSE(repl::decode_mysql_gtid_set(std::span(good).first(n), error));
    CHECK_FALSE(error.message.empty());
  }

  const std::string one_sid = "0100000000000000b9b88c66075511f198994a9da94c4d710100000000000000";
  struct Row {
    const char* what;
    std::string hex;
  };
  const std::vector<Row> rows = {
      {"9 bytes of a truncated PREVIOUS_GTIDS", "000000000000000000"},  // trailing byte
      {"trailing garbage", one_sid + "0100000000000000030000000000000000"},
      {"unknown format byte", "0100000000000002"},
      {"tagged header with a wrong low byte", "0200000000000001"},
      {"start 0", one_sid + "00000000000000000300000000000000"},
      {"end == start", one_sid + "03000000000000000300000000000000"},
      {"end < start", one_sid + "05000000000000000300000000000000"},
      {"end past 2^63 - 1", one_sid + "0100000000000000ffffffffffffffff"},
      {"huge interval count", "0100000000000000b9b88c66075511f198994a9da94c4d71ffffffffffffffff"},
      {"huge sid count", "ffffffffffffff00"},
      {"overlapping intervals",
       "0100000000000000b9b88c66075511f198994a9da94c4d710200000000000000"
       "01000000000000000500000000000000"
       "03000000000000000900000000000000"},
      {"tag too long", "010100000000000155778904029911f1b1b84ef0c4956feb42"},
      {"bad tag bytes", "010100000000000155778904029911f1b1b84ef0c4956feb022d"},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    const auto bytes = from_hex(row.hex);
    repl::GtidError error;
    CHECK_FALSE(repl::decode_mysql_gtid_set(bytes, error));
    CHECK_FALSE(error.message.empty());
    CHECK(error.offset <= bytes.size());
  }
}

TEST_CASE("Binary intervals that touch are merged on decode", "[gtid][mysql][binary]") {
  const auto bytes = from_hex(
      "0100000000000000b9b88c66075511f198994a9da94c4d710200000000000000"
      "01000000000000000300000000000000"
      "03000000000000000500000000000000");
  repl::GtidError error;
  const auto s = repl::decode_mysql_gtid_set(bytes, error);
  REQUIRE(s);
  CHECK(s->to_string() == "b9b88c66-0755-11f1-9899-4a9da94c4d71:1-4");
}

TEST_CASE("MariaDB GTID positions parse and print sorted by domain", "[gtid][mariadb]") {
  struct Row {
    std::string input;
    std::string canonical;
  };
  const std::vector<Row> rows = {
      {"", ""},
      {"0-1-100", "0-1-100"},
      {"1-2-5,0-1-100", "0-1-100,1-2-5"},
      {" 0-1-100 ,\n 1-2-5 ", "0-1-100,1-2-5"},
      {"0-99-1001,0-11-1010,2-11-1", "0-11-1010,2-11-1"},  // gtid_binlog_state: highest seq
      {"0-1-0", "0-1-0"},
      {"4294967295-4294967295-18446744073709551615", "4294967295-4294967295-18446744073709551615"},
  };
  for (const auto& row : rows) {
    INFO(row.input);
    const auto p = position(row.input);
    CHECK(p.to_string() == row.canonical);
    CHECK(position(p.to_string()) == p);
  }
}

TEST_CASE("Malformed MariaDB positions are rejected with their offset", "[gtid][mariadb]") {
  struct Row {
    std::string input;
    std::size_t offset;
  };
  const std::vector<Row> rows = {
      {"x", 0},          {"0", 1},          {"0-1", 3},        {"0-1-", 4},
      {"0-1-2,", 6},     {"0-1-2 0-1-3", 6}, {"-1-1-1", 0},    {"0--1-2", 2},
      {"4294967296-1-1", 0},                {"0-4294967296-1", 2},
      {"0-1-18446744073709551616", 4},      {"0-1-2x", 5},     {"0 -1-2", 1},
  };
  for (const auto& row : rows) {
    INFO(row.input);
    repl::GtidError error;
    CHECK_FALSE(repl::MariadbGtidPosition::parse(row.input, error));
    CHECK(error.offset == row.offset);
    CHECK_FALSE(error.message.empty());
  }
  repl::GtidError error;
  CHECK_FALSE(repl::parse_mariadb_gtid("", error));
  CHECK_FALSE(repl::parse_mariadb_gtid("0-1-2,1-1-1", error));
  CHECK(repl::to_string(mariadb_gtid(" 0-11-1019 ")) == "0-11-1019");
}

TEST_CASE("MariaDB contains compares seq within the domain only", "[gtid][mariadb]") {
  const auto p = position("0-11-1019,2-11-1");
  struct Row {
    std::string gtid;
    bool contained;
  };
  const std::vector<Row> rows = {
      {"0-11-1019", true}, {"0-99-1019", true},  // server_id is informational
      {"0-11-1", true},    {"0-11-1020", false}, {"2-11-1", true},
      {"2-11-2", false},   {"1-11-1", false},    // unknown domain
  };
  for (const auto& row : rows) {
    INFO(row.gtid);
    CHECK(p.contains(mariadb_gtid(row.gtid)) == row.contained);
  }
}

TEST_CASE("MariaDB covers needs every domain of the other position", "[gtid][mariadb]") {
  struct Row {
    std::string ours;
    std::string theirs;
    bool covers;
  };
  const std::vector<Row> rows = {
      {"0-1-100,1-2-5", "0-1-100", true},  {"0-1-100,1-2-5", "0-1-100,1-2-5", true},
      {"0-1-100,1-2-5", "0-1-99,1-3-1", true}, {"0-1-100", "0-1-100,1-2-5", false},
      {"0-1-100,1-2-5", "0-1-101", false}, {"", "", true},
      {"0-1-1", "", true},                 {"", "0-1-1", false},
  };
  for (const auto& row : rows) {
    INFO(row.ours << " covers " << row.theirs);
    CHECK(position(row.ours).covers(position(row.theirs)) == row.covers);
  }
}

TEST_CASE("MariaDB update keeps the highest seq per domain", "[gtid][mariadb]") {
  auto p = position("0-11-1010");
  CHECK(p.update(mariadb_gtid("0-11-1011")));
  CHECK(p.update(mariadb_gtid("0-99-1012")));  // another server in the domain
  CHECK_FALSE(p.update(mariadb_gtid("0-11-1012")));
  CHECK_FALSE(p.update(mariadb_gtid("0-11-5")));
  CHECK(p.update(mariadb_gtid("2-11-1")));
  CHECK(p.to_string() == "0-99-1012,2-11-1");
  CHECK(p.find(0)->server_id == 99);
  CHECK_FALSE(p.find(1));
}

TEST_CASE("MariaDB lag sums the seq differences per domain", "[gtid][mariadb]") {
  struct Row {
    std::string behind;
    std::string ahead;
    std::uint64_t lag;
  };
  const std::vector<Row> rows = {
      {"0-1-100", "0-1-100", 0},
      {"0-1-90", "0-1-100", 10},
      {"0-1-100", "0-1-90", 0},  // ahead is behind: no negative lag
      {"0-1-90,1-1-5", "0-1-100,1-2-8", 13},
      {"0-1-90", "0-1-100,1-1-4", 14},  // missing domain counts from 0
      {"0-1-90,1-1-500", "0-1-100", 10},
      {"", "0-1-18446744073709551615,1-1-18446744073709551615", 18446744073709551615ULL},
  };
  for (const auto& row : rows) {
    INFO(row.behind << " -> " << row.ahead);
    CHECK(repl::lag(position(row.behind), position(row.ahead)) == row.lag);
  }
}

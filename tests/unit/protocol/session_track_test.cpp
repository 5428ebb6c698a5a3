// Session-state blocks of OK packets: finding the commit GTID (MariaDB last_gtid, MySQL
// GTIDS), refusing malformed blocks, and re-encoding OKs for clients that did not ask for
// session tracking.
#include <catch2/catch.hpp>

#include <string>
#include <tuple>
#include <vector>

#include "proxy/protocol/packets.hpp"
#include "proxy/protocol/session_track.hpp"
#include "tests/unit/protocol/captures.hpp"
#include "tests/unit/protocol/test_util.hpp"

namespace pr = causeway::protocol;
namespace cap = causeway::protocol::test::captures;
namespace track = causeway::protocol::session_track;
using causeway::protocol::test::Buffer;
using causeway::protocol::test::buf;
using causeway::protocol::test::bytes_of;
using causeway::protocol::test::concat;
using causeway::protocol::test::hex;
using causeway::protocol::test::payload_of;
using namespace causeway::protocol::test::negotiated;

namespace {

// The 7 payloads of ../shared/testdata/binlog/mariadb/generated-10.11.19/ok-session-track.bin
// (sha256 cf5cad21...), in order: SET SESSION session_track_system_variables='last_gtid',
// INSERT (0-11-1018), an OK without changes, BEGIN, INSERT inside the transaction, COMMIT
// (0-11-1019), an EOF. MariaDB 10.11.19, CLIENT_SESSION_TRACK without CLIENT_DEPRECATE_EOF.
const char* const tracked_session[] = {
    "00000002000000",
    "0001000240000000160014096c6173745f6774696409302d31312d31303138",
    "00000002000000",
    "00000003000000",
    "00010003000000",
    "0000000240000000160014096c6173745f6774696409302d31312d31303139",
    "fe00000200",
};

// The session-state block of an OK payload decoded under `caps`.
Buffer state_of(const Buffer& ok_payload, pr::Caps caps = caps_libmariadb) {
  pr::OkPacket ok;
  REQUIRE_FALSE(pr::decode_ok(ok_payload, caps, ok));
  return buf(ok.session_state);
}

Buffer lenenc(const std::string& s) {
  Buffer out;
  pr::Writer w(out);
  w.lenenc_string(s);
  return out;
}

Buffer entry(std::uint8_t type, const Buffer& data) {
  Buffer out{type};
  pr::Writer w(out);
  w.lenenc_bytes(data);
  return out;
}

Buffer variable(const std::string& name, const std::string& value) {
  return entry(0, concat({lenenc(name), lenenc(value)}));
}

// MySQL's SESSION_TRACK_GTIDS entry: encoding specification 0, then the GTID set.
Buffer gtids(const std::string& set, std::uint8_t encoding = 0) { return entry(3, concat({{encoding}, lenenc(set)})); }

const std::string mysql_gtid = "3e11fa47-71ca-11e1-9e33-c80aa9429562:23";

std::vector<pr::StateEntry> entries_of(const Buffer& state, std::error_code& ec) {
  std::vector<pr::StateEntry> out;
  pr::StateEntries entries(state);
  pr::StateEntry e;
  while (entries.next(e)) out.push_back(e);
  ec = entries.error();
  return out;
}

}  // namespace

TEST_CASE("The captured INSERT's OK carries its commit GTID in last_gtid") {
  const Buffer state = state_of(hex(tracked_session[1]));
  CHECK(pr::find_system_variable(state, "last_gtid") == "0-11-1018");
  CHECK(pr::commit_gtid(state) == "0-11-1018");
  CHECK_FALSE(pr::find_gtids(state));

  std::error_code ec;
  const auto entries = entries_of(state, ec);
  CHECK_FALSE(ec);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].type == track::system_variables);
  CHECK(entries[0].data.size() == 0x14);
}

TEST_CASE("Inside BEGIN..COMMIT only the COMMIT's OK carries last_gtid") {
  for (const int i : {3, 4}) {
    INFO("payload " << i);
    const Buffer ok = hex(tracked_session[i]);
    pr::OkPacket packet;
    REQUIRE_FALSE(pr::decode_ok(ok, caps_libmariadb, packet));
    CHECK(packet.status_flags & pr::status::in_trans);
    CHECK_FALSE(packet.status_flags & pr::status::session_state_changed);
    CHECK(packet.session_state.empty());
    CHECK_FALSE(pr::commit_gtid(packet.session_state));
  }
  const Buffer commit = state_of(hex(tracked_session[5]));
  CHECK(pr::commit_gtid(commit) == "0-11-1019");
}

TEST_CASE("Turning last_gtid tracking on produces no session-state entry") {
  for (const int i : {0, 2}) {
    INFO("payload " << i);
    const Buffer state = state_of(hex(tracked_session[i]));
    CHECK(state.empty());
    CHECK_FALSE(pr::find_system_variable(state, "last_gtid"));
    CHECK_FALSE(pr::commit_gtid(state));
  }
}

TEST_CASE("System variables are found whatever the case of their name") {
  const Buffer state = state_of(hex(tracked_session[1]));
  CHECK(pr::find_system_variable(state, "LAST_GTID") == "0-11-1018");
  CHECK(pr::find_system_variable(state, "Last_Gtid") == "0-11-1018");
  CHECK_FALSE(pr::find_system_variable(state, "last_gtid_"));
  CHECK_FALSE(pr::find_system_variable(state, "last_gti"));
  CHECK_FALSE(pr::find_system_variable(state, "time_zone"));
}

TEST_CASE("Session state of the other captured OKs: variables and schema") {
  const Buffer tz = state_of(payload_of(cap::ok_time_zone));
  CHECK(pr::find_system_variable(tz, "time_zone") == "+02:00");
  CHECK_FALSE(pr::commit_gtid(tz));

  const Buffer schema = state_of(payload_of(cap::ok_init_db), caps_raw);
  std::error_code ec;
  const auto entries = entries_of(schema, ec);
  CHECK_FALSE(ec);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].type == track::schema);
  CHECK(causeway::protocol::test::str(entries[0].data) == "\x05mysql");
  CHECK_FALSE(pr::commit_gtid(schema));

  // With session_track_system_variables='*': two long variables after a SET.
  const Buffer big = causeway::protocol::test::split_frames(hex(cap::big_ok_then_select))[0].payload;
  const Buffer many = state_of(big, caps_raw);
  const auto vars = entries_of(many, ec);
  CHECK_FALSE(ec);
  CHECK(vars.size() == 2);
  const auto sql_mode = pr::find_system_variable(many, "sql_mode");
  REQUIRE(sql_mode);
  CHECK(sql_mode->find("NO_ENGINE_SUBSTITUTION") != std::string_view::npos);
  CHECK(pr::find_system_variable(many, "optimizer_switch")->substr(0, 16) == "index_merge=off,");
  CHECK_FALSE(pr::commit_gtid(many));
}

TEST_CASE("MySQL's GTIDS entry gives the commit GTID") {
  // session_track_gtids=OWN_GTID, with the entries MySQL 8 sends beside it on COMMIT.
  const Buffer state = concat({entry(2, lenenc("1")), gtids(mysql_gtid), entry(5, lenenc("________"))});
  CHECK(pr::find_gtids(state) == mysql_gtid);
  CHECK(pr::commit_gtid(state) == mysql_gtid);
  CHECK_FALSE(pr::find_system_variable(state, "last_gtid"));

  std::error_code ec;
  const auto entries = entries_of(state, ec);
  CHECK_FALSE(ec);
  REQUIRE(entries.size() == 3);
  CHECK(entries[1].type == track::gtids);

  // Inside a decoded OK packet.
  Buffer ok = hex("00 00 00 02 40 00 00 00");
  pr::Writer(ok).lenenc_bytes(state);
  CHECK(pr::commit_gtid(state_of(ok, caps_raw)) == mysql_gtid);
}

TEST_CASE("last_gtid wins over GTIDS, and an empty value is no GTID") {
  CHECK(pr::commit_gtid(concat({gtids(mysql_gtid), variable("last_gtid", "0-1-5")})) == "0-1-5");
  CHECK(pr::commit_gtid(concat({variable("last_gtid", ""), gtids(mysql_gtid)})) == mysql_gtid);
  CHECK(pr::find_system_variable(variable("last_gtid", ""), "last_gtid") == "");
  CHECK_FALSE(pr::commit_gtid(variable("last_gtid", "")));
  CHECK(pr::find_gtids(gtids("")) == "");
  CHECK_FALSE(pr::commit_gtid(gtids("")));
  CHECK_FALSE(pr::commit_gtid({}));
  // The first entry of a name counts.
  CHECK(pr::commit_gtid(concat({variable("last_gtid", "0-1-5"), variable("last_gtid", "0-1-6")})) == "0-1-5");
}

TEST_CASE("A GTIDS entry in an unknown encoding is skipped") {
  const Buffer state = concat({gtids(mysql_gtid, 1), variable("autocommit", "ON")});
  CHECK_FALSE(pr::find_gtids(state));
  CHECK_FALSE(pr::commit_gtid(state));
  CHECK(pr::find_system_variable(state, "autocommit") == "ON");
}

TEST_CASE("Unknown entry types are walked over") {
  const Buffer state = concat({entry(0x2a, bytes_of("whatever")), variable("last_gtid", "0-1-5")});
  CHECK(pr::commit_gtid(state) == "0-1-5");
}

TEST_CASE("Malformed session-state blocks give no value and never read past an entry") {
  struct Bad {
    const char* name;
    Buffer state;
  };
  const Buffer good = variable("last_gtid", "0-1-5");
  const Bad cases[] = {
      {"entry length past the block", concat({good, hex("00 20 09")})},
      {"type with a NULL length byte", concat({good, hex("fb 00")})},
      {"type with an invalid length byte", concat({good, hex("ff 00")})},
      {"8-byte entry length", concat({good, hex("00 fe ff ff ff ff ff ff ff ff 00")})},
      {"type without data length", concat({good, hex("00")})},
      {"name longer than its entry", concat({hex("00 05 09 6c 61 73 74"), good})},
      {"variable without value", concat({entry(0, lenenc("last_gtid")), good})},
      {"variable with bytes after its value", concat({entry(0, concat({lenenc("last_gtid"), lenenc("0-1-5"), {0}})), good})},
      {"GTIDS entry without encoding", concat({entry(3, {}), good})},
      {"GTIDS entry without its set", concat({entry(3, {0}), good})},
      {"GTIDS set longer than its entry", concat({entry(3, {0, 9, 'a'}), good})},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    CHECK_FALSE(pr::commit_gtid(c.state));
    CHECK_FALSE(pr::find_system_variable(c.state, "last_gtid"));
    CHECK_FALSE(pr::find_gtids(c.state));
  }
}

TEST_CASE("The entry walk stops with an error at a truncated entry, after the good ones") {
  const Buffer first = variable("time_zone", "+02:00");
  const Buffer second = state_of(hex(tracked_session[1]));
  const Buffer state = concat({first, second});
  for (std::size_t n = 0; n <= state.size(); ++n) {
    INFO("prefix of " << n << " bytes");
    const Buffer prefix = causeway::protocol::test::prefix(state, n);
    std::error_code ec;
    const auto entries = entries_of(prefix, ec);
    const bool boundary = n == 0 || n == first.size() || n == state.size();
    CHECK(bool(ec) == !boundary);
    CHECK(entries.size() == (n >= state.size() ? 2u : n >= first.size() ? 1u : 0u));
    CHECK(pr::commit_gtid(prefix).has_value() == (n == state.size()));
  }
}

TEST_CASE("Stripping session state gives the bytes MariaDB sends a client without tracking") {
  // The same server answered libmariadb (CLIENT_SESSION_TRACK) and PyMySQL (without): after
  // LOAD DATA LOCAL INFILE, and after a login that selected a schema.
  struct Pair {
    const char* name;
    std::string_view tracked;
    pr::Caps caps;
    std::string_view untracked;
  };
  for (const Pair p : {Pair{"LOCAL INFILE OK", cap::local_infile_ok, caps_libmariadb, cap::local_infile_ok_pymysql},
                       Pair{"LOCAL INFILE OK, DEPRECATE_EOF", cap::local_infile_ok_deprecate_eof, caps_raw,
                            cap::local_infile_ok_pymysql},
                       Pair{"login OK with schema", cap::login_ok_schema, caps_libmariadb, cap::login_ok_pymysql}}) {
    INFO(p.name);
    Buffer out;
    REQUIRE(pr::strip_session_state(payload_of(p.tracked), p.caps, out));
    CHECK(out == payload_of(p.untracked));
  }
}

TEST_CASE("Stripping session state keeps every other field") {
  const pr::Caps untracked = caps_raw & ~pr::cap::session_track;
  struct Strip {
    const char* name;
    Buffer payload;
    pr::Caps caps;
    Buffer expected;
  };
  const Buffer big = causeway::protocol::test::split_frames(hex(cap::big_ok_then_select))[0].payload;
  Buffer long_info = hex("00 05 07 02 40 03 00");
  pr::Writer(long_info).lenenc_string(std::string(300, 'i'));
  pr::Writer(long_info).lenenc_bytes(variable("last_gtid", "0-1-99"));
  Buffer eof_ok = hex("fe 00 00 22 40 01 00 00");
  pr::Writer(eof_ok).lenenc_bytes(variable("last_gtid", "0-1-7"));
  Buffer long_info_expected = hex("00 05 07 02 00 03 00");
  pr::Writer(long_info_expected).lenenc_string(std::string(300, 'i'));
  const Strip cases[] = {
      {"captured INSERT", hex(tracked_session[1]), caps_libmariadb, hex("00 01 00 02 00 00 00")},
      {"captured COMMIT", hex(tracked_session[5]), caps_libmariadb, hex("00 00 00 02 00 00 00")},
      {"INSERT, insert id 4", payload_of(cap::ok_last_gtid), caps_libmariadb, hex("00 01 04 02 00 00 00")},
      {"COM_INIT_DB", payload_of(cap::ok_init_db), caps_raw, hex("00 00 00 02 82 00 00")},
      {"1236-byte OK, more results", big, caps_raw, hex("00 00 00 0a 82 00 00")},
      {"OK ending rows, DEPRECATE_EOF", eof_ok, caps_raw, hex("fe 00 00 22 00 01 00")},
      {"info of 300 bytes", long_info, caps_raw, long_info_expected},
      {"OK without changes", hex(tracked_session[4]), caps_libmariadb, hex(tracked_session[4])},
      {"COM_PING", payload_of(cap::ok_ping), caps_raw, payload_of(cap::ok_ping)},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    pr::OkPacket before;
    REQUIRE_FALSE(pr::decode_ok(c.payload, c.caps, before));
    Buffer out = {0xaa};  // appended after what is there
    REQUIRE(pr::strip_session_state(c.payload, c.caps, out));
    REQUIRE(out.size() >= 1);
    CHECK(out[0] == 0xaa);
    const Buffer stripped(out.begin() + 1, out.end());
    CHECK(stripped == c.expected);
    pr::OkPacket after;
    REQUIRE_FALSE(pr::decode_ok(stripped, untracked, after));
    CHECK(after.eof_header == before.eof_header);
    CHECK(after.affected_rows == before.affected_rows);
    CHECK(after.last_insert_id == before.last_insert_id);
    CHECK(after.warnings == before.warnings);
    CHECK(after.info == before.info);
    CHECK(after.status_flags == (before.status_flags & ~pr::status::session_state_changed));
    CHECK(after.session_state.empty());
  }
}

TEST_CASE("Only OK packets are stripped") {
  const Buffer eof = hex(tracked_session[6]);
  const Buffer err = payload_of(cap::err_no_table);
  Buffer truncated_state = hex(tracked_session[1]);
  truncated_state.pop_back();
  for (const auto& [name, payload, caps] :
       {std::tuple{"classic EOF", eof, caps_libmariadb}, std::tuple{"5-byte EOF under DEPRECATE_EOF", eof, caps_raw},
        std::tuple{"ERR", err, caps_raw}, std::tuple{"empty", Buffer{}, caps_raw},
        std::tuple{"truncated state block", truncated_state, caps_libmariadb},
        std::tuple{"truncated flags", hex("00 00 00 02"), caps_raw}}) {
    INFO(name);
    Buffer out = {1, 2};
    CHECK_FALSE(pr::strip_session_state(payload, caps, out));
    CHECK(out == Buffer{1, 2});
  }
}

TEST_CASE("Commit GTIDs a client did not ask for leave its OK packets, the rest stays") {
  Buffer out, scratch;
  // The captured INSERT's OK: last_gtid is its only entry, so the OK becomes one without
  // changes, as the server sends it to a client tracking nothing that changed.
  REQUIRE(pr::strip_commit_gtids(hex(tracked_session[1]), caps_libmariadb, out, scratch));
  pr::OkPacket ok;
  REQUIRE_FALSE(pr::decode_ok(out, caps_libmariadb, ok));
  CHECK(ok.affected_rows == 1);
  CHECK(ok.status_flags == pr::status::autocommit);
  CHECK(ok.session_state.empty());
  CHECK(out == hex("00010002000000"));  // as tracked_session[4] without IN_TRANS: no info, no block

  // Other entries keep their order around the removed ones (USE after a commit: the
  // schema entry now comes first, where Connector/J 2 looks).
  const Buffer state = concat({variable("last_gtid", "0-1-5"), entry(1, lenenc("demo")), gtids(mysql_gtid),
                               variable("autocommit", "ON")});
  pr::OkPacket with;
  with.status_flags = pr::status::autocommit | pr::status::session_state_changed;
  with.session_state = state;
  Buffer payload;
  pr::encode_ok(with, caps_libmariadb, payload);
  out.clear();
  REQUIRE(pr::strip_commit_gtids(payload, caps_libmariadb, out, scratch));
  REQUIRE_FALSE(pr::decode_ok(out, caps_libmariadb, ok));
  CHECK(ok.status_flags == (pr::status::autocommit | pr::status::session_state_changed));
  CHECK(buf(ok.session_state) == concat({entry(1, lenenc("demo")), variable("autocommit", "ON")}));

  // Nothing to remove, not an OK, or malformed: untouched.
  out.clear();
  CHECK_FALSE(pr::strip_commit_gtids(hex(tracked_session[0]), caps_libmariadb, out, scratch));
  CHECK_FALSE(pr::strip_commit_gtids(hex(tracked_session[6]), caps_libmariadb, out, scratch));
  with.session_state = entry(1, lenenc("demo"));
  payload.clear();
  pr::encode_ok(with, caps_libmariadb, payload);
  CHECK_FALSE(pr::strip_commit_gtids(payload, caps_libmariadb, out, scratch));
  with.session_state = concat({variable("last_gtid", "0-1-5"), Buffer{0, 9}});
  payload.clear();
  pr::encode_ok(with, caps_libmariadb, payload);
  CHECK_FALSE(pr::strip_commit_gtids(payload, caps_libmariadb, out, scratch));
  CHECK(out.empty());
}

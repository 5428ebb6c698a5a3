// Generic response packets (OK, ERR, EOF, PREPARE_OK) decoded from real captures,
// re-encoded, and decoded from every truncation of those captures.
#include <catch2/catch.hpp>

#include "proxy/protocol/errors.hpp"
#include "proxy/protocol/packets.hpp"
#include "tests/unit/protocol/captures.hpp"
#include "tests/unit/protocol/test_util.hpp"

namespace pr = causeway::protocol;
namespace cap = causeway::protocol::test::captures;
using causeway::protocol::test::Buffer;
using causeway::protocol::test::buf;
using causeway::protocol::test::bytes_of;
using causeway::protocol::test::hex;
using causeway::protocol::test::payload_of;
using causeway::protocol::test::prefix;
using causeway::protocol::test::split_frames;
using causeway::protocol::test::starts_with;
using causeway::protocol::test::str;
using namespace causeway::protocol::test::negotiated;

namespace {

std::size_t lenenc_size(std::uint64_t v) { return v < 0xfb ? 1 : v <= 0xffff ? 3 : v <= 0xffffff ? 4 : 9; }

void check_same(const pr::OkPacket& a, const pr::OkPacket& b) {
  CHECK(a.affected_rows == b.affected_rows);
  CHECK(a.last_insert_id == b.last_insert_id);
  CHECK(a.status_flags == b.status_flags);
  CHECK(a.warnings == b.warnings);
  CHECK(a.info == b.info);
  CHECK(buf(a.session_state) == buf(b.session_state));
  CHECK(a.eof_header == b.eof_header);
}

}  // namespace

// --- OK -----------------------------------------------------------------------------------

TEST_CASE("OK packets with session-state changes decode with their state block") {
  pr::OkPacket ok;
  SECTION("schema after login") {
    const Buffer p = payload_of(cap::login_ok_schema);
    REQUIRE(!pr::decode_ok(p, caps_libmariadb, ok));
    CHECK(ok.status_flags == (pr::status::autocommit | pr::status::session_state_changed));
    CHECK(ok.info.empty());
    CHECK(buf(ok.session_state) == Buffer{0x01, 0x05, 0x04, 's', 'h', 'o', 'p'});
  }
  SECTION("time_zone system variable") {
    const Buffer p = payload_of(cap::ok_time_zone);
    REQUIRE(!pr::decode_ok(p, caps_libmariadb, ok));
    CHECK(ok.affected_rows == 0);
    CHECK(str(ok.session_state) == std::string("\x00\x11\x09time_zone\x06+02:00", 19));
  }
  SECTION("MariaDB's last_gtid after an INSERT") {
    const Buffer p = payload_of(cap::ok_last_gtid);
    REQUIRE(!pr::decode_ok(p, caps_libmariadb, ok));
    CHECK(ok.affected_rows == 1);
    CHECK(ok.last_insert_id == 4);
    CHECK(ok.status_flags == (pr::status::autocommit | pr::status::session_state_changed));
    CHECK(str(ok.session_state) == std::string("\x00\x11\x09last_gtid\x06" "0-1-18", 19));
  }
  SECTION("info string and state after LOAD DATA LOCAL INFILE") {
    const Buffer p = payload_of(cap::local_infile_ok);
    REQUIRE(!pr::decode_ok(p, caps_libmariadb, ok));
    CHECK(ok.affected_rows == 2);
    CHECK(ok.info == "Records: 2  Deleted: 0  Skipped: 0  Warnings: 0");
    CHECK(starts_with(str(ok.session_state), std::string("\x00\x11\x09last_gtid", 12)));
  }
  SECTION("an OK of 1236 bytes with two long variables") {
    const Buffer p = split_frames(hex(cap::big_ok_then_select))[0].payload;
    REQUIRE(p.size() == 1236);
    REQUIRE(!pr::decode_ok(p, caps_raw, ok));
    CHECK(ok.status_flags & pr::status::more_results_exist);
    CHECK(ok.session_state.size() == 1236 - 8 - 3);
    CHECK(str(ok.session_state).find("optimizer_switch") != std::string::npos);
  }
}

TEST_CASE("OK packets without session-state changes decode with empty state") {
  pr::OkPacket ok;  // its views point into `p`
  SECTION("SESSION_TRACK negotiated, nothing tracked") {
    const Buffer p = payload_of(cap::ok_set_tracking);
    REQUIRE(!pr::decode_ok(p, caps_libmariadb, ok));
    CHECK(ok.status_flags == pr::status::autocommit);
    CHECK(ok.info.empty());
    CHECK(ok.session_state.empty());
  }
  SECTION("PyMySQL: no SESSION_TRACK, the info string is still length-encoded") {
    // MariaDB (and MySQL) write the info with a length even then; libmariadb reads it so.
    const Buffer p = payload_of(cap::local_infile_ok_pymysql);
    REQUIRE(p[7] == 47);
    REQUIRE(!pr::decode_ok(p, caps_pymysql, ok));
    CHECK(ok.affected_rows == 2);
    CHECK(ok.info == "Records: 2  Deleted: 0  Skipped: 0  Warnings: 0");
    CHECK(ok.session_state.empty());
  }
  SECTION("BEGIN sets SERVER_STATUS_IN_TRANS") {
    const Buffer p = payload_of(cap::ok_begin_pymysql);
    REQUIRE(!pr::decode_ok(p, caps_pymysql, ok));
    CHECK(ok.status_flags == (pr::status::in_trans | pr::status::autocommit));
  }
  SECTION("an OK with the 0xfe header ends a result set under DEPRECATE_EOF") {
    const auto frames = split_frames(hex(cap::select_items_deprecate_eof));
    REQUIRE(!pr::decode_ok(frames.back().payload, caps_raw, ok));
    CHECK(ok.eof_header);
    CHECK(ok.info.empty());
    CHECK(ok.status_flags == (pr::status::autocommit | pr::status::no_index_used));
  }
}

TEST_CASE("Encoding a decoded OK packet gives back the server's bytes") {
  struct Case {
    std::string_view capture;
    pr::Caps caps;
    bool last_frame;
  };
  const Case cases[] = {
      {cap::login_ok_schema, caps_libmariadb, false},    {cap::ok_time_zone, caps_libmariadb, false},
      {cap::ok_set_tracking, caps_libmariadb, false},    {cap::ok_last_gtid, caps_libmariadb, false},
      {cap::local_infile_ok, caps_libmariadb, false},    {cap::login_ok_pymysql, caps_pymysql, false},
      {cap::ok_delete_pymysql, caps_pymysql, false},     {cap::local_infile_ok_pymysql, caps_pymysql, false},
      {cap::ok_begin_pymysql, caps_pymysql, false},      {cap::ok_init_db, caps_raw, false},
      {cap::ok_last_gtid_deprecate_eof, caps_raw, false}, {cap::change_user_ok, caps_capture_stmt, false},
      {cap::select_items_deprecate_eof, caps_raw, true}, {cap::call_two_selects_eof, caps_libmariadb, true},
      {cap::big_ok_then_select, caps_raw, true},         {cap::execute_cursor_deprecate_eof, caps_raw, true},
  };
  for (const auto& c : cases) {
    const auto frames = split_frames(hex(c.capture));
    const Buffer& p = c.last_frame ? frames.back().payload : frames.front().payload;
    INFO(causeway::protocol::as_string_view(p));
    pr::OkPacket ok;
    REQUIRE(!pr::decode_ok(p, c.caps, ok));
    Buffer out;
    pr::encode_ok(ok, c.caps, out);
    CHECK(out == p);
    pr::OkPacket back;
    REQUIRE(!pr::decode_ok(out, c.caps, back));
    check_same(back, ok);
  }
}

TEST_CASE("An OK causeway builds decodes to the same fields, with and without SESSION_TRACK") {
  const Buffer state{0x01, 0x05, 0x04, 's', 'h', 'o', 'p'};
  for (const pr::Caps caps : {pr::cap::protocol_41, pr::cap::protocol_41 | pr::cap::session_track}) {
    pr::OkPacket ok;
    ok.affected_rows = 0x1000000;  // 8-byte lenenc
    ok.last_insert_id = 300;       // 2-byte lenenc
    ok.status_flags = pr::status::autocommit | pr::status::in_trans;
    ok.warnings = 2;
    ok.info = "Rows matched: 1";
    if (caps & pr::cap::session_track) {
      ok.status_flags |= pr::status::session_state_changed;
      ok.session_state = state;
    }
    Buffer out;
    pr::encode_ok(ok, caps, out);
    pr::OkPacket back;
    REQUIRE(!pr::decode_ok(out, caps, back));
    check_same(back, ok);
  }
}

TEST_CASE("encode_ok writes the info with its length also without SESSION_TRACK, as servers do") {
  pr::OkPacket ok;
  ok.affected_rows = 2;
  ok.status_flags = pr::status::autocommit;
  const std::string info = "Records: 2  Deleted: 0  Skipped: 0  Warnings: 0";
  ok.info = info;
  Buffer out;
  pr::encode_ok(ok, caps_pymysql, out);
  CHECK(out == payload_of(cap::local_infile_ok_pymysql));
}

TEST_CASE("Truncated OK packets fail except where a field may legitimately end") {
  struct Case {
    std::string_view capture;
    pr::Caps caps;
  };
  for (const Case c : {Case{cap::login_ok_schema, caps_libmariadb}, Case{cap::ok_last_gtid, caps_libmariadb},
                       Case{cap::local_infile_ok, caps_libmariadb}, Case{cap::ok_init_db, caps_raw},
                       Case{cap::local_infile_ok_pymysql, caps_pymysql}, Case{cap::ok_delete_pymysql, caps_pymysql}}) {
    const Buffer p = payload_of(c.capture);
    pr::OkPacket full;
    REQUIRE(!pr::decode_ok(p, c.caps, full));
    const std::size_t fixed_end = 1 + lenenc_size(full.affected_rows) + lenenc_size(full.last_insert_id) + 4;
    const std::size_t info_end = fixed_end + lenenc_size(full.info.size()) + full.info.size();
    for (std::size_t n = 0; n < p.size(); ++n) {
      INFO(causeway::protocol::as_string_view(p) << " prefix " << n);
      pr::OkPacket ok;
      const auto ec = pr::decode_ok(prefix(p, n), c.caps, ok);
      // The info and the session state are length-prefixed: only their absence is fine.
      CHECK(bool(ec) == !(n == fixed_end || n == info_end));
    }
  }
}

TEST_CASE("decode_ok refuses packets that are not OK") {
  pr::OkPacket ok;
  CHECK(pr::decode_ok(payload_of(cap::err_parse), caps_raw, ok) == pr::errc::malformed_packet);
  CHECK(pr::decode_ok(Buffer{}, caps_raw, ok) == pr::errc::malformed_packet);
  CHECK(pr::decode_ok(Buffer{0x00, 0xfb, 0x00, 0x02, 0x00, 0x00, 0x00}, caps_raw, ok));  // NULL is no count
}

// --- ERR ----------------------------------------------------------------------------------

TEST_CASE("ERR packets decode with code, SQLSTATE and message") {
  struct Case {
    std::string_view capture;
    std::uint16_t code;
    std::string_view state;
    std::string_view message_start;
  };
  const Case cases[] = {
      {cap::err_parse, 1064, "42000", "You have an error in your SQL syntax; check the manual"},
      {cap::err_no_table, 1146, "42S02", "Table 'shop.no_such_table' doesn't exist"},
      {cap::err_access_denied, 1045, "28000", "Access denied for user 'app'@'localhost' (using password: YES)"},
      {cap::prepare_error, 1064, "42000", "You have an error"},
  };
  for (const auto& c : cases) {
    INFO(c.code);
    const Buffer p = payload_of(c.capture);
    pr::ErrPacket err;
    REQUIRE(!pr::decode_err(p, caps_libmariadb, err));
    CHECK(err.code == c.code);
    CHECK(err.sql_state == c.state);
    CHECK(starts_with(err.message, c.message_start));
    Buffer out;
    pr::encode_err(err, caps_libmariadb, out);
    CHECK(out == p);
    CHECK(pr::is_err(p));
  }
}

TEST_CASE("ERR packets without CLIENT_PROTOCOL_41 carry no SQLSTATE") {
  const pr::ErrPacket err = pr::make_err(1040, "08004", "Too many connections");
  Buffer out;
  pr::encode_err(err, 0, out);
  CHECK(out == causeway::protocol::test::concat({{0xff, 0x10, 0x04}, bytes_of("Too many connections")}));
  pr::ErrPacket back;
  REQUIRE(!pr::decode_err(out, 0, back));
  CHECK(back.code == 1040);
  CHECK(back.sql_state == "HY000");
  CHECK(back.message == "Too many connections");
}

TEST_CASE("Truncated ERR packets fail only before the code ends") {
  const Buffer p = payload_of(cap::err_no_table);
  for (std::size_t n = 0; n < p.size(); ++n) {
    INFO("prefix " << n);
    pr::ErrPacket err;
    const auto ec = pr::decode_err(prefix(p, n), caps_libmariadb, err);
    CHECK(bool(ec) == (n < 3));
    if (n >= 9) CHECK(err.sql_state == "42S02");
  }
}

// --- EOF, end of rows, auth switch, PREPARE_OK ------------------------------------------------

TEST_CASE("EOF packets decode and re-encode to the server's bytes") {
  struct Case {
    std::string_view capture;
    std::uint16_t status;
  };
  for (const Case c : {Case{cap::select_items_eof, 0x0022}, Case{cap::execute_cursor_eof, 0x0042},
                       Case{cap::fetch_last, 0x0082}, Case{cap::field_list_eof, 0x0002}}) {
    const Buffer p = split_frames(hex(c.capture)).back().payload;
    pr::EofPacket eof;
    REQUIRE(!pr::decode_eof(p, eof));
    CHECK(eof.status_flags == c.status);
    CHECK(eof.warnings == 0);
    CHECK(pr::is_eof(p));
    Buffer out;
    pr::encode_eof(eof, out);
    CHECK(out == p);
    for (std::size_t n = 0; n < p.size(); ++n) CHECK(pr::decode_eof(prefix(p, n), eof));
  }
}

TEST_CASE("encode_end_of_rows writes an EOF, or an OK with 0xfe under DEPRECATE_EOF") {
  Buffer eof;
  pr::encode_end_of_rows(0x0022, 0, caps_libmariadb, eof);
  CHECK(eof == split_frames(hex(cap::select_items_eof)).back().payload);
  Buffer ok;
  pr::encode_end_of_rows(0x0022, 0, caps_raw, ok);
  CHECK(ok == split_frames(hex(cap::select_items_deprecate_eof)).back().payload);
}

TEST_CASE("PREPARE_OK decodes statement id, columns, params and warnings") {
  struct Case {
    std::string_view capture;
    std::uint32_t id;
    std::uint16_t columns;
    std::uint16_t params;
  };
  for (const Case c : {Case{cap::prepare_select_eof, 1, 4, 2}, Case{cap::prepare_three_params, 9, 4, 3},
                       Case{cap::prepare_insert_eof, 2, 0, 2}, Case{cap::prepare_now_deprecate_eof, 7, 1, 0}}) {
    const Buffer p = split_frames(hex(c.capture)).front().payload;
    pr::PrepareOk ok;
    REQUIRE(!pr::decode_prepare_ok(p, ok));
    CHECK(ok.statement_id == c.id);
    CHECK(ok.num_columns == c.columns);
    CHECK(ok.num_params == c.params);
    CHECK(ok.warnings == 0);
    for (std::size_t n = 0; n < 10; ++n) CHECK(pr::decode_prepare_ok(prefix(p, n), ok));
  }
}

TEST_CASE("The first byte tells OK, ERR and EOF apart, and a 0xfe row of 16 MB is no EOF") {
  CHECK(pr::is_ok(payload_of(cap::ok_begin)));
  CHECK(pr::is_err(payload_of(cap::err_no_table)));
  CHECK_FALSE(pr::is_ok(Buffer{}));
  CHECK_FALSE(pr::is_err(Buffer{}));
  CHECK_FALSE(pr::is_eof(Buffer{}));
  Buffer huge_row(pr::max_frame_payload, 0);
  huge_row[0] = 0xfe;
  CHECK_FALSE(pr::is_eof(huge_row));
}

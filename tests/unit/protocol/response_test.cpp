// ResponseTracker over captured server responses: it must say "done" exactly at the last
// byte of each response however the bytes arrive, and never take a byte of what follows.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "proxy/protocol/frame.hpp"
#include "proxy/protocol/response.hpp"
#include "proxy/protocol/session_track.hpp"
#include "tests/unit/protocol/captures.hpp"
#include "tests/unit/protocol/test_util.hpp"

namespace pr = causeway::protocol;
namespace cap = causeway::protocol::test::captures;
using causeway::protocol::test::Buffer;
using causeway::protocol::test::buf;
using causeway::protocol::test::concat;
using causeway::protocol::test::frame;
using causeway::protocol::test::hex;
using causeway::protocol::test::split_frames;
using Kind = causeway::protocol::ResponseKind;
using namespace causeway::protocol::test::negotiated;

namespace {

constexpr int no_status = -1;

struct Case {
  const char* name;
  std::string_view capture;
  Kind kind;
  pr::Caps caps;
  int status = no_status;         // expected status_flags() at the end
  std::uint16_t error_code = 0;   // expected ERR code, 0 for none
};

// Every complete server response captured, with what the tracker must report at its end.
const Case cases[] = {
    // COM_QUERY, classic EOF.
    {"select_items_eof", cap::select_items_eof, Kind::result, caps_libmariadb, 0x0022},
    {"call_two_selects_eof", cap::call_two_selects_eof, Kind::result, caps_libmariadb, 0x0022},
    {"multi_select_eof", cap::multi_select_eof, Kind::result, caps_libmariadb, 0x0002},
    {"ok_time_zone", cap::ok_time_zone, Kind::result, caps_libmariadb, 0x4002},
    {"ok_set_tracking", cap::ok_set_tracking, Kind::result, caps_libmariadb, 0x0002},
    {"ok_last_gtid", cap::ok_last_gtid, Kind::result, caps_libmariadb, 0x4002},
    {"err_parse", cap::err_parse, Kind::result, caps_libmariadb, no_status, 1064},
    {"err_no_table", cap::err_no_table, Kind::result, caps_libmariadb, no_status, 1146},
    {"select1_extended_metadata", cap::select1_extended_metadata, Kind::result, 0x00bfa28c, 0x0002},
    {"select_items_pymysql", cap::select_items_pymysql, Kind::result, caps_pymysql, 0x0022},
    {"ok_delete_pymysql", cap::ok_delete_pymysql, Kind::result, caps_pymysql, 0x0022},
    {"ok_begin_pymysql", cap::ok_begin_pymysql, Kind::result, caps_pymysql, 0x0003},
    {"local_infile_ok_pymysql", cap::local_infile_ok_pymysql, Kind::result, caps_pymysql, 0x0002},
    // COM_QUERY, DEPRECATE_EOF.
    {"select_items_deprecate_eof", cap::select_items_deprecate_eof, Kind::result, caps_raw, 0x0022},
    {"call_two_selects_deprecate_eof", cap::call_two_selects_deprecate_eof, Kind::result, caps_raw, 0x0022},
    {"multi_select_deprecate_eof", cap::multi_select_deprecate_eof, Kind::result, caps_raw, 0x0002},
    {"ok_time_zone_deprecate_eof", cap::ok_time_zone_deprecate_eof, Kind::result, caps_raw, 0x4002},
    {"ok_last_gtid_deprecate_eof", cap::ok_last_gtid_deprecate_eof, Kind::result, caps_raw, 0x4002},
    {"ok_begin", cap::ok_begin, Kind::result, caps_raw, 0x0003},
    {"multi_error_deprecate_eof", cap::multi_error_deprecate_eof, Kind::result, caps_raw, no_status, 1146},
    {"big_ok_then_select", cap::big_ok_then_select, Kind::result, caps_raw, 0x8202},
    {"ok_ping", cap::ok_ping, Kind::single, caps_raw, 0x8202},
    {"ok_init_db", cap::ok_init_db, Kind::single, caps_raw, 0xc202},
    // Prepared statements, classic EOF.
    {"prepare_select_eof", cap::prepare_select_eof, Kind::prepare, caps_pymysql},
    {"execute_select_eof", cap::execute_select_eof, Kind::result, caps_pymysql, 0x0002},
    {"execute_cursor_eof", cap::execute_cursor_eof, Kind::cursor_result, caps_pymysql, 0x0042},
    {"fetch_eof_1", cap::fetch_eof_1, Kind::fetch, caps_pymysql, 0x0042},
    {"fetch_eof_2", cap::fetch_eof_2, Kind::fetch, caps_pymysql, 0x0042},
    {"prepare_insert_eof", cap::prepare_insert_eof, Kind::prepare, caps_pymysql},
    {"prepare_now_eof", cap::prepare_now_eof, Kind::prepare, caps_pymysql},
    {"prepare_error", cap::prepare_error, Kind::prepare, caps_pymysql, no_status, 1064},
    {"field_list_eof", cap::field_list_eof, Kind::field_list, caps_pymysql, 0x0002},
    {"statistics", cap::statistics, Kind::single, caps_pymysql},
    // Prepared statements, DEPRECATE_EOF.
    {"prepare_select_deprecate_eof", cap::prepare_select_deprecate_eof, Kind::prepare, caps_raw},
    {"execute_select_deprecate_eof", cap::execute_select_deprecate_eof, Kind::result, caps_raw, 0x0002},
    {"execute_cursor_deprecate_eof", cap::execute_cursor_deprecate_eof, Kind::cursor_result, caps_raw, 0x0042},
    {"fetch_deprecate_eof_1", cap::fetch_deprecate_eof_1, Kind::fetch, caps_raw, 0x0042},
    {"fetch_deprecate_eof_2", cap::fetch_deprecate_eof_2, Kind::fetch, caps_raw, 0x0042},
    {"prepare_insert_deprecate_eof", cap::prepare_insert_deprecate_eof, Kind::prepare, caps_raw},
    {"prepare_now_deprecate_eof", cap::prepare_now_deprecate_eof, Kind::prepare, caps_raw},
    {"field_list_deprecate_eof", cap::field_list_deprecate_eof, Kind::field_list, caps_raw, 0x0002},
    // libmariadb prepared statements and cursors.
    {"prepare_three_params", cap::prepare_three_params, Kind::prepare, caps_capture_stmt},
    {"execute_typed_result", cap::execute_typed_result, Kind::result, caps_capture_stmt, 0x0002},
    {"execute_cursor_libmariadb", cap::execute_cursor_libmariadb, Kind::cursor_result, caps_capture_stmt, 0x0042},
    {"fetch_last", cap::fetch_last, Kind::fetch, caps_capture_stmt, 0x0082},
    {"execute_long_data_ok", cap::execute_long_data_ok, Kind::result, caps_capture_stmt, 0x0002},
};

// Bytes that follow a response on the wire: the next response, here an OK and an ERR.
const Buffer trailing = concat({frame(1, {0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00}),
                                frame(1, {0xff, 0x7a, 0x04, '#', '4', '2', 'S', '0', '2', 'x'})});

// Feeds `wire` then `trailing`, cutting the input into pieces of the sizes in `chunks` (used
// in turn, cyclically), and checks that the tracker is done exactly once the response's last
// byte went in and that it never took a byte past it.
void feed_checked(pr::ResponseTracker& t, const Buffer& wire, const std::vector<std::size_t>& chunks) {
  const Buffer input = concat({wire, trailing});
  std::size_t pos = 0;
  for (std::size_t i = 0; pos < wire.size(); ++i) {
    REQUIRE_FALSE(t.done());
    const std::size_t n = std::min(chunks[i % chunks.size()], input.size() - pos);
    const std::size_t took = t.feed(pr::Bytes(input.data() + pos, n));
    if (pos + n < wire.size()) {
      INFO("chunk ending at " << pos + n << " of " << wire.size());
      REQUIRE(took == n);
      REQUIRE_FALSE(t.done());
    } else {
      REQUIRE(took == wire.size() - pos);
      REQUIRE(t.done());
    }
    pos += took;
  }
  CHECK(t.feed(pr::Bytes(input.data() + pos, input.size() - pos)) == 0);
}

void check_end(const pr::ResponseTracker& t, const Case& c, const Buffer& wire) {
  CHECK(!t.error());
  CHECK(t.ended_with_error() == (c.error_code != 0));
  CHECK(t.error_code() == c.error_code);
  if (c.status != no_status) CHECK(t.status_flags() == c.status);
  const auto frames = split_frames(wire);
  CHECK(t.packets() == frames.size());
  CHECK(t.last_seq() == frames.back().seq);
}

std::vector<std::size_t> random_chunks(std::mt19937& rng, std::size_t max) {
  std::uniform_int_distribution<std::size_t> size(1, max);
  std::vector<std::size_t> out(32);
  for (auto& s : out) s = size(rng);
  return out;
}

}  // namespace

TEST_CASE("ResponseTracker ends each captured response at its last byte when fed it whole") {
  for (const auto& c : cases) {
    INFO(c.name);
    const Buffer wire = hex(c.capture);
    pr::ResponseTracker t;
    t.start(c.kind, c.caps);
    feed_checked(t, wire, {wire.size() + trailing.size()});
    check_end(t, c, wire);
  }
}

TEST_CASE("ResponseTracker ends each captured response at its last byte when fed byte by byte") {
  for (const auto& c : cases) {
    INFO(c.name);
    const Buffer wire = hex(c.capture);
    pr::ResponseTracker t;
    t.start(c.kind, c.caps);
    feed_checked(t, wire, {1});
    check_end(t, c, wire);
  }
}

TEST_CASE("ResponseTracker ends each captured response at its last byte in random chunkings") {
  std::mt19937 rng(20240301);  // fixed seed: failures reproduce
  for (const auto& c : cases) {
    INFO(c.name);
    const Buffer wire = hex(c.capture);
    for (int round = 0; round < 25; ++round) {
      const auto chunks = random_chunks(rng, round < 12 ? 8 : 96);
      pr::ResponseTracker t;
      t.start(c.kind, c.caps);
      feed_checked(t, wire, chunks);
      check_end(t, c, wire);
    }
  }
}

TEST_CASE("A result's status flags show more results until the last result") {
  struct Multi {
    std::string_view capture;
    pr::Caps caps;
    std::size_t first_end_frame;  // index of the packet that ends the first result
  };
  for (const Multi m : {Multi{cap::multi_select_eof, caps_libmariadb, 4},
                        Multi{cap::multi_select_deprecate_eof, caps_raw, 3},
                        Multi{cap::call_two_selects_eof, caps_libmariadb, 6},
                        Multi{cap::call_two_selects_deprecate_eof, caps_raw, 5},
                        Multi{cap::big_ok_then_select, caps_raw, 0}}) {
    const Buffer wire = hex(m.capture);
    const auto frames = split_frames(wire);
    pr::ResponseTracker t;
    t.start(Kind::result, m.caps);
    const std::size_t first_end = frames[m.first_end_frame].wire_end;
    REQUIRE(t.feed(pr::Bytes(wire.data(), first_end)) == first_end);
    CHECK_FALSE(t.done());
    CHECK(t.status_flags() & pr::status::more_results_exist);
    REQUIRE(t.feed(pr::Bytes(wire.data() + first_end, wire.size() - first_end)) == wire.size() - first_end);
    CHECK(t.done());
    CHECK_FALSE(t.status_flags() & pr::status::more_results_exist);
  }
}

TEST_CASE("A transaction's status flags read in_trans and autocommit") {
  pr::ResponseTracker t;
  t.start(Kind::result, caps_raw);
  const Buffer begin = hex(cap::ok_begin);
  REQUIRE(t.feed(begin) == begin.size());
  CHECK(t.status_flags() & pr::status::in_trans);
  CHECK(t.status_flags() & pr::status::autocommit);
  CHECK(buf(t.last_ok()) == split_frames(begin)[0].payload);
  CHECK(t.last_ok_complete());
}

TEST_CASE("An OK longer than the tracker keeps still gives its status flags") {
  // The 1236-byte OK captured after SET optimizer_switch=..., sql_mode=..., made the only
  // packet of a response and marked in-transaction instead of more-results.
  Buffer ok = split_frames(hex(cap::big_ok_then_select))[0].payload;
  REQUIRE(ok.size() > pr::ResponseTracker::capture_size);
  const std::uint16_t flags = pr::status::in_trans | pr::status::autocommit | pr::status::session_state_changed;
  ok[3] = static_cast<std::uint8_t>(flags);
  ok[4] = static_cast<std::uint8_t>(flags >> 8);
  const Buffer wire = frame(1, ok);
  pr::ResponseTracker t;
  t.start(Kind::result, caps_raw);
  REQUIRE(t.feed(wire) == wire.size());
  CHECK(t.done());
  CHECK(!t.error());
  CHECK(t.status_flags() == flags);
  CHECK_FALSE(t.last_ok_complete());
  CHECK(t.last_ok().size() == pr::ResponseTracker::capture_size);
  CHECK(std::equal(t.last_ok().begin(), t.last_ok().end(), ok.begin()));
}

TEST_CASE("An OK whose info does not decode still gives its status flags") {
  // 0xff is no length: the info is malformed, the flags before it are not.
  const Buffer wire = frame(1, {0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0xff, 'x'});
  pr::ResponseTracker t;
  t.start(Kind::result, caps_pymysql);
  REQUIRE(t.feed(wire) == wire.size());
  CHECK(t.done());
  CHECK(t.status_flags() == (pr::status::in_trans | pr::status::autocommit));
}

TEST_CASE("LOCAL INFILE stops the response until the client's file was relayed, then OK ends it") {
  struct Infile {
    std::string_view request;
    std::string_view ok;
    pr::Caps caps;
  };
  for (const Infile f : {Infile{cap::local_infile_request, cap::local_infile_ok, caps_libmariadb},
                         Infile{cap::local_infile_request_deprecate_eof, cap::local_infile_ok_deprecate_eof, caps_raw}}) {
    const Buffer request = hex(f.request);
    const Buffer ok = hex(f.ok);
    pr::ResponseTracker t;
    t.start(Kind::result, f.caps);
    feed_checked(t, request, {3});
    CHECK(t.local_infile_requested());
    CHECK(t.last_seq() == 1);
    t.continue_after_local_infile();
    CHECK_FALSE(t.done());
    CHECK_FALSE(t.local_infile_requested());
    feed_checked(t, ok, {5});
    CHECK_FALSE(t.local_infile_requested());
    CHECK_FALSE(t.ended_with_error());
    CHECK(t.status_flags() == 0x4002);
    CHECK(t.last_seq() == 4);
  }
}

TEST_CASE("continue_after_local_infile does nothing when no file was asked for") {
  pr::ResponseTracker t;
  t.start(Kind::result, caps_raw);
  const Buffer ok = hex(cap::ok_begin);
  t.feed(ok);
  REQUIRE(t.done());
  t.continue_after_local_infile();
  CHECK(t.done());
}

TEST_CASE("An open cursor ends the execute response after the column metadata") {
  for (const auto& [capture, caps] : {std::pair{cap::execute_cursor_eof, caps_pymysql},
                                      std::pair{cap::execute_cursor_deprecate_eof, caps_raw},
                                      std::pair{cap::execute_cursor_libmariadb, caps_capture_stmt}}) {
    const Buffer wire = hex(capture);
    pr::ResponseTracker t;
    t.start(Kind::cursor_result, caps);
    REQUIRE(t.feed(wire) == wire.size());
    CHECK(t.done());
    CHECK(t.status_flags() & pr::status::cursor_exists);
  }
}

TEST_CASE("Only an execute that asked for a cursor ends at SERVER_STATUS_CURSOR_EXISTS") {
  using C = pr::Command;
  const std::uint8_t no_cursor[] = {0x17, 1, 0, 0, 0, 0x00, 1, 0, 0, 0};
  const std::uint8_t read_only[] = {0x17, 1, 0, 0, 0, 0x01, 1, 0, 0, 0};
  CHECK(pr::response_shape(C::stmt_execute, no_cursor).kind == Kind::result);
  CHECK(pr::response_shape(C::stmt_execute, read_only).kind == Kind::cursor_result);
  CHECK(pr::response_shape(C::stmt_execute).kind == Kind::result);
  // CALL of a procedure that opens its own cursor: MariaDB sets 0x0040 in the EOF after
  // the column definitions of an ordinary result set, then sends the rows.
  const Buffer column{0x03, 'd', 'e', 'f', 0x00, 0x00, 0x00, 0x01, 'v', 0x00,  // def, "", "", "", v, ""
                      0x0c, 0x3f, 0x00, 0x02, 0x00, 0x00, 0x00, 0x08, 0x81, 0x00, 0x00, 0x00, 0x00};
  const Buffer wire = concat({frame(1, Buffer{0x01}), frame(2, column),
                              frame(3, Buffer{0xfe, 0x00, 0x00, 0x6a, 0x00}),  // EOF, status 0x006a
                              frame(4, Buffer{0x02, '4', '2'}),                // the row
                              frame(5, Buffer{0xfe, 0x00, 0x00, 0x2a, 0x00}),  // EOF, more results
                              frame(6, Buffer{0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00})});  // CALL's OK
  pr::ResponseTracker t;
  t.start(Kind::result, caps_libmariadb);
  REQUIRE(t.feed(wire) == wire.size());
  CHECK(t.done());
  CHECK_FALSE(t.ended_with_error());
}

TEST_CASE("PREPARE responses report the statement and end after params and columns") {
  struct Prep {
    std::string_view capture;
    pr::Caps caps;
    std::uint32_t id;
    std::uint16_t columns;
    std::uint16_t params;
  };
  for (const Prep p : {Prep{cap::prepare_select_eof, caps_pymysql, 1, 4, 2},
                       Prep{cap::prepare_select_deprecate_eof, caps_raw, 5, 4, 2},
                       Prep{cap::prepare_insert_eof, caps_pymysql, 2, 0, 2},
                       Prep{cap::prepare_insert_deprecate_eof, caps_raw, 6, 0, 2},
                       Prep{cap::prepare_now_eof, caps_pymysql, 3, 1, 0},
                       Prep{cap::prepare_now_deprecate_eof, caps_raw, 7, 1, 0},
                       Prep{cap::prepare_three_params, caps_capture_stmt, 9, 4, 3}}) {
    const Buffer wire = hex(p.capture);
    pr::ResponseTracker t;
    t.start(Kind::prepare, p.caps);
    feed_checked(t, wire, {7});
    CHECK(t.prepare_ok().statement_id == p.id);
    CHECK(t.prepare_ok().num_columns == p.columns);
    CHECK(t.prepare_ok().num_params == p.params);
  }
}

TEST_CASE("A PREPARE without params or columns is a single PREPARE_OK") {
  const Buffer wire = frame(1, {0x00, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});
  pr::ResponseTracker t;
  t.start(Kind::prepare, caps_pymysql);
  feed_checked(t, wire, {2});
  CHECK(t.prepare_ok().statement_id == 11);
}

TEST_CASE("ERR ends any response with its code") {
  const Buffer err = hex(cap::err_no_table);
  for (const Kind kind : {Kind::result, Kind::prepare, Kind::fetch, Kind::field_list, Kind::single}) {
    pr::ResponseTracker t;
    t.start(kind, caps_raw);
    feed_checked(t, err, {4});
    CHECK(t.ended_with_error());
    CHECK(t.error_code() == 1146);
    CHECK(!t.error());
  }
}

TEST_CASE("Rows of 16 MB and more do not end a result set") {
  // One column; two rows whose text value needs an 8-byte length (first byte 0xfe, like an
  // EOF): one over 0xffffff bytes, one of exactly 0xffffff bytes followed by an empty frame.
  const Buffer column_def = split_frames(hex(cap::multi_select_eof))[1].payload;
  auto huge_row = [](std::size_t size) {
    Buffer row(size, 'x');
    row[0] = 0xfe;
    const std::uint64_t len = size - 9;
    for (int i = 0; i < 8; ++i) row[1 + i] = static_cast<std::uint8_t>(len >> (8 * i));
    return row;
  };
  const Buffer row1 = huge_row(pr::max_frame_payload + 100);
  const Buffer row2 = huge_row(pr::max_frame_payload);
  auto split = [](const Buffer& payload, std::uint8_t& seq) {
    Buffer out;
    pr::append_packet(out, seq, payload);
    seq = static_cast<std::uint8_t>(seq + payload.size() / pr::max_frame_payload + 1);
    return out;
  };
  for (const bool deprecate_eof : {false, true}) {
    INFO("DEPRECATE_EOF " << deprecate_eof);
    std::uint8_t seq = 1;
    Buffer wire = frame(seq++, {0x01});
    const Buffer def = frame(seq++, column_def);
    wire.insert(wire.end(), def.begin(), def.end());
    if (!deprecate_eof) {
      const Buffer eof = frame(seq++, {0xfe, 0x00, 0x00, 0x02, 0x00});
      wire.insert(wire.end(), eof.begin(), eof.end());
    }
    const Buffer r1 = split(row1, seq);
    const Buffer r2 = split(row2, seq);
    wire.insert(wire.end(), r1.begin(), r1.end());
    wire.insert(wire.end(), r2.begin(), r2.end());
    const Buffer end = deprecate_eof ? frame(seq, {0xfe, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00})
                                     : frame(seq, {0xfe, 0x00, 0x00, 0x02, 0x00});
    wire.insert(wire.end(), end.begin(), end.end());

    pr::ResponseTracker t;
    t.start(Kind::result, deprecate_eof ? caps_raw : caps_pymysql);
    feed_checked(t, wire, {1, 3, 1 << 20, 2, 65537, 4});
    CHECK(!t.error());
    CHECK(t.status_flags() == pr::status::autocommit);
    CHECK(t.packets() == (deprecate_eof ? 5u : 6u));
    CHECK(t.last_seq() == seq);
  }
}

TEST_CASE("A tracker restarted for the next command walks the next response") {
  const Buffer a = hex(cap::select_items_deprecate_eof);
  const Buffer b = hex(cap::err_parse);
  const Buffer both = concat({a, b});
  pr::ResponseTracker t;
  t.start(Kind::result, caps_raw);
  REQUIRE(t.feed(both) == a.size());
  CHECK_FALSE(t.ended_with_error());
  t.start(Kind::result, caps_raw);
  CHECK_FALSE(t.done());
  REQUIRE(t.feed(pr::Bytes(both).subspan(a.size())) == b.size());
  CHECK(t.ended_with_error());
  CHECK(t.error_code() == 1064);
  CHECK(t.packets() == 1);
}

TEST_CASE("Nonsense from a server ends the response with a protocol error") {
  pr::ResponseTracker t;
  SECTION("an empty first packet") {
    t.start(Kind::result, caps_raw);
    t.feed(frame(1, {}));
  }
  SECTION("a zero column count") {
    t.start(Kind::result, caps_raw);
    t.feed(frame(1, {0xfc, 0x00, 0x00}));
  }
  SECTION("a row where the EOF after the column definitions belongs") {
    const Buffer wire = hex(cap::multi_select_eof);
    const auto frames = split_frames(wire);
    t.start(Kind::result, caps_libmariadb);
    t.feed(concat({frame(1, frames[0].payload), frame(2, frames[1].payload), frame(3, frames[3].payload)}));
  }
  SECTION("a short PREPARE_OK") {
    t.start(Kind::prepare, caps_raw);
    t.feed(frame(1, {0x00, 0x01, 0x00}));
  }
  CHECK(t.done());
  CHECK(t.error() == pr::errc::malformed_packet);
}

TEST_CASE("Commands map to the response shapes the server gives them") {
  using C = pr::Command;
  CHECK_FALSE(pr::response_shape(C::quit).has_response);
  CHECK_FALSE(pr::response_shape(C::stmt_close).has_response);
  CHECK_FALSE(pr::response_shape(C::stmt_send_long_data).has_response);
  CHECK(pr::response_shape(C::query).kind == Kind::result);
  CHECK(pr::response_shape(C::stmt_execute).kind == Kind::result);
  CHECK(pr::response_shape(C::stmt_bulk_execute).kind == Kind::result);
  CHECK(pr::response_shape(C::process_info).kind == Kind::result);
  CHECK(pr::response_shape(C::stmt_prepare).kind == Kind::prepare);
  CHECK(pr::response_shape(C::stmt_fetch).kind == Kind::fetch);
  CHECK(pr::response_shape(C::field_list).kind == Kind::field_list);
  for (const C c : {C::ping, C::init_db, C::statistics, C::stmt_reset, C::set_option, C::reset_connection}) {
    CHECK(pr::response_shape(c).has_response);
    CHECK(pr::response_shape(c).kind == Kind::single);
  }
}

// Hold mode (start(..., hold_oks = true)): every packet that may be an OK reaches the
// caller whole before any of it is forwarded.
namespace {

// What a state-stripping relay sends a client without CLIENT_SESSION_TRACK for one packet.
Buffer client_frame(std::uint8_t seq, pr::Bytes payload, pr::Caps server_caps) {
  pr::OkPacket ok;
  Buffer stripped;
  if (!pr::decode_ok(payload, server_caps, ok) && (ok.status_flags & pr::status::session_state_changed) &&
      pr::strip_session_state(payload, server_caps, stripped)) {
    return frame(seq, stripped);
  }
  return frame(seq, buf(payload));
}

struct HoldRelay {
  Buffer client;              // what the client got
  std::vector<Buffer> held;   // payloads of the held packets, in order
};

// Relays `wire` (then `trailing`) the way session_relay.cpp would in hold mode: the bytes
// feed() takes go on as they are, a held packet once whole (rewritten when `strip`); input
// arrives in pieces of the sizes in `chunks` (cyclically), only when the tracker needs more.
// A LOCAL INFILE request is continued at once (the test's wire holds the OK after it).
HoldRelay relay_holding(pr::ResponseTracker& t, pr::Caps caps, const Buffer& wire,
                        const std::vector<std::size_t>& chunks, bool strip) {
  const Buffer input = concat({wire, trailing});
  HoldRelay out;
  std::size_t pos = 0;    // input bytes taken
  std::size_t avail = 0;  // input bytes arrived
  std::size_t chunk = 0;
  const auto arrive = [&] {
    REQUIRE(avail < input.size());
    avail = std::min(input.size(), avail + chunks[chunk++ % chunks.size()]);
  };
  for (;;) {
    if (t.local_infile_requested()) t.continue_after_local_infile();
    if (t.done()) break;
    const pr::Bytes data(input.data() + pos, avail - pos);
    if (t.held()) {
      const pr::Bytes payload = t.held_payload(data);
      if (payload.empty()) {
        REQUIRE(t.feed(data) == 0);
        REQUIRE(t.release(data) == 0);
        REQUIRE(t.held());
        arrive();
        continue;
      }
      const std::size_t size = t.held_size();
      REQUIRE(size == payload.size() + 4);
      out.held.push_back(buf(payload));
      const Buffer sent = strip ? client_frame(data[3], payload, caps) : buf(data.first(size));
      out.client.insert(out.client.end(), sent.begin(), sent.end());
      REQUIRE(t.release(data) == size);
      REQUIRE_FALSE(t.held());
      pos += size;
      continue;
    }
    if (data.empty()) {
      arrive();
      continue;
    }
    const std::size_t took = t.feed(data);
    REQUIRE(took <= data.size());
    out.client.insert(out.client.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(took));
    pos += took;
    if (!t.done() && !t.held() && took < data.size()) {
      // Short of the 5 bytes that tell whether the next packet may be an OK.
      REQUIRE(data.size() - took < 5);
      arrive();
    }
  }
  REQUIRE(pos == wire.size());
  CHECK(t.feed(pr::Bytes(input.data() + pos, input.size() - pos)) == 0);
  CHECK_FALSE(t.held());
  return out;
}

// Everything a tracker reports at the end of a response.
struct Summary {
  bool done, local_infile, ended_with_error, has_status, last_ok_complete;
  std::uint16_t error_code, status_flags, warnings;
  std::uint64_t packets;
  std::uint8_t last_seq;
  std::uint32_t statement_id;
  std::error_code error;
  Buffer last_ok, last_packet;
  bool operator==(const Summary&) const = default;
};

Summary summarize(const pr::ResponseTracker& t) {
  return {t.done(),         t.local_infile_requested(), t.ended_with_error(), t.has_status(),
          t.last_ok_complete(), t.error_code(),         t.status_flags(),     t.warnings(),
          t.packets(),      t.last_seq(),               t.prepare_ok().statement_id, t.error(),
          buf(t.last_ok()), buf(t.last_packet())};
}

// The same response walked without hold mode, all at once.
Summary plain_walk(Kind kind, pr::Caps caps, const Buffer& wire) {
  pr::ResponseTracker t;
  t.start(kind, caps);
  std::size_t pos = t.feed(wire);
  if (t.local_infile_requested()) {
    t.continue_after_local_infile();
    pos += t.feed(pr::Bytes(wire).subspan(pos));
  }
  REQUIRE(pos == wire.size());
  return summarize(t);
}

struct HoldCase {
  const char* name;
  Buffer wire;
  Kind kind;
  pr::Caps caps;
  std::vector<std::size_t> held;  // indexes of the frames that must be held
};

Buffer ok_payload(std::uint8_t affected, std::uint16_t flags, const std::string& last_gtid) {
  Buffer p{0x00, affected, 0x00, static_cast<std::uint8_t>(flags), static_cast<std::uint8_t>(flags >> 8), 0, 0};
  if (!last_gtid.empty()) {
    Buffer var;
    pr::Writer v(var);
    v.lenenc_string("last_gtid");
    v.lenenc_string(last_gtid);
    Buffer state{0x00};
    pr::Writer(state).lenenc_bytes(var);
    pr::Writer w(p);
    w.u8(0);  // empty info
    w.lenenc_bytes(state);
  }
  return p;
}

// SELECT 1; INSERT ...; COMMIT: a result set, an OK with MORE_RESULTS and a GTID, the last
// OK with the COMMIT's GTID.
Buffer select_insert_commit(bool deprecate_eof) {
  const auto frames = split_frames(hex(deprecate_eof ? cap::multi_select_deprecate_eof : cap::multi_select_eof));
  const std::size_t result_frames = deprecate_eof ? 4 : 5;
  Buffer wire;
  std::uint8_t seq = 1;
  for (std::size_t i = 0; i < result_frames; ++i) {
    Buffer payload = frames[i].payload;
    if (i + 1 == result_frames) payload = deprecate_eof ? Buffer{0xfe, 0, 0, 0x0a, 0, 0, 0} : Buffer{0xfe, 0, 0, 0x0a, 0};
    const Buffer f = frame(seq++, payload);
    wire.insert(wire.end(), f.begin(), f.end());
  }
  const Buffer insert = frame(seq++, ok_payload(1, 0x400a, "0-1-30"));
  const Buffer commit = frame(seq++, ok_payload(0, 0x4002, "0-1-31"));
  return concat({wire, insert, commit});
}

std::vector<HoldCase> hold_cases() {
  return {
      {"multi_select_deprecate_eof", hex(cap::multi_select_deprecate_eof), Kind::result, caps_raw, {3, 7}},
      {"multi_select_eof", hex(cap::multi_select_eof), Kind::result, caps_libmariadb, {}},
      {"call_two_selects_deprecate_eof", hex(cap::call_two_selects_deprecate_eof), Kind::result, caps_raw, {5, 9, 10}},
      {"call_two_selects_eof", hex(cap::call_two_selects_eof), Kind::result, caps_libmariadb, {12}},
      {"select_insert_commit_deprecate_eof", select_insert_commit(true), Kind::result, caps_raw, {3, 4, 5}},
      {"select_insert_commit_eof", select_insert_commit(false), Kind::result, caps_libmariadb, {5, 6}},
      {"ok_last_gtid", hex(cap::ok_last_gtid), Kind::result, caps_libmariadb, {0}},
      {"ok_last_gtid_deprecate_eof", hex(cap::ok_last_gtid_deprecate_eof), Kind::result, caps_raw, {0}},
      {"ok_time_zone", hex(cap::ok_time_zone), Kind::result, caps_libmariadb, {0}},
      {"ok_set_tracking", hex(cap::ok_set_tracking), Kind::result, caps_libmariadb, {0}},
      {"ok_begin", hex(cap::ok_begin), Kind::result, caps_raw, {0}},
      {"ok_delete_pymysql", hex(cap::ok_delete_pymysql), Kind::result, caps_pymysql, {0}},
      {"big_ok_then_select", hex(cap::big_ok_then_select), Kind::result, caps_raw, {0, 4}},
      {"err_parse", hex(cap::err_parse), Kind::result, caps_libmariadb, {}},
      {"multi_error_deprecate_eof", hex(cap::multi_error_deprecate_eof), Kind::result, caps_raw, {3}},
      {"select_items_eof", hex(cap::select_items_eof), Kind::result, caps_libmariadb, {}},
      {"select_items_deprecate_eof", hex(cap::select_items_deprecate_eof), Kind::result, caps_raw, {9}},
      {"local_infile", concat({hex(cap::local_infile_request), hex(cap::local_infile_ok)}), Kind::result,
       caps_libmariadb, {1}},
      {"local_infile_deprecate_eof",
       concat({hex(cap::local_infile_request_deprecate_eof), hex(cap::local_infile_ok_deprecate_eof)}), Kind::result,
       caps_raw, {1}},
      // Binary rows start with 0x00: rows, not OKs.
      {"execute_select_deprecate_eof", hex(cap::execute_select_deprecate_eof), Kind::result, caps_raw, {9}},
      {"execute_select_eof", hex(cap::execute_select_eof), Kind::result, caps_pymysql, {}},
      {"execute_cursor_deprecate_eof", hex(cap::execute_cursor_deprecate_eof), Kind::cursor_result, caps_raw, {5}},
      {"execute_cursor_eof", hex(cap::execute_cursor_eof), Kind::cursor_result, caps_pymysql, {}},
      {"execute_long_data_ok", hex(cap::execute_long_data_ok), Kind::result, caps_capture_stmt, {0}},
      {"fetch_deprecate_eof_1", hex(cap::fetch_deprecate_eof_1), Kind::fetch, caps_raw, {2}},
      {"fetch_eof_1", hex(cap::fetch_eof_1), Kind::fetch, caps_pymysql, {}},
      {"field_list_deprecate_eof", hex(cap::field_list_deprecate_eof), Kind::field_list, caps_raw, {4}},
      {"field_list_eof", hex(cap::field_list_eof), Kind::field_list, caps_pymysql, {}},
      // PREPARE_OK starts with 0x00 too, and carries no session state.
      {"prepare_select_deprecate_eof", hex(cap::prepare_select_deprecate_eof), Kind::prepare, caps_raw, {}},
      {"prepare_select_eof", hex(cap::prepare_select_eof), Kind::prepare, caps_pymysql, {}},
      {"prepare_three_params", hex(cap::prepare_three_params), Kind::prepare, caps_capture_stmt, {}},
      {"prepare_error", hex(cap::prepare_error), Kind::prepare, caps_pymysql, {}},
      {"ok_ping", hex(cap::ok_ping), Kind::single, caps_raw, {0}},
      {"ok_init_db", hex(cap::ok_init_db), Kind::single, caps_raw, {0}},
      {"statistics", hex(cap::statistics), Kind::single, caps_pymysql, {}},
      {"err_no_table single", hex(cap::err_no_table), Kind::single, caps_raw, {}},
  };
}

void check_hold_case(const HoldCase& c, const std::vector<std::size_t>& chunks) {
  const auto frames = split_frames(c.wire);
  Buffer expected;
  std::vector<Buffer> expected_held;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const bool held = std::find(c.held.begin(), c.held.end(), i) != c.held.end();
    const Buffer f = held ? client_frame(frames[i].seq, frames[i].payload, c.caps) : frame(frames[i].seq, frames[i].payload);
    expected.insert(expected.end(), f.begin(), f.end());
    if (held) expected_held.push_back(frames[i].payload);
  }
  const Summary plain = plain_walk(c.kind, c.caps, c.wire);
  for (const bool strip : {false, true}) {
    INFO("strip " << strip);
    pr::ResponseTracker t;
    t.start(c.kind, c.caps, true);
    const HoldRelay r = relay_holding(t, c.caps, c.wire, chunks, strip);
    CHECK(r.held == expected_held);
    CHECK(r.client == (strip ? expected : c.wire));
    CHECK(summarize(t) == plain);
  }
}

}  // namespace

TEST_CASE("Hold mode stops at every packet that may be an OK, fed whole, in halves and byte by byte") {
  for (const auto& c : hold_cases()) {
    INFO(c.name);
    check_hold_case(c, {c.wire.size() + trailing.size()});
    check_hold_case(c, {std::max<std::size_t>(1, c.wire.size() / 2)});
    check_hold_case(c, {1});
    check_hold_case(c, {3});
  }
}

TEST_CASE("Hold mode in random chunkings") {
  std::mt19937 rng(20240302);  // fixed seed: failures reproduce
  for (const auto& c : hold_cases()) {
    INFO(c.name);
    for (int round = 0; round < 10; ++round) check_hold_case(c, random_chunks(rng, round < 5 ? 8 : 96));
  }
}

TEST_CASE("Stripping held OKs gives a client without session tracking no state") {
  const Buffer wire = select_insert_commit(true);
  pr::ResponseTracker t;
  t.start(Kind::result, caps_raw, true);
  const HoldRelay r = relay_holding(t, caps_raw, wire, {wire.size() + trailing.size()}, true);
  REQUIRE(r.held.size() == 3);
  std::vector<std::string> gtids;
  for (const auto& p : r.held) {
    pr::OkPacket ok;
    REQUIRE_FALSE(pr::decode_ok(p, caps_raw, ok));
    if (const auto g = pr::commit_gtid(ok.session_state)) gtids.emplace_back(*g);
  }
  CHECK(gtids == std::vector<std::string>{"0-1-30", "0-1-31"});
  const auto frames = split_frames(r.client);
  REQUIRE(frames.size() == 6);
  CHECK(frames[3].payload == Buffer{0xfe, 0, 0, 0x0a, 0, 0, 0});
  CHECK(frames[4].payload == Buffer{0x00, 1, 0, 0x0a, 0, 0, 0});
  CHECK(frames[5].payload == Buffer{0x00, 0, 0, 0x02, 0, 0, 0});
  for (std::size_t i = 0; i < frames.size(); ++i) CHECK(frames[i].seq == i + 1);
}

TEST_CASE("In hold mode feed() takes nothing of a packet it cannot yet tell from an OK") {
  const Buffer wire = hex(cap::ok_last_gtid);
  const pr::Bytes all(wire);
  pr::ResponseTracker t;
  t.start(Kind::result, caps_libmariadb, true);
  CHECK(t.feed(all.first(4)) == 0);
  CHECK_FALSE(t.held());
  CHECK_FALSE(t.done());
  CHECK(t.at_packet_boundary());
  CHECK(t.feed(all.first(5)) == 0);
  REQUIRE(t.held());
  CHECK(t.held_size() == wire.size());
  CHECK(t.at_packet_boundary());
  CHECK(t.feed(all) == 0);
  CHECK(t.held_payload(all.first(wire.size() - 1)).empty());
  CHECK(t.release(all.first(wire.size() - 1)) == 0);
  CHECK(t.held());
  CHECK(buf(t.held_payload(all)) == split_frames(wire)[0].payload);
  CHECK(t.release(all) == wire.size());
  CHECK_FALSE(t.held());
  CHECK(t.done());
  CHECK(t.status_flags() == 0x4002);
  CHECK(t.last_seq() == 1);
  CHECK(buf(t.last_ok()) == split_frames(wire)[0].payload);
}

TEST_CASE("Releasing other bytes than the held packet ends the response with an error") {
  const Buffer wire = hex(cap::ok_last_gtid);
  Buffer other = wire;
  other[3] = 2;  // another sequence id
  pr::ResponseTracker t;
  t.start(Kind::result, caps_libmariadb, true);
  CHECK(t.feed(wire) == 0);
  REQUIRE(t.held());
  CHECK(t.release(other) == 0);
  CHECK(t.done());
  CHECK(t.error() == pr::errc::malformed_packet);
}

TEST_CASE("A tracker restarted drops the packet it held") {
  const Buffer wire = hex(cap::ok_begin);
  pr::ResponseTracker t;
  t.start(Kind::result, caps_raw, true);
  CHECK(t.feed(wire) == 0);
  REQUIRE(t.held());
  t.start(Kind::result, caps_raw);
  CHECK_FALSE(t.held());
  CHECK(t.feed(wire) == wire.size());
  CHECK(t.done());
}

TEST_CASE("Hold mode does not hold frames of 16 MB") {
  // An OK over 16 MB (a huge info), and a 0xfe row of 16 MB under DEPRECATE_EOF: neither
  // is held; the short OK ending the rows is.
  Buffer big_ok{0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00};
  pr::Writer(big_ok).lenenc_string(std::string(pr::max_frame_payload, 'i'));
  Buffer ok_wire;
  pr::append_packet(ok_wire, 1, big_ok);
  pr::ResponseTracker t;
  t.start(Kind::result, caps_raw, true);
  CHECK(t.feed(ok_wire) == ok_wire.size());
  CHECK(t.done());
  CHECK_FALSE(t.held());
  CHECK(t.status_flags() == pr::status::autocommit);

  const Buffer column_def = split_frames(hex(cap::multi_select_eof))[1].payload;
  Buffer row(pr::max_frame_payload, 'x');
  row[0] = 0xfe;
  const std::uint64_t len = row.size() - 9;
  for (int i = 0; i < 8; ++i) row[1 + i] = static_cast<std::uint8_t>(len >> (8 * i));
  Buffer wire = concat({frame(1, {0x01}), frame(2, column_def)});
  pr::append_packet(wire, 3, row);  // frames 3 (0xffffff bytes) and 4 (empty)
  const std::size_t rows_end = wire.size();
  const Buffer end = frame(5, {0xfe, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00});
  wire.insert(wire.end(), end.begin(), end.end());
  t.start(Kind::result, caps_raw, true);
  CHECK(t.feed(wire) == rows_end);
  REQUIRE(t.held());
  CHECK(t.held_size() == end.size());
  CHECK(t.release(pr::Bytes(wire).subspan(rows_end)) == end.size());
  CHECK(t.done());
  CHECK(t.packets() == 4);
}

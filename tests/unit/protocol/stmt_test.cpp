// COM_STMT_EXECUTE decoding from libmariadb's and hand-built requests.
#include <catch2/catch.hpp>

#include "proxy/protocol/errors.hpp"
#include "proxy/protocol/stmt.hpp"
#include "tests/unit/protocol/captures.hpp"
#include "tests/unit/protocol/test_util.hpp"

namespace pr = causeway::protocol;
namespace cap = causeway::protocol::test::captures;
using causeway::protocol::test::Buffer;
using causeway::protocol::test::buf;
using causeway::protocol::test::bytes_of;
using causeway::protocol::test::payload_of;
using causeway::protocol::test::prefix;

namespace {

const Buffer typed_types{0x08, 0x00, 0xfe, 0x00, 0xfe, 0x00};  // LONGLONG, STRING, STRING

}  // namespace

TEST_CASE("libmariadb's COM_STMT_EXECUTE decodes typed values and a NULL") {
  // SELECT ... WHERE id > ? AND (name <> ? OR ? IS NULL) with 0, 'pear', NULL.
  const Buffer p = payload_of(cap::execute_typed_request);
  pr::StmtExecute e;
  REQUIRE(!pr::decode_stmt_execute(p, 3, {}, {}, e));
  CHECK(e.statement_id == 9);
  CHECK(e.flags == pr::cursor::no_cursor);
  CHECK(e.iterations == 1);
  CHECK(buf(e.null_bitmap) == Buffer{0x04});
  CHECK(e.new_params_bound);
  CHECK(buf(e.types) == typed_types);
  REQUIRE(e.values.size() == 3);
  CHECK(buf(e.values[0]) == Buffer(8, 0));
  CHECK(buf(e.values[1]) == bytes_of("pear"));
  CHECK(e.values[2].empty());
}

TEST_CASE("An execute without new_params_bound uses the types of the previous execution") {
  const Buffer p = payload_of(cap::execute_rebound_request);
  pr::StmtExecute e;
  REQUIRE(!pr::decode_stmt_execute(p, 3, typed_types, {}, e));
  CHECK_FALSE(e.new_params_bound);
  CHECK(e.types.empty());
  REQUIRE(e.values.size() == 3);
  CHECK(buf(e.values[0]) == Buffer{1, 0, 0, 0, 0, 0, 0, 0});
  CHECK(buf(e.values[1]) == bytes_of("pear"));
  CHECK(e.values[2].empty());
  SECTION("and fails without them") {
    CHECK(pr::decode_stmt_execute(p, 3, {}, {}, e) == pr::errc::malformed_packet);
  }
  SECTION("or with the wrong number of them") {
    CHECK(pr::decode_stmt_execute(p, 3, prefix(typed_types, 4), {}, e) == pr::errc::malformed_packet);
  }
}

TEST_CASE("An execute opening a cursor carries the cursor flag") {
  const Buffer p = payload_of(cap::execute_cursor_request);
  pr::StmtExecute e;
  REQUIRE(!pr::decode_stmt_execute(p, 3, typed_types, {}, e));
  CHECK(e.flags == pr::cursor::read_only);
  CHECK(buf(e.values[0]) == Buffer(8, 0));
}

TEST_CASE("A PyMySQL-built execute decodes a VAR_STRING value") {
  const Buffer p = payload_of(cap::execute_select_request);
  pr::StmtExecute e;
  REQUIRE(!pr::decode_stmt_execute(p, 2, {}, {}, e));
  CHECK(e.statement_id == 1);
  CHECK(buf(e.types) == Buffer{0x08, 0x00, 0xfd, 0x00});
  CHECK(buf(e.values[1]) == bytes_of("pear"));
}

TEST_CASE("A parameter sent as long data has no value in the execute") {
  // libmariadb also sets the NULL bit of a long-data parameter (bitmap 0x02 here).
  const Buffer p = payload_of(cap::execute_long_data_request);
  const bool long_data[] = {false, true};
  pr::StmtExecute e;
  REQUIRE(!pr::decode_stmt_execute(p, 2, {}, long_data, e));
  CHECK(buf(e.null_bitmap) == Buffer{0x02});
  CHECK(buf(e.types) == Buffer{0x03, 0x00, 0xfc, 0x00});
  REQUIRE(e.values.size() == 2);
  CHECK(buf(e.values[0]) == Buffer{100, 0, 0, 0});
  CHECK(e.values[1].empty());

  SECTION("a client that leaves the NULL bit clear needs the long-data mark") {
    Buffer cleared = p;
    cleared[10] = 0x00;  // the NULL bitmap follows id, flags and iteration count
    REQUIRE(!pr::decode_stmt_execute(cleared, 2, {}, long_data, e));
    CHECK(e.values[1].empty());
    CHECK(pr::decode_stmt_execute(cleared, 2, {}, {}, e) == pr::errc::malformed_packet);
  }
}

TEST_CASE("Every truncation of a captured execute is malformed") {
  struct Case {
    std::string_view capture;
    std::uint16_t params;
    Buffer bound;
    bool second_is_long_data;
  };
  for (const Case& c : {Case{cap::execute_typed_request, 3, {}, false},
                        Case{cap::execute_rebound_request, 3, typed_types, false},
                        Case{cap::execute_select_request, 2, {}, false},
                        Case{cap::execute_long_data_request, 2, {}, true}}) {
    const Buffer p = payload_of(c.capture);
    const bool long_data[] = {false, c.second_is_long_data};
    pr::StmtExecute full;
    REQUIRE(!pr::decode_stmt_execute(p, c.params, c.bound, long_data, full));
    for (std::size_t n = 0; n < p.size(); ++n) {
      INFO("prefix " << n << " of " << p.size());
      pr::StmtExecute e;
      CHECK(pr::decode_stmt_execute(prefix(p, n), c.params, c.bound, long_data, e) == pr::errc::malformed_packet);
    }
  }
}

TEST_CASE("decode_stmt_execute checks the command byte and stops after the header without params") {
  Buffer p = payload_of(cap::execute_typed_request);
  pr::StmtExecute e;
  REQUIRE(!pr::decode_stmt_execute(p, 0, {}, {}, e));
  CHECK(e.statement_id == 9);
  CHECK(e.values.empty());
  p[0] = 0x16;
  CHECK(pr::decode_stmt_execute(p, 3, {}, {}, e) == pr::errc::malformed_packet);
}

TEST_CASE("Binary values of every type are sized as the protocol says") {
  // NULL, TINY, SHORT, LONG, FLOAT, DOUBLE, LONGLONG, INT24, YEAR, then temporal types with
  // a one-byte length, and DECIMAL/VARCHAR/BLOB/STRING/BIT/JSON as length-encoded strings.
  const std::pair<std::uint8_t, int> table[] = {
      {0x06, 0}, {0x01, 1}, {0x02, 2}, {0x03, 4}, {0x04, 4}, {0x05, 8}, {0x08, 8}, {0x09, 4},
      {0x0d, 2}, {0x07, -2}, {0x0a, -2}, {0x0b, -2}, {0x0c, -2}, {0x00, -1}, {0x0f, -1}, {0xf6, -1},
      {0xfc, -1}, {0xfd, -1}, {0xfe, -1}, {0x10, -1}, {0xf5, -1},
  };
  for (const auto& [type, size] : table) {
    INFO("type " << int(type));
    CHECK(pr::binary_value_size(type) == size);
  }
}

TEST_CASE("Temporal parameters carry a one-byte length") {
  // DATETIME 2024-03-01 10:00:00 (7 bytes), then TIME of length 0 (zero time).
  const Buffer p{0x17, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x00, 0x0b,
                 0x00, 0x07, 0xe8, 0x07, 0x03, 0x01, 0x0a, 0x00, 0x00, 0x00};
  pr::StmtExecute e;
  REQUIRE(!pr::decode_stmt_execute(p, 2, {}, {}, e));
  CHECK(buf(e.values[0]) == Buffer{0xe8, 0x07, 0x03, 0x01, 0x0a, 0x00, 0x00});
  CHECK(e.values[1].empty());
}

TEST_CASE("The statement id of a captured COM_STMT_FETCH reads and rewrites in place") {
  Buffer p = payload_of(cap::fetch_request);
  std::uint32_t id = 0;
  REQUIRE(pr::read_statement_id(p, id));
  CHECK(id == 9);
  pr::write_statement_id(p, 0x01020304);
  CHECK(prefix(p, 5) == Buffer{0x1c, 0x04, 0x03, 0x02, 0x01});
  REQUIRE(pr::read_statement_id(p, id));
  CHECK(id == 0x01020304);
  CHECK_FALSE(pr::read_statement_id(prefix(p, 4), id));
  Buffer tiny = prefix(p, 4);
  pr::write_statement_id(tiny, 7);  // too short: left alone
  CHECK(tiny == prefix(p, 4));
}

TEST_CASE("A captured COM_STMT_SEND_LONG_DATA names its statement") {
  const Buffer p = payload_of(cap::long_data_1);
  std::uint32_t id = 0;
  REQUIRE(pr::read_statement_id(p, id));
  CHECK(id == 10);
}

// replication/binlog_event: the decoder, its CRC rules and TRANSACTION_PAYLOAD, from the
// real binlog files in ../shared/testdata/binlog (its README.md lists what each file holds;
// the tables below are those lists), and malformed input. Dump streams and transaction
// boundaries: binlog_stream_test.cpp.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "replication/binlog_event.hpp"
#include "tests/unit/replication/binlog_testdata.hpp"

namespace bl = causeway::replication::binlog;
namespace repl = causeway::replication;
using bl::EventType;
using namespace causeway::replication::testdata;

namespace {

template <class T>
const T& only(const std::vector<bl::Event>& events, EventType type) {
  const T* found = nullptr;
  for (const auto& e : events) {
    if (e.type() != type) continue;
    REQUIRE(found == nullptr);
    found = e.get<T>();
    REQUIRE(found != nullptr);
  }
  REQUIRE(found != nullptr);
  return *found;
}

struct FileCase {
  const char* path;
  const char* server_version;
  bl::Checksum checksum;
  std::size_t crc_ok;
  Counts counts;
  std::vector<std::string> gtids;
  std::size_t anonymous = 0;
  const char* gtid_set = nullptr;  // PREVIOUS_GTIDS or GTID_LIST, when the README gives it
};

void check_file(const FileCase& c) {
  INFO(c.path);
  const auto bytes = read_vector(c.path);
  const auto file = bl::decode_file(bytes);
  if (file.error) FAIL("offset " << file.error->offset << ": " << file.error->message);
  Summary s;
  for (const auto& e : file.events) add(s, e);
  CHECK(s.counts == c.counts);
  CHECK(s.crc_ok == c.crc_ok);
  CHECK(s.gtids == c.gtids);
  CHECK(s.anonymous == c.anonymous);
  CHECK(s.tracker.abandoned() == 0);
  CHECK_FALSE(s.tracker.in_transaction());
  const auto& fde = only<bl::FormatDescription>(file.events, EventType::format_description);
  CHECK(fde.server_version == c.server_version);
  CHECK(fde.checksum == c.checksum);
  CHECK(fde.binlog_version == 4);
  CHECK(fde.checksum_aware);
  // Every event was walked by its size: the last one ends the file.
  CHECK(file.events.back().raw_body.data() + file.events.back().raw_body.size() +
            (c.checksum == bl::Checksum::crc32 ? 4 : 0) ==
        bytes.data() + bytes.size());
  if (c.gtid_set == nullptr) return;
  if (fde.is_mariadb()) {
    std::string list;
    for (const auto& g : only<bl::GtidList>(file.events, EventType::gtid_list).gtids) {
      list += (list.empty() ? "" : ",") + repl::to_string(g);
    }
    CHECK(list == c.gtid_set);
  } else {
    CHECK(only<bl::PreviousGtids>(file.events, EventType::previous_gtids).gtids.to_string() == c.gtid_set);
  }
}

constexpr auto crc = bl::Checksum::crc32;
constexpr auto off = bl::Checksum::off;

// --- events built by hand, for the negative cases ---

std::uint32_t reference_crc32(const std::vector<std::uint8_t>& bytes) {
  std::uint32_t c = 0xffffffff;
  for (std::uint8_t b : bytes) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320 & (0 - (c & 1)));
  }
  return ~c;
}

void put_le(std::vector<std::uint8_t>& out, std::uint64_t v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::vector<std::uint8_t> make_event(EventType type, const std::vector<std::uint8_t>& body,
                                     bl::Checksum checksum, std::uint32_t log_pos = 1000) {
  std::vector<std::uint8_t> e;
  put_le(e, 1700000000, 4);
  e.push_back(static_cast<std::uint8_t>(type));
  put_le(e, 1, 4);
  put_le(e, bl::header_size + body.size() + (checksum == crc ? 4 : 0), 4);
  put_le(e, log_pos, 4);
  put_le(e, 0, 2);
  e.insert(e.end(), body.begin(), body.end());
  if (checksum == crc) put_le(e, reference_crc32(e), 4);
  return e;
}

std::vector<std::uint8_t> lenenc(std::uint64_t v) {
  std::vector<std::uint8_t> out;
  if (v < 251) {
    out.push_back(static_cast<std::uint8_t>(v));
  } else if (v < 0x10000) {
    out.push_back(0xfc);
    put_le(out, v, 2);
  } else if (v < 0x1000000) {
    out.push_back(0xfd);
    put_le(out, v, 3);
  } else {
    out.push_back(0xfe);
    put_le(out, v, 8);
  }
  return out;
}

void field(std::vector<std::uint8_t>& out, std::uint64_t type, std::uint64_t value) {
  const auto v = lenenc(value);
  out.push_back(static_cast<std::uint8_t>(type));
  out.push_back(static_cast<std::uint8_t>(v.size()));
  out.insert(out.end(), v.begin(), v.end());
}

std::vector<std::uint8_t> payload_body(std::uint64_t compression, std::uint64_t uncompressed,
                                       const std::vector<std::uint8_t>& payload) {
  std::vector<std::uint8_t> body;
  field(body, 2, compression);
  field(body, 3, uncompressed);
  field(body, 1, payload.size());
  body.push_back(0);
  body.insert(body.end(), payload.begin(), payload.end());
  return body;
}

std::string error_of(bl::Decoder& decoder, const std::vector<std::uint8_t>& event) {
  auto r = decoder.decode(event);
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}

}  // namespace

TEST_CASE("MySQL binlog files decode to the events, CRCs and GTIDs the README lists") {
  const std::vector<FileCase> cases = {
      {"mysql/binlog_transaction_with_GTID.000001", "5.6.24-debug-log", crc, 11,
       {{EventType::format_description, 1}, {EventType::previous_gtids, 1}, {EventType::gtid, 3},
        {EventType::query, 5}, {EventType::stop, 1}},
       mysql_range("006c2cf2-b1ea-11e4-9057-8c705a3d3e78", 1, 3), 0, ""},
      {"mysql/binlog_56_gtid_reserved_word.000001", "5.6.41-debug-log", crc, 20,
       {{EventType::format_description, 1}, {EventType::previous_gtids, 1}, {EventType::gtid, 6},
        {EventType::query, 9}, {EventType::table_map, 1}, {EventType::write_rows, 1}, {EventType::stop, 1}},
       mysql_range("11111111-1111-1111-1111-111111111111", 1, 6), 0, ""},
      {"mysql/binlog_transaction_with_anonymous_GTID.000001", "5.7.6-m16-debug-log", crc, 9,
       {{EventType::format_description, 1}, {EventType::previous_gtids, 1}, {EventType::anonymous_gtid, 2},
        {EventType::query, 3}, {EventType::xid, 1}, {EventType::rotate, 1}},
       {}, 2},
      {"mysql/rpl_atomic_ddl_rollback_full.000001", "5.7.22-debug-log", crc, 11,
       {{EventType::format_description, 1}, {EventType::previous_gtids, 1}, {EventType::gtid, 4},
        {EventType::query, 4}, {EventType::stop, 1}},
       mysql_range("a0205340-db2c-11e7-babd-340286faf52d", 1, 4)},
      {"mysql/binlog-invisible-columns.000001", "8.0.26", crc, 22,
       {{EventType::format_description, 1}, {EventType::previous_gtids, 1}, {EventType::gtid, 5},
        {EventType::query, 5}, {EventType::table_map, 3}, {EventType::write_rows, 2},
        {EventType::update_rows, 1}, {EventType::xid, 3}, {EventType::stop, 1}},
       mysql_range("97c7af02-4c50-11ec-acd8-681842034964", 1, 5), 0, ""},
      {"mysql/mysql-enum-string-set.000001", "8.0.28", crc, 21,
       {{EventType::format_description, 1}, {EventType::previous_gtids, 1}, {EventType::gtid, 5},
        {EventType::query, 5}, {EventType::table_map, 3}, {EventType::write_rows, 1},
        {EventType::update_rows, 1}, {EventType::delete_rows, 1}, {EventType::xid, 3}},
       mysql_range("93e95066-a2f4-11ec-9b69-9657f0ae95e2", 1, 5)},
      {"mysql/transaction_compression.000001", "8.0.32", crc, 5,
       {{EventType::format_description, 1}, {EventType::previous_gtids, 1}, {EventType::anonymous_gtid, 1},
        {EventType::transaction_payload, 1}, {EventType::rotate, 1}},
       {}, 1, "357df524-4139-11ee-9979-b033ee13919e:1"},
      {"mysql/binlog_transaction_previous_GTID_no_tag.000001", "8.0.40", crc, 3,
       {{EventType::format_description, 1}, {EventType::previous_gtids, 1}, {EventType::rotate, 1}},
       {}, 0, "b9b88c66-0755-11f1-9899-4a9da94c4d71:1-2"},
      {"mysql/binlog_transaction_with_GTID_TAG.000001", "9.6.0", crc, 8,
       {{EventType::format_description, 1}, {EventType::previous_gtids, 1}, {EventType::gtid_tagged, 1},
        {EventType::query, 1}, {EventType::table_map, 1}, {EventType::write_rows, 1}, {EventType::xid, 1},
        {EventType::rotate, 1}},
       {"55778904-0299-11f1-b1b8-4ef0c4956feb:mytag:3"}, 0, "55778904-0299-11f1-b1b8-4ef0c4956feb:1-13:mytag:1-2"},
      {"mysql/mysql-bin.checksum-crc32", "5.7.21-log", crc, 303,
       {{EventType::format_description, 1}, {EventType::previous_gtids, 1}, {EventType::anonymous_gtid, 60},
        {EventType::query, 60}, {EventType::table_map, 60}, {EventType::write_rows, 34},
        {EventType::update_rows, 20}, {EventType::delete_rows, 6}, {EventType::xid, 60}, {EventType::rotate, 1}},
       {}, 60},
      {"mysql/mysql-bin.checksum-none", "5.7.20-log", off, 0,
       {{EventType::format_description, 1}, {EventType::previous_gtids, 1}, {EventType::anonymous_gtid, 40},
        {EventType::query, 40}, {EventType::table_map, 36}, {EventType::write_rows, 34},
        {EventType::update_rows, 2}, {EventType::xid, 36}, {EventType::stop, 1}},
       {}, 40},
      {"mysql/mysql-bin.compressed", "8.0.28", crc, 5,
       {{EventType::format_description, 1}, {EventType::previous_gtids, 1}, {EventType::anonymous_gtid, 1},
        {EventType::transaction_payload, 1}, {EventType::rotate, 1}},
       {}, 1},
      {"mysql/mdev35643_mysql_80_binlog.000001", "8.0.40-debug", crc, 40,
       {{EventType::format_description, 1}, {EventType::previous_gtids, 1}, {EventType::anonymous_gtid, 9},
        {EventType::query, 9}, {EventType::table_map, 6}, {EventType::write_rows, 5},
        {EventType::partial_update_rows, 1}, {EventType::xid, 6}, {EventType::transaction_payload, 1},
        {EventType::rotate, 1}},
       {}, 9},
  };
  for (const auto& c : cases) check_file(c);
}

TEST_CASE("MariaDB binlog files decode to the events, CRCs and GTIDs the README lists") {
  const std::vector<FileCase> cases = {
      {"mariadb/mariadb-bin.000001", "10.5.15-MariaDB-1:10.5.15+maria~focal-log", crc, 13,
       {{EventType::format_description, 1}, {EventType::gtid_list, 1}, {EventType::binlog_checkpoint, 1},
        {EventType::mariadb_gtid, 2}, {EventType::annotate_rows, 2}, {EventType::table_map, 2},
        {EventType::write_rows_v1, 2}, {EventType::xid, 2}},
       {"0-1-1", "0-1-2"}, 0, ""},
      {"mariadb/master-bin-seq_10.3.36.000001", "10.3.36-MariaDB-debug-log", crc, 17,
       {{EventType::format_description, 1}, {EventType::gtid_list, 1}, {EventType::binlog_checkpoint, 1},
        {EventType::mariadb_gtid, 4}, {EventType::query, 4}, {EventType::annotate_rows, 2},
        {EventType::table_map, 2}, {EventType::write_rows_v1, 2}},
       {"0-1-1", "0-1-100", "0-1-101", "0-1-102"}},
      {"mariadb/mdev29078-mysql-bin.000001", "10.3.35-MariaDB-debug-log", crc, 12,
       {{EventType::format_description, 1}, {EventType::gtid_list, 1}, {EventType::binlog_checkpoint, 1},
        {EventType::mariadb_gtid, 3}, {EventType::query, 5}, {EventType::stop, 1}},
       mariadb_range("0-1-", 1, 3)},
      {"mariadb/mdev6020-mysql-bin.000001", "10.0.11-MariaDB-debug-log", off, 0,
       {{EventType::format_description, 1}, {EventType::gtid_list, 1}, {EventType::binlog_checkpoint, 1},
        {EventType::mariadb_gtid, 1381}, {EventType::query, 54}, {EventType::table_map, 2487},
        {EventType::write_rows_v1, 1116}, {EventType::update_rows_v1, 774}, {EventType::delete_rows_v1, 598},
        {EventType::xid, 1340}, {EventType::stop, 1}},
       mariadb_range("0-1-", 1, 1381)},
      {"mariadb/mariadb-5.5-binlog.000001", "5.5.36-MariaDB-debug-log", off, 0,
       {{EventType::format_description, 1}, {EventType::query, 8}, {EventType::xid, 3}, {EventType::stop, 1}},
       {}},
      {"mariadb/generated-10.11.19/mariadb-bin.000001", "10.11.19-MariaDB-0+deb12u1-log", crc, 67,
       {{EventType::format_description, 1}, {EventType::gtid_list, 1}, {EventType::binlog_checkpoint, 1},
        {EventType::mariadb_gtid, 14}, {EventType::annotate_rows, 11}, {EventType::table_map, 11},
        {EventType::write_rows_v1, 9}, {EventType::update_rows_v1, 1}, {EventType::delete_rows_v1, 1},
        {EventType::query, 8}, {EventType::xid, 6}, {EventType::xa_prepare, 2}, {EventType::rotate, 1}},
       join({mariadb_range("0-11-", 1, 6), {"2-11-1", "0-11-1000", "0-99-1001"}, mariadb_range("0-11-", 1002, 1006)}),
       0, ""},
      {"mariadb/generated-10.11.19/mariadb-bin.000002", "10.11.19-MariaDB-0+deb12u1-log", crc, 22,
       {{EventType::format_description, 1}, {EventType::gtid_list, 1}, {EventType::binlog_checkpoint, 2},
        {EventType::mariadb_gtid, 4}, {EventType::annotate_rows, 3}, {EventType::table_map, 3},
        {EventType::write_rows_v1, 1}, {EventType::write_rows_compressed_v1, 1},
        {EventType::update_rows_compressed_v1, 1}, {EventType::query_compressed, 1}, {EventType::xid, 3},
        {EventType::rotate, 1}},
       mariadb_range("0-11-", 1007, 1010), 0, "0-99-1001,0-11-1006,2-11-1"},
      {"mariadb/generated-10.11.19/mariadb-bin.000003", "10.11.19-MariaDB-0+deb12u1-log", off, 0,
       {{EventType::format_description, 1}, {EventType::gtid_list, 1}, {EventType::binlog_checkpoint, 2},
        {EventType::mariadb_gtid, 3}, {EventType::annotate_rows, 3}, {EventType::table_map, 3},
        {EventType::write_rows_v1, 3}, {EventType::query, 1}, {EventType::xid, 2}, {EventType::rotate, 1}},
       mariadb_range("0-11-", 1011, 1013), 0, "0-99-1001,0-11-1010,2-11-1"},
      {"mariadb/generated-10.11.19/mariadb-bin.000004", "10.11.19-MariaDB-0+deb12u1-log", crc, 29,
       {{EventType::format_description, 1}, {EventType::gtid_list, 1}, {EventType::binlog_checkpoint, 2},
        {EventType::mariadb_gtid, 6}, {EventType::query, 2}, {EventType::annotate_rows, 4},
        {EventType::table_map, 4}, {EventType::write_rows_v1, 4}, {EventType::xid, 4}, {EventType::stop, 1}},
       mariadb_range("0-11-", 1014, 1019), 0, "0-99-1001,0-11-1013,2-11-1"},
  };
  for (const auto& c : cases) check_file(c);
}

TEST_CASE("A FORMAT_DESCRIPTION's CRC is computed with the in-use flag cleared") {
  for (const char* path : {"mariadb/mariadb-bin.000001", "mariadb/master-bin-seq_10.3.36.000001"}) {
    INFO(path);
    const auto bytes = read_vector(path);
    const auto file = bl::decode_file(bytes);
    REQUIRE_FALSE(file.error);
    const auto& fde = file.events.front();
    CHECK(fde.get<bl::FormatDescription>()->in_use);
    CHECK(fde.crc_verified);
    // A naive CRC over the bytes as stored does not match.
    std::vector<std::uint8_t> stored(bytes.begin() + 4, bytes.begin() + 4 + fde.header.event_size);
    const std::vector<std::uint8_t> covered(stored.begin(), stored.end() - 4);
    CHECK(reference_crc32(covered) != (stored[stored.size() - 4] | stored[stored.size() - 3] << 8 |
                                       stored[stored.size() - 2] << 16 | std::uint32_t{stored.back()} << 24));
  }
  SECTION("setting the flag on a clean file's FDE keeps its CRC valid; other flags do not") {
    const auto bytes = read_vector("mysql/binlog_transaction_with_GTID.000001");
    auto fde = bl::parse_header(std::span(bytes).subspan(4));
    REQUIRE(fde.ok());
    std::vector<std::uint8_t> event(bytes.begin() + 4, bytes.begin() + 4 + fde->event_size);
    event[17] |= 0x01;
    bl::Decoder decoder;
    auto decoded = decoder.decode(event);
    REQUIRE(decoded.ok());
    CHECK(decoded->get<bl::FormatDescription>()->in_use);
    event[17] |= 0x02;
    CHECK_THAT(error_of(decoder, event), Catch::Contains("CRC32 mismatch"));
  }
}

TEST_CASE("Checksum OFF files have no CRC after their FORMAT_DESCRIPTION") {
  for (const char* path : {"mysql/mysql-bin.checksum-none", "mariadb/mariadb-5.5-binlog.000001",
                           "mariadb/mdev6020-mysql-bin.000001", "mariadb/generated-10.11.19/mariadb-bin.000003"}) {
    INFO(path);
    const auto bytes = read_vector(path);
    bl::Decoder decoder;
    decoder.set_checksum(bl::Checksum::crc32);  // the FDE overrides what was negotiated
    const auto fde = bl::parse_header(std::span(bytes).subspan(4));
    REQUIRE(fde.ok());
    auto first = decoder.decode(std::span(bytes).subspan(4, fde->event_size));
    REQUIRE(first.ok());
    CHECK(decoder.checksum() == bl::Checksum::off);
    CHECK(first->get<bl::FormatDescription>()->checksum_aware);
    const auto file = bl::decode_file(bytes);
    REQUIRE_FALSE(file.error);
    for (const auto& e : file.events) CHECK_FALSE(e.crc_verified);
  }
}

TEST_CASE("A TRANSACTION_PAYLOAD is decompressed into inner events without CRCs") {
  struct Case {
    const char* path;
    std::uint64_t payload_size;
    std::uint64_t uncompressed_size;
    Counts inner;
  };
  const std::vector<Case> cases = {
      {"mysql/transaction_compression.000001", 124, 179,
       {{EventType::query, 1}, {EventType::table_map, 1}, {EventType::write_rows, 1}, {EventType::xid, 1}}},
      {"mysql/mysql-bin.compressed", 451, 960,
       {{EventType::query, 1}, {EventType::table_map, 1}, {EventType::update_rows, 1}, {EventType::xid, 1}}},
      {"mysql/mdev35643_mysql_80_binlog.000001", 792, 20188,
       {{EventType::query, 1}, {EventType::table_map, 100}, {EventType::write_rows, 100}, {EventType::xid, 1}}},
  };
  for (const auto& c : cases) {
    INFO(c.path);
    const auto bytes = read_vector(c.path);
    const auto file = bl::decode_file(bytes);
    REQUIRE_FALSE(file.error);
    const auto& p = only<bl::TransactionPayload>(file.events, EventType::transaction_payload);
    CHECK(p.compression == bl::TransactionPayload::compression_zstd);
    CHECK(p.payload_size == c.payload_size);
    CHECK(p.uncompressed_size == c.uncompressed_size);
    REQUIRE(p.decompressed);
    CHECK(p.uncompressed->size() == c.uncompressed_size);
    Counts inner;
    for (const auto& e : p.events) {
      ++inner[e.type()];
      CHECK(e.header.log_pos == 0);
      CHECK_FALSE(e.crc_verified);
    }
    CHECK(inner == c.inner);
    const auto* first = p.events.front().get<bl::Query>();
    REQUIRE(first != nullptr);
    CHECK(first->is_begin());
    CHECK(p.events.back().get<bl::Xid>() != nullptr);

    // A tracker does not need the inner events: the payload ends the transaction.
    const auto skipped = bl::decode_file(bytes, bl::DecoderOptions{.decompress_payloads = false});
    REQUIRE_FALSE(skipped.error);
    const auto& q = only<bl::TransactionPayload>(skipped.events, EventType::transaction_payload);
    CHECK_FALSE(q.decompressed);
    CHECK(q.events.empty());
    CHECK(q.uncompressed_size == c.uncompressed_size);
  }
}

TEST_CASE("A payload's inner events outlive copies of the event") {
  const auto bytes = read_vector("mysql/transaction_compression.000001");
  std::vector<bl::Event> copies;
  {
    const auto file = bl::decode_file(bytes);
    REQUIRE_FALSE(file.error);
    for (const auto& e : file.events) copies.push_back(e);
  }
  const auto& p = only<bl::TransactionPayload>(copies, EventType::transaction_payload);
  CHECK(p.events.front().get<bl::Query>()->sql == "BEGIN");
  CHECK(p.events[1].raw_body.data() >= p.uncompressed->data());
}

TEST_CASE("Aurora's unknown event type 100 is skipped by its size") {
  const auto bytes = read_vector("mysql/mysql-bin.aurora-padding");
  const auto file = bl::decode_file(bytes);
  REQUIRE_FALSE(file.error);
  REQUIRE(file.events.size() == 5);
  const auto& padding = file.events[3];
  CHECK(padding.header.type == 100);
  CHECK(std::holds_alternative<bl::Other>(padding.body));
  CHECK(padding.raw_body.size() == padding.header.event_size - 19 - 4);
  CHECK(bl::event_type_name(100) == "UNKNOWN");
  // The file ends inside the transaction that its last QUERY (BEGIN) opened.
  CHECK(file.events[4].get<bl::Query>()->is_begin());
  Summary s;
  for (const auto& e : file.events) add(s, e);
  CHECK(s.anonymous == 0);
  CHECK(s.tracker.in_transaction());
}

TEST_CASE("A file truncated inside an event header is reported at the truncation") {
  const auto file = bl::decode_file(read_vector("mysql/binlog_truncated_prev_gtid_event.000001"));
  REQUIRE(file.error);
  CHECK(file.error->offset == 120);
  CHECK_THAT(file.error->message, Catch::Contains("truncated event header"));
  REQUIRE(file.events.size() == 1);
  CHECK(file.events[0].type() == EventType::format_description);
}

TEST_CASE("An event with a corrupt CRC is rejected with its offset") {
  const auto file = bl::decode_file(read_vector("mariadb/mdev-39404-binlog.000001"));
  REQUIRE(file.error);
  REQUIRE(file.events.size() == 1);
  CHECK(file.events[0].crc_verified);
  CHECK(file.error->offset == 4 + file.events[0].header.event_size);
  CHECK_THAT(file.error->message, Catch::Contains("MARIADB_GTID event: CRC32 mismatch"));
}

TEST_CASE("MySQL GTID events carry the logical clock and transaction length where the server wrote them") {
  SECTION("5.6: GTID only") {
    const auto file = bl::decode_file(read_vector("mysql/binlog_transaction_with_GTID.000001"));
    REQUIRE_FALSE(file.error);
    const auto* g = file.events[2].get<bl::MysqlGtidEvent>();
    REQUIRE(g != nullptr);
    CHECK(repl::to_string(g->gtid) == "006c2cf2-b1ea-11e4-9057-8c705a3d3e78:1");
    CHECK_FALSE(g->anonymous);
    CHECK_FALSE(g->last_committed);
    CHECK_FALSE(g->transaction_length);
  }
  SECTION("8.0: transaction_length is the distance to the next GTID") {
    const auto file = bl::decode_file(read_vector("mysql/mysql-enum-string-set.000001"));
    REQUIRE_FALSE(file.error);
    std::vector<std::size_t> starts;
    std::size_t pos = 4;
    for (const auto& e : file.events) {
      if (e.type() == EventType::gtid) starts.push_back(pos);
      pos += e.header.event_size;
    }
    REQUIRE(starts.size() == 5);
    CHECK(starts[0] == 157);
    std::size_t i = 0;
    for (const auto& e : file.events) {
      const auto* g = e.get<bl::MysqlGtidEvent>();
      if (g == nullptr) continue;
      REQUIRE(g->transaction_length);
      if (i + 1 < starts.size()) CHECK(starts[i] + *g->transaction_length == starts[i + 1]);
      CHECK(g->sequence_number.value_or(0) > g->last_committed.value_or(-1));
      CHECK(g->immediate_commit_us.value_or(0) > 1'600'000'000'000'000ULL);
      ++i;
    }
  }
  SECTION("anonymous GTID before a TRANSACTION_PAYLOAD") {
    const auto file = bl::decode_file(read_vector("mysql/transaction_compression.000001"));
    REQUIRE_FALSE(file.error);
    const auto& g = only<bl::MysqlGtidEvent>(file.events, EventType::anonymous_gtid);
    CHECK(g.anonymous);
    CHECK(g.gtid.gno == 0);
    CHECK(g.transaction_length == 234);  // GTID@197 + 234 = end of the payload event
  }
  SECTION("9.6: GTID_TAGGED") {
    const auto file = bl::decode_file(read_vector("mysql/binlog_transaction_with_GTID_TAG.000001"));
    REQUIRE_FALSE(file.error);
    const auto& g = only<bl::MysqlGtidEvent>(file.events, EventType::gtid_tagged);
    CHECK(g.gtid.tag == "mytag");
    CHECK(g.gtid.gno == 3);
    CHECK(repl::to_string(g.gtid.uuid) == "55778904-0299-11f1-b1b8-4ef0c4956feb");
    CHECK(g.last_committed);
    CHECK(g.sequence_number);
    CHECK(g.transaction_length);
    CHECK(g.immediate_commit_us);
  }
}

TEST_CASE("MariaDB GTID events carry flags, commit ids and XA ids") {
  const auto gtids = [](const char* path) {
    const auto file = bl::decode_file(read_vector(path));
    REQUIRE_FALSE(file.error);
    std::map<std::string, bl::MariadbGtidEvent> out;
    for (const auto& e : file.events) {
      if (const auto* g = e.get<bl::MariadbGtidEvent>()) out[repl::to_string(g->gtid)] = *g;
    }
    return out;
  };
  SECTION("group commit id") {
    auto g = gtids("mariadb/master-bin-seq_10.3.36.000001");
    CHECK(g.at("0-1-1").standalone());
    CHECK(g.at("0-1-1").flags2 == 0x29);
    CHECK(g.at("0-1-101").commit_id == 7);
    CHECK_FALSE(g.at("0-1-102").commit_id);
  }
  SECTION("plain transactional") {
    auto g = gtids("mariadb/mariadb-bin.000001");
    CHECK(g.at("0-1-1").flags2 == 0x0c);
    CHECK_FALSE(g.at("0-1-1").standalone());
  }
  SECTION("XA prepare and commit, another server id") {
    auto g = gtids("mariadb/generated-10.11.19/mariadb-bin.000001");
    CHECK(g.count("0-99-1001") == 1);
    const auto& prepare = g.at("0-11-1002");
    CHECK(prepare.flags2 == 0x4c);
    CHECK(prepare.prepared_xa());
    REQUIRE(prepare.xa);
    CHECK(prepare.xa->format_id == 1);
    CHECK(prepare.xa->gtrid == "xa1");
    CHECK(prepare.xa->bqual.empty());
    CHECK(prepare.extra_engines == 0xff);
    const auto& commit = g.at("0-11-1003");
    CHECK(commit.flags2 == 0x8d);
    CHECK(commit.completed_xa());
    CHECK(commit.standalone());
    CHECK(commit.xa->gtrid == "xa1");
  }
}

TEST_CASE("QUERY events give schema and text; BEGIN, COMMIT, ROLLBACK and XA START are recognised") {
  bl::Query q;
  for (const char* s : {"BEGIN", "begin", " BEGIN\n"}) {
    q.sql = s;
    CHECK(q.is_begin());
  }
  q.sql = "COMMIT";
  CHECK(q.is_commit());
  q.sql = "ROLLBACK";
  CHECK(q.is_rollback());
  q.sql = "ROLLBACK TO `sp1`";
  CHECK_FALSE(q.is_rollback());
  q.sql = "XA START X'787831',X'',1";
  CHECK(q.is_xa_start());
  q.sql = "XA END X'787831',X'',1";
  CHECK_FALSE(q.is_xa_start());
  q.sql = "BEGIN NOT ATOMIC SELECT 1; END";
  CHECK_FALSE(q.is_begin());

  const auto file = bl::decode_file(read_vector("mysql/binlog_transaction_with_GTID.000001"));
  REQUIRE_FALSE(file.error);
  const auto* begin = file.events[5].get<bl::Query>();
  REQUIRE(begin != nullptr);
  CHECK(begin->is_begin());
  CHECK(begin->schema == "test");
}

TEST_CASE("A MariaDB QUERY_COMPRESSED is inflated") {
  const auto file = bl::decode_file(read_vector("mariadb/generated-10.11.19/mariadb-bin.000002"));
  REQUIRE_FALSE(file.error);
  const auto& q = only<bl::Query>(file.events, EventType::query_compressed);
  CHECK(q.compressed);
  CHECK(q.schema == "vec");
  CHECK(q.sql.size() == 287);
  CHECK_THAT(q.sql, Catch::StartsWith("CREATE TABLE c"));
}

// --- malformed input ---

TEST_CASE("Malformed events are errors, never crashes") {
  bl::Decoder decoder;
  const auto xid = make_event(EventType::xid, {1, 0, 0, 0, 0, 0, 0, 0}, off);
  REQUIRE(decoder.decode(xid).ok());

  SECTION("truncated header") {
    auto r = decoder.decode(std::span(xid).first(10));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().offset == 0);
    CHECK_THAT(r.error().message, Catch::Contains("truncated event header"));
  }
  SECTION("event_size below the header size") {
    auto e = xid;
    e[9] = 10;
    CHECK_THAT(error_of(decoder, e), Catch::Contains("smaller than the 19-byte header"));
  }
  SECTION("event_size beyond the bytes") {
    CHECK_THAT(error_of(decoder, std::vector<std::uint8_t>(xid.begin(), xid.end() - 1)),
               Catch::Contains("truncated event"));
  }
  SECTION("bytes beyond event_size") {
    auto e = xid;
    e.push_back(0);
    CHECK_THAT(error_of(decoder, e), Catch::Contains("bytes after the event"));
  }
  SECTION("a body too short for its type") {
    CHECK_THAT(error_of(decoder, make_event(EventType::xid, {1, 2, 3}, off)), Catch::Contains("XID: truncated xid"));
    CHECK_THAT(error_of(decoder, make_event(EventType::query, {1, 2, 3, 4, 5}, off)), Catch::Contains("QUERY: truncated"));
  }
  SECTION("corrupt CRC") {
    decoder.set_checksum(crc);
    auto good = make_event(EventType::xid, {1, 0, 0, 0, 0, 0, 0, 0}, crc);
    REQUIRE(decoder.decode(good).ok());
    auto bad_body = good;
    bad_body[20] ^= 0x40;
    CHECK_THAT(error_of(decoder, bad_body), Catch::Contains("CRC32 mismatch"));
    auto bad_crc = good;
    bad_crc.back() ^= 0x01;
    CHECK_THAT(error_of(decoder, bad_crc), Catch::Contains("CRC32 mismatch"));
    CHECK_THAT(error_of(decoder, make_event(EventType::stop, {}, off)), Catch::Contains("cannot hold its CRC32"));
  }
  SECTION("zstd garbage") {
    const std::vector<std::uint8_t> garbage = {0x28, 0xb5, 0x2f, 0xfd, 0xff, 0xff, 0xff, 0x01, 0x02};
    CHECK_THAT(error_of(decoder, make_event(EventType::transaction_payload, payload_body(0, 100, garbage), off)),
               Catch::Contains("zstd"));
    CHECK_THAT(error_of(decoder, make_event(EventType::transaction_payload, payload_body(7, 100, garbage), off)),
               Catch::Contains("unknown compression type 7"));
  }
  SECTION("huge declared sizes") {
    CHECK_THAT(error_of(decoder, make_event(EventType::transaction_payload,
                                            payload_body(0, std::uint64_t{1} << 40, {0x28, 0xb5, 0x2f, 0xfd}), off)),
               Catch::Contains("exceeds the limit"));
    auto body = payload_body(255, 10, {1, 2, 3});
    body[10] = 200;  // the payload size field's value: 200 bytes, 3 present
    CHECK_THAT(error_of(decoder, make_event(EventType::transaction_payload, body, off)),
               Catch::Contains("only 3 present"));
    // GTID_LIST claiming 2^28 - 1 entries.
    CHECK_THAT(error_of(decoder, make_event(EventType::gtid_list, {0xff, 0xff, 0xff, 0x0f, 0, 0}, off)),
               Catch::Contains("truncated"));
    // QUERY_COMPRESSED claiming 2 GiB from 4 bytes.
    std::vector<std::uint8_t> q(13, 0);
    q.push_back(0);  // schema terminator
    q.insert(q.end(), {0x84, 0x80, 0, 0, 0, 0x78, 0x9c, 0x03, 0x00});
    CHECK_THAT(error_of(decoder, make_event(EventType::query_compressed, q, off)), Catch::Contains("declares"));
    // XA_PREPARE with a 4 GiB gtrid.
    CHECK_THAT(error_of(decoder, make_event(EventType::xa_prepare, {0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}, off)),
               Catch::Contains("longer than 64"));
  }
  SECTION("a payload smaller or larger than declared") {
    const std::vector<std::uint8_t> raw = make_event(EventType::xid, {9, 0, 0, 0, 0, 0, 0, 0}, off, 0);
    CHECK(decoder.decode(make_event(EventType::transaction_payload, payload_body(255, raw.size(), raw), off)).ok());
    CHECK_THAT(error_of(decoder, make_event(EventType::transaction_payload, payload_body(255, raw.size() + 1, raw), off)),
               Catch::Contains("declared"));
    bl::Decoder small(bl::DecoderOptions{.max_uncompressed_size = 10});
    CHECK_THAT(error_of(small, make_event(EventType::transaction_payload, payload_body(255, 10, raw), off)),
               Catch::Contains("size limit"));
  }
  SECTION("a FORMAT_DESCRIPTION of another binlog version") {
    std::vector<std::uint8_t> body(57, 0);
    body[0] = 3;
    body[56] = 19;
    CHECK_THAT(error_of(decoder, make_event(EventType::format_description, body, off)),
               Catch::Contains("binlog version 3"));
  }
}

TEST_CASE("Malformed files and stream packets are errors") {
  CHECK_THAT(bl::decode_file(std::vector<std::uint8_t>{1, 2, 3, 4}).error->message, Catch::Contains("magic"));
  CHECK_FALSE(bl::decode_file(std::vector<std::uint8_t>{0xfe, 0x62, 0x69, 0x6e}).error);
  CHECK_FALSE(bl::decode_stream_packet({}, false).ok());
  const std::vector<std::uint8_t> ok = {0x01, 0x00};
  CHECK_THAT(bl::decode_stream_packet(ok, false).error().message, Catch::Contains("unexpected packet type"));
  const std::vector<std::uint8_t> no_semi = {0x00, 0x12, 0x34};
  CHECK_THAT(bl::decode_stream_packet(no_semi, true).error().message, Catch::Contains("semi-sync"));
  const std::vector<std::uint8_t> short_err = {0xff, 0x01};
  CHECK_FALSE(bl::decode_stream_packet(short_err, false).ok());
  const std::vector<std::uint8_t> old_err = {0xff, 0x15, 0x04, 'n', 'o'};
  auto err = bl::decode_stream_packet(old_err, false);
  REQUIRE(err.ok());
  CHECK(std::get<bl::StreamError>(*err).code == 1045);
  CHECK(std::get<bl::StreamError>(*err).message == "no");
}

TEST_CASE("Heartbeats without real vectors: MySQL's v2 fields and MariaDB's position past 4 GiB") {
  SECTION("HEARTBEAT_V2: {type, length, value} fields, unknown ones skipped") {
    std::vector<std::uint8_t> body = {1, 13};
    const std::string name = "binlog.000041";
    body.insert(body.end(), name.begin(), name.end());
    body.insert(body.end(), {9, 2, 0xaa, 0xbb});  // a field this decoder does not know
    const auto pos = lenenc(5'000'000'000ULL);
    body.push_back(2);
    body.push_back(static_cast<std::uint8_t>(pos.size()));
    body.insert(body.end(), pos.begin(), pos.end());
    body.push_back(0);
    bl::Decoder decoder;
    auto e = decoder.decode(make_event(EventType::heartbeat_v2, body, off, 0));
    REQUIRE(e.ok());
    const auto* h = e->get<bl::Heartbeat>();
    REQUIRE(h != nullptr);
    CHECK(h->v2);
    CHECK(h->file == name);
    CHECK(h->position == 5'000'000'000ULL);
  }
  SECTION("MariaDB: log_pos 0 and an 8-byte sub-header") {
    // A MariaDB FORMAT_DESCRIPTION with CRC32, then the heartbeat.
    std::vector<std::uint8_t> fde = {4, 0};
    const std::string version = "10.11.19-MariaDB-log";
    fde.insert(fde.end(), version.begin(), version.end());
    fde.resize(2 + 50, 0);
    fde.insert(fde.end(), {0, 0, 0, 0, 19, 56, 13, 0, 8, 0});  // created, header length, a few post-headers
    fde.push_back(1);                                            // CRC32
    bl::Decoder decoder;
    auto format = decoder.decode(make_event(EventType::format_description, fde, crc));
    REQUIRE(format.ok());
    CHECK(format->get<bl::FormatDescription>()->is_mariadb());
    CHECK(decoder.checksum() == crc);
    std::vector<std::uint8_t> body;
    put_le(body, 5'000'000'000ULL, 8);
    const std::string name = "mariadb-bin.000009";
    body.insert(body.end(), name.begin(), name.end());
    auto e = decoder.decode(make_event(EventType::heartbeat, body, crc, 0));
    REQUIRE(e.ok());
    CHECK(e->get<bl::Heartbeat>()->position == 5'000'000'000ULL);
    CHECK(e->get<bl::Heartbeat>()->file == name);
  }
}

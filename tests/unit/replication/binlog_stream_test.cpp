// replication/binlog_event: dump-stream packets and transaction boundaries, from the
// streams a MariaDB 10.11.19 sent to a minimal replica (../shared/testdata/binlog/mariadb/
// generated-10.11.19/stream-*.bin, described in its README.md) and from hand-made sequences.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "replication/binlog_event.hpp"
#include "tests/unit/replication/binlog_testdata.hpp"

namespace bl = causeway::replication::binlog;
using bl::EventType;
using namespace causeway::replication::testdata;

namespace {

struct StreamRun {
  std::vector<bl::Event> events;
  std::vector<bool> ack_requested;
  Summary summary;
  bool eof = false;
  std::optional<bl::StreamError> error;
};

// Each record: u32le length, then one packet payload.
StreamRun run_stream(const std::string& name, bool semi_sync) {
  const auto bytes = read_vector("mariadb/generated-10.11.19/" + name);
  StreamRun run;
  bl::Decoder decoder;
  decoder.set_checksum(bl::Checksum::crc32);  // @master_binlog_checksum = @@global.binlog_checksum
  for (std::size_t pos = 0; pos < bytes.size();) {
    REQUIRE(bytes.size() - pos >= 4);
    const std::size_t len = bytes[pos] | bytes[pos + 1] << 8 | bytes[pos + 2] << 16 |
                            std::size_t{bytes[pos + 3]} << 24;
    REQUIRE(bytes.size() - pos - 4 >= len);
    const auto payload = std::span(bytes).subspan(pos + 4, len);
    pos += 4 + len;
    INFO(name << " record ending at " << pos);
    REQUIRE_FALSE(run.eof);
    auto packet = bl::decode_stream_packet(payload, semi_sync);
    if (!packet) FAIL(packet.error().message);
    if (std::holds_alternative<bl::StreamEof>(*packet)) {
      run.eof = true;
      continue;
    }
    if (const auto* err = std::get_if<bl::StreamError>(&*packet)) {
      run.error = *err;
      continue;
    }
    const auto& se = std::get<bl::StreamEvent>(*packet);
    auto event = decoder.decode(se.event);
    if (!event) FAIL("offset " << event.error().offset << ": " << event.error().message);
    add(run.summary, *event);
    run.ack_requested.push_back(se.ack_requested);
    run.events.push_back(std::move(*event));
  }
  return run;
}

std::vector<std::string> whole_history() {
  return join({mariadb_range("0-11-", 1, 6), {"2-11-1", "0-11-1000", "0-99-1001"},
               mariadb_range("0-11-", 1002, 1019)});
}

}  // namespace

TEST_CASE("Every record of every captured stream decodes") {
  for (const char* name : {"stream-nonblock-file.bin", "stream-gtid-hb.bin", "stream-gtid-midfile.bin",
                           "stream-gtid-semisync.bin", "stream-gtid-future.bin", "stream-gtid-purged.bin",
                           "stream-gtid-empty.bin"}) {
    const bool semi_sync = std::string(name) == "stream-gtid-semisync.bin";
    const auto run = run_stream(name, semi_sync);
    CHECK(run.summary.tracker.abandoned() == 0);
  }
}

TEST_CASE("A non-blocking file dump: fake ROTATE with the negotiated CRC, file switches, EOF") {
  const auto run = run_stream("stream-nonblock-file.bin", false);
  CHECK(run.eof);
  REQUIRE(run.events.size() > 3);
  const auto& fake = run.events[0];
  CHECK(fake.type() == EventType::rotate);
  CHECK(fake.header.artificial());
  CHECK(fake.header.timestamp == 0);
  CHECK(fake.header.log_pos == 0);
  CHECK(fake.crc_verified);  // sent before any FDE: CRC as negotiated
  CHECK(fake.get<bl::Rotate>()->next_file == "mariadb-bin.000003");
  CHECK(fake.get<bl::Rotate>()->position == 4);
  CHECK(run.events[1].get<bl::FormatDescription>()->checksum == bl::Checksum::off);
  // File 000003 has checksums off; its real ROTATE, and the fake one after it, carry no CRC.
  std::vector<const bl::Event*> rotates;
  for (const auto& e : run.events) {
    if (e.type() == EventType::rotate) rotates.push_back(&e);
  }
  REQUIRE(rotates.size() == 3);
  CHECK(rotates[1]->header.log_pos == 1125);
  CHECK_FALSE(rotates[1]->header.artificial());
  CHECK(rotates[2]->header.artificial());
  CHECK_FALSE(rotates[2]->crc_verified);
  CHECK(rotates[2]->get<bl::Rotate>()->next_file == "mariadb-bin.000004");
  CHECK(run.summary.gtids == mariadb_range("0-11-", 1011, 1015));
  CHECK(run.summary.crc_ok > 0);
}

TEST_CASE("Heartbeats carry the file name and the position of the last event") {
  const auto run = run_stream("stream-gtid-hb.bin", false);
  std::vector<std::pair<std::string, std::uint64_t>> beats;
  for (const auto& e : run.events) {
    if (const auto* h = e.get<bl::Heartbeat>()) {
      beats.emplace_back(h->file, h->position);
      CHECK_FALSE(h->v2);
      CHECK(e.crc_verified);
    }
  }
  const std::vector<std::pair<std::string, std::uint64_t>> expected = {
      {"mariadb-bin.000004", 819}, {"mariadb-bin.000004", 819},
      {"mariadb-bin.000004", 1069}, {"mariadb-bin.000004", 1069}};
  CHECK(beats == expected);
  CHECK(run.summary.gtids == mariadb_range("0-11-", 1011, 1016));
}

TEST_CASE("Starting mid-file, MariaDB sends an artificial GTID_LIST without a CRC in a checksum-OFF file") {
  const auto run = run_stream("stream-gtid-midfile.bin", false);
  const bl::Event* artificial = nullptr;
  for (const auto& e : run.events) {
    if (e.type() == EventType::gtid_list && e.header.artificial()) artificial = &e;
  }
  REQUIRE(artificial != nullptr);
  CHECK_FALSE(artificial->crc_verified);
  CHECK(artificial->header.log_pos == 880);
  CHECK(artificial->get<bl::GtidList>()->position.to_string() == "0-11-1012");
  // The capture ends after 0-11-1014's DDL.
  CHECK(run.summary.gtids == mariadb_range("0-11-", 1013, 1014));
}

TEST_CASE("Semi-sync headers are stripped and the ACK request is reported") {
  const auto run = run_stream("stream-gtid-semisync.bin", true);
  REQUIRE(run.events.size() == 10);
  for (std::size_t i = 0; i < run.events.size(); ++i) {
    CHECK(bool(run.ack_requested[i]) == (run.events[i].type() == EventType::xid));
  }
  CHECK(run.summary.gtids == std::vector<std::string>{"0-11-1017"});
  // Without the semi-sync setting the first event does not decode (rather than misparse).
  const auto bytes = read_vector("mariadb/generated-10.11.19/stream-gtid-semisync.bin");
  const std::size_t len = bytes[0] | bytes[1] << 8;
  auto packet = bl::decode_stream_packet(std::span(bytes).subspan(4, len), false);
  REQUIRE(packet.ok());
  bl::Decoder decoder;
  CHECK_FALSE(decoder.decode(std::get<bl::StreamEvent>(*packet).event).ok());
}

TEST_CASE("A GTID the source does not have ends the stream with ERR 1236") {
  const auto run = run_stream("stream-gtid-future.bin", false);
  REQUIRE(run.error);
  CHECK(run.error->code == 1236);
  CHECK(run.error->sql_state == "HY000");
  CHECK_THAT(run.error->message, Catch::Contains("0-11-5000, which is not in the master's binlog"));
  CHECK(run.events.empty());
}

TEST_CASE("A GTID dump from the start reports the whole history, ignoring artificial events inside a group") {
  const auto run = run_stream("stream-gtid-purged.bin", false);
  CHECK(run.summary.gtids == whole_history());
  CHECK(run.eof);
  // A blocking dump, captured until just after 0-11-1018's GTID event: that group is open.
  const auto blocking = run_stream("stream-gtid-empty.bin", false);
  auto upto_1017 = whole_history();
  upto_1017.resize(upto_1017.size() - 2);
  CHECK(blocking.summary.gtids == upto_1017);
  CHECK(blocking.summary.tracker.in_transaction());
  CHECK_FALSE(blocking.eof);
  // In the purged capture the artificial GTID_LIST (0-11-1) arrives between the first
  // group's GTID event and its DDL QUERY.
  REQUIRE(run.events.size() > 6);
  CHECK(run.events[4].type() == EventType::mariadb_gtid);
  CHECK(run.events[5].type() == EventType::gtid_list);
  CHECK(run.events[5].header.artificial());
  CHECK(run.events[6].type() == EventType::query);
}

// --- transaction boundaries on hand-made sequences ---

namespace {

bl::Event ev(EventType type, bl::Body body = bl::Other{}, std::uint32_t log_pos = 100, std::uint16_t flags = 0) {
  bl::Event e;
  e.header.type = static_cast<std::uint8_t>(type);
  e.header.log_pos = log_pos;
  e.header.flags = flags;
  e.body = std::move(body);
  return e;
}

bl::Event mysql_gtid(std::uint64_t gno) {
  bl::MysqlGtidEvent g;
  g.gtid.uuid.bytes[15] = 1;
  g.gtid.gno = gno;
  return ev(EventType::gtid, g);
}

bl::Event mariadb_gtid(std::uint64_t seq, std::uint8_t flags2) {
  bl::MariadbGtidEvent g;
  g.gtid = {0, 1, seq};
  g.flags2 = flags2;
  return ev(EventType::mariadb_gtid, g);
}

bl::Event query(const std::string& sql, std::uint32_t log_pos = 100) {
  bl::Query q;
  q.sql = sql;
  return ev(EventType::query, q, log_pos);
}

std::vector<std::string> feed(bl::TransactionTracker& t, const std::vector<bl::Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    if (auto done = t.on_event(e)) out.push_back(text(*done) + "@" + std::to_string(done->end_log_pos));
  }
  return out;
}

const std::string uuid1 = "00000000-0000-0000-0000-000000000001";

}  // namespace

TEST_CASE("MySQL XA: the prepare group ends at XA_PREPARE, XA COMMIT is its own group") {
  bl::TransactionTracker t;
  const auto done = feed(t, {mysql_gtid(1), query("XA START X'7831',X'',1"), ev(EventType::table_map),
                             ev(EventType::write_rows), query("XA END X'7831',X'',1"),
                             ev(EventType::xa_prepare, bl::XaPrepare{}, 500), mysql_gtid(2),
                             query("XA COMMIT X'7831',X'',1", 600)});
  CHECK(done == std::vector<std::string>{uuid1 + ":1@500", uuid1 + ":2@600"});
}

TEST_CASE("MySQL: statements and savepoints inside BEGIN do not end the transaction") {
  bl::TransactionTracker t;
  const auto done = feed(t, {mysql_gtid(7), query("BEGIN"), query("INSERT INTO t VALUES (1)"),
                             query("SAVEPOINT `a`"), query("ROLLBACK TO `a`"), query("COMMIT", 900)});
  CHECK(done == std::vector<std::string>{uuid1 + ":7@900"});
  CHECK_FALSE(t.in_transaction());
}

TEST_CASE("Heartbeats and artificial events inside a group change nothing") {
  bl::TransactionTracker t;
  const auto done = feed(t, {mariadb_gtid(5, 0x01), ev(EventType::heartbeat, bl::Heartbeat{}),
                             ev(EventType::gtid_list, bl::GtidList{}, 0, bl::flag_artificial),
                             ev(EventType::annotate_rows), query("CREATE TABLE t (a INT)", 77)});
  CHECK(done == std::vector<std::string>{"0-1-5@77"});
}

TEST_CASE("MariaDB: a non-standalone group ignores other statements until COMMIT or XID") {
  bl::TransactionTracker t;
  const auto done = feed(t, {mariadb_gtid(1, 0x00), query("INSERT INTO m VALUES (1)"), query("COMMIT", 10),
                             mariadb_gtid(2, 0x0c), ev(EventType::table_map), ev(EventType::write_rows_v1),
                             ev(EventType::xid, bl::Xid{}, 20), mariadb_gtid(3, 0x4c), ev(EventType::xa_prepare, bl::XaPrepare{}, 30)});
  CHECK(done == std::vector<std::string>{"0-1-1@10", "0-1-2@20", "0-1-3@30"});
}

TEST_CASE("A group cut off by the next GTID or a new FORMAT_DESCRIPTION is dropped and counted") {
  bl::TransactionTracker t;
  const auto done = feed(t, {mysql_gtid(1), query("BEGIN"), mysql_gtid(2), query("CREATE TABLE x (a INT)", 5),
                             mysql_gtid(3), ev(EventType::format_description, bl::FormatDescription{})});
  CHECK(done == std::vector<std::string>{uuid1 + ":2@5"});
  CHECK(t.abandoned() == 2);
  CHECK_FALSE(t.in_transaction());
}

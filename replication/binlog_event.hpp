// Binlog events (MySQL 5.6-9.x, MariaDB 5.5-11.x), sans-io: the 19-byte common header,
// CRC32 checking, the bodies a GTID tracker needs, TRANSACTION_PAYLOAD decompression, the
// dump-stream packet framing, and a tracker that says when a transaction is complete.
// Pure code: no I/O; every failure is a DecodeError value (never an exception).
//
// Lifetimes: spans in a decoded Event (Event::raw_body, StreamEvent::event) point into the
// bytes that were decoded, except for a TRANSACTION_PAYLOAD's inner events, whose bytes are
// kept alive by the payload's shared buffer.
//
// Protocol notes: shared/reference/binlog-protocol.md (§3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "replication/gtid.hpp"

namespace causeway::replication::binlog {

using Bytes = std::span<const std::uint8_t>;

// Event type codes as the servers number them (MySQL `Log_event_type`, MariaDB 160+).
enum class EventType : std::uint8_t {
  unknown = 0,
  start_v3 = 1,
  query = 2,
  stop = 3,
  rotate = 4,
  intvar = 5,
  slave = 7,
  append_block = 9,
  delete_file = 11,
  rand = 13,
  user_var = 14,
  format_description = 15,
  xid = 16,
  begin_load_query = 17,
  execute_load_query = 18,
  table_map = 19,
  write_rows_v1 = 23,
  update_rows_v1 = 24,
  delete_rows_v1 = 25,
  incident = 26,
  heartbeat = 27,
  ignorable = 28,
  rows_query = 29,
  write_rows = 30,
  update_rows = 31,
  delete_rows = 32,
  gtid = 33,
  anonymous_gtid = 34,
  previous_gtids = 35,
  transaction_context = 36,
  view_change = 37,
  xa_prepare = 38,
  partial_update_rows = 39,
  transaction_payload = 40,
  heartbeat_v2 = 41,
  gtid_tagged = 42,
  // MariaDB
  annotate_rows = 160,
  binlog_checkpoint = 161,
  mariadb_gtid = 162,
  gtid_list = 163,
  start_encryption = 164,
  query_compressed = 165,
  write_rows_compressed_v1 = 166,
  update_rows_compressed_v1 = 167,
  delete_rows_compressed_v1 = 168,
  write_rows_compressed = 169,
  update_rows_compressed = 170,
  delete_rows_compressed = 171,
};

// "QUERY", "GTID_LIST", ...; "UNKNOWN" for codes this table does not name.
[[nodiscard]] std::string_view event_type_name(std::uint8_t type);

inline constexpr std::size_t header_size = 19;
inline constexpr std::size_t checksum_size = 4;
// Every binlog file starts with these four bytes.
inline constexpr std::uint8_t binlog_magic[4] = {0xfe, 0x62, 0x69, 0x6e};

// Common-header flags.
inline constexpr std::uint16_t flag_binlog_in_use = 0x0001;  // FDE of a file still open
inline constexpr std::uint16_t flag_artificial = 0x0020;     // made up by the dump thread
inline constexpr std::uint16_t flag_ignorable = 0x0080;      // unknown type may be skipped

enum class Checksum { off, crc32 };

// Where decoding stopped (byte offset into the bytes given: the event, the file, the packet)
// and why.
struct DecodeError {
  std::size_t offset = 0;
  std::string message;
};

// A value or the DecodeError that prevented it.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(DecodeError error) : v_(std::in_place_index<1>, std::move(error)) {}

  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  [[nodiscard]] const DecodeError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, DecodeError> v_;
};

struct EventHeader {
  std::uint32_t timestamp = 0;
  std::uint8_t type = 0;  // raw code: unknown types stay representable
  std::uint32_t server_id = 0;
  std::uint32_t event_size = 0;  // header + body + CRC
  std::uint32_t log_pos = 0;     // end of this event in its file; 0 for artificial events
  std::uint16_t flags = 0;

  [[nodiscard]] EventType event_type() const { return static_cast<EventType>(type); }
  [[nodiscard]] bool artificial() const { return (flags & flag_artificial) != 0; }
};

// Reads the 19-byte common header at the start of `bytes` (which may hold more). Checks only
// that 19 bytes are there and that event_size covers the header.
Result<EventHeader> parse_header(Bytes bytes);

// ---------------------------------------------------------------------------------------
// Bodies

// Anything not decoded below (rows events, STOP, Aurora's type 100, ...): Event::raw_body
// holds its bytes.
struct Other {};

struct FormatDescription {
  std::uint16_t binlog_version = 0;
  std::string server_version;  // "8.0.32", "10.11.19-MariaDB-0+deb12u1-log"
  std::uint32_t created = 0;
  std::uint8_t header_length = 0;
  // MySQL >= 5.6.1 and MariaDB >= 5.3 end the FDE with the checksum algorithm and a CRC slot.
  bool checksum_aware = false;
  Checksum checksum = Checksum::off;  // for the events that follow, and this FDE itself
  bool in_use = false;                // LOG_EVENT_BINLOG_IN_USE_F: file not closed cleanly

  [[nodiscard]] bool is_mariadb() const;
};

struct Rotate {
  std::uint64_t position = 0;
  std::string next_file;
};

// MySQL GTID (33), ANONYMOUS_GTID (34) and GTID_TAGGED (42).
struct MysqlGtidEvent {
  MysqlGtid gtid;  // all zero when anonymous
  bool anonymous = false;
  std::uint8_t flags = 0;  // bit 0: may contain statement-based changes
  // Logical clock (5.7.5+).
  std::optional<std::int64_t> last_committed;
  std::optional<std::int64_t> sequence_number;
  // Microseconds since the epoch (8.0.1+): commit on the server that wrote this binlog,
  // and on the server where the transaction originated.
  std::optional<std::uint64_t> immediate_commit_us;
  std::optional<std::uint64_t> original_commit_us;
  // Bytes of the whole transaction including this event (8.0.2+).
  std::optional<std::uint64_t> transaction_length;
};

struct PreviousGtids {
  MysqlGtidSet gtids;
};

struct Xid {
  std::uint64_t xid = 0;
};

// QUERY (2) and MariaDB QUERY_COMPRESSED (165, decompressed here).
struct Query {
  std::uint32_t thread_id = 0;
  std::uint32_t exec_time = 0;
  std::uint16_t error_code = 0;
  std::string schema;
  std::string sql;
  bool compressed = false;

  [[nodiscard]] bool is_begin() const;
  [[nodiscard]] bool is_commit() const;
  [[nodiscard]] bool is_rollback() const;
  // `XA START ...` (or `XA BEGIN`): opens an explicit group like BEGIN.
  [[nodiscard]] bool is_xa_start() const;
};

// An XA transaction's id (XID): format id, global transaction id and branch qualifier.
struct XaId {
  std::uint32_t format_id = 0;
  std::string gtrid;
  std::string bqual;
};

// XA_PREPARE (38): ends the prepare group of an XA transaction.
struct XaPrepare {
  bool one_phase = false;  // XA COMMIT ... ONE PHASE
  XaId xid;
};

// MariaDB GTID (162).
struct MariadbGtidEvent {
  static constexpr std::uint8_t fl_standalone = 0x01;
  static constexpr std::uint8_t fl_group_commit_id = 0x02;
  static constexpr std::uint8_t fl_transactional = 0x04;
  static constexpr std::uint8_t fl_allow_parallel = 0x08;
  static constexpr std::uint8_t fl_waited = 0x10;
  static constexpr std::uint8_t fl_ddl = 0x20;
  static constexpr std::uint8_t fl_prepared_xa = 0x40;
  static constexpr std::uint8_t fl_completed_xa = 0x80;
  static constexpr std::uint8_t fl_extra_multi_engine = 0x01;  // in flags_extra

  MariadbGtid gtid;  // server_id from the event header
  std::uint8_t flags2 = 0;
  std::optional<std::uint64_t> commit_id;
  std::optional<XaId> xa;  // PREPARED_XA / COMPLETED_XA groups
  std::uint8_t flags_extra = 0;
  std::optional<std::uint8_t> extra_engines;

  [[nodiscard]] bool standalone() const { return (flags2 & fl_standalone) != 0; }
  [[nodiscard]] bool prepared_xa() const { return (flags2 & fl_prepared_xa) != 0; }
  [[nodiscard]] bool completed_xa() const { return (flags2 & fl_completed_xa) != 0; }
};

// MariaDB GTID_LIST (163).
struct GtidList {
  std::vector<MariadbGtid> gtids;  // in event order; may hold several per domain
  MariadbGtidPosition position;    // the last GTID of each domain
  std::uint8_t flags = 0;          // top 4 bits of the count word
};

// MariaDB BINLOG_CHECKPOINT (161).
struct BinlogCheckpoint {
  std::string file;
};

// HEARTBEAT (27) and HEARTBEAT_V2 (41): the source has sent everything up to `position` in
// `file`.
struct Heartbeat {
  std::string file;
  // v1: the header's log_pos (MariaDB: the 8-byte sub-header past 4 GiB); v2: its field.
  std::uint64_t position = 0;
  bool v2 = false;
};

struct Event;

// TRANSACTION_PAYLOAD (40): a whole (compressed) transaction. The GTID event is outside,
// right before it.
struct TransactionPayload {
  static constexpr std::uint64_t compression_zstd = 0;
  static constexpr std::uint64_t compression_none = 255;

  std::uint64_t compression = compression_zstd;
  std::uint64_t payload_size = 0;       // compressed bytes
  std::uint64_t uncompressed_size = 0;  // as declared
  // Inner events: no CRC, log_pos 0. Empty when the decoder does not decompress.
  bool decompressed = false;
  std::shared_ptr<const std::vector<std::uint8_t>> uncompressed;
  std::vector<Event> events;
};

using Body = std::variant<Other, FormatDescription, Rotate, Query, Xid, XaPrepare, MysqlGtidEvent,
                          PreviousGtids, MariadbGtidEvent, GtidList, BinlogCheckpoint, Heartbeat,
                          TransactionPayload>;

struct Event {
  EventHeader header;
  Bytes raw_body;  // between the header and the CRC
  bool crc_verified = false;
  Body body;

  [[nodiscard]] EventType type() const { return header.event_type(); }
  template <class T>
  [[nodiscard]] const T* get() const {
    return std::get_if<T>(&body);
  }
};

// ---------------------------------------------------------------------------------------
// Decoding

struct DecoderOptions {
  // Decompress TRANSACTION_PAYLOAD bodies into inner events. A GTID tracker does not need
  // them (GTID + TRANSACTION_PAYLOAD is a complete transaction), and they cost memory: the
  // whole uncompressed transaction plus one Event per inner event.
  bool decompress_payloads = true;
  // Upper bound for one decompressed TRANSACTION_PAYLOAD or QUERY_COMPRESSED text; larger
  // ones (declared or actual) are a DecodeError.
  std::size_t max_uncompressed_size = std::size_t{1} << 30;
};

// Decodes one event at a time and keeps what the stream has said about checksums.
class Decoder {
 public:
  explicit Decoder(DecoderOptions options = {}) : options_(options) {}

  // What was negotiated (@master_binlog_checksum) for a dump stream: it applies to what comes
  // before the first FORMAT_DESCRIPTION (the fake ROTATE). Each FDE then sets it.
  void set_checksum(Checksum checksum) { checksum_ = checksum; }
  [[nodiscard]] Checksum checksum() const { return checksum_; }
  // The last FORMAT_DESCRIPTION decoded.
  [[nodiscard]] const std::optional<FormatDescription>& format() const { return format_; }

  // `event` is exactly one event: header, body and (when checksums are on) the CRC32.
  Result<Event> decode(Bytes event);

 private:
  DecoderOptions options_;
  Checksum checksum_ = Checksum::off;
  std::optional<FormatDescription> format_;
};

// A whole binlog file: magic, then events walked by event_size. Decoding stops at the first
// error; the events before it are kept. Error offsets are file offsets.
struct DecodedFile {
  std::vector<Event> events;
  std::optional<DecodeError> error;
};
DecodedFile decode_file(Bytes file, DecoderOptions options = {});

// ---------------------------------------------------------------------------------------
// Dump-stream packets (payloads with the packet header removed and split packets joined)

struct StreamEvent {
  Bytes event;
  bool ack_requested = false;  // semi-sync flag 0x01
};
struct StreamEof {};
struct StreamError {
  std::uint16_t code = 0;
  std::string sql_state;
  std::string message;
};
using StreamPacket = std::variant<StreamEvent, StreamEof, StreamError>;

// `0x00` [+ `0xef flag` when semi-sync was negotiated] + event, `0xfe` EOF (non-blocking
// dump at the end), or `0xff` ERR.
Result<StreamPacket> decode_stream_packet(Bytes payload, bool semi_sync);

// ---------------------------------------------------------------------------------------
// Transaction boundaries

struct Anonymous {
  friend bool operator==(Anonymous, Anonymous) = default;
};
using TransactionId = std::variant<Anonymous, MysqlGtid, MariadbGtid>;

struct Completed {
  TransactionId id;
  std::uint32_t end_log_pos = 0;  // log_pos of the event that ended it

  [[nodiscard]] bool anonymous() const { return std::holds_alternative<Anonymous>(id); }
  [[nodiscard]] const MysqlGtid* mysql() const { return std::get_if<MysqlGtid>(&id); }
  [[nodiscard]] const MariadbGtid* mariadb() const { return std::get_if<MariadbGtid>(&id); }
};

// Fed every decoded event in stream order; reports each transaction when its last event has
// arrived (binlog-protocol.md §3.6):
// * MySQL: GTID / GTID_TAGGED / ANONYMOUS_GTID opens; XID, QUERY COMMIT/ROLLBACK, a QUERY
//   other than BEGIN / XA START outside an explicit group (DDL, XA COMMIT), XA_PREPARE or
//   TRANSACTION_PAYLOAD closes.
// * MariaDB: GTID opens; a standalone group closes with its first event that is not part of
//   a statement's preamble (the DDL QUERY); others with XID, QUERY COMMIT/ROLLBACK or
//   XA_PREPARE.
// Heartbeats and artificial events never change the state. A group that is still open when
// the next one starts, or when a FORMAT_DESCRIPTION arrives, is dropped and counted.
class TransactionTracker {
 public:
  std::optional<Completed> on_event(const Event& event);

  [[nodiscard]] bool in_transaction() const { return open_.has_value(); }
  // Groups that were opened but never seen to end.
  [[nodiscard]] std::uint64_t abandoned() const { return abandoned_; }
  // Forget an open group (e.g. after a reconnect).
  void reset() { open_.reset(); }

 private:
  struct Open {
    TransactionId id;
    bool mariadb = false;
    bool standalone = false;  // MariaDB FL_STANDALONE
    bool explicit_group = false;  // MySQL: BEGIN / XA START seen
  };
  std::optional<Completed> close(const Event& event);
  std::optional<Completed> on_mysql(const Event& event, Open& open);
  std::optional<Completed> on_mariadb(const Event& event, Open& open);

  std::optional<Open> open_;
  std::uint64_t abandoned_ = 0;
};

}  // namespace causeway::replication::binlog

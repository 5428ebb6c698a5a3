// The bodies of the event types a GTID tracker needs (binlog-protocol.md §3). Each decoder
// reads `in`, positioned at the body; error offsets are relative to the event.
#include <zlib.h>

#include <algorithm>

#include "replication/binlog_detail.hpp"

namespace causeway::replication::binlog::detail {

namespace {

// MySQL limits an XA gtrid and bqual to 64 bytes each (MAXGTRIDSIZE, MAXBQUALSIZE).
constexpr std::size_t max_xid_part = 64;
constexpr std::size_t max_tag_length = 32;

// File names in ROTATE / HEARTBEAT have no terminator; some writers add a NUL anyway.
std::string file_name(Bytes bytes) {
  while (!bytes.empty() && bytes.back() == 0) bytes = bytes.first(bytes.size() - 1);
  return to_text(bytes);
}

// A GTID tag: [a-z_][a-z0-9_]{0,31}, stored lower case (MySQL Tag::from_cstring).
bool normalise_tag(Bytes raw, std::string& out) {
  if (raw.empty() || raw.size() > max_tag_length) return false;
  out.clear();
  for (std::uint8_t b : raw) {
    const char c = ascii_lower(static_cast<char>(b));
    const bool ok = c == '_' || (c >= 'a' && c <= 'z') || (!out.empty() && c >= '0' && c <= '9');
    if (!ok) return false;
    out.push_back(c);
  }
  return true;
}

bool decode_rotate(Reader& in, Rotate& out) {
  if (!in.u64(out.position, "position")) return false;
  out.next_file = file_name(in.rest());
  return true;
}

bool read_xa_id(Reader& in, std::uint64_t gtrid_len, std::uint64_t bqual_len, XaId& out) {
  if (gtrid_len > max_xid_part || bqual_len > max_xid_part) {
    return in.fail("XID parts longer than 64 bytes (" + std::to_string(gtrid_len) + ", " +
                   std::to_string(bqual_len) + ")");
  }
  Bytes gtrid;
  Bytes bqual;
  if (!in.take(gtrid_len, gtrid, "XID gtrid") || !in.take(bqual_len, bqual, "XID bqual")) return false;
  out.gtrid = to_text(gtrid);
  out.bqual = to_text(bqual);
  return true;
}

bool decode_xa_prepare(Reader& in, XaPrepare& out) {
  std::uint8_t one_phase = 0;
  std::uint64_t gtrid_len = 0;
  std::uint64_t bqual_len = 0;
  if (!in.u8(one_phase, "one_phase") || !in.u32(out.xid.format_id, "format id") ||
      !in.uint(4, gtrid_len, "gtrid length") || !in.uint(4, bqual_len, "bqual length")) {
    return false;
  }
  out.one_phase = one_phase != 0;
  return read_xa_id(in, gtrid_len, bqual_len, out.xid);
}

bool decode_xid(Reader& in, Xid& out) { return in.u64(out.xid, "xid"); }

// MariaDB QUERY_COMPRESSED text: u8 (0x80 | n), n-byte big-endian length, zlib stream.
bool uncompress_query(Reader& in, const Context& ctx, std::string& out) {
  const std::size_t at = in.offset();
  std::uint8_t lead = 0;
  if (!in.u8(lead, "compressed query header")) return false;
  const std::size_t n = lead & 0x07;
  if ((lead & 0x80) == 0 || n == 0 || n > 4) {
    return in.fail_at(at, "bad compressed query header " + std::to_string(lead));
  }
  Bytes len_bytes;
  if (!in.take(n, len_bytes, "compressed query length")) return false;
  std::uint64_t len = 0;
  for (std::uint8_t b : len_bytes) len = len << 8 | b;
  const Bytes packed = in.rest();
  // zlib cannot expand more than about 1032:1.
  if (len > ctx.options.max_uncompressed_size || len > packed.size() * 1032 + 64) {
    return in.fail_at(at, "compressed query declares " + std::to_string(len) + " bytes from " +
                              std::to_string(packed.size()));
  }
  out.assign(static_cast<std::size_t>(len), '\0');
  uLongf got = static_cast<uLongf>(len);
  uLong used = static_cast<uLong>(packed.size());
  const int rc = ::uncompress2(reinterpret_cast<Bytef*>(out.data()), &got, packed.data(), &used);
  if (rc != Z_OK || got != len) {
    return in.fail_at(at, "compressed query does not inflate to its " + std::to_string(len) +
                              " bytes (zlib " + std::to_string(rc) + ")");
  }
  return true;
}

bool decode_query(Reader& in, const Context& ctx, bool compressed, Query& out) {
  std::uint8_t schema_len = 0;
  std::uint16_t status_len = 0;
  Bytes status;
  Bytes schema;
  Bytes nul;
  if (!in.u32(out.thread_id, "thread id") || !in.u32(out.exec_time, "exec time") ||
      !in.u8(schema_len, "schema length") || !in.u16(out.error_code, "error code") ||
      !in.u16(status_len, "status variables length") ||
      !in.take(status_len, status, "status variables") ||
      !in.take(schema_len, schema, "schema") || !in.take(1, nul, "schema terminator")) {
    return false;
  }
  out.schema = to_text(schema);
  out.compressed = compressed;
  if (compressed) return uncompress_query(in, ctx, out.sql);
  out.sql = to_text(in.rest());
  return true;
}

// MySQL GTID / ANONYMOUS_GTID: fixed fields, then optional parts by server version.
bool decode_untagged_gtid(Reader& in, bool anonymous, MysqlGtidEvent& out) {
  Bytes sid;
  std::uint64_t gno = 0;
  if (!in.u8(out.flags, "flags") || !in.take(16, sid, "sid") || !in.u64(gno, "gno")) return false;
  std::copy(sid.begin(), sid.end(), out.gtid.uuid.bytes.begin());
  out.anonymous = anonymous;
  out.gtid.gno = gno;
  if (!anonymous && (gno == 0 || gno > max_gno)) {
    return in.fail_at(in.offset() - 8, "gno " + std::to_string(gno) + " out of range");
  }
  constexpr std::uint8_t logical_clock = 2;
  if (in.left() == 0 || in.peek() != logical_clock) return true;  // 5.6, early 5.7
  std::uint8_t type = 0;
  std::uint64_t last = 0;
  std::uint64_t seq = 0;
  if (!in.u8(type, "clock type") || !in.u64(last, "last_committed") ||
      !in.u64(seq, "sequence_number")) {
    return false;
  }
  out.last_committed = static_cast<std::int64_t>(last);
  out.sequence_number = static_cast<std::int64_t>(seq);
  if (in.left() >= 7) {  // 8.0.1+
    constexpr std::uint64_t has_original = std::uint64_t{1} << 55;
    std::uint64_t immediate = 0;
    if (!in.uint(7, immediate, "immediate commit timestamp")) return false;
    std::uint64_t original = immediate & ~has_original;
    if ((immediate & has_original) != 0 && !in.uint(7, original, "original commit timestamp")) {
      return false;
    }
    out.immediate_commit_us = immediate & ~has_original;
    out.original_commit_us = original;
  }
  if (in.left() > 0) {
    std::uint64_t length = 0;
    if (!in.lenenc(length, "transaction length")) return false;
    out.transaction_length = length;
  }
  return true;  // server versions (8.0.14+) are not needed
}

std::int64_t unzigzag(std::uint64_t u) {
  return static_cast<std::int64_t>(u >> 1) ^ -static_cast<std::int64_t>(u & 1);
}

// One field of a GTID_TAGGED message (mysql::serialization, field ids of Gtid_event).
bool tagged_field(Reader& in, std::uint64_t id, MysqlGtidEvent& out, bool& have_gno) {
  std::uint64_t v = 0;
  switch (id) {
    case 0:
      if (!in.varlen(v, "flags")) return false;
      if (v > 0xff) return in.fail("flags out of range");
      out.flags = static_cast<std::uint8_t>(v);
      return true;
    case 1:
      for (auto& b : out.gtid.uuid.bytes) {
        if (!in.varlen(v, "sid")) return false;
        if (v > 0xff) return in.fail("sid byte out of range");
        b = static_cast<std::uint8_t>(v);
      }
      return true;
    case 2: {
      if (!in.varlen(v, "gno")) return false;
      const std::int64_t gno = unzigzag(v);
      if (gno <= 0 || static_cast<std::uint64_t>(gno) > max_gno) {
        return in.fail("gno " + std::to_string(gno) + " out of range");
      }
      out.gtid.gno = static_cast<std::uint64_t>(gno);
      have_gno = true;
      return true;
    }
    case 3: {
      Bytes tag;
      if (!in.varlen(v, "tag length") || !in.take(v, tag, "tag")) return false;
      if (!tag.empty() && !normalise_tag(tag, out.gtid.tag)) return in.fail("bad tag");
      return true;
    }
    case 4:
    case 5:
      if (!in.varlen(v, id == 4 ? "last_committed" : "sequence_number")) return false;
      (id == 4 ? out.last_committed : out.sequence_number) = unzigzag(v);
      return true;
    case 6:
    case 7:
      if (!in.varlen(v, "commit timestamp")) return false;
      (id == 6 ? out.immediate_commit_us : out.original_commit_us) = v;
      return true;
    case 8:
      if (!in.varlen(v, "transaction length")) return false;
      out.transaction_length = v;
      return true;
    default:  // 9, 10 server versions, 11 commit group ticket: varlen values, unused
      return in.varlen(v, "field value");
  }
}

// GTID_TAGGED (42): u8 format version (2), varlen message size (counted from the version
// byte), varlen last non-ignorable field id, then {varlen field id, value}.
bool decode_tagged_gtid(Reader& in, MysqlGtidEvent& out) {
  const std::size_t start = in.offset();
  std::uint8_t version = 0;
  std::uint64_t size = 0;
  std::uint64_t last_non_ignorable = 0;
  if (!in.u8(version, "format version")) return false;
  if (version != 2) return in.fail_at(start, "unsupported GTID_TAGGED format " + std::to_string(version));
  if (!in.varlen(size, "message size") || !in.varlen(last_non_ignorable, "field id")) return false;
  const std::size_t used = in.offset() - start;
  if (size < used) return in.fail_at(start, "message size " + std::to_string(size) + " too small");
  Bytes fields;
  if (!in.take(size - used, fields, "GTID_TAGGED fields")) return false;
  Reader f(fields, in.offset() - fields.size(), in.error());
  bool have_gno = false;
  std::uint64_t previous = 0;
  bool first = true;
  while (f.left() > 0) {
    const std::size_t at = f.offset();
    std::uint64_t id = 0;
    if (!f.varlen(id, "field id")) return false;
    if (!first && id <= previous) return f.fail_at(at, "field ids out of order");
    first = false;
    previous = id;
    if (id > 11) {
      // A newer server's field: its size is unknown, so stop unless it had to be understood.
      if (id <= last_non_ignorable) return f.fail_at(at, "unknown field " + std::to_string(id));
      break;
    }
    if (!tagged_field(f, id, out, have_gno)) return false;
  }
  if (!have_gno) return in.fail_at(start, "GTID_TAGGED without a gno");
  if (out.immediate_commit_us && !out.original_commit_us) out.original_commit_us = out.immediate_commit_us;
  return true;
}

bool decode_previous_gtids(Reader& in, PreviousGtids& out) {
  const std::size_t at = in.offset();
  GtidError error;
  auto set = decode_mysql_gtid_set(in.rest(), error);
  if (!set) return in.fail_at(at + error.offset, error.message);
  out.gtids = std::move(*set);
  return true;
}

// MariaDB GTID: u64 seq, u32 domain, u8 flags2, [u64 commit_id], [XID], [u8 flags_extra
// [u8 extra_engines] ...], zero padding to 19 bytes.
bool decode_mariadb_gtid(Reader& in, const EventHeader& header, MariadbGtidEvent& out) {
  using E = MariadbGtidEvent;
  if (!in.u64(out.gtid.seq, "seq_no") || !in.u32(out.gtid.domain, "domain id") ||
      !in.u8(out.flags2, "flags2")) {
    return false;
  }
  out.gtid.server_id = header.server_id;
  if ((out.flags2 & E::fl_group_commit_id) != 0) {
    std::uint64_t id = 0;
    if (!in.u64(id, "commit id")) return false;
    out.commit_id = id;
  }
  if ((out.flags2 & (E::fl_prepared_xa | E::fl_completed_xa)) != 0) {
    XaId xid;
    std::uint8_t gtrid_len = 0;
    std::uint8_t bqual_len = 0;
    if (!in.u32(xid.format_id, "XID format id") || !in.u8(gtrid_len, "gtrid length") ||
        !in.u8(bqual_len, "bqual length") || !read_xa_id(in, gtrid_len, bqual_len, xid)) {
      return false;
    }
    out.xa = std::move(xid);
  }
  if (in.left() > 0) {
    if (!in.u8(out.flags_extra, "extra flags")) return false;
    if ((out.flags_extra & E::fl_extra_multi_engine) != 0) {
      std::uint8_t engines = 0;
      if (!in.u8(engines, "extra engines")) return false;
      out.extra_engines = engines;
    }
  }
  return true;  // ALTER sequence numbers and padding follow; not needed
}

bool decode_gtid_list(Reader& in, GtidList& out) {
  std::uint32_t word = 0;
  if (!in.u32(word, "count")) return false;
  const std::uint32_t count = word & 0x0fffffff;
  out.flags = static_cast<std::uint8_t>(word >> 28);
  if (count > in.left() / 16) {
    return in.fail("GTID_LIST of " + std::to_string(count) + " entries is truncated");
  }
  out.gtids.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    MariadbGtid g;
    if (!in.u32(g.domain, "domain id") || !in.u32(g.server_id, "server id") || !in.u64(g.seq, "seq_no")) {
      return false;
    }
    out.gtids.push_back(g);
    out.position.update(g);
  }
  return true;
}

bool decode_checkpoint(Reader& in, BinlogCheckpoint& out) {
  std::uint32_t len = 0;
  Bytes name;
  if (!in.u32(len, "file name length") || !in.take(len, name, "file name")) return false;
  out.file = to_text(name);
  return true;
}

bool decode_heartbeat(Reader& in, const EventHeader& header, const Context& ctx, Heartbeat& out) {
  out.position = header.log_pos;
  // MariaDB past 4 GiB: log_pos 0 and the position in an 8-byte sub-header (HB_SUB_HEADER_LEN).
  if (ctx.mariadb && header.log_pos == 0 && in.left() >= 8 && !in.u64(out.position, "position")) {
    return false;
  }
  out.file = file_name(in.rest());
  return true;
}

// HEARTBEAT_V2 (MySQL 8.0.26+): {lenenc type, lenenc length, value} fields, type 0 ends.
bool decode_heartbeat_v2(Reader& in, Heartbeat& out) {
  out.v2 = true;
  return walk_fields(in, [&out](Reader& value, std::uint64_t type) {
    if (type == 1) out.file = file_name(value.rest());
    if (type == 2) return value.lenenc(out.position, "position");
    return true;
  });
}

// The uncompressed payload is a run of ordinary events without CRCs.
bool decode_inner_events(Reader& in, std::size_t at, const Context& ctx, TransactionPayload& out) {
  const Bytes all(*out.uncompressed);
  const Context inner{ctx.options, ctx.mariadb, true};
  for (std::size_t pos = 0; pos < all.size();) {
    const std::string where = "inner event at uncompressed offset " + std::to_string(pos) + ": ";
    auto header = parse_header(all.subspan(pos));
    if (!header) return in.fail_at(at, where + header.error().message);
    const EventType type = header->event_type();
    if (header->event_size > all.size() - pos) {
      return in.fail_at(at, where + "event_size " + std::to_string(header->event_size) +
                                " beyond the payload");
    }
    if (type == EventType::format_description || type == EventType::transaction_payload) {
      return in.fail_at(at, where + std::string(event_type_name(header->type)) +
                                " inside a TRANSACTION_PAYLOAD");
    }
    Event event;
    event.header = *header;
    event.raw_body = all.subspan(pos + header_size, header->event_size - header_size);
    auto decoded = decode_body(event.header, event.raw_body, inner);
    if (!decoded) return in.fail_at(at, where + decoded.error().message);
    event.body = std::move(*decoded);
    out.events.push_back(std::move(event));
    pos += header->event_size;
  }
  return true;
}

bool decode_payload(Reader& in, const Context& ctx, TransactionPayload& out) {
  bool have_size = false;
  bool have_uncompressed = false;
  const bool fields_ok = walk_fields(in, [&](Reader& value, std::uint64_t type) {
    switch (type) {
      case 1:
        have_size = true;
        return value.lenenc(out.payload_size, "payload size");
      case 2:
        return value.lenenc(out.compression, "compression type");
      case 3:
        have_uncompressed = true;
        return value.lenenc(out.uncompressed_size, "uncompressed size");
      default:
        return true;
    }
  });
  if (!fields_ok) return false;
  const std::size_t at = in.offset();
  Bytes payload = in.rest();
  if (have_size) {
    if (out.payload_size > payload.size()) {
      return in.fail_at(at, "payload of " + std::to_string(out.payload_size) + " bytes, only " +
                                std::to_string(payload.size()) + " present");
    }
    payload = payload.first(static_cast<std::size_t>(out.payload_size));
  } else {
    out.payload_size = payload.size();
  }
  if (out.compression != TransactionPayload::compression_zstd &&
      out.compression != TransactionPayload::compression_none) {
    return in.fail_at(at, "unknown compression type " + std::to_string(out.compression));
  }
  if (!ctx.options.decompress_payloads) return true;
  const std::size_t limit = ctx.options.max_uncompressed_size;
  if (have_uncompressed && out.uncompressed_size > limit) {
    return in.fail_at(at, "declared uncompressed size " + std::to_string(out.uncompressed_size) +
                              " exceeds the limit of " + std::to_string(limit));
  }
  auto buffer = std::make_shared<std::vector<std::uint8_t>>();
  if (out.compression == TransactionPayload::compression_none) {
    if (payload.size() > limit) return in.fail_at(at, "payload exceeds the size limit");
    buffer->assign(payload.begin(), payload.end());
  } else {
    std::string error;
    const std::size_t bound = have_uncompressed ? static_cast<std::size_t>(out.uncompressed_size) : limit;
    if (!zstd_decompress(payload, bound, *buffer, error)) return in.fail_at(at, error);
  }
  if (have_uncompressed && buffer->size() != out.uncompressed_size) {
    return in.fail_at(at, "payload decompressed to " + std::to_string(buffer->size()) +
                              " bytes, declared " + std::to_string(out.uncompressed_size));
  }
  out.uncompressed = buffer;
  out.decompressed = true;
  return decode_inner_events(in, at, ctx, out);
}

// Decodes one body type into `body`; false (with the error set) on failure.
template <class T, class F>
bool decode_as(Body& body, F&& decode) {
  T value;
  if (!decode(value)) return false;
  body = std::move(value);
  return true;
}

}  // namespace

Result<Body> decode_body(const EventHeader& header, Bytes raw, const Context& ctx) {
  DecodeError error;
  Reader in(raw, header_size, error);
  Body body;
  bool ok = true;
  switch (header.event_type()) {
    case EventType::query:
    case EventType::query_compressed: {
      const bool compressed = header.event_type() == EventType::query_compressed;
      ok = decode_as<Query>(body, [&](Query& q) { return decode_query(in, ctx, compressed, q); });
      break;
    }
    case EventType::rotate:
      ok = decode_as<Rotate>(body, [&](Rotate& r) { return decode_rotate(in, r); });
      break;
    case EventType::xid:
      ok = decode_as<Xid>(body, [&](Xid& x) { return decode_xid(in, x); });
      break;
    case EventType::xa_prepare:
      ok = decode_as<XaPrepare>(body, [&](XaPrepare& x) { return decode_xa_prepare(in, x); });
      break;
    case EventType::gtid:
    case EventType::anonymous_gtid: {
      const bool anonymous = header.event_type() == EventType::anonymous_gtid;
      ok = decode_as<MysqlGtidEvent>(
          body, [&](MysqlGtidEvent& g) { return decode_untagged_gtid(in, anonymous, g); });
      break;
    }
    case EventType::gtid_tagged:
      ok = decode_as<MysqlGtidEvent>(body, [&](MysqlGtidEvent& g) { return decode_tagged_gtid(in, g); });
      break;
    case EventType::previous_gtids:
      ok = decode_as<PreviousGtids>(body, [&](PreviousGtids& p) { return decode_previous_gtids(in, p); });
      break;
    case EventType::mariadb_gtid:
      ok = decode_as<MariadbGtidEvent>(
          body, [&](MariadbGtidEvent& g) { return decode_mariadb_gtid(in, header, g); });
      break;
    case EventType::gtid_list:
      ok = decode_as<GtidList>(body, [&](GtidList& l) { return decode_gtid_list(in, l); });
      break;
    case EventType::binlog_checkpoint:
      ok = decode_as<BinlogCheckpoint>(body, [&](BinlogCheckpoint& c) { return decode_checkpoint(in, c); });
      break;
    case EventType::heartbeat:
      ok = decode_as<Heartbeat>(body, [&](Heartbeat& h) { return decode_heartbeat(in, header, ctx, h); });
      break;
    case EventType::heartbeat_v2:
      ok = decode_as<Heartbeat>(body, [&](Heartbeat& h) { return decode_heartbeat_v2(in, h); });
      break;
    case EventType::transaction_payload:
      ok = decode_as<TransactionPayload>(
          body, [&](TransactionPayload& p) { return decode_payload(in, ctx, p); });
      break;
    default:
      break;  // Other: skipped by size
  }
  if (!ok) {
    error.message = std::string(event_type_name(header.type)) + ": " + error.message;
    return error;
  }
  return body;
}

}  // namespace causeway::replication::binlog::detail

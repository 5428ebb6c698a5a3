#include "replication/binlog_event.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>

#include "replication/binlog_detail.hpp"

namespace causeway::replication::binlog {

namespace detail {
namespace {

std::uint32_t crc32_of(Bytes bytes, std::uint32_t crc = 0) {
  return static_cast<std::uint32_t>(::crc32_z(crc, bytes.data(), bytes.size()));
}

std::uint32_t load_u32(Bytes bytes) {
  return std::uint32_t{bytes[0]} | std::uint32_t{bytes[1]} << 8 | std::uint32_t{bytes[2]} << 16 |
         std::uint32_t{bytes[3]} << 24;
}

// The stored CRC32 covers everything before it. The FDE's is computed with
// LOG_EVENT_BINLOG_IN_USE_F cleared (MySQL event_checksum_test): a file that was not closed
// cleanly still has the flag set.
bool crc_matches(Bytes event, bool clear_in_use, std::uint32_t& stored, std::uint32_t& computed) {
  const std::size_t n = event.size() - checksum_size;
  stored = load_u32(event.subspan(n));
  std::array<std::uint8_t, header_size> header;
  std::copy_n(event.begin(), header_size, header.begin());
  if (clear_in_use) header[17] &= static_cast<std::uint8_t>(~flag_binlog_in_use);
  computed = crc32_of(event.subspan(header_size, n - header_size), crc32_of(header));
  return stored == computed;
}

std::string hex32(std::uint32_t v) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) out += digits[(v >> shift) & 0xf];
  return out;
}

// "5.6.1-m5-log" >= {5, 6, 1}; missing parts count as 0.
bool version_at_least(std::string_view version, std::array<unsigned, 3> wanted) {
  std::array<unsigned, 3> have{};
  std::size_t pos = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    unsigned value = 0;
    std::size_t digits = 0;
    while (pos < version.size() && version[pos] >= '0' && version[pos] <= '9' && digits < 6) {
      value = value * 10 + static_cast<unsigned>(version[pos++] - '0');
      ++digits;
    }
    have[i] = value;
    if (pos >= version.size() || version[pos] != '.') break;
    ++pos;
  }
  return have >= wanted;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

std::string_view trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// The first word of `s` after skipping `skip` words, or "".
std::string_view word(std::string_view s, std::size_t skip) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  for (std::size_t i = 0;; ++i) {
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    std::size_t end = 0;
    while (end < s.size() && !space(s[end])) ++end;
    if (i == skip) return s.substr(0, end);
    if (end == 0) return {};
    s.remove_prefix(end);
  }
}

// FORMAT_DESCRIPTION: u16 binlog_version, char[50] server_version, u32 created, u8
// header_length, u8[] post-header lengths, then (checksum-aware servers) u8 alg + CRC slot.
bool decode_format(Reader& in, const EventHeader& header, FormatDescription& out) {
  Bytes version;
  if (!in.u16(out.binlog_version, "binlog version") || !in.take(50, version, "server version") ||
      !in.u32(out.created, "created") || !in.u8(out.header_length, "header length")) {
    return false;
  }
  const auto end = std::find(version.begin(), version.end(), std::uint8_t{0});
  out.server_version = to_text(version.first(static_cast<std::size_t>(end - version.begin())));
  out.in_use = (header.flags & flag_binlog_in_use) != 0;
  if (out.binlog_version != 4) {
    return in.fail_at(header_size, "binlog version " + std::to_string(out.binlog_version) +
                                       " (only 4 is supported)");
  }
  if (out.header_length != header_size) {
    return in.fail("common header length " + std::to_string(out.header_length) + ", expected 19");
  }
  out.checksum_aware = out.is_mariadb() ? version_at_least(out.server_version, {5, 3, 0})
                                        : version_at_least(out.server_version, {5, 6, 1});
  if (!out.checksum_aware) return true;
  if (in.left() < 1 + checksum_size) return in.fail("truncated checksum algorithm");
  const std::uint8_t alg = in.peek_at(in.left() - 1 - checksum_size);
  // 255 (UNDEF) marks an FDE written for a server that did not checksum.
  if (alg == 0 || alg == 255) {
    out.checksum = Checksum::off;
  } else if (alg == 1) {
    out.checksum = Checksum::crc32;
  } else {
    return in.fail_at(in.offset() + in.left() - 1 - checksum_size,
                      "unknown checksum algorithm " + std::to_string(alg));
  }
  return true;
}

}  // namespace
}  // namespace detail

// ---------------------------------------------------------------------------------------

std::string_view event_type_name(std::uint8_t type) {
  switch (static_cast<EventType>(type)) {
    case EventType::unknown: return "UNKNOWN";
    case EventType::start_v3: return "START_V3";
    case EventType::query: return "QUERY";
    case EventType::stop: return "STOP";
    case EventType::rotate: return "ROTATE";
    case EventType::intvar: return "INTVAR";
    case EventType::slave: return "SLAVE";
    case EventType::append_block: return "APPEND_BLOCK";
    case EventType::delete_file: return "DELETE_FILE";
    case EventType::rand: return "RAND";
    case EventType::user_var: return "USER_VAR";
    case EventType::format_description: return "FORMAT_DESCRIPTION";
    case EventType::xid: return "XID";
    case EventType::begin_load_query: return "BEGIN_LOAD_QUERY";
    case EventType::execute_load_query: return "EXECUTE_LOAD_QUERY";
    case EventType::table_map: return "TABLE_MAP";
    case EventType::write_rows_v1: return "WRITE_ROWS_V1";
    case EventType::update_rows_v1: return "UPDATE_ROWS_V1";
    case EventType::delete_rows_v1: return "DELETE_ROWS_V1";
    case EventType::incident: return "INCIDENT";
    case EventType::heartbeat: return "HEARTBEAT";
    case EventType::ignorable: return "IGNORABLE";
    case EventType::rows_query: return "ROWS_QUERY";
    case EventType::write_rows: return "WRITE_ROWS";
    case EventType::update_rows: return "UPDATE_ROWS";
    case EventType::delete_rows: return "DELETE_ROWS";
    case EventType::gtid: return "GTID";
    case EventType::anonymous_gtid: return "ANONYMOUS_GTID";
    case EventType::previous_gtids: return "PREVIOUS_GTIDS";
    case EventType::transaction_context: return "TRANSACTION_CONTEXT";
    case EventType::view_change: return "VIEW_CHANGE";
    case EventType::xa_prepare: return "XA_PREPARE";
    case EventType::partial_update_rows: return "PARTIAL_UPDATE_ROWS";
    case EventType::transaction_payload: return "TRANSACTION_PAYLOAD";
    case EventType::heartbeat_v2: return "HEARTBEAT_V2";
    case EventType::gtid_tagged: return "GTID_TAGGED";
    case EventType::annotate_rows: return "ANNOTATE_ROWS";
    case EventType::binlog_checkpoint: return "BINLOG_CHECKPOINT";
    case EventType::mariadb_gtid: return "MARIADB_GTID";
    case EventType::gtid_list: return "GTID_LIST";
    case EventType::start_encryption: return "START_ENCRYPTION";
    case EventType::query_compressed: return "QUERY_COMPRESSED";
    case EventType::write_rows_compressed_v1: return "WRITE_ROWS_COMPRESSED_V1";
    case EventType::update_rows_compressed_v1: return "UPDATE_ROWS_COMPRESSED_V1";
    case EventType::delete_rows_compressed_v1: return "DELETE_ROWS_COMPRESSED_V1";
    case EventType::write_rows_compressed: return "WRITE_ROWS_COMPRESSED";
    case EventType::update_rows_compressed: return "UPDATE_ROWS_COMPRESSED";
    case EventType::delete_rows_compressed: return "DELETE_ROWS_COMPRESSED";
  }
  return "UNKNOWN";
}

bool FormatDescription::is_mariadb() const {
  return server_version.find("MariaDB") != std::string::npos;
}

bool Query::is_begin() const { return detail::iequals(detail::trim(sql), "BEGIN"); }
bool Query::is_commit() const { return detail::iequals(detail::trim(sql), "COMMIT"); }
bool Query::is_rollback() const { return detail::iequals(detail::trim(sql), "ROLLBACK"); }
bool Query::is_xa_start() const {
  const std::string_view second = detail::word(sql, 1);
  return detail::iequals(detail::word(sql, 0), "XA") &&
         (detail::iequals(second, "START") || detail::iequals(second, "BEGIN"));
}

Result<EventHeader> parse_header(Bytes bytes) {
  if (bytes.size() < header_size) {
    return DecodeError{0, "truncated event header: " + std::to_string(bytes.size()) + " of 19 bytes"};
  }
  DecodeError error;
  detail::Reader in(bytes.first(header_size), 0, error);
  EventHeader h;
  (void)(in.u32(h.timestamp, "") && in.u8(h.type, "") && in.u32(h.server_id, "") &&
         in.u32(h.event_size, "") && in.u32(h.log_pos, "") && in.u16(h.flags, ""));
  if (h.event_size < header_size) {
    return DecodeError{9, "event_size " + std::to_string(h.event_size) +
                              " is smaller than the 19-byte header"};
  }
  return h;
}

Result<Event> Decoder::decode(Bytes bytes) {
  auto header = parse_header(bytes);
  if (!header) return header.error();
  Event event;
  event.header = *header;
  const std::size_t size = header->event_size;
  if (size > bytes.size()) {
    return DecodeError{9, "truncated event: event_size " + std::to_string(size) + ", " +
                              std::to_string(bytes.size()) + " bytes present"};
  }
  if (size < bytes.size()) {
    return DecodeError{size, std::to_string(bytes.size() - size) + " bytes after the event (event_size " +
                                 std::to_string(size) + ")"};
  }
  const bool is_format = header->event_type() == EventType::format_description;
  Checksum checksum = checksum_;
  std::size_t body_end = size;
  FormatDescription format;
  if (is_format) {
    DecodeError error;
    detail::Reader in(bytes.subspan(header_size), header_size, error);
    if (!detail::decode_format(in, event.header, format)) {
      error.message = "FORMAT_DESCRIPTION: " + error.message;
      return error;
    }
    checksum = format.checksum;
    if (format.checksum_aware) body_end -= checksum_size;  // the CRC slot is there even when off
  }
  if (checksum == Checksum::crc32) {
    if (size < header_size + checksum_size) {
      return DecodeError{0, "event of " + std::to_string(size) + " bytes cannot hold its CRC32"};
    }
    std::uint32_t stored = 0;
    std::uint32_t computed = 0;
    if (!detail::crc_matches(bytes, is_format, stored, computed)) {
      return DecodeError{0, std::string(event_type_name(header->type)) + " event: CRC32 mismatch (stored " +
                                detail::hex32(stored) + ", computed " + detail::hex32(computed) + ")"};
    }
    if (!is_format) body_end -= checksum_size;
    event.crc_verified = true;
  }
  event.raw_body = bytes.subspan(header_size, body_end - header_size);
  if (is_format) {
    checksum_ = format.checksum;
    format_ = format;
    event.body = std::move(format);
    return event;
  }
  const detail::Context ctx{options_, format_ && format_->is_mariadb(), false};
  auto body = detail::decode_body(event.header, event.raw_body, ctx);
  if (!body) return body.error();
  event.body = std::move(*body);
  return event;
}

DecodedFile decode_file(Bytes file, DecoderOptions options) {
  DecodedFile out;
  if (file.size() < 4 || !std::equal(file.begin(), file.begin() + 4, std::begin(binlog_magic))) {
    out.error = DecodeError{0, "not a binlog file (no fe 62 69 6e magic)"};
    return out;
  }
  Decoder decoder(options);
  for (std::size_t pos = 4; pos < file.size();) {
    const Bytes rest = file.subspan(pos);
    auto header = parse_header(rest);
    if (!header) {
      out.error = DecodeError{pos + header.error().offset, header.error().message};
      break;
    }
    if (header->event_size > rest.size()) {
      out.error = DecodeError{pos, "truncated event: event_size " + std::to_string(header->event_size) +
                                       ", " + std::to_string(rest.size()) + " bytes left in the file"};
      break;
    }
    auto event = decoder.decode(rest.first(header->event_size));
    if (!event) {
      out.error = DecodeError{pos + event.error().offset, event.error().message};
      break;
    }
    out.events.push_back(std::move(*event));
    pos += header->event_size;
  }
  return out;
}

Result<StreamPacket> decode_stream_packet(Bytes payload, bool semi_sync) {
  if (payload.empty()) return DecodeError{0, "empty packet"};
  switch (payload[0]) {
    case 0x00: {
      StreamEvent event{payload.subspan(1)};
      if (semi_sync) {
        // Semi-sync: 0xef, then flag bit 0 = the source waits for our ACK of this event.
        if (event.event.size() < 2 || event.event[0] != 0xef) {
          return DecodeError{1, "missing semi-sync header (0xef)"};
        }
        event.ack_requested = (event.event[1] & 0x01) != 0;
        event.event = event.event.subspan(2);
      }
      return StreamPacket{event};
    }
    case 0xfe:
      return StreamPacket{StreamEof{}};
    case 0xff: {
      if (payload.size() < 3) return DecodeError{0, "truncated ERR packet"};
      StreamError err;
      err.code = static_cast<std::uint16_t>(payload[1] | payload[2] << 8);
      Bytes rest = payload.subspan(3);
      if (rest.size() >= 6 && rest[0] == '#') {
        err.sql_state = detail::to_text(rest.subspan(1, 5));
        rest = rest.subspan(6);
      }
      err.message = detail::to_text(rest);
      return StreamPacket{std::move(err)};
    }
    default:
      return DecodeError{0, "unexpected packet type " + detail::hex32(payload[0]) + " in a binlog stream"};
  }
}

}  // namespace causeway::replication::binlog

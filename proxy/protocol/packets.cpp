#include "proxy/protocol/packets.hpp"

#include <algorithm>
#include <cstring>

#include "proxy/protocol/errors.hpp"

namespace causeway::protocol {

namespace {

std::error_code result(const Reader& r) { return r.ok() ? std::error_code{} : errc::malformed_packet; }

}  // namespace

std::error_code decode_handshake(Bytes payload, Handshake& out) {
  Reader r(payload);
  out.protocol_version = r.u8();
  if (!r.ok()) return errc::malformed_packet;
  if (out.protocol_version != 10) return errc::unsupported_protocol;
  out.server_version = std::string(r.nul_string());
  out.connection_id = r.u32();
  Bytes part1 = r.bytes(8);
  r.skip(1);  // filler
  Caps caps = r.u16();
  if (!r.ok()) return errc::malformed_packet;
  std::copy(part1.begin(), part1.end(), out.nonce.begin());
  out.capabilities = caps;
  if (r.empty()) return {};
  out.charset = r.u8();
  out.status_flags = r.u16();
  out.capabilities |= Caps(r.u16()) << 16;
  const std::uint8_t auth_data_len = r.u8();
  r.skip(6);
  out.mariadb_capabilities = r.u32();  // reserved zeros on MySQL
  if (!r.ok()) return errc::malformed_packet;
  if (out.capabilities & cap::secure_connection) {
    const std::size_t len2 = std::max<int>(13, int(auth_data_len) - 8);
    Bytes part2 = r.bytes(len2);
    if (!r.ok()) return errc::malformed_packet;
    // 12 bytes of nonce, then a NUL that is not part of it.
    std::copy_n(part2.begin(), std::min<std::size_t>(12, part2.size()), out.nonce.begin() + 8);
  }
  if (out.capabilities & cap::plugin_auth) out.auth_plugin = std::string(r.nul_or_rest_string());
  return result(r);
}

void encode_handshake(const Handshake& h, std::vector<std::uint8_t>& out) {
  Writer w(out);
  w.u8(h.protocol_version);
  w.nul_string(h.server_version);
  w.u32(h.connection_id);
  w.bytes(Bytes(h.nonce.data(), 8));
  w.u8(0);
  w.u16(static_cast<std::uint16_t>(h.capabilities));
  w.u8(h.charset);
  w.u16(h.status_flags);
  w.u16(static_cast<std::uint16_t>(h.capabilities >> 16));
  w.u8(static_cast<std::uint8_t>(h.nonce.size() + 1));
  w.zeros(6);
  w.u32(h.mariadb_capabilities);
  w.bytes(Bytes(h.nonce.data() + 8, 12));
  w.u8(0);
  w.nul_string(h.auth_plugin);
}

std::error_code decode_handshake_response(Bytes payload, HandshakeResponse& out) {
  Reader r(payload);
  out.capabilities = r.u32();
  if (!r.ok()) return errc::malformed_packet;
  if (!(out.capabilities & cap::protocol_41)) return errc::unsupported_protocol;
  out.max_packet_size = r.u32();
  out.charset = r.u8();
  r.skip(19);
  out.mariadb_capabilities = r.u32();
  out.username = std::string(r.nul_string());
  if (!r.ok()) return errc::malformed_packet;
  if (out.capabilities & cap::plugin_auth_lenenc_data) {
    out.auth_response = std::string(r.lenenc_string());
  } else if (out.capabilities & cap::secure_connection) {
    const std::uint8_t len = r.u8();
    out.auth_response = std::string(as_string_view(r.bytes(len)));
  } else {
    out.auth_response = std::string(r.nul_string());
  }
  if (!r.ok()) return errc::malformed_packet;
  out.database.clear();
  out.auth_plugin.clear();
  out.connect_attrs.clear();
  if (out.capabilities & cap::connect_with_db) out.database = std::string(r.nul_or_rest_string());
  if (out.capabilities & cap::plugin_auth) out.auth_plugin = std::string(r.nul_or_rest_string());
  if ((out.capabilities & cap::connect_attrs) && !r.empty()) {
    out.connect_attrs = std::string(r.lenenc_string());
  }
  return result(r);
}

namespace {

void encode_response_prefix(const HandshakeResponse& resp, Writer& w) {
  w.u32(resp.capabilities);
  w.u32(resp.max_packet_size);
  w.u8(resp.charset);
  w.zeros(19);
  w.u32(resp.mariadb_capabilities);
}

}  // namespace

void encode_ssl_request(const HandshakeResponse& resp, std::vector<std::uint8_t>& out) {
  Writer w(out);
  encode_response_prefix(resp, w);
}

void encode_handshake_response(const HandshakeResponse& resp, std::vector<std::uint8_t>& out) {
  Writer w(out);
  encode_response_prefix(resp, w);
  w.nul_string(resp.username);
  if (resp.capabilities & cap::plugin_auth_lenenc_data) {
    w.lenenc_string(resp.auth_response);
  } else if (resp.capabilities & cap::secure_connection) {
    w.u8(static_cast<std::uint8_t>(resp.auth_response.size()));
    w.bytes(resp.auth_response);
  } else {
    w.nul_string(resp.auth_response);  // what the decoder and servers expect without either flag
  }
  if (resp.capabilities & cap::connect_with_db) w.nul_string(resp.database);
  if (resp.capabilities & cap::plugin_auth) w.nul_string(resp.auth_plugin);
  if (resp.capabilities & cap::connect_attrs) w.lenenc_string(resp.connect_attrs);
}

std::error_code decode_change_user(Bytes payload, Caps caps, ChangeUser& out) {
  Reader r(payload);
  if (r.u8() != static_cast<std::uint8_t>(Command::change_user)) return errc::malformed_packet;
  out.username = std::string(r.nul_string());
  if (caps & cap::secure_connection) {
    const std::uint8_t len = r.u8();
    out.auth_response = std::string(as_string_view(r.bytes(len)));
  } else {
    out.auth_response = std::string(r.nul_string());
  }
  out.database = std::string(r.nul_or_rest_string());
  if (!r.ok()) return errc::malformed_packet;
  out.charset = 0;
  out.auth_plugin.clear();
  out.connect_attrs.clear();
  if (r.remaining() >= 2) out.charset = r.u16();
  if ((caps & cap::plugin_auth) && !r.empty()) out.auth_plugin = std::string(r.nul_or_rest_string());
  if ((caps & cap::connect_attrs) && !r.empty()) out.connect_attrs = std::string(r.lenenc_string());
  return result(r);
}

std::error_code decode_ok(Bytes payload, Caps caps, OkPacket& out) {
  Reader r(payload);
  const std::uint8_t header = r.u8();
  if (!r.ok() || (header != ok_header && header != eof_header)) return errc::malformed_packet;
  out.eof_header = header == eof_header;
  out.affected_rows = r.lenenc();
  out.last_insert_id = r.lenenc();
  out.status_flags = r.u16();
  out.warnings = r.u16();
  out.info = {};
  out.session_state = {};
  if (!r.ok()) return errc::malformed_packet;
  // The info is length-encoded with or without CLIENT_SESSION_TRACK: MySQL and MariaDB
  // servers write it so, and libmysql/libmariadb read it so (documented as string<EOF>).
  if (!r.empty()) out.info = r.lenenc_string();
  if ((caps & cap::session_track) && (out.status_flags & status::session_state_changed) && !r.empty()) {
    out.session_state = r.lenenc_bytes();
  }
  return result(r);
}

void encode_ok(const OkPacket& ok, Caps caps, std::vector<std::uint8_t>& out) {
  Writer w(out);
  w.u8(ok.eof_header ? eof_header : ok_header);
  w.lenenc(ok.affected_rows);
  w.lenenc(ok.last_insert_id);
  w.u16(ok.status_flags);
  w.u16(ok.warnings);
  if (caps & cap::session_track) {
    const bool state = (ok.status_flags & status::session_state_changed) && !ok.session_state.empty();
    if (!ok.info.empty() || state) w.lenenc_string(ok.info);
    if (state) w.lenenc_bytes(ok.session_state);
  } else if (!ok.info.empty()) {
    w.lenenc_string(ok.info);
  }
}

std::error_code decode_err(Bytes payload, Caps caps, ErrPacket& out) {
  Reader r(payload);
  if (r.u8() != err_header) return errc::malformed_packet;
  out.code = r.u16();
  if (!r.ok()) return errc::malformed_packet;
  out.sql_state = "HY000";
  // With protocol 4.1 a '#' and a five-character SQLSTATE follow the code.
  if ((caps & cap::protocol_41) && r.remaining() >= 6 && r.rest()[0] == '#') {
    r.skip(1);
    out.sql_state = std::string(as_string_view(r.bytes(5)));
  }
  out.message = std::string(r.rest_string());
  return result(r);
}

void encode_err(const ErrPacket& err, Caps caps, std::vector<std::uint8_t>& out) {
  Writer w(out);
  w.u8(err_header);
  w.u16(err.code);
  if (caps & cap::protocol_41) {
    w.u8('#');
    std::string state = err.sql_state;
    state.resize(5, '0');
    w.bytes(state);
  }
  w.bytes(err.message);
}

std::error_code decode_eof(Bytes payload, EofPacket& out) {
  Reader r(payload);
  if (r.u8() != eof_header) return errc::malformed_packet;
  out.warnings = r.u16();
  out.status_flags = r.u16();
  return result(r);
}

void encode_eof(const EofPacket& eof, std::vector<std::uint8_t>& out) {
  Writer w(out);
  w.u8(eof_header);
  w.u16(eof.warnings);
  w.u16(eof.status_flags);
}

void encode_end_of_rows(std::uint16_t status_flags, std::uint16_t warnings, Caps caps,
                        std::vector<std::uint8_t>& out) {
  if (caps & cap::deprecate_eof) {
    OkPacket ok;
    ok.eof_header = true;
    ok.status_flags = status_flags;
    ok.warnings = warnings;
    encode_ok(ok, caps, out);
  } else {
    encode_eof(EofPacket{warnings, status_flags}, out);
  }
}

std::error_code decode_auth_switch(Bytes payload, AuthSwitch& out) {
  Reader r(payload);
  if (r.u8() != eof_header) return errc::malformed_packet;
  if (r.empty()) {
    // Old-style switch to mysql_old_password: not supported by anything current.
    return errc::unsupported_protocol;
  }
  out.plugin = std::string(r.nul_string());
  std::string_view data = r.rest_string();
  if (!data.empty() && data.back() == '\0') data.remove_suffix(1);
  out.data = std::string(data);
  return result(r);
}

void encode_auth_switch(const AuthSwitch& s, std::vector<std::uint8_t>& out) {
  Writer w(out);
  w.u8(eof_header);
  w.nul_string(s.plugin);
  w.nul_string(s.data);
}

void encode_auth_more_data(Bytes data, std::vector<std::uint8_t>& out) {
  Writer w(out);
  w.u8(auth_more_data_header);
  w.bytes(data);
}

std::error_code decode_prepare_ok(Bytes payload, PrepareOk& out) {
  Reader r(payload);
  if (r.u8() != ok_header) return errc::malformed_packet;
  out.statement_id = r.u32();
  out.num_columns = r.u16();
  out.num_params = r.u16();
  r.skip(1);
  out.warnings = r.remaining() >= 2 ? r.u16() : 0;
  return result(r);
}

ErrPacket make_err(std::uint16_t code, std::string_view sql_state, std::string message) {
  return ErrPacket{code, std::string(sql_state), std::move(message)};
}

}  // namespace causeway::protocol

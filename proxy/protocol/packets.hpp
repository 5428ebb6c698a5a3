// Connection-phase and generic response packets: decode from a payload, encode into a
// buffer (payload only; framing is frame.hpp's job).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "proxy/protocol/constants.hpp"
#include "proxy/protocol/wire.hpp"

namespace causeway::protocol {

// Protocol::HandshakeV10, sent by a server first.
struct Handshake {
  std::uint8_t protocol_version = 10;
  std::string server_version;
  std::uint32_t connection_id = 0;
  std::array<std::uint8_t, 20> nonce{};  // auth-plugin-data parts 1 and 2
  Caps capabilities = 0;
  std::uint32_t mariadb_capabilities = 0;  // extended caps (when CLIENT_MYSQL bit is off)
  std::uint8_t charset = default_charset;
  std::uint16_t status_flags = status::autocommit;
  std::string auth_plugin = native_password_plugin;
};
[[nodiscard]] std::error_code decode_handshake(Bytes payload, Handshake& out);
void encode_handshake(const Handshake& h, std::vector<std::uint8_t>& out);

// Protocol::SSLRequest: the first 32 bytes of a HandshakeResponse41 with CLIENT_SSL set.
inline constexpr std::size_t ssl_request_size = 32;

// Protocol::HandshakeResponse41.
struct HandshakeResponse {
  Caps capabilities = 0;
  std::uint32_t max_packet_size = 0;
  std::uint8_t charset = default_charset;
  std::uint32_t mariadb_capabilities = 0;
  std::string username;
  std::string auth_response;  // binary
  std::string database;       // empty unless CLIENT_CONNECT_WITH_DB
  std::string auth_plugin;    // empty unless CLIENT_PLUGIN_AUTH
  std::string connect_attrs;  // the raw key/value block, without its length prefix
};
[[nodiscard]] std::error_code decode_handshake_response(Bytes payload, HandshakeResponse& out);
void encode_handshake_response(const HandshakeResponse& r, std::vector<std::uint8_t>& out);
// Encodes the 32-byte SSLRequest that precedes a TLS handshake.
void encode_ssl_request(const HandshakeResponse& r, std::vector<std::uint8_t>& out);

// COM_CHANGE_USER payload (after the command byte has been checked).
struct ChangeUser {
  std::string username;
  std::string auth_response;
  std::string database;
  std::uint16_t charset = 0;
  std::string auth_plugin;
  std::string connect_attrs;
};
[[nodiscard]] std::error_code decode_change_user(Bytes payload, Caps caps, ChangeUser& out);

struct OkPacket {
  std::uint64_t affected_rows = 0;
  std::uint64_t last_insert_id = 0;
  std::uint16_t status_flags = 0;
  std::uint16_t warnings = 0;
  std::string_view info;           // points into the decoded payload
  Bytes session_state;             // raw session state changes (CLIENT_SESSION_TRACK)
  bool eof_header = false;         // 0xfe header (OK that ends a result set)
};
[[nodiscard]] std::error_code decode_ok(Bytes payload, Caps caps, OkPacket& out);
void encode_ok(const OkPacket& ok, Caps caps, std::vector<std::uint8_t>& out);

struct ErrPacket {
  std::uint16_t code = 0;
  std::string sql_state = "HY000";  // five characters
  std::string message;
};
[[nodiscard]] std::error_code decode_err(Bytes payload, Caps caps, ErrPacket& out);
void encode_err(const ErrPacket& err, Caps caps, std::vector<std::uint8_t>& out);

// Old-style EOF packet (without CLIENT_DEPRECATE_EOF).
struct EofPacket {
  std::uint16_t warnings = 0;
  std::uint16_t status_flags = 0;
};
[[nodiscard]] std::error_code decode_eof(Bytes payload, EofPacket& out);
void encode_eof(const EofPacket& eof, std::vector<std::uint8_t>& out);

// The end of a result set or a command: an EOF packet, or an OK with a 0xfe header when the
// client negotiated CLIENT_DEPRECATE_EOF.
void encode_end_of_rows(std::uint16_t status_flags, std::uint16_t warnings, Caps caps,
                        std::vector<std::uint8_t>& out);

// 0xfe: the server asks the client to restart authentication with another plugin.
struct AuthSwitch {
  std::string plugin;
  std::string data;  // plugin data (a nonce), without the trailing NUL
};
[[nodiscard]] std::error_code decode_auth_switch(Bytes payload, AuthSwitch& out);
void encode_auth_switch(const AuthSwitch& s, std::vector<std::uint8_t>& out);

// 0x01: extra authentication data.
void encode_auth_more_data(Bytes data, std::vector<std::uint8_t>& out);

// Response to COM_STMT_PREPARE.
struct PrepareOk {
  std::uint32_t statement_id = 0;
  std::uint16_t num_columns = 0;
  std::uint16_t num_params = 0;
  std::uint16_t warnings = 0;
};
[[nodiscard]] std::error_code decode_prepare_ok(Bytes payload, PrepareOk& out);

// First byte of a response packet.
inline constexpr std::uint8_t ok_header = 0x00;
inline constexpr std::uint8_t eof_header = 0xfe;
inline constexpr std::uint8_t err_header = 0xff;
inline constexpr std::uint8_t local_infile_header = 0xfb;
inline constexpr std::uint8_t auth_more_data_header = 0x01;

inline bool is_err(Bytes p) { return !p.empty() && p[0] == err_header; }
inline bool is_ok(Bytes p) { return !p.empty() && p[0] == ok_header; }
// An EOF packet, or an OK packet with the 0xfe header: short, unlike a row starting with 0xfe.
inline bool is_eof(Bytes p) { return !p.empty() && p[0] == eof_header && p.size() < max_frame_payload; }

// Convenience for ERR packets causeway sends itself.
ErrPacket make_err(std::uint16_t code, std::string_view sql_state, std::string message);

}  // namespace causeway::protocol

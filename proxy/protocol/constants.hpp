// MySQL client/server protocol constants (capabilities, status flags, commands).
#pragma once

#include <cstdint>

namespace causeway::protocol {

using Caps = std::uint32_t;

namespace cap {
inline constexpr Caps long_password = 1u << 0;  // MariaDB: "CLIENT_MYSQL" when set by a server
inline constexpr Caps found_rows = 1u << 1;
inline constexpr Caps long_flag = 1u << 2;
inline constexpr Caps connect_with_db = 1u << 3;
inline constexpr Caps no_schema = 1u << 4;
inline constexpr Caps compress = 1u << 5;
inline constexpr Caps odbc = 1u << 6;
inline constexpr Caps local_files = 1u << 7;
inline constexpr Caps ignore_space = 1u << 8;
inline constexpr Caps protocol_41 = 1u << 9;
inline constexpr Caps interactive = 1u << 10;
inline constexpr Caps ssl = 1u << 11;
inline constexpr Caps ignore_sigpipe = 1u << 12;
inline constexpr Caps transactions = 1u << 13;
inline constexpr Caps reserved = 1u << 14;
inline constexpr Caps secure_connection = 1u << 15;
inline constexpr Caps multi_statements = 1u << 16;
inline constexpr Caps multi_results = 1u << 17;
inline constexpr Caps ps_multi_results = 1u << 18;
inline constexpr Caps plugin_auth = 1u << 19;
inline constexpr Caps connect_attrs = 1u << 20;
inline constexpr Caps plugin_auth_lenenc_data = 1u << 21;
inline constexpr Caps can_handle_expired_passwords = 1u << 22;
inline constexpr Caps session_track = 1u << 23;
inline constexpr Caps deprecate_eof = 1u << 24;
inline constexpr Caps optional_resultset_metadata = 1u << 25;
inline constexpr Caps query_attributes = 1u << 27;
inline constexpr Caps ssl_verify_server_cert = 1u << 30;
inline constexpr Caps remember_options = 1u << 31;

// What causeway offers clients and mirrors to backends: everything a MySQL 5.7+/MariaDB
// 10.2+ server relays unchanged. Compression and TLS belong to each hop; query attributes
// and optional metadata would change the relayed bytes. long_password doubles as
// MariaDB's "CLIENT_MYSQL" bit, so MariaDB clients speak the common protocol.
inline constexpr Caps relayable = long_password | found_rows | long_flag | connect_with_db | no_schema | odbc |
                                  local_files | ignore_space | protocol_41 | interactive | ignore_sigpipe |
                                  transactions | secure_connection | multi_statements | multi_results |
                                  ps_multi_results | plugin_auth | connect_attrs | plugin_auth_lenenc_data |
                                  can_handle_expired_passwords | session_track | deprecate_eof;
}  // namespace cap

// MariaDB's extended capabilities (the greeting's and the response's last four reserved
// bytes, when the server leaves CLIENT_MYSQL off).
namespace mariadb_cap {
inline constexpr std::uint32_t stmt_bulk_operations = 1u << 2;  // COM_STMT_BULK_EXECUTE
inline constexpr std::uint32_t extended_metadata = 1u << 3;     // a type-info field in column definitions
// What causeway offers MariaDB clients when the primary is MariaDB: column definitions carry
// the real type of JSON, UUID, INET6 ... (drivers such as mysql2 and Connector/J read it);
// the server adds the field itself, so the bytes still relay unchanged. Bulk execution
// (Connector/J and Connector/C batches) is relayed as COM_STMT_EXECUTE is: only the
// statement id changes; it changes no other response.
inline constexpr std::uint32_t relayable = stmt_bulk_operations | extended_metadata;
// Those that change the bytes of responses: a backend connection must match the client's.
inline constexpr std::uint32_t layout = extended_metadata;
}  // namespace mariadb_cap

namespace status {
inline constexpr std::uint16_t in_trans = 0x0001;
inline constexpr std::uint16_t autocommit = 0x0002;
inline constexpr std::uint16_t more_results_exist = 0x0008;
inline constexpr std::uint16_t no_good_index_used = 0x0010;
inline constexpr std::uint16_t no_index_used = 0x0020;
inline constexpr std::uint16_t cursor_exists = 0x0040;
inline constexpr std::uint16_t last_row_sent = 0x0080;
inline constexpr std::uint16_t db_dropped = 0x0100;
inline constexpr std::uint16_t no_backslash_escapes = 0x0200;
inline constexpr std::uint16_t metadata_changed = 0x0400;
inline constexpr std::uint16_t query_was_slow = 0x0800;
inline constexpr std::uint16_t ps_out_params = 0x1000;
inline constexpr std::uint16_t in_trans_readonly = 0x2000;
inline constexpr std::uint16_t session_state_changed = 0x4000;
}  // namespace status

enum class Command : std::uint8_t {
  sleep = 0x00,
  quit = 0x01,
  init_db = 0x02,
  query = 0x03,
  field_list = 0x04,
  create_db = 0x05,
  drop_db = 0x06,
  refresh = 0x07,
  shutdown = 0x08,
  statistics = 0x09,
  process_info = 0x0a,
  connect = 0x0b,
  process_kill = 0x0c,
  debug = 0x0d,
  ping = 0x0e,
  time = 0x0f,
  delayed_insert = 0x10,
  change_user = 0x11,
  binlog_dump = 0x12,
  table_dump = 0x13,
  connect_out = 0x14,
  register_slave = 0x15,
  stmt_prepare = 0x16,
  stmt_execute = 0x17,
  stmt_send_long_data = 0x18,
  stmt_close = 0x19,
  stmt_reset = 0x1a,
  set_option = 0x1b,
  stmt_fetch = 0x1c,
  daemon = 0x1d,
  binlog_dump_gtid = 0x1e,
  reset_connection = 0x1f,
  clone = 0x20,
  subscribe_group_replication_stream = 0x21,
  stmt_bulk_execute = 0xfa,  // MariaDB
};

// A protocol packet's payload is at most this long; longer payloads are split.
inline constexpr std::size_t max_frame_payload = 0xffffff;
inline constexpr std::size_t frame_header_size = 4;

// The charset a server announces in its handshake: utf8mb4_general_ci.
inline constexpr std::uint8_t default_charset = 45;

inline constexpr const char* native_password_plugin = "mysql_native_password";
inline constexpr const char* caching_sha2_plugin = "caching_sha2_password";
inline constexpr const char* clear_password_plugin = "mysql_clear_password";
inline constexpr const char* ed25519_plugin = "client_ed25519";  // MariaDB's auth_ed25519

// Server error codes causeway sends itself (values and SQLSTATEs as MySQL defines them).
namespace er {
inline constexpr std::uint16_t con_count = 1040;            // 08004 Too many connections
inline constexpr std::uint16_t no_such_thread = 1094;       // HY000 Unknown thread id
inline constexpr std::uint16_t kill_denied = 1095;          // HY000 You are not owner of thread
inline constexpr std::uint16_t handshake_error = 1043;      // 08S01 Bad handshake
inline constexpr std::uint16_t access_denied = 1045;        // 28000
inline constexpr std::uint16_t no_db = 1046;                // 3D000
inline constexpr std::uint16_t unknown_com = 1047;          // 08S01
inline constexpr std::uint16_t bad_db = 1049;               // 42000
inline constexpr std::uint16_t server_shutdown = 1053;      // 08S01
inline constexpr std::uint16_t net_packet_too_large = 1153; // 08S01
inline constexpr std::uint16_t net_read_error = 1158;       // 08S01
inline constexpr std::uint16_t net_packets_out_of_order = 1156;  // 08S01
inline constexpr std::uint16_t net_uncompress_error = 1157;  // 08S01
inline constexpr std::uint16_t net_read_interrupted = 1159; // 08S01 (read timeout)
inline constexpr std::uint16_t unknown_stmt_handler = 1243; // HY000
inline constexpr std::uint16_t unsupported_ps = 1295;       // HY000 (bulk execution not negotiated)
inline constexpr std::uint16_t stmt_has_no_open_cursor = 1421;  // HY000
inline constexpr std::uint16_t not_supported_yet = 1235;    // 42000
inline constexpr std::uint16_t malformed_packet = 1835;     // HY000
inline constexpr std::uint16_t connection_killed = 1927;    // 70100 (MariaDB)
inline constexpr std::uint16_t secure_transport_required = 3159;  // HY000
// Never send codes of the client ranges (2000-2999, 5000-5999): libmariadb turns an ERR
// carrying one into CR_MALFORMED_PACKET and drops the message.
inline constexpr std::uint16_t backend_unavailable = 9002;  // HY000 causeway: cannot log in to a backend
inline constexpr std::uint16_t rule_reject = 1148;         // 42000 (what ProxySQL answers for a rule's error_msg)
inline constexpr std::uint16_t wrong_arguments = 1210;     // HY000 ER_WRONG_ARGUMENTS
inline constexpr std::uint16_t wrong_value_for_var = 1231; // 42000 ER_WRONG_VALUE_FOR_VAR
inline constexpr std::uint16_t no_replica = 9001;          // HY000 causeway: no server can serve the read
}  // namespace er

}  // namespace causeway::protocol

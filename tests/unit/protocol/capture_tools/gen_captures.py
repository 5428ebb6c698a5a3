#!/usr/bin/python3
"""Writes tests/unit/protocol/captures.hpp from the relay logs that capture.sh leaves.

    gen_captures.py /tmp/cw-codec-srv/cap > ../captures.hpp

Every constant is wire bytes (frame headers included) as one side sent them, in hex.
"""
import os
import sys

from dump import frames, runs

SERVER = "MariaDB 10.11.19 (Debian 12, --log-bin --server-id=1)"
LIBMARIADB = "libmariadb 3.3.20 (mariadb CLI 15.1)"
LIBMARIADB_MYSQL = LIBMARIADB + " behind a greeting with CLIENT_MYSQL set, as causeway sends"
CAPTURE_STMT = "capture_tools/capture_stmt.c on " + LIBMARIADB_MYSQL
PYMYSQL = "PyMySQL 1.0.2"
PYMYSQL_RAW = "hand-built command on a PyMySQL 1.0.2 connection (no DEPRECATE_EOF, no SESSION_TRACK)"
RAW = "capture_tools/clients.py raw client (caps 0x01afa28f: DEPRECATE_EOF, SESSION_TRACK)"

# name, scenario log, run index, frame index (None: the whole run), producer, what
SPEC = [
    # Connection phase.
    ("greeting", "cli_login", 0, None, SERVER, "server greeting (Handshake v10)"),
    ("login_libmariadb", "cli_login", 1, None, LIBMARIADB,
     "HandshakeResponse41 answering `greeting`: db shop, connect attrs, MariaDB caps 0x1d; password 'app'"),
    ("login_ok_schema", "cli_login", 2, None, SERVER, "OK after login, session track: schema shop"),
    ("login_libmariadb_mysql", "cli_text", 1, None, LIBMARIADB_MYSQL,
     "HandshakeResponse41 without MariaDB caps; its scramble starts with a NUL byte"),
    ("greeting_for_pymysql", "pymysql_text", 0, None, SERVER, "server greeting answered by `login_pymysql`"),
    ("login_pymysql", "pymysql_text", 1, None, PYMYSQL,
     "HandshakeResponse41: db shop, connect attrs with program_name; password 'app'"),
    ("login_ok_pymysql", "pymysql_text", 2, None, SERVER, "OK after login (no session track)"),
    ("err_access_denied", "cli_bad_password", 2, None, SERVER, "ERR 1045 for a wrong password (libmariadb)"),
    ("change_user", "c_stmt", 27, None, CAPTURE_STMT, "COM_CHANGE_USER app/app to db mysql, attrs"),
    ("change_user_auth_switch", "c_stmt", 28, None, SERVER, "auth switch answering `change_user`"),
    ("change_user_auth_response", "c_stmt", 29, None, CAPTURE_STMT, "scramble for the switch's nonce"),
    ("change_user_ok", "c_stmt", 30, None, SERVER, "OK ending COM_CHANGE_USER, session track: schema mysql"),
    # COM_QUERY, classic EOF (libmariadb does not set CLIENT_DEPRECATE_EOF).
    ("select_items_eof", "cli_text", 4, None, SERVER,
     "SELECT id, name, price, added FROM items ORDER BY id; libmariadb, EOF packets"),
    ("call_two_selects_eof", "cli_text", 6, None, SERVER, "CALL two_selects() (two SELECTs); EOF packets"),
    ("multi_select_eof", "cli_text", 8, None, SERVER, "select 1; select 2 in one COM_QUERY; EOF packets"),
    ("ok_time_zone", "cli_text", 10, None, SERVER, "SET time_zone = '+02:00': OK, session track time_zone"),
    ("ok_set_tracking", "cli_text", 12, None, SERVER,
     "SET session_track_system_variables = 'last_gtid': OK with SESSION_TRACK and no state"),
    ("ok_last_gtid", "cli_text", 14, None, SERVER,
     "INSERT INTO items ... after tracking last_gtid: OK, 1 row, insert id 4, last_gtid 0-1-18"),
    ("err_parse", "cli_text", 16, None, SERVER, "SELEC 1: ERR 1064"),
    ("err_no_table", "cli_text", 18, None, SERVER, "SELECT * FROM no_such_table: ERR 1146"),
    ("local_infile_request", "cli_text", 22, None, SERVER, "LOAD DATA LOCAL INFILE ...: 0xFB file request"),
    ("local_infile_data", "cli_text", 23, None, LIBMARIADB_MYSQL, "the file, then an empty packet"),
    ("local_infile_ok", "cli_text", 24, None, SERVER, "OK after the file: info string and last_gtid"),
    ("select1_extended_metadata", "cli_login", 4, None, SERVER,
     "select 1 to libmariadb with MariaDB caps: column count + metadata flag, extended column info"),
    # COM_QUERY from PyMySQL: no SESSION_TRACK.
    ("select_items_pymysql", "pymysql_text", 4, None, SERVER, "SELECT id, name, price, added FROM items (PyMySQL)"),
    ("ok_delete_pymysql", "pymysql_text", 10, None, SERVER, "DELETE FROM notes: OK, 2 rows"),
    ("local_infile_ok_pymysql", "pymysql_text", 14, None, SERVER, "OK after LOAD DATA LOCAL: info as rest of packet"),
    ("ok_begin_pymysql", "pymysql_text", 20, None, SERVER, "BEGIN: OK with SERVER_STATUS_IN_TRANS"),
    # COM_QUERY with CLIENT_DEPRECATE_EOF.
    ("select_items_deprecate_eof", "raw_text", 4, None, SERVER, "SELECT id, name, price, added FROM items"),
    ("call_two_selects_deprecate_eof", "raw_text", 6, None, SERVER, "CALL two_selects()"),
    ("multi_select_deprecate_eof", "raw_text", 8, None, SERVER, "select 1; select 2"),
    ("ok_time_zone_deprecate_eof", "raw_text", 10, None, SERVER, "SET time_zone = '+02:00'"),
    ("ok_last_gtid_deprecate_eof", "raw_text", 14, None, SERVER, "INSERT after tracking last_gtid"),
    ("ok_begin", "raw_text", 16, None, SERVER, "BEGIN"),
    ("multi_error_deprecate_eof", "raw_text", 24, None, SERVER,
     "SELECT 1; SELECT * FROM no_such_table; SELECT 3: a result, then ERR 1146 ends it"),
    ("local_infile_request_deprecate_eof", "raw_text", 28, None, SERVER, "LOAD DATA LOCAL INFILE"),
    ("local_infile_ok_deprecate_eof", "raw_text", 30, None, SERVER, "OK after the file"),
    ("big_ok_then_select", "raw_text", 34, None, SERVER,
     "with session_track_system_variables='*': SET optimizer_switch=..., sql_mode=...; SELECT 7 -> "
     "a 1236-byte OK (more results) then a result set"),
    ("ok_ping", "raw_text", 36, None, SERVER, "COM_PING"),
    ("ok_init_db", "raw_text", 38, None, SERVER, "COM_INIT_DB mysql: OK with schema tracking"),
    # Binary protocol without DEPRECATE_EOF.
    ("prepare_select_eof", "pymysql_binary", 6, None, SERVER,
     "COM_STMT_PREPARE SELECT id, name, price, added FROM items WHERE id > ? AND name <> ?"),
    ("execute_select_request", "pymysql_binary", 7, None, PYMYSQL_RAW,
     "COM_STMT_EXECUTE of it: LONGLONG 0, VAR_STRING 'pear'"),
    ("execute_select_eof", "pymysql_binary", 8, None, SERVER, "binary result set of `execute_select_request`"),
    ("execute_cursor_eof", "pymysql_binary", 10, None, SERVER,
     "COM_STMT_EXECUTE with CURSOR_TYPE_READ_ONLY: metadata, EOF with SERVER_STATUS_CURSOR_EXISTS"),
    ("fetch_eof_1", "pymysql_binary", 12, None, SERVER, "COM_STMT_FETCH 2 rows"),
    ("fetch_eof_2", "pymysql_binary", 14, None, SERVER, "COM_STMT_FETCH 2 rows again"),
    ("prepare_insert_eof", "pymysql_binary", 16, None, SERVER, "PREPARE INSERT INTO notes VALUES (?, ?): params only"),
    ("prepare_now_eof", "pymysql_binary", 18, None, SERVER, "PREPARE SELECT NOW(): columns only"),
    ("prepare_error", "pymysql_binary", 20, None, SERVER, "PREPARE SELEC 1: ERR 1064"),
    ("field_list_eof", "pymysql_binary", 22, None, SERVER, "COM_FIELD_LIST items"),
    ("statistics", "pymysql_binary", 24, None, SERVER, "COM_STATISTICS"),
    # Binary protocol with DEPRECATE_EOF.
    ("prepare_select_deprecate_eof", "raw_binary", 4, None, SERVER, "the same PREPARE"),
    ("execute_select_deprecate_eof", "raw_binary", 6, None, SERVER, "its execution"),
    ("execute_cursor_deprecate_eof", "raw_binary", 8, None, SERVER, "cursor open: metadata, then OK (0xfe)"),
    ("fetch_deprecate_eof_1", "raw_binary", 10, None, SERVER, "COM_STMT_FETCH 2 rows"),
    ("fetch_deprecate_eof_2", "raw_binary", 12, None, SERVER, "COM_STMT_FETCH 2 rows again"),
    ("prepare_insert_deprecate_eof", "raw_binary", 14, None, SERVER, "PREPARE INSERT: params only"),
    ("prepare_now_deprecate_eof", "raw_binary", 16, None, SERVER, "PREPARE SELECT NOW(): columns only"),
    ("field_list_deprecate_eof", "raw_binary", 20, None, SERVER, "COM_FIELD_LIST items"),
    # libmariadb prepared statements.
    ("prepare_three_params", "c_stmt", 4, None, SERVER,
     "PREPARE SELECT ... WHERE id > ? AND (name <> ? OR ? IS NULL)"),
    ("execute_typed_request", "c_stmt", 5, None, CAPTURE_STMT,
     "COM_STMT_EXECUTE: LONGLONG 0, STRING 'pear', NULL; types sent"),
    ("execute_typed_result", "c_stmt", 6, None, SERVER, "its binary result set (5 rows)"),
    ("execute_rebound_request", "c_stmt", 7, None, CAPTURE_STMT,
     "the same statement again, id > 1: new_params_bound 0, no types"),
    ("execute_cursor_request", "c_stmt", 9, None, CAPTURE_STMT, "again with CURSOR_TYPE_READ_ONLY"),
    ("execute_cursor_libmariadb", "c_stmt", 10, None, SERVER, "cursor open response"),
    ("fetch_request", "c_stmt", 11, None, CAPTURE_STMT, "COM_STMT_FETCH 2 rows"),
    ("fetch_last", "c_stmt", 16, None, SERVER, "last COM_STMT_FETCH: one row, EOF with SERVER_STATUS_LAST_ROW_SENT"),
    ("long_data_1", "c_stmt", 21, 0, CAPTURE_STMT, "COM_STMT_SEND_LONG_DATA param 1 'long '"),
    ("execute_long_data_request", "c_stmt", 21, 2, CAPTURE_STMT,
     "COM_STMT_EXECUTE INSERT INTO notes VALUES (?, ?): LONG 100, BLOB sent as long data"),
    ("execute_long_data_ok", "c_stmt", 22, None, SERVER, "OK, 1 row"),
]


def frame_bytes(data, index):
    p = 0
    for i, _ in enumerate(frames(data)):
        n = int.from_bytes(data[p:p + 3], "little")
        if i == index:
            return data[p:p + 4 + n]
        p += 4 + n
    raise IndexError(index)


def main():
    cap_dir = sys.argv[1]
    logs = {}
    print("// Generated by capture_tools/gen_captures.py from exchanges capture_tools/capture.sh")
    print("// recorded between real clients and a real server on 127.0.0.1. Wire bytes in hex, frame")
    print("// headers included. Do not edit by hand: re-capture instead.")
    print("#pragma once\n\n#include <string_view>\n\nnamespace causeway::protocol::test::captures {\n")
    for name, scenario, run, frame, producer, what in SPEC:
        if scenario not in logs:
            logs[scenario] = runs(os.path.join(cap_dir, scenario + ".jsonl"))
        direction, data = logs[scenario][run]
        if frame is not None:
            data = frame_bytes(data, frame)
        side = "server" if direction == "s2c" else "client"
        print(f"// {what[0].upper() + what[1:]}.\n// From the {side}: {producer}.")
        hexstr = data.hex()
        chunks = [hexstr[i:i + 96] for i in range(0, len(hexstr), 96)]
        print(f"inline constexpr std::string_view {name} =")
        for i, c in enumerate(chunks):
            print(f'    "{c}"' + (";" if i == len(chunks) - 1 else ""))
        print()
    print("struct Named {\n  std::string_view name;\n  std::string_view hex;\n};\n")
    print("// Every capture, for tests that walk them all (framing, truncation).")
    print(f"inline constexpr Named all[] = {{")
    for entry in SPEC:
        print(f'    {{"{entry[0]}", {entry[0]}}},')
    print("};\n")
    print("}  // namespace causeway::protocol::test::captures")


if __name__ == "__main__":
    main()

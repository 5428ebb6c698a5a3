#!/usr/bin/python3
"""Writes the seed corpora corpus/<target>/ from the real captures in
tests/unit/protocol/captures.hpp (run from anywhere; rewrites the seed files).
Each seed is the target's parameter bytes (see the fuzz_*.cpp headers) + captured bytes."""
import os
import re
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CAPTURES = os.path.join(HERE, "..", "unit", "protocol", "captures.hpp")

CAPS_LIBMARIADB = 0x00BFA28D
CAPS_PYMYSQL = 0x003BA28D
CAPS_RAW = 0x01AFA28F
CAPS_STMT = 0x00BEA28D

# Tracker kinds as fuzz_response_tracker numbers them.
RESULT, PREPARE, FETCH, FIELD_LIST, SINGLE = range(5)


def load():
    text = open(CAPTURES).read()
    out = {}
    for m in re.finditer(r"inline constexpr std::string_view (\w+) =\s*((?:\"[0-9a-f]*\"\s*)+);", text):
        out[m.group(1)] = bytes.fromhex("".join(re.findall(r"\"([0-9a-f]*)\"", m.group(2))))
    return out


def frames(wire):
    p = 0
    while p < len(wire):
        n = int.from_bytes(wire[p:p + 3], "little")
        yield wire[p + 4:p + 4 + n]
        p += 4 + n


STMT = {"prepare_three_params", "execute_typed_result", "execute_cursor_libmariadb", "fetch_last",
        "execute_long_data_ok", "change_user", "change_user_ok"}
RAW = {"ok_begin", "big_ok_then_select", "ok_ping", "ok_init_db"}
PYMYSQL = {"prepare_select_eof", "execute_select_eof", "execute_cursor_eof", "fetch_eof_1", "fetch_eof_2",
           "prepare_insert_eof", "prepare_now_eof", "prepare_error", "field_list_eof", "statistics"}


def caps_of(name):
    """The capabilities negotiated on the connection a capture comes from."""
    if name in STMT:
        return CAPS_STMT
    if "deprecate_eof" in name or name in RAW:
        return CAPS_RAW
    if "pymysql" in name or name in PYMYSQL:
        return CAPS_PYMYSQL
    return CAPS_LIBMARIADB


def kind_of(name):
    if name.startswith("prepare"):
        return PREPARE
    if name.startswith("fetch"):
        return FETCH
    if name.startswith("field_list"):
        return FIELD_LIST
    if name in ("statistics", "ok_ping", "ok_init_db"):
        return SINGLE
    return RESULT


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    caps = load()
    server_responses = [n for n in caps if n not in (
        "greeting", "greeting_for_pymysql", "login_libmariadb", "login_libmariadb_mysql", "login_pymysql",
        "login_ok_schema", "login_ok_pymysql", "err_access_denied", "change_user", "change_user_auth_switch",
        "change_user_auth_response", "change_user_ok", "local_infile_data", "long_data_1", "fetch_request")
        and "request" not in n or n.startswith("local_infile_request")]
    for name, wire in caps.items():
        # frame_reader: big limit, no seq check, then odd chunk sizes; and a strict variant.
        write("frame_reader", name, bytes([0xff, 0x00, 0x00, 1, 7, 13, 64]) + wire)
    write("frame_reader", "strict_seq", bytes([0x20, 0x01, 0x01, 3, 3, 3, 3]) + caps["login_libmariadb"])
    write("frame_reader", "prepare_commit_empty_feeds",
          bytes([0xff, 0x1e, 0x00, 2, 9, 1, 40]) + caps["call_two_selects_deprecate_eof"])
    for name in ("greeting", "greeting_for_pymysql"):
        write("handshake", name, next(frames(caps[name])))
    for name in ("login_libmariadb", "login_libmariadb_mysql", "login_pymysql"):
        write("handshake_response", name, next(frames(caps[name])))
    for name in server_responses + ["login_ok_schema", "err_access_denied", "change_user_auth_switch",
                                    "change_user", "change_user_ok"]:
        for i, payload in enumerate(frames(caps[name])):
            if payload[:1] in (b"\x00", b"\xfe", b"\xff", b"\x11") and len(payload) < 2048:
                write("ok_err", f"{name}_{i}", struct.pack("<I", caps_of(name)) + payload)
    for name in server_responses:
        c = caps_of(name)
        sel = (1 if c & (1 << 24) else 0) | (2 if c & (1 << 23) else 0)
        wire = caps[name]
        if name.startswith("local_infile_request"):
            ok = caps["local_infile_ok_deprecate_eof" if "deprecate" in name else "local_infile_ok"]
            wire = wire + ok
        write("response_tracker", name, bytes([kind_of(name), sel, 1, 5, 17, 64]) + wire)
    for name, n in (("execute_typed_request", 3), ("execute_rebound_request", 3), ("execute_cursor_request", 3),
                    ("execute_select_request", 2), ("execute_long_data_request", 2)):
        payload = next(frames(caps[name]))
        flags = 2 if name == "execute_long_data_request" else 0
        if name == "execute_rebound_request":
            # The previous execution's types go at the end, where the target takes them from.
            payload = payload + bytes([0x08, 0, 0xfe, 0, 0xfe, 0])
            flags = 1
        write("stmt_execute", name, struct.pack("<HB", n, flags) + payload)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Client sides of the captured exchanges (run through relay.py by capture.sh).

    clients.py SCENARIO PORT

pymysql_*: PyMySQL 1.0.2 as applications use it (no CLIENT_DEPRECATE_EOF, no session
tracking); pymysql_binary then sends hand-built binary-protocol commands on the same
authenticated socket, since PyMySQL has no prepared statements.
raw_*: a minimal hand-written client (mysql_native_password login) with the capabilities
causeway negotiates with backends: CLIENT_DEPRECATE_EOF and CLIENT_SESSION_TRACK on.
Responses are read until the server has been silent for a moment, so the capture does not
depend on the codec under test.
"""
import hashlib
import os
import socket
import struct
import sys
import time

LONG_PASSWORD = 1
FOUND_ROWS = 1 << 1
LONG_FLAG = 1 << 2
CONNECT_WITH_DB = 1 << 3
LOCAL_FILES = 1 << 7
PROTOCOL_41 = 1 << 9
TRANSACTIONS = 1 << 13
SECURE_CONNECTION = 1 << 15
MULTI_STATEMENTS = 1 << 16
MULTI_RESULTS = 1 << 17
PS_MULTI_RESULTS = 1 << 18
PLUGIN_AUTH = 1 << 19
CONNECT_ATTRS = 1 << 20
PLUGIN_AUTH_LENENC = 1 << 21
SESSION_TRACK = 1 << 23
DEPRECATE_EOF = 1 << 24

RAW_CAPS = (LONG_PASSWORD | FOUND_ROWS | LONG_FLAG | CONNECT_WITH_DB | LOCAL_FILES | PROTOCOL_41 |
            TRANSACTIONS | SECURE_CONNECTION | MULTI_STATEMENTS | MULTI_RESULTS | PS_MULTI_RESULTS |
            PLUGIN_AUTH | PLUGIN_AUTH_LENENC | SESSION_TRACK | DEPRECATE_EOF)

ITEMS_TSV = "/tmp/cw-codec-srv/items.tsv"


class Raw:
    def __init__(self, sock):
        self.sock = sock

    def send(self, payload, seq=0):
        self.sock.sendall(struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload)

    def recv_idle(self, idle=0.4):
        """Everything the server sends until it has been quiet for `idle` seconds."""
        data = b""
        self.sock.settimeout(idle)
        while True:
            try:
                chunk = self.sock.recv(1 << 16)
            except socket.timeout:
                if data:
                    return data
                continue
            if not chunk:
                return data
            data += chunk

    def cmd(self, payload, idle=0.4):
        self.send(payload)
        return self.recv_idle(idle)


def native_scramble(password, nonce):
    s1 = hashlib.sha1(password).digest()
    s2 = hashlib.sha1(s1).digest()
    mask = hashlib.sha1(nonce + s2).digest()
    return bytes(a ^ b for a, b in zip(s1, mask))


def raw_login(port, user=b"app", password=b"app", db=b"shop", caps=RAW_CAPS):
    sock = socket.create_connection(("127.0.0.1", port))
    raw = Raw(sock)
    greeting = raw.recv_idle()[4:]
    version_end = greeting.index(b"\0", 1)
    p = version_end + 1 + 4
    nonce = greeting[p:p + 8]
    p += 8 + 1 + 2 + 1 + 2 + 2 + 1 + 6 + 4
    nonce += greeting[p:p + 12]
    resp = struct.pack("<IIB", caps, 1 << 24, 45) + b"\0" * 23 + user + b"\0"
    scramble = native_scramble(password, nonce)
    resp += bytes([len(scramble)]) + scramble + db + b"\0" + b"mysql_native_password\0"
    raw.send(resp, seq=1)
    ok = raw.recv_idle()
    assert ok[4] == 0, ok
    return raw


def com_query(sql):
    return b"\x03" + sql.encode()


def com_stmt_prepare(sql):
    return b"\x16" + sql.encode()


def com_stmt_execute(stmt_id, params, flags=0, new_params_bound=True):
    """params: list of (type, value bytes or None)."""
    out = b"\x17" + struct.pack("<IBI", stmt_id, flags, 1)
    if params:
        bitmap = bytearray((len(params) + 7) // 8)
        for i, (_, v) in enumerate(params):
            if v is None:
                bitmap[i // 8] |= 1 << (i % 8)
        out += bytes(bitmap) + (b"\x01" if new_params_bound else b"\x00")
        if new_params_bound:
            for t, _ in params:
                out += bytes([t, 0])
        for t, v in params:
            if v is not None:
                out += v
    return out


def lenenc_str(b):
    assert len(b) < 251
    return bytes([len(b)]) + b


def stmt_id_of(prepare_response):
    return struct.unpack("<I", prepare_response[5:9])[0]


def binary_scenario(raw, label):
    """Prepared statements, cursors, COM_FIELD_LIST and COM_STATISTICS."""
    sql = "SELECT id, name, price, added FROM items WHERE id > ? AND name <> ?"
    prep = raw.cmd(com_stmt_prepare(sql))
    sid = stmt_id_of(prep)
    long_id = struct.pack("<q", 0)
    raw.cmd(com_stmt_execute(sid, [(0x08, long_id), (0xfd, lenenc_str(b"pear"))]))
    # A cursor: the response ends after the metadata; rows come with COM_STMT_FETCH.
    raw.cmd(com_stmt_execute(sid, [(0x08, long_id), (0xfd, lenenc_str(b"x"))], flags=1))
    raw.cmd(b"\x1c" + struct.pack("<II", sid, 2))
    raw.cmd(b"\x1c" + struct.pack("<II", sid, 2))
    raw.send(b"\x19" + struct.pack("<I", sid))  # COM_STMT_CLOSE: no response
    prep = raw.cmd(com_stmt_prepare("INSERT INTO notes (id, body) VALUES (?, ?)"))
    raw.send(b"\x19" + struct.pack("<I", stmt_id_of(prep)))
    raw.cmd(com_stmt_prepare("SELECT NOW()"))
    raw.cmd(com_stmt_prepare("SELEC 1"))
    raw.cmd(b"\x04items\x00")  # COM_FIELD_LIST
    raw.cmd(b"\x09")  # COM_STATISTICS


def run_pymysql(port, scenario):
    import pymysql
    from pymysql.constants import CLIENT
    if scenario == "pymysql_bad_password":
        try:
            pymysql.connect(host="127.0.0.1", port=port, user="app", password="wrong", database="shop")
        except pymysql.err.OperationalError as e:
            print("expected:", e)
        return
    conn = pymysql.connect(host="127.0.0.1", port=port, user="app", password="app", database="shop",
                           client_flag=CLIENT.MULTI_STATEMENTS, local_infile=True, program_name="capture",
                           autocommit=True)
    if scenario == "pymysql_text":
        cur = conn.cursor()
        cur.execute("SELECT id, name, price, added FROM items ORDER BY id")
        cur.execute("CALL two_selects()")
        while cur.nextset():
            pass
        cur.execute("select 1; select 2")
        while cur.nextset():
            pass
        cur.execute("DELETE FROM notes")
        cur.execute(f"LOAD DATA LOCAL INFILE '{ITEMS_TSV}' INTO TABLE notes (id, body, @skip)")
        for bad in ("SELEC 1", "SELECT * FROM no_such_table"):
            try:
                cur.execute(bad)
            except pymysql.err.MySQLError as e:
                print("expected:", e)
        cur.execute("BEGIN")
        cur.execute("INSERT INTO notes (id, body) VALUES (10, 'x')")
        cur.execute("ROLLBACK")
        conn.close()
    elif scenario == "pymysql_binary":
        conn.cursor().execute("SELECT 1")
        binary_scenario(Raw(conn._sock), "pymysql")
        conn.close()


def run_raw(port, scenario):
    raw = raw_login(port)
    if scenario == "raw_text":
        raw.cmd(com_query("SELECT id, name, price, added FROM items ORDER BY id"))
        raw.cmd(com_query("CALL two_selects()"))
        raw.cmd(com_query("select 1; select 2"))
        raw.cmd(com_query("SET time_zone = '+02:00'"))
        raw.cmd(com_query("SET session_track_system_variables = 'last_gtid'"))
        raw.cmd(com_query("INSERT INTO items (name, price) VALUES ('fig', 2.00)"))
        raw.cmd(com_query("BEGIN"))
        raw.cmd(com_query("ROLLBACK"))
        raw.cmd(com_query("SELEC 1"))
        raw.cmd(com_query("SELECT * FROM no_such_table"))
        raw.cmd(com_query("SELECT 1; SELECT * FROM no_such_table; SELECT 3"))
        raw.cmd(com_query("DELETE FROM notes"))
        req = raw.cmd(com_query(f"LOAD DATA LOCAL INFILE '{ITEMS_TSV}' INTO TABLE notes (id, body, @skip)"))
        assert req[4] == 0xfb, req
        with open(ITEMS_TSV, "rb") as f:
            content = f.read()
        raw.send(content, seq=2)
        raw.send(b"", seq=3)
        raw.recv_idle()
        # An OK longer than the tracker's 1 KiB capture, followed by another result: every
        # system variable is tracked and SET changes the long optimizer_switch.
        raw.cmd(com_query("SET session_track_system_variables = '*'"))
        raw.cmd(com_query("SET optimizer_switch = 'index_merge=off', sql_mode = 'REAL_AS_FLOAT,PIPES_AS_CONCAT,"
                          "ANSI_QUOTES,IGNORE_SPACE,ONLY_FULL_GROUP_BY,NO_UNSIGNED_SUBTRACTION,NO_DIR_IN_CREATE,"
                          "NO_AUTO_VALUE_ON_ZERO,NO_BACKSLASH_ESCAPES,STRICT_TRANS_TABLES,STRICT_ALL_TABLES,"
                          "NO_ZERO_IN_DATE,NO_ZERO_DATE,ALLOW_INVALID_DATES,ERROR_FOR_DIVISION_BY_ZERO,"
                          "HIGH_NOT_PRECEDENCE,NO_ENGINE_SUBSTITUTION,PAD_CHAR_TO_FULL_LENGTH'; SELECT 7"))
        raw.cmd(b"\x0e")  # COM_PING
        raw.cmd(b"\x02mysql")  # COM_INIT_DB
    elif scenario == "raw_binary":
        binary_scenario(raw, "raw")
    raw.send(b"\x01")
    raw.sock.close()


def main():
    scenario, port = sys.argv[1], int(sys.argv[2])
    if scenario.startswith("pymysql"):
        run_pymysql(port, scenario)
    else:
        run_raw(port, scenario)


if __name__ == "__main__":
    main()

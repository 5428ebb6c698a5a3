#!/usr/bin/python3
"""Hostile and broken clients against CW_HOST:CW_PORT.

Each case asserts what the misbehaving client sees AND that a well-behaved PyMySQL
session opened BEFORE the bad one still works afterwards (plus a brand-new connection):
a bad client must only ever cost its own connection.

Run with /usr/bin/python3 (Debian's, which has PyMySQL). Environment: see run.sh.
Ends with `bad_input: N passed, N failed`; exit status 1 on any failure.
"""

import os
import struct
import sys
import threading
import time
import traceback
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))

import pymysql  # noqa: E402
import mysqlraw as raw  # noqa: E402

HOST = os.environ.get("CW_HOST", "127.0.0.1")
PORT = int(os.environ.get("CW_PORT", "3306"))
USER = os.environ.get("CW_USER", "app")
PASSWORD = os.environ.get("CW_PASSWORD", "app")
DB = os.environ.get("CW_DB", "demo")
ROOT_USER = os.environ.get("CW_ROOT_USER", "root")
ROOT_PASSWORD = os.environ.get("CW_ROOT_PASSWORD", "root")
PRIMARY_PORT = int(os.environ.get("CW_PRIMARY_PORT", str(PORT)))
DIRECT = os.environ.get("CW_DIRECT", "0") == "1"
MAX_PACKET = int(os.environ.get("CW_MAX_PACKET", str(64 * 1024 * 1024)))

# Error codes (mysqld_error.h / errmsg.h).
ER_HANDSHAKE_ERROR = 1043
ER_UNKNOWN_COM_ERROR = 1047
ER_NET_PACKET_TOO_LARGE = 1153
ER_NET_PACKETS_OUT_OF_ORDER = 1156
ER_NET_UNCOMPRESS_ERROR = 1157
ER_UNKNOWN_STMT_HANDLER = 1243
ER_UNSUPPORTED_PS = 1295
ER_MALFORMED_PACKET = 1835
ER_WRONG_ARGUMENTS = 1210
CR_MALFORMED_PACKET = 2027
LOST_BACKEND_CODES = {2013, 2006, 1927, 1053, 1158}  # lost / gone / killed / shutdown / read error

passed = 0
failed = 0


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def app_session(**kw):
    opts = dict(host=HOST, port=PORT, user=USER, password=PASSWORD, database=DB,
                connect_timeout=10, read_timeout=60, write_timeout=60)
    opts.update(kw)
    return pymysql.connect(**opts)


def root_on_primary():
    return pymysql.connect(host=HOST, port=PRIMARY_PORT, user=ROOT_USER,
                           password=ROOT_PASSWORD, connect_timeout=10, read_timeout=60)


def scalar(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()[0]


def raw_login(timeout=30.0):
    return raw.connect(HOST, PORT, USER, PASSWORD, DB, timeout=timeout)


def expect_err_then_close(conn, allowed_codes, what, timeout=30.0):
    """The server must answer with a well-formed ERR whose code is allowed, then close."""
    packets = conn.wait_closed(timeout)
    check(len(packets) >= 1, f"{what}: connection closed without an ERR packet")
    err = raw.Err(packets[0])
    check(err.well_formed, f"{what}: first packet is not a well-formed ERR: {packets[0][:32]!r}")
    check(err.code in allowed_codes,
          f"{what}: unexpected {err!r}, wanted one of {sorted(allowed_codes)}")
    check(len(packets) == 1, f"{what}: {len(packets) - 1} packet(s) after the ERR")
    return err


def run_case(name, fn):
    """Runs one case between witness checks; prints PASS/FAIL/SKIP."""
    global passed, failed
    witness = None
    token = uuid.uuid4().hex[:12]
    try:
        witness = app_session()
        check(scalar(witness, "SELECT CONCAT('w-', %s)", (token,)) == "w-" + token,
              "witness session broken before the case")
        note = fn()
        if note == "SKIP":
            print(f"SKIP {name}", flush=True)
            return
        check(scalar(witness, "SELECT CONCAT('still-', %s)", (token,)) == "still-" + token,
              "the witness session opened before the bad client no longer works")
        fresh = app_session()
        check(scalar(fresh, "SELECT 40 + 2") == 42, "a new connection after the case failed")
        fresh.close()
        passed += 1
        print(f"PASS {name}" + (f" ({note})" if note else ""), flush=True)
    except Exception as e:  # noqa: BLE001 - any exception is a failed case
        failed += 1
        detail = str(e) if isinstance(e, Failure) else traceback.format_exc().strip()
        print(f"FAIL {name}: {detail}", flush=True)
    finally:
        if witness is not None:
            try:
                witness.close()
            except Exception:  # noqa: BLE001
                pass


# ---------------------------------------------------------------------------- cases

def case_garbage_handshake_response():
    c = raw.RawConn(HOST, PORT)
    c.read_handshake()
    c.send_frame(b"\x99 this is not a handshake response \xff\xfe", 1)
    packets = c.wait_closed(30)
    c.close()
    if not packets:
        return "closed without ERR"
    err = raw.Err(packets[0])
    check(err.well_formed, f"not a well-formed ERR: {packets[0][:32]!r}")
    check(err.code in {ER_HANDSHAKE_ERROR, CR_MALFORMED_PACKET, ER_MALFORMED_PACKET},
          f"unexpected {err!r}")
    check(len(packets) == 1, "packets after the ERR")
    return repr(err)


def case_unframed_garbage():
    # An HTTP request where a MySQL packet belongs: its header decodes as a 5 MB packet
    # with sequence id 0x20. Any well-formed ERR, or a plain close, is fine.
    c = raw.RawConn(HOST, PORT)
    c.read_handshake()
    c.send_raw(b"GET / HTTP/1.1\r\nHost: causeway\r\n\r\n")
    packets = c.wait_closed(60)
    c.close()
    if not packets:
        return "closed without ERR"
    err = raw.Err(packets[0])
    check(err.well_formed, f"not a well-formed ERR: {packets[0][:32]!r}")
    return repr(err)


def case_wrong_sequence_id():
    c = raw_login()
    check(c.query("SELECT 1") == [(b"1",)], "authenticated raw session does not work")
    c.send_frame(b"\x03SELECT 2", 5)  # a command must start at sequence id 0
    err = expect_err_then_close(c, {ER_NET_PACKETS_OUT_OF_ORDER, ER_HANDSHAKE_ERROR,
                                    CR_MALFORMED_PACKET, ER_MALFORMED_PACKET},
                                "out-of-order packet")
    c.close()
    return repr(err)


def case_bad_compressed_packet():
    # A client in the compressed protocol whose packet claims 100 bytes inside and holds
    # 20 bytes of no zlib stream at all: ERR 1157, itself compressed, then close.
    c = raw.RawConn(HOST, PORT)
    c.login(USER, PASSWORD, DB, caps=raw.CLIENT_COMPRESS)
    c.send_raw(bytes([20, 0, 0, 0, 100, 0, 0]) + b"\x5a" * 20)
    packets = c.wait_closed_compressed(30)
    c.close()
    if DIRECT and not packets:
        return "the server closes without an ERR"
    check(len(packets) == 1, f"wanted one ERR then close, got {packets!r}")
    err = raw.Err(packets[0])
    check(err.well_formed and err.code == ER_NET_UNCOMPRESS_ERROR and err.sqlstate == "08S01",
          f"unexpected {err!r}")
    return repr(err)


def case_packet_over_limit():
    """Announce and send a logical packet of MAX_PACKET + 16 bytes in 16 MB frames."""
    original = None
    admin = None
    if DIRECT:
        # The server itself is the limit here: give new sessions MAX_PACKET.
        admin = root_on_primary()
        original = scalar(admin, "SELECT @@global.max_allowed_packet")
        with admin.cursor() as cur:
            cur.execute("SET GLOBAL max_allowed_packet = %s", (MAX_PACKET,))
    try:
        c = raw_login(timeout=60)
    finally:
        if admin is not None:
            with admin.cursor() as cur:
                cur.execute("SET GLOBAL max_allowed_packet = %s", (original,))
            admin.close()
    full = b"a" * raw.MAX_FRAME
    send_error = []

    def sender():
        try:
            seq, sent = 0, 0
            c.send_frame(b"\x03" + full[1:], seq)
            sent += raw.MAX_FRAME
            while sent + raw.MAX_FRAME <= MAX_PACKET:
                seq += 1
                c.send_frame(full, seq)
                sent += raw.MAX_FRAME
            rest = MAX_PACKET - sent + 16  # now over the limit
            while rest >= raw.MAX_FRAME:  # a full frame would not end the packet
                seq += 1
                c.send_frame(full, seq)
                rest -= raw.MAX_FRAME
            seq += 1
            c.send_frame(b"b" * rest, seq)
        except OSError as e:  # the peer may close while we are still sending
            send_error.append(e)

    t = threading.Thread(target=sender, daemon=True)
    t.start()
    err = expect_err_then_close(c, {ER_NET_PACKET_TOO_LARGE}, "oversized packet", timeout=120)
    t.join(120)
    c.close()
    check(err.sqlstate == "08S01", f"SQLSTATE {err.sqlstate}, wanted 08S01")
    return f"{err!r}; limit {MAX_PACKET}"


def case_silent_client_times_out():
    env_timeout = os.environ.get("CW_HANDSHAKE_TIMEOUT_S")
    if env_timeout:
        expected = float(env_timeout)
    elif DIRECT:
        admin = root_on_primary()
        expected = float(scalar(admin, "SELECT @@global.connect_timeout"))
        admin.close()
    else:
        expected = 10.0
    c = raw.RawConn(HOST, PORT)
    c.read_handshake()
    # Wait for the close event; the margin only bounds a broken server.
    c.settimeout(expected + 15)
    started = time.monotonic()
    packets = []
    try:
        while True:
            packets.append(c.read_packet())
    except raw.Closed:
        pass
    except TimeoutError:
        raise Failure(f"still open {expected + 15:.0f}s after connecting "
                      f"(handshake timeout expected: {expected:.0f}s)")
    finally:
        c.close()
    waited = time.monotonic() - started
    for p in packets:
        check(raw.Err(p).well_formed, f"non-ERR packet before the close: {p[:32]!r}")
    what = repr(raw.Err(packets[0])) if packets else "closed without ERR"
    return f"{what} after {waited:.1f}s, timeout {expected:.0f}s"


def case_disconnect_mid_result():
    c = raw_login()
    digits = "(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL " \
             "SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL " \
             "SELECT 8 UNION ALL SELECT 9)"
    sql = (f"SELECT a.d, REPEAT('z', 200) FROM {digits} a, {digits} b, {digits} c, "
           f"{digits} e, {digits} f, {digits} g")  # 10^6 rows, ~200 MB
    c.command(raw.COM_QUERY, sql.encode())
    got = b""
    while len(got) < 8192:
        chunk = c.sock.recv(4096)
        check(chunk, "connection closed before any result data")
        got += chunk
    c.sock.close()  # vanish in the middle of the stream
    return f"closed after {len(got)} bytes"


def case_vanish_mid_statement():
    """A driver that gives up on a long statement (a socket timeout) closes its connection
    in the middle of a transaction: as with a direct connection, the server must roll it
    back and release its locks, not hold them until the statement ends."""
    admin = root_on_primary()
    with admin.cursor() as cur:
        cur.execute(f"CREATE TABLE IF NOT EXISTS {DB}.bi_locks (id INT PRIMARY KEY, v INT)")
        cur.execute(f"REPLACE INTO {DB}.bi_locks VALUES (1, 0)")
    admin.commit()
    admin.close()
    quitter = app_session(read_timeout=2, autocommit=False)
    with quitter.cursor() as cur:
        cur.execute("UPDATE bi_locks SET v = v + 1 WHERE id = 1")  # holds the row lock
        try:
            cur.execute("SELECT SLEEP(120)")
            check(False, "SLEEP(120) returned within the 2 s read timeout")
        except pymysql.err.OperationalError:
            pass  # the driver closed its socket
    other = app_session(autocommit=True)
    # Without the rollback the lock stays for the whole SLEEP(120): 1205 after 60 s.
    with other.cursor() as cur:
        cur.execute("SET SESSION innodb_lock_wait_timeout = 60")
        cur.execute("UPDATE bi_locks SET v = v + 10 WHERE id = 1")
    value = scalar(other, "SELECT v FROM bi_locks WHERE id = 1")  # waits for its own write
    other.close()
    check(value == 10, f"v = {value}: the vanished client's update was not rolled back")
    return "its transaction rolled back and the lock went"


def case_malformed_stmt_execute():
    c = raw_login()
    # Unknown statement id, otherwise well-formed (flags 0, iteration count 1).
    c.command(raw.COM_STMT_EXECUTE, struct.pack("<IBI", 0xDEADBEEF, 0, 1))
    p = c.read_packet()
    err = raw.Err(p)
    check(err.well_formed and err.code in {ER_UNKNOWN_STMT_HANDLER, ER_MALFORMED_PACKET,
                                           CR_MALFORMED_PACKET},
          f"unknown statement id: {err!r}")
    notes = [f"unknown id -> {err.code}"]
    check(c.query("SELECT 5") == [(b"5",)], "session unusable after the unknown-id ERR")

    # A real statement with one parameter, executed with a truncated payload.
    stmt_id, _, nparams = c.prepare("SELECT ?")
    check(nparams == 1, "prepare reported the wrong parameter count")
    c.command(raw.COM_STMT_EXECUTE, struct.pack("<I", stmt_id))
    try:
        p = c.read_packet()
    except raw.Closed:
        return "; ".join(notes + ["truncated -> closed"])
    err = raw.Err(p)
    check(err.well_formed and err.code in {ER_MALFORMED_PACKET, CR_MALFORMED_PACKET,
                                           ER_WRONG_ARGUMENTS, ER_UNKNOWN_STMT_HANDLER},
          f"truncated execute: {err!r}")
    notes.append(f"truncated -> {err.code}")
    try:
        # MariaDB's direct execute (id 0xffffffff: the statement just prepared) without the
        # parameters' types, as a pipelining driver sends it when it does not know the
        # parameter count yet: the server refuses it as malformed and runs nothing.
        c.query("CREATE TEMPORARY TABLE bi_direct (v INT)")
        c.prepare("INSERT INTO bi_direct VALUES (?)")
        c.command(raw.COM_STMT_EXECUTE, struct.pack("<IBIB", 0xFFFFFFFF, 0, 1, 1))
        err = raw.Err(c.read_packet())
        check(err.well_formed and err.code == ER_MALFORMED_PACKET, f"direct execute without types: {err!r}")
        check(c.query("SELECT COUNT(*) FROM bi_direct") == [(b"0",)], "the refused direct execute inserted a row")
        notes.append(f"direct execute without types -> {err.code}")
        ok = c.query("SELECT 6") == [(b"6",)]
        notes.append("connection continued" if ok else "connection answered wrongly")
        check(ok, "session answers wrongly after the malformed execute")
    except raw.Closed:
        notes.append("connection closed")
    c.close()
    return "; ".join(notes)


def case_bulk_without_capability():
    # COM_STMT_BULK_EXECUTE from a client that did not negotiate bulk operations (this one
    # keeps CLIENT_MYSQL, so it has no MariaDB capabilities): ERR 1295, as from the server.
    setup = app_session()
    setup.cursor().execute(f"CREATE TABLE IF NOT EXISTS {DB}.bi_bulk (v INT)")
    setup.close()
    c = raw_login()
    stmt_id, _, nparams = c.prepare(f"INSERT INTO {DB}.bi_bulk VALUES (?)")
    check(nparams == 1, "prepare reported the wrong parameter count")
    # flags 128 (types follow), one LONG parameter, one row: indicator 0, value 7.
    c.command(0xFA, struct.pack("<IH", stmt_id, 128) + bytes([3, 0]) + bytes([0]) + struct.pack("<i", 7))
    err = raw.Err(c.read_packet())
    check(err.well_formed and err.code == ER_UNSUPPORTED_PS and err.sqlstate == "HY000", f"bulk: {err!r}")
    check(c.query("SELECT 'usable'") == [(b"usable",)], "session unusable after ERR 1295")
    c.close()
    return repr(err)


def case_unknown_command():
    c = raw_login()
    c.command(0x99)
    err = raw.Err(c.read_packet())
    check(err.well_formed and err.code == ER_UNKNOWN_COM_ERROR, f"unknown command: {err!r}")
    check(err.sqlstate == "08S01", f"SQLSTATE {err.sqlstate}, wanted 08S01")
    check(c.query("SELECT 'usable'") == [(b"usable",)], "session unusable after ERR 1047")
    c.command(raw.COM_PING)
    check(raw.is_ok(c.read_packet()), "COM_PING after the unknown command did not return OK")
    c.close()
    return repr(err)


def case_backend_killed_mid_query():
    marker = "cw-itest-kill-" + uuid.uuid4().hex[:10]
    victim = app_session(read_timeout=120)
    outcome = {}

    def run():
        try:
            with victim.cursor() as cur:
                cur.execute(f"SELECT SLEEP(20) /* {marker} */")
                outcome["result"] = cur.fetchall()
        except pymysql.err.MySQLError as e:
            outcome["error"] = e
        outcome["at"] = time.monotonic()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    admin = root_on_primary()
    thread_id = None
    deadline = time.monotonic() + 15
    while thread_id is None and time.monotonic() < deadline:
        with admin.cursor() as cur:
            cur.execute("SELECT id FROM information_schema.processlist "
                        "WHERE info LIKE %s AND id <> CONNECTION_ID()",
                        (f"SELECT SLEEP(20)%{marker}%",))
            row = cur.fetchone()
        if row:
            thread_id = row[0]
        else:
            time.sleep(0.05)  # polling the server's processlist: there is no event to wait on
    check(thread_id is not None, "the SLEEP query never showed up in the primary's processlist")
    killed_at = time.monotonic()
    with admin.cursor() as cur:
        cur.execute(f"KILL CONNECTION {int(thread_id)}")
    admin.close()
    t.join(60)
    check(not t.is_alive(), "the client is still waiting 60s after its backend was killed")
    check("error" in outcome, f"the query returned {outcome.get('result')!r} instead of an error")
    code = outcome["error"].args[0] if outcome["error"].args else None
    check(code in LOST_BACKEND_CODES,
          f"error {outcome['error']!r}, wanted one of {sorted(LOST_BACKEND_CODES)}")
    try:
        victim.close()
    except Exception:  # noqa: BLE001
        pass
    message = outcome["error"].args[1] if len(outcome["error"].args) > 1 else ""
    return f"client got {code}: {message} {outcome['at'] - killed_at:.1f}s after the kill"


CASES = [
    ("a1 garbage instead of a handshake response -> ERR 1043/2027 or close",
     case_garbage_handshake_response),
    ("a2 unframed garbage (HTTP) at handshake -> well-formed ERR or close",
     case_unframed_garbage),
    ("b wrong sequence id after auth -> ERR 1156 then close", case_wrong_sequence_id),
    ("b2 compressed packet that does not inflate -> ERR 1157 08S01 then close", case_bad_compressed_packet),
    ("c packet over max_packet_size -> ERR 1153 08S01 then close", case_packet_over_limit),
    ("d silent client -> closed after the handshake timeout", case_silent_client_times_out),
    ("e client vanishes mid result set -> others unaffected", case_disconnect_mid_result),
    ("e2 client vanishes mid statement -> its transaction rolls back", case_vanish_mid_statement),
    ("f malformed COM_STMT_EXECUTE -> ERR 1243/1835", case_malformed_stmt_execute),
    ("g unknown command 0x99 -> ERR 1047, connection usable", case_unknown_command),
    ("g2 COM_STMT_BULK_EXECUTE without the capability -> ERR 1295, connection usable",
     case_bulk_without_capability),
    ("h backend killed mid-query -> client gets an error promptly",
     case_backend_killed_mid_query),
]


def main():
    only = sys.argv[1:]
    for name, fn in CASES:
        if only and not any(name.startswith(o) for o in only):
            continue
        run_case(name, fn)
    print(f"bad_input: {passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""PyMySQL (Debian's python3-pymysql) against CW_HOST:CW_PORT.

Both auth plugins (caching_sha2_password only when CW_SHA2_USER is set), each with and
without TLS; parameterized queries, multi-statements, transactions, utf8mb4; plus a few
raw-protocol checks drivers hide (COM_QUIT, sha2 fast path, closed statement ids).
Ends with `python: N passed, N failed`; exit status 1 on any failure.
"""

import datetime
import decimal
import os
import ssl
import struct
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pymysql  # noqa: E402
from pymysql.constants import CLIENT  # noqa: E402
import mysqlraw as raw  # noqa: E402

HOST = os.environ.get("CW_HOST", "127.0.0.1")
PORT = int(os.environ.get("CW_PORT", "3306"))
USER = os.environ.get("CW_USER", "app")
PASSWORD = os.environ.get("CW_PASSWORD", "app")
DB = os.environ.get("CW_DB", "demo")
SHA2_USER = os.environ.get("CW_SHA2_USER") or None
SHA2_PASSWORD = os.environ.get("CW_SHA2_PASSWORD", "")
CA = os.environ.get("CW_CA") or None
TLS = os.environ.get("CW_TLS", "0") == "1"

passed = 0
failed = 0
skipped = 0


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def test(name):
    def wrap(fn):
        TESTS.append((name, fn))
        return fn
    return wrap


TESTS = []


def connect(user=USER, password=PASSWORD, tls=None, **kw):
    """tls: None (plain), 'verify' (against CW_CA) or 'noverify'."""
    opts = dict(host=HOST, port=PORT, user=user, password=password, database=DB,
                charset="utf8mb4", connect_timeout=10, read_timeout=60, write_timeout=60)
    if tls == "verify":
        opts["ssl"] = {"ca": CA}
    elif tls == "noverify":
        opts["ssl"] = {"check_hostname": False, "verify_mode": ssl.CERT_NONE}
    opts.update(kw)
    return pymysql.connect(**opts)


def one(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()


# ------------------------------------------------------------------ auth x TLS matrix

def auth_tls_case(user, password, tls):
    def run():
        if tls and not TLS:
            return "SKIP: CW_TLS is not 1"
        if tls == "verify" and not CA:
            return "SKIP: CW_CA not set"
        if user is None:
            return "SKIP: CW_SHA2_USER not set (plain MariaDB has no caching_sha2_password)"
        conn = connect(user, password, tls)
        cipher = None
        try:
            who = one(conn, "SELECT CURRENT_USER()")[0]
            check(who.startswith(user + "@"), f"CURRENT_USER() is {who!r}")
            encrypted = isinstance(conn._sock, ssl.SSLSocket)  # PyMySQL keeps the socket here
            check(encrypted == bool(tls), f"TLS active={encrypted}, wanted {bool(tls)}")
            if tls:
                check(conn._sock.cipher() is not None, "no TLS cipher negotiated")
                cipher = conn._sock.cipher()[0]
            check(one(conn, "SELECT %s + %s", (20, 22))[0] == 42, "query over the session failed")
        finally:
            conn.close()
        return f"cipher {cipher}" if cipher else None
    return run


for _plugin, _user, _password in (("mysql_native_password", USER, PASSWORD),
                                  ("caching_sha2_password", SHA2_USER, SHA2_PASSWORD)):
    for _tls in (None, "verify", "noverify"):
        _label = f"{_plugin} {'plain' if _tls is None else 'TLS ' + _tls}"
        TESTS.append((f"connect {_label}", auth_tls_case(_user, _password, _tls)))


@test("wrong password is refused with 1045")
def wrong_password():
    try:
        connect(password="nope-" + PASSWORD)
    except pymysql.err.OperationalError as e:
        check(e.args[0] == 1045, f"got {e.args}")
        return None
    raise Failure("connected with a wrong password")


# ------------------------------------------------------------------ queries

@test("parameterized queries round-trip types, quotes and NULL")
def parameterized():
    conn = connect()
    try:
        with conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS py_params")
            cur.execute("CREATE TABLE py_params (id INT PRIMARY KEY, s VARCHAR(64), "
                        "b VARBINARY(64), d DECIMAL(12,4), f DOUBLE, dt DATETIME(6), n INT)")
            row = (1, "it's \"quoted\" \\ back", b"\x00\x01'\xff", decimal.Decimal("-1234.5678"),
                   2.5e-3, datetime.datetime(2020, 1, 2, 3, 4, 5, 678901), None)
            cur.execute("INSERT INTO py_params VALUES (%s, %s, %s, %s, %s, %s, %s)", row)
            check(cur.rowcount == 1, f"rowcount {cur.rowcount}")
            cur.execute("SELECT * FROM py_params WHERE id = %s AND s = %s", (1, row[1]))
            got = cur.fetchone()
            check(got == row, f"read back {got!r}, wanted {row!r}")
            cur.executemany("INSERT INTO py_params (id, s) VALUES (%s, %s)",
                            [(i, f"row{i}") for i in range(2, 102)])
            check(cur.rowcount == 100, f"executemany rowcount {cur.rowcount}")
            cur.execute("SELECT COUNT(*), MIN(s), MAX(id) FROM py_params WHERE id >= %s", (2,))
            check(cur.fetchone() == (100, "row10", 101), "executemany rows wrong")
        conn.commit()
    finally:
        conn.close()


@test("multi-statements: each result via nextset()")
def multi_statements():
    conn = connect(client_flag=CLIENT.MULTI_STATEMENTS)
    try:
        with conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS py_multi; CREATE TABLE py_multi (id INT); "
                        "INSERT INTO py_multi VALUES (1),(2),(3); SELECT SUM(id) FROM py_multi; "
                        "SELECT 'last'")
            results = []
            while True:
                if cur.description:
                    results.append(cur.fetchall())
                else:
                    results.append(cur.rowcount)
                if not cur.nextset():
                    break
            check(results == [0, 0, 3, ((decimal.Decimal(6),),), (("last",),)],
                  f"results {results!r}")
        conn.commit()
    finally:
        conn.close()


@test("multi-statements: an error in the middle raises and the session goes on")
def multi_statements_error():
    conn = connect(client_flag=CLIENT.MULTI_STATEMENTS)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1; SELECT * FROM py_no_such_table; SELECT 3")
            check(cur.fetchall() == ((1,),), "first result wrong")
            try:
                cur.nextset()
                raise Failure("no error for the missing table")
            except pymysql.err.ProgrammingError as e:
                check(e.args[0] == 1146, f"error {e.args}")
        check(one(conn, "SELECT 'after'")[0] == "after", "session unusable after the error")
    finally:
        conn.close()


@test("transaction: ROLLBACK discards, COMMIT keeps")
def transactions():
    conn = connect(autocommit=True)
    other = connect(autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS py_tx")
            cur.execute("CREATE TABLE py_tx (id INT PRIMARY KEY) ENGINE=InnoDB")
            conn.begin()
            cur.execute("INSERT INTO py_tx VALUES (1), (2)")
            cur.execute("SELECT COUNT(*) FROM py_tx")
            check(cur.fetchone()[0] == 2, "own uncommitted rows not visible")
            check(one(other, "SELECT COUNT(*) FROM py_tx")[0] == 0,
                  "uncommitted rows visible to another session")
            conn.rollback()
            cur.execute("SELECT COUNT(*) FROM py_tx")
            check(cur.fetchone()[0] == 0, "rows survived ROLLBACK")
            conn.begin()
            cur.execute("INSERT INTO py_tx VALUES (3)")
            conn.commit()
        check(one(other, "SELECT COUNT(*) FROM py_tx")[0] == 1,
              "committed row not visible to another session")
    finally:
        conn.close()
        other.close()


@test("utf8mb4 round trip (emoji, CJK, accents)")
def unicode_round_trip():
    text = "caf\u00e9 \U0001F600 \u6f22\u5b57 \U0001F1EB\U0001F1F7 \u0000end"
    conn = connect()
    try:
        with conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS py_uni")
            cur.execute("CREATE TABLE py_uni (s VARCHAR(100)) CHARACTER SET utf8mb4 "
                        "COLLATE utf8mb4_bin")
            cur.execute("INSERT INTO py_uni VALUES (%s)", (text,))
            cur.execute("SELECT s, CHAR_LENGTH(s), LENGTH(s) FROM py_uni")
            s, chars, nbytes = cur.fetchone()
            check(s == text, f"read back {s!r}")
            check(chars == len(text), f"CHAR_LENGTH {chars}, wanted {len(text)}")
            check(nbytes == len(text.encode()), f"LENGTH {nbytes}")
            cur.execute("SELECT %s", ("\U0001F680",))
            check(cur.fetchone()[0] == "\U0001F680", "literal emoji round trip")
        conn.commit()
    finally:
        conn.close()


# ------------------------------------------------------------------ raw protocol

@test("COM_QUIT: the server closes the connection without replying")
def com_quit():
    c = raw.connect(HOST, PORT, USER, PASSWORD, DB, timeout=15)
    check(c.query("SELECT 1") == [(b"1",)], "raw session does not work")
    c.command(raw.COM_QUIT)
    packets = c.wait_closed(15)
    c.close()
    check(packets == [], f"{len(packets)} packet(s) after COM_QUIT")


@test("executing a closed statement id is ERR 1243")
def closed_statement():
    c = raw.connect(HOST, PORT, USER, PASSWORD, DB, timeout=15)
    stmt_id, ncols, nparams = c.prepare("SELECT 1")
    check((ncols, nparams) == (1, 0), f"prepare said {ncols} columns, {nparams} params")
    c.command(raw.COM_STMT_CLOSE, struct.pack("<I", stmt_id))  # no response by design
    c.command(raw.COM_STMT_EXECUTE, struct.pack("<IBI", stmt_id, 0, 1))
    err = raw.Err(c.read_packet())
    check(err.well_formed and err.code == 1243, f"got {err!r}")
    check(c.query("SELECT 2") == [(b"2",)], "session unusable afterwards")
    c.close()


@test("caching_sha2_password: full auth first, then the fast path (0x03)")
def sha2_fast_path():
    if not SHA2_USER:
        return "SKIP: CW_SHA2_USER not set"
    # Raw full authentication over plain TCP: RSA public key exchange (or fast path if a
    # previous test already cached this account; both are valid here).
    first = raw.connect(HOST, PORT, SHA2_USER, SHA2_PASSWORD, DB, timeout=15)
    check(first.query("SELECT CURRENT_USER()")[0][0].startswith(SHA2_USER.encode() + b"@"),
          "wrong user after full auth")
    first.close()
    second = raw.connect(HOST, PORT, SHA2_USER, SHA2_PASSWORD, DB, timeout=15)
    trace = second.auth_trace
    second.close()
    check("fast_auth_success" in trace, f"second login did not use the fast path: {trace}")
    return f"first: {first.auth_trace}, second: {trace}"


@test("caching_sha2_password over TLS with a raw client")
def sha2_raw_tls():
    if not SHA2_USER:
        return "SKIP: CW_SHA2_USER not set"
    if not TLS:
        return "SKIP: CW_TLS is not 1"
    c = raw.connect(HOST, PORT, SHA2_USER, SHA2_PASSWORD, DB, timeout=15, tls=True, cafile=CA)
    check(c.query("SELECT 7") == [(b"7",)], "query over TLS failed")
    c.close()
    return f"auth: {c.auth_trace}"


def main():
    global passed, failed, skipped
    for name, fn in TESTS:
        try:
            note = fn()
            if isinstance(note, str) and note.startswith("SKIP"):
                skipped += 1
                print(f"SKIP {name}: {note[5:].strip()}", flush=True)
                continue
            passed += 1
            print(f"PASS {name}" + (f" ({note})" if note else ""), flush=True)
        except Exception as e:  # noqa: BLE001
            failed += 1
            detail = str(e) if isinstance(e, Failure) else traceback.format_exc().strip()
            print(f"FAIL {name}: {detail}", flush=True)
    print(f"python: {skipped} skipped", flush=True)
    print(f"python: {passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

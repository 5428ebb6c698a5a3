#!/usr/bin/env python3
"""Session state on shared backend connections, as real drivers exercise it: settings made
other than by a plain SET (SET SESSION TRANSACTION, a prepared SET, a SET inside a
multi-statement), prepared statements prepared again and again on pooled connections,
cursors opened on a replica, stored procedures with cursors of their own, connections the
server closed while pooled, and the server's own max_connections. Every case compares
with what a direct connection does.

causeway runs with `workers: 1` and two pooled connections per server, so consecutive
sessions share backend connections, which is where state leaks would show."""
import os
import struct
import sys
import threading
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))

import pymysql  # noqa: E402
from pymysql.constants import CLIENT  # noqa: E402

import mysqlraw  # noqa: E402
from cwproc import Causeway, wait_until  # noqa: E402
from topology import (APP, HOST, PRIMARY_PORT, REPLICA_PORTS, REPLICAS, ROOT, Tally, app,  # noqa: E402
                      create_whoami, direct, one)

tally = Tally("session_state")
check = tally.check
SERVER_PORTS = [PRIMARY_PORT] + REPLICA_PORTS
OTHER = ("ss_other", "ss_other_pw")


def new_sessions(port, sql, n=6, **kw):
    """What `sql` answers in n new sessions, one after the other (they share the pool)."""
    seen = set()
    for _ in range(n):
        c = app(port, **kw)
        seen.add(one(c.cursor(), sql))
        c.close()
    return seen


def session_variable(name):
    # information_schema instead of @@name: a plain read, so it may run on a replica.
    return ("SELECT VARIABLE_VALUE FROM information_schema.SESSION_VARIABLES WHERE VARIABLE_NAME = '%s'"
            % name.upper())


def execute_with_string(raw, stmt_id, value):
    """COM_STMT_EXECUTE with one VARCHAR parameter; returns the response's first packet."""
    body = struct.pack("<IBI", stmt_id, 0, 1) + b"\x00" + b"\x01" + b"\xfd\x00"
    body += mysqlraw.lenenc_bytes(value.encode())
    raw.command(mysqlraw.COM_STMT_EXECUTE, body)
    return raw.read_packet()


def prepared_set(port):
    # A prepared SET with a parameter: its value exists only on the connection that ran it.
    raw = mysqlraw.connect(HOST, port, APP[0], APP[1], db="demo")
    sid, _, nparams = raw.prepare("SET SESSION sql_mode = ?")
    p = execute_with_string(raw, sid, "ANSI_QUOTES")
    check("a prepared SET with a parameter executes", mysqlraw.is_ok(p) and nparams == 1, repr(p[:20]))
    rows = raw.query("SELECT name, (%s) FROM whoami" % session_variable("sql_mode"))
    check("the session's next read sees the setting (it stays on that connection)",
          rows == [(b"primary", b"ANSI_QUOTES")], repr(rows))
    raw.close()
    check("new sessions on the pooled connections do not inherit it",
          not any("ANSI_QUOTES" in (v or "") for v in new_sessions(port, "SELECT @@sql_mode")))

    # Without parameters the text is the setting: replayed wherever the session reads.
    raw = mysqlraw.connect(HOST, port, APP[0], APP[1], db="demo")
    sid, _, _ = raw.prepare("SET SESSION time_zone = '+05:00'")
    raw.command(mysqlraw.COM_STMT_EXECUTE, struct.pack("<IBI", sid, 0, 1))
    check("a prepared SET without parameters executes", mysqlraw.is_ok(raw.read_packet()))
    answers = {raw.query("SELECT name, (%s) FROM whoami" % session_variable("time_zone"))[0] for _ in range(6)}
    check("reads on replicas run with it", all(tz == b"+05:00" for _, tz in answers) and
          any(name.decode() in REPLICAS for name, _ in answers), repr(answers))
    raw.close()
    check("and new sessions do not", new_sessions(port, "SELECT @@time_zone") == {"SYSTEM"})


def set_session_transaction(port):
    c = app(port)
    cur = c.cursor()
    cur.execute("SET SESSION TRANSACTION READ ONLY")
    check("SET SESSION TRANSACTION READ ONLY holds for the session", one(cur, "SELECT @@tx_read_only") == 1)
    c.close()
    check("new sessions on the pooled connections are read-write again",
          new_sessions(port, "SELECT @@tx_read_only") == {0})
    c = app(port)
    cur = c.cursor()
    cur.execute("CREATE TABLE IF NOT EXISTS ss_rows (v INT)")
    cur.execute("INSERT INTO ss_rows VALUES (1)")
    check("and can write", cur.rowcount == 1)
    c.close()


def session_wait_timeout(port):
    """SET wait_timeout is the session's idle limit through causeway too, as on a server
    (Connector/J's TimeoutTest): the connection closes once its client has been idle that
    long."""
    c = app(port)
    cur = c.cursor()
    cur.execute("SET SESSION wait_timeout = 1")
    check("SET wait_timeout reads back", one(cur, "SELECT @@wait_timeout") == 1)
    c._sock.settimeout(60)  # a bound: the close is the event waited for
    check("an idle session closes after its own wait_timeout", c._sock.recv(1) == b"")
    c.close()


def multi_statement_set(port):
    c = app(port, client_flag=CLIENT.MULTI_STATEMENTS)
    cur = c.cursor()
    cur.execute("SET SESSION sql_mode = 'NO_ZERO_DATE'; SELECT 1")
    while cur.nextset():
        pass
    row = one(cur, "SELECT CONCAT(name, ' ', (%s)) FROM whoami" % session_variable("sql_mode"))
    check("a SET inside a multi-statement holds for the session's next statements", row == "primary NO_ZERO_DATE",
          row)
    c.close()
    check("new sessions do not inherit it",
          not any("NO_ZERO_DATE" in (v or "") for v in new_sessions(port, "SELECT @@sql_mode")))


def repeated_set(port):
    c = app(port)
    cur = c.cursor()
    for mode in ("NO_ZERO_DATE", "ANSI_QUOTES", "NO_ZERO_DATE"):
        cur.execute("SET SESSION sql_mode = '%s'" % mode)
    seen = {one(cur, "SELECT CONCAT(name, ' ', (%s)) FROM whoami" % session_variable("sql_mode")) for _ in range(6)}
    check("a SET repeated after another one wins on every connection the session uses",
          {s.split(" ")[1] for s in seen} == {"NO_ZERO_DATE"}, repr(seen))
    c.close()


def cursor_on_replica(port):
    raw = mysqlraw.connect(HOST, port, APP[0], APP[1], db="demo")
    sid, ncols, _ = raw.prepare("SELECT name FROM whoami")
    raw.command(mysqlraw.COM_STMT_EXECUTE, struct.pack("<IBI", sid, 1, 1))  # CURSOR_TYPE_READ_ONLY
    first = raw.read_packet()
    for _ in range(ncols):
        raw.read_packet()
    eof = raw.read_packet()
    status = struct.unpack_from("<H", eof, 3)[0] if mysqlraw.is_eof(eof) else 0
    check("an execute asking for a cursor opens one", first[:1] == b"\x01" and status & 0x40, repr(eof))
    try:
        raw.query("INSERT INTO ss_rows VALUES (2)")
        check("a write while a cursor is open goes to the primary", True)
    except mysqlraw.ServerError as e:
        check("a write while a cursor is open goes to the primary", False, str(e))
    raw.command(0x1C, struct.pack("<II", sid, 10))  # COM_STMT_FETCH
    row = raw.read_packet()
    name = row[1 + (ncols + 9) // 8 + 1:].decode()
    check("the cursor still fetches from where it was opened", name in REPLICAS, name)
    raw.close()
    d = direct(PRIMARY_PORT)
    check("the row is on the primary", one(d.cursor(), "SELECT COUNT(*) FROM ss_rows WHERE v = 2") == 1)
    d.close()


def procedure_with_cursor(port):
    d = direct(PRIMARY_PORT)
    d.cursor().execute("CREATE OR REPLACE PROCEDURE demo.ss_cur() "
                       "BEGIN DECLARE c CURSOR FOR SELECT 1; OPEN c; SELECT 42 AS v; CLOSE c; END")
    d.close()
    c = app(port, read_timeout=30)
    cur = c.cursor()
    try:
        cur.execute("CALL ss_cur()")
        rows = cur.fetchall()
        while cur.nextset():
            pass
        check("CALL of a procedure that opens its own cursor returns its rows", rows == ((42,),), repr(rows))
    except pymysql.MySQLError as e:
        check("CALL of a procedure that opens its own cursor returns its rows", False, str(e))
    c.close()
    check("the pooled connections stay usable after it", new_sessions(port, "SELECT 'next'") == {"next"})


def fetch_strings(raw, stmt_id, n):
    """COM_STMT_FETCH of n rows of a one-VARCHAR-column cursor; the values."""
    raw.command(0x1C, struct.pack("<II", stmt_id, n))
    values = []
    while True:
        p = raw.read_packet()
        if mysqlraw.is_eof(p):
            return values
        if mysqlraw.is_err(p):
            raise mysqlraw.ServerError(mysqlraw.Err(p))
        n_len, pos = mysqlraw.lenenc_int(p, 2)
        values.append(p[pos:pos + n_len].decode())


def same_text_statements(port):
    # Drivers prepare the same text again (nested loops, statement caches per connection):
    # each client statement must keep its own cursor.
    c = app(port)
    c.cursor().execute("CREATE TABLE IF NOT EXISTS ss_twin (s VARCHAR(8))")
    c.cursor().execute("DELETE FROM ss_twin")
    c.cursor().execute("INSERT INTO ss_twin VALUES ('a'), ('b'), ('c'), ('d'), ('e')")
    c.close()
    raw = mysqlraw.connect(HOST, port, APP[0], APP[1], db="demo")
    sql = "SELECT s FROM ss_twin ORDER BY s"
    a, ncols, _ = raw.prepare(sql)
    b, _, _ = raw.prepare(sql)
    raw.command(mysqlraw.COM_STMT_EXECUTE, struct.pack("<IBI", a, 1, 1))  # a cursor
    for _ in range(ncols + 2):  # column count, definitions, EOF
        raw.read_packet()
    first = fetch_strings(raw, a, 1)
    others = raw.execute_first_column(b)
    rest = fetch_strings(raw, a, 10)
    check("two statements with the same text keep their own cursors",
          first == ["a"] and others == ["a", "b", "c", "d", "e"] and rest == ["b", "c", "d", "e"],
          "first %s, other statement %s, rest %s" % (first, others, rest))
    raw.command(mysqlraw.COM_STMT_CLOSE, struct.pack("<I", a))
    check("closing one leaves the other", raw.execute_first_column(b) == ["a", "b", "c", "d", "e"])
    raw.close()


def pipelined_prepare_execute(port):
    # MariaDB connectors (Connector/J, Node) send PREPARE and EXECUTE of statement id
    # 0xffffffff ("the one just prepared") together, without waiting for the PREPARE_OK.
    raw = mysqlraw.connect(HOST, port, APP[0], APP[1], db="demo")

    def frame(payload):
        return struct.pack("<I", len(payload))[:3] + b"\x00" + payload

    raw.send_raw(frame(b"\x16SELECT s FROM ss_twin WHERE s < 'c' ORDER BY s") +
                 frame(b"\x17" + struct.pack("<IBI", 0xFFFFFFFF, 0, 1)))
    prepare_ok = raw.read_packet()
    ncols = struct.unpack_from("<H", prepare_ok, 5)[0]
    for _ in range(ncols + 1):  # column definitions, EOF
        raw.read_packet()
    first = raw.read_packet()
    check("an execute of the statement just prepared, sent with the PREPARE, runs it",
          prepare_ok[:1] == b"\x00" and first[:1] == b"\x01", repr(first[:40]))
    if first[:1] == b"\x01":
        for _ in range(ncols + 1):
            raw.read_packet()
        values = []
        while True:
            p = raw.read_packet()
            if mysqlraw.is_eof(p):
                break
            n, pos = mysqlraw.lenenc_int(p, 2)
            values.append(p[pos:pos + n].decode())
        check("and returns its rows", values == ["a", "b"], repr(values))
    check("the session goes on", raw.query("SELECT 14") == [(b"14",)])
    raw.close()


def cursor_survives_new_settings(port):
    raw = mysqlraw.connect(HOST, port, APP[0], APP[1], db="demo")
    raw.query("SET NAMES utf8mb4")  # the session has settings of its own
    sid, ncols, _ = raw.prepare("SELECT s FROM ss_twin ORDER BY s")
    raw.command(mysqlraw.COM_STMT_EXECUTE, struct.pack("<IBI", sid, 1, 1))
    for _ in range(ncols + 2):
        raw.read_packet()
    first = fetch_strings(raw, sid, 1)
    raw.query("SET SESSION sql_mode = 'ANSI_QUOTES'")  # runs elsewhere; the cursor's connection lags
    raw.query("SELECT name FROM whoami")
    rest = fetch_strings(raw, sid, 10)
    check("an open cursor survives a later SET of its session", first == ["a"] and rest == ["b", "c", "d", "e"],
          "first %s, rest %s" % (first, rest))
    raw.close()


def long_data_stays_with_its_session(port):
    c = app(port)
    c.cursor().execute("CREATE TABLE IF NOT EXISTS ss_ld (v VARCHAR(16))")
    c.cursor().execute("DELETE FROM ss_ld")
    c.close()
    sql = "INSERT INTO ss_ld VALUES (?)"
    raw = mysqlraw.connect(HOST, port, APP[0], APP[1], db="demo")
    sid, _, _ = raw.prepare(sql)
    raw.command(0x18, struct.pack("<IH", sid, 0) + b"secret")  # COM_STMT_SEND_LONG_DATA, no reply
    raw.command(mysqlraw.COM_STMT_CLOSE, struct.pack("<I", sid))
    raw.close()
    for value in ("mine", "ours"):
        raw = mysqlraw.connect(HOST, port, APP[0], APP[1], db="demo")
        sid, _, _ = raw.prepare(sql)
        p = execute_with_string(raw, sid, value)
        check("an execute after another session closed the same statement with long data succeeds",
              mysqlraw.is_ok(p), repr(p[:40]))
        raw.close()
    c = app(port)
    cur = c.cursor()
    cur.execute("SELECT v FROM ss_ld ORDER BY v")
    rows = [r[0] for r in cur.fetchall()]
    check("it inserts its own value, never the other session's long data", rows == ["mine", "ours"], repr(rows))
    c.close()


def write_after_state_on_a_replica(port):
    c = app(port)
    cur = c.cursor()
    cur.execute("START TRANSACTION READ ONLY")
    where = one(cur, "SELECT name FROM whoami")
    cur.execute("SET @ss_x = 5")  # a user variable on that replica: the session is pinned there
    cur.execute("COMMIT")
    check("a read-only transaction runs on a replica", where in REPLICAS, where)
    try:
        cur.execute("INSERT INTO ss_rows VALUES (42)")
        check("a later write goes to the primary, not to the replica holding the session's state",
              cur.rowcount == 1)
    except pymysql.MySQLError as e:
        check("a later write goes to the primary, not to the replica holding the session's state", False, str(e))
    check("reads stay where the state is", one(cur, "SELECT CONCAT(name, ' ', @ss_x) FROM whoami") == where + " 5")
    c.close()


def procedure_settings(port):
    d = direct(PRIMARY_PORT)
    d.cursor().execute("CREATE OR REPLACE PROCEDURE demo.ss_settz() SET SESSION time_zone = '+05:00'")
    d.close()
    c = app(port)
    c.cursor().execute("CALL ss_settz()")
    c.close()
    check("settings a procedure changed do not reach the next sessions",
          new_sessions(port, "SELECT @@time_zone") == {"SYSTEM"})
    multi = pymysql.constants.CLIENT.MULTI_STATEMENTS  # its own pool: the same for the next sessions
    c = app(port, client_flag=multi)
    cur = c.cursor()
    cur.execute("SELECT 1; CALL ss_settz()")
    while cur.nextset():
        pass
    c.close()
    check("nor when the CALL comes later in a multi-statement",
          new_sessions(port, "SELECT @@time_zone", client_flag=multi) == {"SYSTEM"})


def prepared_statements_do_not_pile_up(port):
    def counts():
        out = []
        for p in SERVER_PORTS:
            d = direct(p)
            out.append(int(one(d.cursor(), "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                                            "WHERE VARIABLE_NAME = 'PREPARED_STMT_COUNT'")))
            d.close()
        return out

    before = counts()
    raw = mysqlraw.connect(HOST, port, APP[0], APP[1], db="demo")
    for _ in range(200):
        sid, _, _ = raw.prepare("SELECT name FROM whoami WHERE name <> 'ss'")
        raw.execute_first_column(sid)
        raw.command(mysqlraw.COM_STMT_CLOSE, struct.pack("<I", sid))
    raw.close()
    for _ in range(20):
        raw = mysqlraw.connect(HOST, port, APP[0], APP[1], db="demo")
        sid, _, _ = raw.prepare("SELECT name FROM whoami WHERE name <> 'ss'")
        raw.execute_first_column(sid)
        raw.close()  # without COM_STMT_CLOSE, as many drivers end
    growth = [a - b for a, b in zip(counts(), before)]
    # At most one copy per pooled connection (two per server here).
    check("preparing the same statement 220 times leaves at most one copy per pooled connection",
          all(g <= 2 for g in growth), "growth per server %s" % growth)


def reset_keeps_database_charset(port):
    d = direct(PRIMARY_PORT)
    d.cursor().execute("CREATE DATABASE IF NOT EXISTS ss_cs CHARACTER SET cp1251")
    d.close()
    for _ in range(4):
        c = pymysql.connect(host=HOST, port=port, user=ROOT[0], password=ROOT[1], database="ss_cs", autocommit=True)
        cur = c.cursor()
        cur.execute("SET SESSION sql_mode = 'ANSI_QUOTES'")  # another session's state on the connection
        one(cur, "SELECT @@character_set_database")
        c.close()
    seen = set()
    for _ in range(4):
        c = pymysql.connect(host=HOST, port=port, user=ROOT[0], password=ROOT[1], database="ss_cs", autocommit=True)
        seen.add(one(c.cursor(), "SELECT @@character_set_database"))
        c.close()
    check("a connection reset for a new session keeps the database's character set", seen == {"cp1251"},
          repr(seen))


def session_without_database(port):
    """A session that logged in without a database has none, whichever pooled connection
    runs its statements (a database, once selected on a connection, cannot be unselected)."""
    for _ in range(3):  # connections with demo selected, on the primary and the replicas
        c = app(port)
        one(c.cursor(), "SELECT COUNT(*) FROM whoami")
        one(c.cursor(), "SELECT @@hostname FOR UPDATE")
        c.close()
    for _ in range(3):
        c = pymysql.connect(host=HOST, port=port, user=APP[0], password=APP[1], autocommit=True)
        cur = c.cursor()
        seen = (one(cur, "SELECT DATABASE()"), one(cur, "SELECT DATABASE() FOR UPDATE"))
        check("a session without a database has none, on replicas and the primary", seen == (None, None), repr(seen))
        try:
            cur.execute("SELECT COUNT(*) FROM whoami")
            check("an unqualified table name is refused as by the server", False, repr(cur.fetchall()))
        except pymysql.MySQLError as e:
            check("an unqualified table name is refused as by the server", e.args[0] == 1046, str(e.args))
        cur.execute("USE demo")
        check("after USE it has one", one(cur, "SELECT DATABASE()") == "demo")
        c.close()


def pooled_connection_closed_by_server(port):
    c = app(port)
    cur = c.cursor()
    cur.execute("SET SESSION wait_timeout = 1")
    thread = one(cur, "SELECT CONNECTION_ID()")
    cur.execute("DROP TABLE IF EXISTS ss_never_there")  # a note: the session keeps the connection
    admin = direct(PRIMARY_PORT)

    def gone():
        return one(admin.cursor(), "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %d"
                   % thread) == 0

    check("the server closes the idle backend connection (wait_timeout)", wait_until(gone, 30))
    admin.close()
    c.close()  # the dead connection goes back to the pool
    answers = set()
    errors = []
    for _ in range(4):
        try:
            answers.add(one(app(port).cursor(), "SELECT @@hostname IS NOT NULL"))
        except pymysql.MySQLError as e:
            errors.append(str(e))
    check("new sessions never get the connection the server closed", not errors and answers == {1},
          "; ".join(errors[:2]))


def server_connection_limit(port):
    """The primary at its max_connections with idle pooled connections of one user: a
    session of another user still gets a connection (an idle one makes room)."""
    holders = [app(port) for _ in range(2)]
    for h in holders:
        h.cursor().execute("BEGIN")
        one(h.cursor(), "SELECT COUNT(*) FROM ss_rows")
    for h in holders:
        h.cursor().execute("COMMIT")
        h.close()
    admin = direct(PRIMARY_PORT)
    acur = admin.cursor()
    old = one(acur, "SELECT @@GLOBAL.max_connections")
    limited = False
    try:
        for slack in (0, -1, -2, -3):
            connected = int(one(acur, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                                      "WHERE VARIABLE_NAME = 'THREADS_CONNECTED'"))
            acur.execute("SET GLOBAL max_connections = %d" % max(connected + slack, 1))
            try:
                pymysql.connect(host=HOST, port=PRIMARY_PORT, user=OTHER[0], password=OTHER[1]).close()
            except pymysql.MySQLError as e:
                if e.args[0] == 1040:
                    limited = True
                    break
        check("the primary refuses new logins (max_connections reached)", limited)
        other = pymysql.connect(host=HOST, port=port, user=OTHER[0], password=OTHER[1], database="demo",
                                autocommit=True)
        try:
            check("another user's session still runs on the primary",
                  one(other.cursor(), "SELECT @@hostname IS NOT NULL") == 1)
        except pymysql.MySQLError as e:
            check("another user's session still runs on the primary", False, str(e))
        other.close()
    finally:
        acur.execute("SET GLOBAL max_connections = %d" % old)
        admin.close()


def greeting_capabilities(port):
    # The MariaDB capabilities causeway offers are those it relays (bulk operations 4,
    # extended metadata 8) that the primary has: a client must not negotiate one its
    # backend connections cannot have.
    def mariadb_caps(p):
        c = mysqlraw.RawConn(HOST, p)
        caps = c.read_handshake()["mariadb_caps"]
        c.close()
        return caps
    primary, offered = mariadb_caps(PRIMARY_PORT), mariadb_caps(port)
    check("causeway offers the MariaDB capabilities it relays that the primary has",
          offered == primary & (4 | 8), "causeway %#x, primary %#x" % (offered, primary))


def run_case(case, port, *args):
    # One case going wrong (an error where a result was due) must not hide the others.
    try:
        case(port, *args)
    except (pymysql.MySQLError, mysqlraw.ServerError, mysqlraw.Closed, OSError, ValueError) as e:
        check("%s runs to its end" % case.__name__, False, repr(e))


def command_without_a_backend(port):
    """COM_INIT_DB / USE / COM_RESET_CONNECTION that causeway cannot send anywhere (the only
    connection to the primary is busy): an ERR, and causeway goes on."""
    waiting = app(port)  # logged in first: its connection went back to the pool
    holder = app(port)
    holder.cursor().execute("BEGIN")
    one(holder.cursor(), "SELECT COUNT(*) FROM ss_rows")  # holds the only primary connection
    for name, action in (("COM_INIT_DB", lambda: waiting.select_db("demo")),
                         ("USE", lambda: waiting.cursor().execute("USE demo"))):
        try:
            action()
            check("%s without a free backend connection gets an ERR" % name, False, "it succeeded")
        except pymysql.MySQLError as e:
            check("%s without a free backend connection gets an ERR" % name, e.args[0] == 1040, str(e.args))
    holder.cursor().execute("COMMIT")
    check("and the session goes on once a connection is free", one(waiting.cursor(), "SELECT @@hostname IS NOT NULL") == 1)
    holder.close()
    waiting.close()


def client_aborts(status_port):
    with urllib.request.urlopen("http://%s:%d/metrics" % (HOST, status_port), timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith('causeway_errors_total{kind="client_abort"}'):
                return int(float(line.split()[-1]))
    return 0


def write_whose_client_left(port, status_port):
    """A write waiting for a backend connection (the pool is at its limit) whose client
    gives up meanwhile is never sent: the client may be retrying it elsewhere already."""
    quitter = app(port)  # logged in first: its connection went back to the pool
    holder = app(port)
    holder.cursor().execute("BEGIN")
    one(holder.cursor(), "SELECT COUNT(*) FROM ss_rows")  # holds the only primary connection
    before = client_aborts(status_port)
    quitter._read_timeout = 1  # its driver gives up after a second
    try:
        quitter.cursor().execute("INSERT INTO ss_rows VALUES (4242)")
        check("a write with no free backend connection waits", False, "it ran")
    except pymysql.MySQLError:
        pass  # the driver gave up and closed its socket
    check("causeway notices that the waiting write's client left",
          wait_until(lambda: client_aborts(status_port) > before, 30))
    holder.cursor().execute("COMMIT")  # the connection is free for the waiting write now
    holder.cursor().execute("INSERT INTO ss_rows VALUES (4243)")  # after it, on the only connection
    holder.close()
    d = direct(PRIMARY_PORT)
    check("and never sends it", one(d.cursor(), "SELECT COUNT(*) FROM demo.ss_rows WHERE v = 4242") == 0)
    d.close()


def main():
    create_whoami()
    d = direct(PRIMARY_PORT)
    cur = d.cursor()
    cur.execute("CREATE USER IF NOT EXISTS '%s'@'%%' IDENTIFIED BY '%s'" % OTHER)
    cur.execute("GRANT ALL ON demo.* TO '%s'@'%%'" % OTHER[0])
    cur.execute("CREATE TABLE IF NOT EXISTS demo.ss_rows (v INT)")
    cur.execute("DELETE FROM demo.ss_rows")
    d.close()
    proxy = Causeway("pool:\n  max_connections_per_server: 2\nworkers: 1\n", users=[OTHER])
    try:
        for case in (set_session_transaction, session_wait_timeout, prepared_set, multi_statement_set, repeated_set, cursor_on_replica,
                     procedure_with_cursor, same_text_statements, pipelined_prepare_execute,
                     cursor_survives_new_settings, long_data_stays_with_its_session,
                     write_after_state_on_a_replica, procedure_settings,
                     prepared_statements_do_not_pile_up, reset_keeps_database_charset, session_without_database,
                     pooled_connection_closed_by_server, greeting_capabilities):
            print("--", case.__name__, flush=True)
            run_case(case, proxy.port)
    finally:
        status = proxy.stop()
    check("causeway exits 0 after SIGTERM", status == 0, "status %s" % status)
    proxy = Causeway("pool:\n  max_connections_per_server: 1\nworkers: 1\n",
                     replace=[(r"timeouts:\n", "timeouts:\n  backend_connect: 1s\n")])
    try:
        print("-- command_without_a_backend", flush=True)
        run_case(command_without_a_backend, proxy.port)
    finally:
        status = proxy.stop()
    check("causeway is still up and exits 0 after SIGTERM", status == 0, "status %s" % status)
    # Two statements failed for want of a connection within 10 s: one warning names why.
    warnings = [l for l in open(proxy.log) if "got no connection within" in l]
    check("the operator sees one warning naming the server and the busy pool",
          len(warnings) == 1 and "'primary'" in warnings[0] and "every pooled connection busy" in warnings[0],
          "".join(warnings))
    proxy = Causeway("pool:\n  max_connections_per_server: 1\nworkers: 1\n",
                     replace=[(r"timeouts:\n", "timeouts:\n  backend_connect: 60s\n")], status=True)
    try:
        print("-- write_whose_client_left", flush=True)
        run_case(write_whose_client_left, proxy.port, proxy.status_port)
    finally:
        proxy.stop()
    # Its own causeway, pool not limited: the server's limit is the one that bites.
    proxy = Causeway(users=[OTHER])
    try:
        print("-- server_connection_limit", flush=True)
        run_case(server_connection_limit, proxy.port)
    finally:
        proxy.stop()
    return tally.summary()


if __name__ == "__main__":
    threading.stack_size(1 << 20)
    sys.exit(main())

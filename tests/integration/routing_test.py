#!/usr/bin/python3
"""Read/write splitting, proven by which server executed each statement.

Starts its own causeway (the suite's config with routing.read_write_split on) in front of
the suite's sandbox. Every server gets a local, unreplicated table demo.whoami holding its
own name, so `SELECT name FROM whoami` answers with the server that ran it, and
`INSERT ... SELECT name FROM whoami` records where a write ran.
"""
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

import pymysql

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
import mysqlraw  # noqa: E402

HOST = os.environ.get("CW_HOST", "127.0.0.1")
PRIMARY_PORT = int(os.environ["CW_PRIMARY_PORT"])
REPLICA_PORTS = [int(p) for p in os.environ["CW_REPLICA_PORTS"].split()]
ROOT = (os.environ.get("CW_ROOT_USER", "root"), os.environ.get("CW_ROOT_PASSWORD", "root"))
APP = (os.environ.get("CW_USER", "app"), os.environ.get("CW_PASSWORD", "app"))
NAMES = ["primary"] + ["replica%d" % (i + 1) for i in range(len(REPLICA_PORTS))]
REPLICAS = set(NAMES[1:])

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print("%s %s%s" % ("PASS" if ok else "FAIL", name, (" (%s)" % detail) if detail else ""), flush=True)


def direct(port):
    return pymysql.connect(host=HOST, port=port, user=ROOT[0], password=ROOT[1], database="demo", autocommit=True)


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_causeway():
    """The suite's config with splitting on, on a port of its own."""
    text = open(os.environ["CW_CAUSEWAY_CONFIG"]).read()
    port = free_port()
    text = re.sub(r"(listeners:\n  - name: main\n    address: [^\n]+\n    port: )\d+", r"\g<1>%d" % port, text)
    text = re.sub(r"(status:\n  address: [^\n]+\n  port: )\d+", r"\g<1>0", text)
    text += "routing:\n  read_write_split: true\n"
    cfg = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    cfg.write(text)
    cfg.close()
    log = open(cfg.name + ".log", "w")
    proc = subprocess.Popen([os.environ["CW_CAUSEWAY_BIN"], "--config", cfg.name], stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # waiting for a process to listen: a bounded poll
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return proc, port, cfg.name
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("causeway with read_write_split did not start; see " + cfg.name + ".log")


def app(port, **kw):
    return pymysql.connect(host=HOST, port=port, user=APP[0], password=APP[1], database="demo",
                           autocommit=True, **kw)


def one(cur, sql):
    cur.execute(sql)
    return cur.fetchone()[0]


def wait_until(predicate, seconds=15):
    """Waits for a state change that only shows through queries (a bounded poll)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def setup():
    for name, port in zip(NAMES, [PRIMARY_PORT] + REPLICA_PORTS):
        c = direct(port)
        cur = c.cursor()
        cur.execute("SET SESSION sql_log_bin = 0")
        cur.execute("CREATE TABLE IF NOT EXISTS demo.whoami (name VARCHAR(20))")
        cur.execute("DELETE FROM demo.whoami")
        cur.execute("INSERT INTO demo.whoami VALUES (%s)", (name,))
        c.close()
    c = direct(PRIMARY_PORT)
    c.cursor().execute("CREATE TABLE IF NOT EXISTS demo.rt_where (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20))")
    c.close()


def written_on_primary(marker_count_before):
    c = direct(PRIMARY_PORT)
    cur = c.cursor()
    cur.execute("SELECT name FROM demo.rt_where ORDER BY id")
    names = [r[0] for r in cur.fetchall()][marker_count_before:]
    c.close()
    return names


def stmt_execute_names(raw, stmt_id, times):
    """Executes a one-column prepared SELECT; returns the first value of each result."""
    out = []
    for _ in range(times):
        raw.command(0x17, struct.pack("<IBI", stmt_id, 0, 1))
        p = raw.read_packet()
        if mysqlraw.is_err(p):
            raise mysqlraw.ServerError(mysqlraw.Err(p))
        ncols, _ = mysqlraw.lenenc_int(p, 0)
        for _ in range(ncols):
            raw.read_packet()
        raw.read_packet()  # EOF after the column definitions
        value = None
        while True:
            p = raw.read_packet()
            if mysqlraw.is_eof(p):
                break
            # binary row: 0x00, NULL bitmap ((ncols + 9) // 8 bytes), then a lenenc string
            pos = 1 + (ncols + 9) // 8
            n, pos = mysqlraw.lenenc_int(p, pos)
            value = p[pos:pos + n].decode()
        out.append(value)
    return out


def main():
    setup()
    proc, port, cfg = start_causeway()
    try:
        run(port)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    failed = results.count(False)
    print("routing: %d passed, %d failed" % (len(results) - failed, failed))
    return 1 if failed else 0


def run(port):
    c = app(port)
    cur = c.cursor()
    # The monitor's first snapshot may still be on its way: replicas serve reads once it is.
    wait_until(lambda: one(cur, "SELECT name FROM whoami") in REPLICAS)

    seen = [one(cur, "SELECT name FROM whoami") for _ in range(40)]
    check("autocommit reads spread over every replica and never the primary", set(seen) == REPLICAS, str(sorted(set(seen))))

    before = len(written_on_primary(0))
    cur.execute("INSERT INTO rt_where (name) SELECT name FROM whoami")
    check("a write runs on the primary", written_on_primary(before) == ["primary"], str(written_on_primary(before)))

    cur.execute("BEGIN")
    inside = [one(cur, "SELECT name FROM whoami") for _ in range(3)]
    cur.execute("COMMIT")
    check("reads inside a transaction run on the primary", inside == ["primary"] * 3, str(inside))
    check("after COMMIT reads go back to replicas", one(cur, "SELECT name FROM whoami") in REPLICAS)

    cur.execute("START TRANSACTION READ ONLY")
    ro = [one(cur, "SELECT name FROM whoami") for _ in range(5)]
    cur.execute("COMMIT")
    check("START TRANSACTION READ ONLY runs whole on one replica", len(set(ro)) == 1 and ro[0] in REPLICAS, str(ro))

    check("a route=primary hint sends a read to the primary",
          one(cur, "/* causeway: route=primary */ SELECT name FROM whoami") == "primary")
    check("SELECT ... FOR UPDATE runs on the primary", one(cur, "SELECT name FROM whoami FOR UPDATE") == "primary")

    cur.execute("SET time_zone = '+03:00'")
    offsets = set()
    names = set()
    for _ in range(10):
        cur.execute("SELECT name, TIMEDIFF(NOW(), UTC_TIMESTAMP()) FROM whoami")
        n, off = cur.fetchone()
        names.add(n)
        offsets.add(str(off))
    check("SET time_zone is replayed on the replicas that serve later reads",
          offsets == {"3:00:00"} and names <= REPLICAS, "%s on %s" % (offsets, sorted(names)))

    cur.execute("USE sbtest")
    cur.execute("SELECT name, DATABASE() FROM demo.whoami")
    n, db = cur.fetchone()
    check("USE follows the session to the replica", n in REPLICAS and db == "sbtest", "%s %s" % (n, db))
    cur.execute("USE demo")

    c2 = app(port)
    cur2 = c2.cursor()
    cur2.execute("SET @x = 42")
    check("a user variable keeps its value", one(cur2, "SELECT @x") == 42)
    check("a user variable pins the session to the primary", one(cur2, "SELECT name FROM whoami") == "primary")
    c2.close()

    c3 = app(port)
    cur3 = c3.cursor()
    cur3.execute("CREATE TEMPORARY TABLE tt (id INT)")
    cur3.execute("INSERT INTO tt VALUES (7)")
    check("a temporary table is readable after its creation", one(cur3, "SELECT id FROM tt") == 7)
    c3.close()

    c4 = app(port)
    cur4 = c4.cursor()
    check("GET_LOCK succeeds", one(cur4, "SELECT GET_LOCK('causeway_rt', 5)") == 1)
    check("GET_LOCK pins the session to the primary", one(cur4, "SELECT name FROM whoami") == "primary")
    check("RELEASE_LOCK runs where the lock is", one(cur4, "SELECT RELEASE_LOCK('causeway_rt')") == 1)
    c4.close()

    raw = mysqlraw.connect(HOST, port, APP[0], APP[1], db="demo")
    stmt_id, _, _ = raw.prepare("SELECT name FROM whoami")
    ps_names = stmt_execute_names(raw, stmt_id, 12)
    check("a prepared read executes on replicas, prepared lazily on each", set(ps_names) == REPLICAS, str(sorted(set(ps_names))))
    wid, _, _ = raw.prepare("INSERT INTO rt_where (name) SELECT name FROM whoami")
    before = len(written_on_primary(0))
    for _ in range(2):
        raw.command(0x17, struct.pack("<IBI", wid, 0, 1))
        p = raw.read_packet()
        if mysqlraw.is_err(p):
            raise mysqlraw.ServerError(mysqlraw.Err(p))
    check("a prepared write executes on the primary", written_on_primary(before) == ["primary", "primary"],
          str(written_on_primary(before)))
    raw.close()

    # A broken replica leaves rotation and its readers see no errors.
    broken = "replica1"
    admin = direct(REPLICA_PORTS[0])
    admin.cursor().execute("STOP SLAVE SQL_THREAD")
    errors = []

    def only_healthy():
        try:
            got = {one(cur, "SELECT name FROM whoami") for _ in range(8)}
        except pymysql.MySQLError as e:
            errors.append(str(e))
            return False
        return broken not in got

    check("a replica whose SQL thread stops leaves rotation", wait_until(only_healthy))
    check("reads see no errors while it leaves", not errors, "; ".join(errors))
    admin.cursor().execute("START SLAVE SQL_THREAD")

    def back():
        return broken in {one(cur, "SELECT name FROM whoami") for _ in range(8)}

    check("it returns when replication runs again", wait_until(back))
    admin.close()
    c.close()


if __name__ == "__main__":
    sys.exit(main())

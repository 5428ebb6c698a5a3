#!/usr/bin/python3
"""Consistency levels through causeway, against the suite's real sandbox.

Every server has a local, unreplicated table demo.whoami holding its own name, so
`SELECT name FROM whoami` says which server ran a read. Replicas are made to lag with
MASTER_DELAY, a stopped SQL thread and CPU load; the staleness checker (tests/staleness,
libmariadb) counts reads that missed the session's own write. The bar for
read_your_writes, monotonic and strong is zero.
"""
import os
import contextlib
import json
import re
import subprocess
import sys
import threading
import urllib.request

import pymysql
import pymysql.constants

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
import mysqlraw  # noqa: E402
from cwproc import Causeway, wait_until  # noqa: E402

from topology import (APP, HOST, NAMES, PRIMARY_PORT, REPLICA_PORTS, REPLICAS, Tally, app,  # noqa: E402
                      create_whoami, direct, one)

CHECKER = os.environ["CW_STALENESS_BIN"]
SPLIT = "routing:\n  read_write_split: true\n"

tally = Tally("consistency")
check = tally.check


def set_delay(port, seconds):
    """MASTER_DELAY counts from the primary's commit timestamp in whole seconds: a delay of
    N holds a transaction back between N-1 and N seconds."""
    c = direct(port)
    cur = c.cursor()
    cur.execute("STOP SLAVE")
    cur.execute("CHANGE MASTER TO MASTER_DELAY = %d" % seconds)
    cur.execute("START SLAVE")
    c.close()


@contextlib.contextmanager
def delayed(ports, seconds):
    """Replicas on `ports` lag by MASTER_DELAY for the block; in sync again after it."""
    for p in ports:
        set_delay(p, seconds)
    try:
        yield
    finally:
        for p in ports:
            set_delay(p, 0)
        in_sync()


def in_sync():
    subprocess.run([os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy", "sandbox.sh"),
                    "sync", "--dir", os.environ["CW_SANDBOX_DIR"], "--timeout", "60"], check=True,
                   stdout=subprocess.DEVNULL)


def checker(port, *args):
    """Runs the staleness checker; returns (exit status, summary fields)."""
    cmd = [CHECKER, "--host", HOST, "--port", str(port), "--user", APP[0], "--password", APP[1],
           "--database", "demo", "--timeout", "10"] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    line = next((l for l in p.stdout.splitlines() if l.startswith("staleness:")), "")
    fields = dict(re.findall(r"(\w+)=(\S+)", line))
    if p.returncode not in (0, 1):
        print(p.stdout + p.stderr, flush=True)
    return p.returncode, fields


def stale_free(name, port, *args):
    rc, f = checker(port, *args)
    check(name, rc == 0 and f.get("stale") == "0" and f.get("errors") == "0" and int(f.get("reads", "0")) > 0,
          "exit %d, stale=%s errors=%s reads=%s" % (rc, f.get("stale"), f.get("errors"), f.get("reads")))


def setup():
    create_whoami()
    c = direct(PRIMARY_PORT)
    c.cursor().execute("CREATE TABLE IF NOT EXISTS demo.ct_rows (id INT AUTO_INCREMENT PRIMARY KEY, v INT)")
    c.close()
    rc, f = checker(PRIMARY_PORT, "--setup", "--sessions", "1", "--iterations", "1")
    if rc != 0:
        raise SystemExit("staleness checker setup failed: %s" % f)
    in_sync()


def basics(port):
    c = app(port)
    cur = c.cursor()
    wait_until(lambda: one(cur, "SELECT name FROM whoami") in REPLICAS)
    cur.execute("INSERT INTO ct_rows (v) VALUES (1)")
    check("a client without session tracking gets OK packets without session state",
          not (c.server_status & 0x4000), "status %#x" % c.server_status)
    check("a read after a write goes to a replica that has the write",
          one(cur, "SELECT name FROM whoami") in REPLICAS)
    # A client with CLIENT_SESSION_TRACK gets the commit GTIDs causeway tracks for itself
    # only if it asked for them: Connector/J 2 reads only the first entry of the block.
    raw = mysqlraw.connect(HOST, port, APP[0], APP[1], db="demo", caps=1 << 23)
    ok = raw.query("INSERT INTO ct_rows (v) VALUES (1003)")
    check("a tracking client's OK after a commit has no last_gtid it did not ask for", b"last_gtid" not in ok,
          repr(ok))
    ok = raw.query("SET session_track_system_variables = 'autocommit,last_gtid'")
    ok = raw.query("INSERT INTO ct_rows (v) VALUES (1004)")
    check("and has it once it asks", b"last_gtid" in ok, repr(ok))
    raw.close()
    check("and sees the row", one(cur, "SELECT COUNT(*) FROM ct_rows WHERE v = 1") >= 1)

    try:
        cur.execute("/* causeway: min_gtid=not-a-gtid */ SELECT 1")
        check("a malformed min_gtid token is refused", False, "no error")
    except pymysql.MySQLError as e:
        check("a malformed min_gtid token is refused", e.args[0] == 1210 and "min_gtid" in e.args[1], str(e.args))
    try:
        cur.execute("SET causeway_consistency = 'sometimes'")
        check("SET causeway_consistency rejects an unknown level", False, "no error")
    except pymysql.MySQLError as e:
        check("SET causeway_consistency rejects an unknown level", e.args[0] == 1231, str(e.args))
    check("the session goes on after those errors", one(cur, "SELECT 1") == 1)
    c.close()


def waits_for_a_lagging_replica(port):
    """Both replicas 1-2 s behind: a read after a write waits (wait 3 s) and is served by a
    replica the moment one has the write."""
    with delayed(REPLICA_PORTS, 2):
        c = app(port)
        cur = c.cursor()
        cur.execute("INSERT INTO ct_rows (v) VALUES (2)")
        cur.execute("SELECT name, (SELECT COUNT(*) FROM ct_rows WHERE v = 2) FROM whoami")
        name, count = cur.fetchone()
        check("a read waits for a lagging replica to apply the session's write", name in REPLICAS and count >= 1,
              "%s saw %s rows" % (name, count))

        # Several statements in one command each answer with their own OK: the commit GTID
        # of a write in the middle counts too (a client with CLIENT_SESSION_TRACK, as
        # libmariadb and mysql2 are, gets the OKs as they are).
        multi = app(port, client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS | (1 << 23))
        mcur = multi.cursor()
        mcur.execute("SELECT 1; INSERT INTO ct_rows (v) VALUES (77); SELECT 2")
        while mcur.nextset():
            pass
        mcur.execute("SELECT name, (SELECT COUNT(*) FROM ct_rows WHERE v = 77) FROM whoami")
        name, count = mcur.fetchone()
        check("a write inside a multi-statement is seen by the session's next read", count == 1,
              "%s saw %s rows" % (name, count))
        multi.close()

        # The same in one multi-statement: the INSERT's OK no longer carries its commit GTID,
        # so causeway asks the connection for it afterwards. (The session itself is pinned to
        # the primary by the unrecorded SET; another session's read shows the difference.)
        for flags in (1 << 23, 0):
            v = 70 + flags % 5
            both = app(port, client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS | flags)
            bcur = both.cursor()
            bcur.execute("SET session_track_system_variables = 'autocommit'; INSERT INTO ct_rows (v) VALUES (%d)" % v)
            while bcur.nextset():
                pass
            reader = app(port)
            rcur = reader.cursor()
            rcur.execute("SELECT name, (SELECT COUNT(*) FROM ct_rows WHERE v = %d) FROM whoami" % v)
            name, count = rcur.fetchone()
            check("a write behind a SET of session tracking in one multi-statement is read by the next session "
                  "(%s)" % ("session tracking" if flags else "no session tracking"), count == 1,
                  "%s saw %s rows" % (name, count))
            reader.close()
            both.close()

        # One that commits nothing is not followed by causeway's question: the client's
        # next FOUND_ROWS() still describes its own SELECT (the SET pins it to the primary).
        for flags in (1 << 23, 0):
            quiet = app(port, client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS | flags)
            qcur = quiet.cursor()
            qcur.execute("SET session_track_system_variables = 'autocommit'; SELECT v FROM ct_rows LIMIT 2")
            while qcur.nextset():
                pass
            found = one(qcur, "SELECT FOUND_ROWS()")
            check("FOUND_ROWS() after a multi-statement that sets session tracking and only reads is the "
                  "client's (%s)" % ("session tracking" if flags else "no session tracking"), found == 2,
                  "FOUND_ROWS() = %s" % found)
            quiet.close()

        # A client that sets session_track_system_variables itself (Connector/J 2 with
        # rewriteBatchedStatements) replaces what causeway tracks: it must ask again.
        for flags in (1 << 23, 0):
            tracking = app(port, client_flag=flags)
            tcur = tracking.cursor()
            tcur.execute("SET session_track_system_variables = 'auto_increment_increment'")
            tcur.execute("INSERT INTO ct_rows (v) VALUES (%d)" % (78 + flags % 7))
            tcur.execute("SELECT name, (SELECT COUNT(*) FROM ct_rows WHERE v = %d) FROM whoami" % (78 + flags % 7))
            name, count = tcur.fetchone()
            check("a session that sets session_track_system_variables itself still reads its writes (%s)"
                  % ("session tracking" if flags else "no session tracking"), count == 1,
                  "%s saw %s rows" % (name, count))
            tcur.execute("SET session_track_system_variables = ''")
            tcur.execute("INSERT INTO ct_rows (v) VALUES (%d)" % (88 + flags % 7))
            tcur.execute("SELECT name, (SELECT COUNT(*) FROM ct_rows WHERE v = %d) FROM whoami" % (88 + flags % 7))
            name, count = tcur.fetchone()
            check("and after setting it empty (%s)" % ("session tracking" if flags else "no session tracking"),
                  count == 1, "%s saw %s rows" % (name, count))
            tracking.close()

        other = app(port)
        ocur = other.cursor()
        cur.execute("INSERT INTO ct_rows (v) VALUES (21)")
        ocur.execute("SELECT name, (SELECT COUNT(*) FROM ct_rows WHERE v = 21) FROM whoami")
        name, count = ocur.fetchone()
        check("another connection's read sees a row committed just before (scope: global)", count == 1,
              "%s saw %s rows" % (name, count))
        other.close()

        cur.execute("SET causeway_consistency = 'eventual'")
        cur.execute("INSERT INTO ct_rows (v) VALUES (3)")
        cur.execute("SELECT name, (SELECT COUNT(*) FROM ct_rows WHERE v = 3) FROM whoami")
        name, count = cur.fetchone()
        check("SET causeway_consistency = eventual reads a replica without waiting", name in REPLICAS and count == 0,
              "%s saw %s rows" % (name, count))
        cur.execute("SET causeway_consistency = DEFAULT")
        cur.execute("INSERT INTO ct_rows (v) VALUES (4)")
        check("SET causeway_consistency = DEFAULT restores read_your_writes",
              one(cur, "SELECT COUNT(*) FROM ct_rows WHERE v = 4") == 1)
        c.close()

        rc, f = checker(port, "--sessions", "4", "--iterations", "3", "--hint", "/* causeway: consistency=eventual */",
                        "--allow-stale")
        check("eventual reads from lagging replicas are stale (the checker sees it)",
              rc == 0 and int(f.get("stale", "0")) > 0, str(f))
        stale_free("read_your_writes with both replicas 1-2 s behind: no stale read", port,
                   "--sessions", "4", "--iterations", "3")


def under_lag(port):
    # One replica delayed: reads need the other one or wait.
    with delayed(REPLICA_PORTS[:1], 2):
        stale_free("read_your_writes, one replica behind", port, "--sessions", "8", "--iterations", "40",
                   "--mode", "mixed")
        stale_free("monotonic, one replica behind", port, "--sessions", "4", "--iterations", "40",
                   "--hint", "/* causeway: consistency=monotonic */")
        stale_free("strong, one replica behind", port, "--sessions", "4", "--iterations", "40",
                   "--hint", "/* causeway: consistency=strong */")
        stale_free("prepared statements in explicit transactions, one replica behind", port,
                   "--sessions", "4", "--iterations", "40", "--prepared", "--transactions", "--mode", "update")
        stale_free("a GTID token from the OK packet carries read-your-writes to a new connection", port,
                   "--sessions", "4", "--iterations", "30", "--reconnect-every", "1", "--min-gtid-from-ok",
                   "--hint", "/* causeway: consistency=eventual */")

    # A replica's SQL thread stops and starts under the checker's feet.
    stop = threading.Event()

    def flap():
        c = direct(REPLICA_PORTS[-1])
        cur = c.cursor()
        while not stop.is_set():
            cur.execute("STOP SLAVE SQL_THREAD")
            stop.wait(0.3)
            cur.execute("START SLAVE SQL_THREAD")
            stop.wait(0.3)
        c.close()

    t = threading.Thread(target=flap)
    t.start()
    try:
        stale_free("read_your_writes while a replica's SQL thread stops and starts", port,
                   "--sessions", "8", "--duration", "3", "--mode", "mixed")
    finally:
        stop.set()
        t.join()
        in_sync()

    # A replica busy with CPU-heavy queries applies late.
    stop.clear()

    def burn():
        c = direct(REPLICA_PORTS[0])
        cur = c.cursor()
        while not stop.is_set():
            cur.execute("SELECT BENCHMARK(2000000, MD5('causeway'))")
        c.close()

    burners = [threading.Thread(target=burn) for _ in range(3)]
    for b in burners:
        b.start()
    try:
        stale_free("read_your_writes with a replica under CPU load", port, "--sessions", "8", "--duration", "3",
                   "--mode", "mixed", "--prepared")
    finally:
        stop.set()
        for b in burners:
            b.join()


@contextlib.contextmanager
def lagging_proxy(extra, ports, seconds, **kw):
    """A causeway of its own (the suite's config + `extra`) while `ports` lag."""
    proxy = Causeway(SPLIT + extra, **kw)
    try:
        with delayed(ports, seconds):
            yield proxy
    finally:
        proxy.stop()


def session_scope():
    """scope: session: another connection's fresh commit is not required (a replica may
    serve the read without it), while the writing session still reads its own write."""
    with lagging_proxy("consistency:\n  scope: session\n  wait:\n    read_your_writes: 3s\n",
                       REPLICA_PORTS, 2) as proxy:
        writer, reader = app(proxy.port), app(proxy.port)
        wcur, rcur = writer.cursor(), reader.cursor()
        wait_until(lambda: one(rcur, "SELECT name FROM whoami") in REPLICAS)
        wcur.execute("INSERT INTO ct_rows (v) VALUES (22)")
        rcur.execute("SELECT name, (SELECT COUNT(*) FROM ct_rows WHERE v = 22) FROM whoami")
        name, count = rcur.fetchone()
        check("scope: session does not make other connections wait", name in REPLICAS and count == 0,
              "%s saw %s rows" % (name, count))
        check("scope: session still reads the session's own write",
              one(wcur, "SELECT COUNT(*) FROM ct_rows WHERE v = 22") == 1)
        writer.close()
        reader.close()


def timeout_policy():
    with lagging_proxy("consistency:\n  on_timeout: error\n  wait:\n    read_your_writes: 100ms\n",
                       REPLICA_PORTS, 2) as proxy:
        c = app(proxy.port)
        cur = c.cursor()
        cur.execute("INSERT INTO ct_rows (v) VALUES (5)")
        try:
            cur.execute("SELECT name FROM whoami")
            check("on_timeout: error refuses a read no replica could serve in time", False, str(cur.fetchall()))
        except pymysql.MySQLError as e:
            check("on_timeout: error refuses a read no replica could serve in time",
                  e.args[0] == 9001 and "read_your_writes" in e.args[1], str(e.args))
        c.close()

    with lagging_proxy("consistency:\n  wait:\n    read_your_writes: 100ms\n", REPLICA_PORTS, 2) as proxy:
        c = app(proxy.port)
        cur = c.cursor()
        cur.execute("INSERT INTO ct_rows (v) VALUES (6)")
        check("by default a read that waited in vain goes to the primary",
              one(cur, "SELECT name FROM whoami") == "primary")
        c.close()


def status(proxy, path):
    with urllib.request.urlopen("http://%s:%d%s" % (HOST, proxy.status_port, path), timeout=10) as r:
        return r.read().decode()


def fallbacks(proxy, reason):
    m = re.search(r'^causeway_consistency_fallbacks_total\{reason="%s"\} (\d+)$' % reason,
                  status(proxy, "/metrics"), re.M)
    return int(m.group(1))


def out_of_reach():
    """Replicas further behind than a read's whole wait (500 ms by default) would have to
    apply faster than the primary committed to serve it in time: a read that needs a fresh
    write goes to the primary at once instead of waiting in vain. (A replica within reach is
    still waited for: waits_for_a_lagging_replica.)"""
    proxy = Causeway(SPLIT, status=True)
    try:
        def lags(key):
            servers = json.loads(status(proxy, "/api/servers"))["servers"]
            return [s["lag"][key] for s in servers if s["name"] in REPLICAS]
        c = app(proxy.port)
        cur = c.cursor()
        cur.execute("INSERT INTO ct_rows (v) VALUES (8)")
        check("the status API shows each replica's apply delay once it applied a transaction",
              wait_until(lambda: all(d is not None and d >= 0 for d in lags("apply_delay_ms"))), str(lags("apply_delay_ms")))
        with delayed(REPLICA_PORTS, 3600):
            cur.execute("INSERT INTO ct_rows (v) VALUES (9)")
            check("the replicas fall further behind than the wait",
                  wait_until(lambda: min(d or 0 for d in lags("ms")) > 600, 10), str(lags("ms")))
            timeouts, before = fallbacks(proxy, "consistency_timeout"), fallbacks(proxy, "consistency_fallback")
            cur.execute("INSERT INTO ct_rows (v) VALUES (10)")
            check("a read no replica can serve within its wait goes to the primary",
                  one(cur, "SELECT name FROM whoami") == "primary")
            after = fallbacks(proxy, "consistency_timeout"), fallbacks(proxy, "consistency_fallback")
            check("without waiting for its deadline", after == (timeouts, before + 1),
                  "timeouts %d -> %d, fallbacks %d -> %d" % (timeouts, after[0], before, after[1]))
        c.close()
    finally:
        proxy.stop()


def max_lag():
    lagging = NAMES[1]
    with lagging_proxy("consistency:\n  default: eventual\n  max_replica_lag: 300ms\n",
                       REPLICA_PORTS[:1], 2) as proxy:
        c = app(proxy.port)
        cur = c.cursor()
        cur.execute("INSERT INTO ct_rows (v) VALUES (7)")

        def avoided():
            return all(one(cur, "SELECT name FROM whoami") != lagging for _ in range(10))
        check("max_replica_lag takes a lagging replica out of rotation", wait_until(avoided, 10))
        set_delay(REPLICA_PORTS[0], 0)
        in_sync()

        def back():
            return any(one(cur, "SELECT name FROM whoami") == lagging for _ in range(10))
        check("and lets it back once it has caught up", wait_until(back, 10))
        c.close()


def polling():
    # An account without REPLICATION SLAVE cannot stream: causeway polls instead (degraded).
    app_account = [(r"replication:\n  user: \w+\n  password: \w+\n", "replication:\n  user: %s\n  password: %s\n" % APP)]
    with lagging_proxy("", REPLICA_PORTS[:1], 1, replace=app_account) as proxy:
        check("without the privilege to stream, causeway says it polls",
              wait_until(lambda: "polling" in open(proxy.log).read(), 10))
        stale_free("read_your_writes while polling the executed sets", proxy.port,
                   "--sessions", "4", "--iterations", "30", "--mode", "mixed")


def dump_threads(port):
    """Ids of the binlog dump threads causeway holds on a server (the repl account's)."""
    c = direct(port)
    cur = c.cursor()
    cur.execute("SELECT id FROM information_schema.processlist WHERE user = 'repl' AND command LIKE 'Binlog Dump%'")
    ids = [r[0] for r in cur.fetchall()]
    c.close()
    return ids


def kill_thread(conn, tid):
    # The dump thread may have ended on its own meanwhile (RESET MASTER ends it too).
    try:
        conn.cursor().execute("KILL %d" % tid)
    except pymysql.MySQLError as e:
        if e.args[0] != 1094:  # Unknown thread id
            raise


def stream_recovery():
    """A stream that ends is reopened from where it was, also after the server's binlog
    history was reset underneath it."""
    proxy = Causeway(SPLIT)
    try:
        port = REPLICA_PORTS[-1]
        log = lambda: open(proxy.log).read()  # noqa: E731
        check("the stream to every server is up", wait_until(lambda: log().count("': streaming (") >= 3))
        before = log().count("'%s': streaming (" % NAMES[-1])
        for tid in dump_threads(port):
            kill_thread(direct(port), tid)
        check("a killed dump thread: the stream comes back",
              wait_until(lambda: log().count("'%s': streaming (" % NAMES[-1]) > before))
        stale_free("read_your_writes after the stream came back", proxy.port, "--sessions", "4", "--iterations", "20")

        # The replica forgets its binlog history (RESET MASTER) and the stream is cut again.
        c = direct(port)
        c.cursor().execute("RESET MASTER")
        for tid in dump_threads(port):
            kill_thread(c, tid)
        c.close()
        check("after RESET MASTER on the replica the stream comes back",
              wait_until(lambda: log().count("'%s': streaming (" % NAMES[-1]) > before + 1),
              "\n".join(l for l in log().splitlines() if NAMES[-1] in l)[-600:])
        stale_free("read_your_writes after the replica's binlog was reset", proxy.port, "--sessions", "4", "--iterations", "20")
    finally:
        proxy.stop()


def main():
    setup()
    proxy = Causeway(SPLIT + "consistency:\n  wait:\n    read_your_writes: 3s\n    monotonic: 3s\n    strong: 3s\n")
    try:
        basics(proxy.port)
        stale_free("read_your_writes with replicas keeping up: no stale read", proxy.port,
                   "--sessions", "8", "--iterations", "100", "--mode", "mixed")
        waits_for_a_lagging_replica(proxy.port)
        under_lag(proxy.port)
    finally:
        proxy.stop()
    session_scope()
    stream_recovery()
    timeout_policy()
    out_of_reach()
    max_lag()
    polling()
    return tally.summary()


if __name__ == "__main__":
    sys.exit(main())

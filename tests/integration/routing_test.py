#!/usr/bin/python3
"""Read/write splitting, proven by which server executed each statement.

Starts its own causeway (the suite's config with routing.read_write_split on) in front of
the suite's sandbox. Every server gets a local, unreplicated table demo.whoami holding its
own name, so `SELECT name FROM whoami` answers with the server that ran it, and
`INSERT ... SELECT name FROM whoami` records where a write ran.
"""
import os
import signal
import subprocess
import threading
import struct
import sys

import pymysql

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
import mysqlraw  # noqa: E402
from cwproc import Causeway, wait_until  # noqa: E402

from topology import (APP, HOST, NAMES, PRIMARY_PORT, REPLICA_PORTS, REPLICAS, ROOT, Tally, app,  # noqa: E402
                      create_whoami, direct, one)

tally = Tally("routing")
check = tally.check


def check_gone(name, conn):
    """The connection was closed under the client: its next statement fails as lost."""
    try:
        one(conn.cursor(), "SELECT 1")
        check(name, False, "it still answers")
    except pymysql.MySQLError as e:
        check(name, e.args[0] in (2013, 2006, 1927), str(e.args))


def setup():
    create_whoami()
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


def main():
    setup()
    rules = ("rules:\n"
             "  - name: reports_to_primary\n"
             "    match: 'reports_marker'\n"
             "    route: primary\n"
             "  - name: no_drop\n"
             "    class: ddl\n"
             "    match: '(?i)^drop'\n"
             "    reject: 'DROP is not allowed through causeway'\n")
    proxy = Causeway("routing:\n  read_write_split: true\n" + rules)
    try:
        run(proxy.port)
    finally:
        proxy.stop()
    return tally.summary()


def run(port):
    c = app(port)
    cur = c.cursor()
    # The monitor's first snapshot may still be on its way (reads go to the primary until
    # it comes), and a replica may still be catching up on the sysbench suite's writes:
    # each serves reads once it is healthy.
    wait_until(lambda: one(cur, "SELECT name FROM whoami") in REPLICAS)
    seen = set()

    def spread():
        seen.update(one(cur, "SELECT name FROM whoami") for _ in range(20))
        return REPLICAS <= seen

    check("autocommit reads spread over every replica and never the primary", wait_until(spread, 60) and
          seen == REPLICAS, str(sorted(seen)))

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
    check("a rule matching the statement text routes it to the primary",
          one(cur, "SELECT name FROM whoami WHERE 'reports_marker' <> ''") == "primary")
    try:
        cur.execute("DROP TABLE IF EXISTS demo.not_there")
        check("a reject rule refuses the statement with its message", False, "no error")
    except pymysql.MySQLError as e:
        check("a reject rule refuses the statement with its message",
              e.args[0] == 1148 and "DROP is not allowed" in e.args[1], str(e.args))
    check("the session goes on after a rejected statement", one(cur, "SELECT 1") == 1)

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
    # Reads wait for replicas to apply this test's writes (read_your_writes): once both have,
    # executions spread over them.
    ps_names = set()

    def spread():
        ps_names.update(raw.execute_first_column(stmt_id)[0] for _ in range(12))
        return ps_names >= REPLICAS
    wait_until(spread)
    check("a prepared read executes on replicas, prepared lazily on each", ps_names == REPLICAS, str(sorted(ps_names)))
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

    # Drivers cancel with KILL QUERY <the greeting's id>: that id is causeway's; causeway
    # kills the statement the named session runs on whatever server it runs.
    target = app(port)
    tid = target.thread_id()
    check("the greeting's connection id is causeway's own range", tid >= 2 ** 31, str(tid))
    outcome = {}

    def sleeper():
        try:
            outcome["result"] = one(target.cursor(), "SELECT SLEEP(300)")
        except pymysql.MySQLError as e:
            outcome["error"] = e.args[0]

    t = threading.Thread(target=sleeper)
    t.start()

    def sleeping_somewhere():
        for p in [PRIMARY_PORT] + REPLICA_PORTS:
            d = direct(p)
            n = one(d.cursor(), "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO = 'SELECT SLEEP(300)'")
            d.close()
            if n:
                return True
        return False

    check("the sleeping statement is running on a server", wait_until(sleeping_somewhere))
    cur.execute("KILL QUERY %d" % tid)
    t.join(60)  # a bound, not a measurement: without the KILL it would sleep 300 s
    check("KILL QUERY with the greeting's id interrupts the statement",
          not t.is_alive() and (outcome.get("result") == 1 or outcome.get("error") == 1317), str(outcome))
    check("the session it named keeps working", one(target.cursor(), "SELECT 7") == 7)
    try:
        cur.execute("KILL QUERY %d" % (2 ** 31 + 999999))
        check("KILL of an unknown causeway id gets 1094", False, "no error")
    except pymysql.MySQLError as e:
        check("KILL of an unknown causeway id gets 1094", e.args[0] == 1094, str(e.args))
    root = pymysql.connect(host=HOST, port=port, user=ROOT[0], password=ROOT[1], autocommit=True)
    try:
        root.cursor().execute("KILL %d" % tid)
        check("another user may not kill the session", False, "no error")
    except pymysql.MySQLError as e:
        check("another user may not kill the session", e.args[0] == 1095, str(e.args))
    root.close()
    cur.execute("KILL CONNECTION %d" % tid)
    check_gone("KILL CONNECTION closes the named session", target)
    check("the killing session goes on", one(cur, "SELECT 9") == 9)
    # Connector/J 2 keeps the id in a signed int and sends it negative.
    target = app(port)
    cur.execute("KILL CONNECTION %d" % (target.thread_id() - 2 ** 32))
    check_gone("KILL with the id as a negative 32-bit number closes the named session", target)

    # COM_PROCESS_KILL (pymysql's kill(), libmariadb's mysql_kill) naming a server thread id
    # from SHOW PROCESSLIST is forwarded to the primary, like the text KILL.
    victim = pymysql.connect(host=HOST, port=PRIMARY_PORT, user=APP[0], password=APP[1], autocommit=True)
    victim_id = one(victim.cursor(), "SELECT CONNECTION_ID()")
    try:
        cur.connection.kill(victim_id)
        check("COM_PROCESS_KILL with a server thread id is forwarded", True)
    except pymysql.MySQLError as e:
        check("COM_PROCESS_KILL with a server thread id is forwarded", False, str(e.args))
    check_gone("and kills that server connection", victim)
    check("the session that sent it goes on", one(cur, "SELECT 11") == 11)

    # A KILL of a causeway id sent as a prepared statement (DBD::mysql with server-side
    # prepare): causeway prepares and runs it itself.
    target = app(port)
    tid = target.thread_id()
    raw = mysqlraw.connect(HOST, port, APP[0], APP[1], db="demo")
    sid, ncols, nparams = raw.prepare("KILL CONNECTION %d" % tid)
    check("KILL of a causeway id prepares (no parameters, no columns)", (ncols, nparams) == (0, 0))
    raw.command(mysqlraw.COM_STMT_EXECUTE, struct.pack("<IBI", sid, 0, 1))
    check("and its execute kills the session", mysqlraw.is_ok(raw.read_packet()))
    check_gone("the prepared KILL closed the named session", target)
    sid, _, _ = raw.prepare("KILL QUERY %d" % (2 ** 31 + 999998))
    raw.command(mysqlraw.COM_STMT_EXECUTE, struct.pack("<IBI", sid, 0, 1))
    p = raw.read_packet()
    check("a prepared KILL of an unknown causeway id gets 1094",
          mysqlraw.is_err(p) and mysqlraw.Err(p).code == 1094, repr(p[:40]))
    check("the session goes on", raw.query("SELECT 13") == [(b"13",)])
    raw.close()

    # A KILL of a causeway id first in a multi-statement (mysql2's pool tests send
    # "KILL ?; SELECT ..."): carried out by causeway, and the rest answer after it in order.
    target = app(port)
    tid = target.thread_id()
    multi = pymysql.connect(host=HOST, port=port, user=APP[0], password=APP[1], database="demo", autocommit=True,
                            client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS)
    mc = multi.cursor()
    mc.execute("KILL %d; SELECT 21; SELECT 22" % tid)
    results = [mc.fetchall()]
    while mc.nextset():
        results.append(mc.fetchall())
    check("KILL first in a multi-statement: the statements after it answer in order",
          results == [(), ((21,),), ((22,),)], str(results))
    check_gone("and the session it named is closed", target)
    try:
        mc.execute("KILL QUERY %d; SELECT 23" % (2 ** 31 + 999997))
        check("a failed KILL first in a multi-statement gets 1094", False, "no error")
    except pymysql.MySQLError as e:
        check("a failed KILL first in a multi-statement gets 1094", e.args[0] == 1094, str(e.args))
    check("and the session goes on", one(mc, "SELECT 24") == 24)
    multi.close()
    # Without multi-statements a server refuses the whole text, and kills nothing.
    target = app(port)
    try:
        cur.execute("KILL %d; SELECT 25" % target.thread_id())
        check("KILL; SELECT without multi-statements is a syntax error", False, "no error")
    except pymysql.MySQLError as e:
        check("KILL; SELECT without multi-statements is a syntax error", e.args[0] == 1064, str(e.args))
    check("and kills nothing", one(target.cursor(), "SELECT 26") == 26)
    target.close()

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

    # COM_CHANGE_USER ends the old session before it answers, but only where it can hold
    # locks, temporary tables or a transaction: a replica connection the session keeps (for
    # a SHOW WARNINGS after a read with a warning) is closed, not waited for.
    sandbox = os.environ["CW_SANDBOX_DIR"]
    raw = mysqlraw.connect(HOST, port, APP[0], APP[1], "demo")
    rows = raw.query("SELECT name, CAST('1x' AS SIGNED) FROM whoami")
    held = rows[0][0].decode()
    check("a read with a warning ran on a replica", held in REPLICAS, held)
    held_pid = int(open(os.path.join(sandbox, held, "mariadbd.pid")).read())
    assert b"mariadbd" in open("/proc/%d/cmdline" % held_pid, "rb").read()
    os.kill(held_pid, signal.SIGSTOP)
    try:
        raw.settimeout(15)
        try:
            changed = mysqlraw.is_ok(raw.change_user(APP[0], APP[1], "demo"))
        except (OSError, mysqlraw.ServerError) as e:
            changed = repr(e)
        check("COM_CHANGE_USER answers while that replica is stopped (SIGSTOP)", changed is True, str(changed))
    finally:
        os.kill(held_pid, signal.SIGCONT)
    raw.close()

    # A replica process that dies: the next reads succeed (a read whose replica fails
    # before answering moves to the primary) and the replica leaves rotation.
    pid = int(open(os.path.join(sandbox, "replica2", "mariadbd.pid")).read())
    assert b"mariadbd" in open("/proc/%d/cmdline" % pid, "rb").read()
    os.kill(pid, signal.SIGKILL)
    errors.clear()
    after_kill = []
    for _ in range(20):
        try:
            after_kill.append(one(cur, "SELECT name FROM whoami"))
        except pymysql.MySQLError as e:
            errors.append(str(e))
    check("reads right after a replica is killed see no errors", not errors, "; ".join(errors[:3]))
    check("they are served by the servers still up", set(after_kill) <= {"primary", "replica1"}, str(sorted(set(after_kill))))
    check("the killed replica leaves rotation", wait_until(lambda: {one(cur, "SELECT name FROM whoami") for _ in range(8)} == {"replica1"}))
    here = os.path.dirname(os.path.abspath(__file__))
    restarted = subprocess.run([os.path.join(here, "..", "..", "deploy", "sandbox.sh"), "up", "--dir", sandbox],
                               stdout=subprocess.DEVNULL).returncode == 0
    check("the sandbox restarts the replica", restarted)
    check("the restarted replica returns to rotation",
          wait_until(lambda: "replica2" in {one(cur, "SELECT name FROM whoami") for _ in range(8)}, 60))
    c.close()


if __name__ == "__main__":
    sys.exit(main())

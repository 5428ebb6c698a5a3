#!/usr/bin/python3
"""Pooling and multiplexing: many client connections over few backend connections.

Starts its own causeway with pool.max_connections_per_server = 50, opens 2,000 client
connections that each run statements, and counts on the primary itself (processlist) how
many backend connections causeway opened for them.
"""
import os
import re
import resource
import sys
import threading
import urllib.request

import pymysql

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
import mysqlraw  # noqa: E402
from cwproc import HOST, Causeway, wait_until  # noqa: E402

PRIMARY_PORT = int(os.environ["CW_PRIMARY_PORT"])
ROOT = (os.environ.get("CW_ROOT_USER", "root"), os.environ.get("CW_ROOT_PASSWORD", "root"))
# A user of its own, so the primary's processlist shows exactly this causeway's connections.
APP = ("pooltest", "pooltest")
CLIENTS = 2000
LIMIT = 50

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print("%s %s%s" % ("PASS" if ok else "FAIL", name, (" (%s)" % detail) if detail else ""), flush=True)


def backend_connections(user=APP[0]):
    """Connections of a user on the primary, as the server sees them."""
    c = pymysql.connect(host=HOST, port=PRIMARY_PORT, user=ROOT[0], password=ROOT[1])
    cur = c.cursor()
    cur.execute("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = %s", (user,))
    n = cur.fetchone()[0]
    c.close()
    return n


def create_user(user):
    c = pymysql.connect(host=HOST, port=PRIMARY_PORT, user=ROOT[0], password=ROOT[1], autocommit=True)
    cur = c.cursor()
    cur.execute("CREATE USER IF NOT EXISTS %s IDENTIFIED BY %s", user)
    cur.execute("GRANT ALL ON demo.* TO %s", (user[0],))
    c.close()



def warm_up():
    """pool.min_idle keeps connections ready once a user has been seen."""
    user = ("warmtest", "warmtest")
    create_user(user)
    proxy = Causeway("pool:\n  min_idle: 3\nworkers: 1\n", users=[user])
    try:
        check("no connections are opened before a user is seen", backend_connections(user[0]) == 0)
        c = pymysql.connect(host=HOST, port=proxy.port, user=user[0], password=user[1], database="demo")
        c.cursor().execute("SELECT 1")
        check("after the first session, 3 idle connections are kept ready",
              wait_until(lambda: backend_connections(user[0]) >= 3), "%d" % backend_connections(user[0]))
        for _ in range(5):
            extra = pymysql.connect(host=HOST, port=proxy.port, user=user[0], password=user[1], database="demo")
            extra.cursor().execute("SELECT 1")
            extra.close()
        n = backend_connections(user[0])
        check("later sessions use the ready connections instead of opening more", n <= 4, "%d" % n)
        c.close()
    finally:
        proxy.stop()


def connection_scoped_results():
    """What a statement leaves on its connection (warnings, the insert id, FOUND_ROWS, SET
    TRANSACTION for the next transaction) must be asked of that connection, even when
    another session grabs any released connection in between. One worker, so both sessions
    share one pool; the other session holds what it takes in an open transaction."""
    user = ("stickytest", "stickytest")
    create_user(user)
    admin = pymysql.connect(host=HOST, port=PRIMARY_PORT, user=ROOT[0], password=ROOT[1], autocommit=True)
    admin.cursor().execute("GRANT PROCESS ON *.* TO %s", (user[0],))  # for INNODB_TRX
    admin.cursor().execute("CREATE TABLE IF NOT EXISTS demo.sticky (id INT AUTO_INCREMENT PRIMARY KEY, v INT)")
    # More rows than any other statement here returns, so FOUND_ROWS() cannot match by chance.
    admin.cursor().execute("INSERT INTO demo.sticky (v) VALUES (10), (11), (12), (13), (14)")
    admin.close()
    proxy = Causeway("workers: 1\n", users=[user])

    def session():
        return pymysql.connect(host=HOST, port=proxy.port, user=user[0], password=user[1], database="demo",
                               autocommit=True)

    def grab(other):
        """The other session takes whatever idle connection there is and keeps it."""
        cur = other.cursor()
        cur.execute("BEGIN")
        cur.execute("SELECT 1")
        cur.fetchall()

    try:
        a, b = session(), session()
        cur = a.cursor()
        cur.execute("INSERT INTO sticky (v) VALUES (1)")
        inserted = cur.lastrowid
        grab(b)
        cur.execute("SELECT LAST_INSERT_ID()")
        got = cur.fetchone()[0]
        check("SELECT LAST_INSERT_ID() answers from the connection that inserted", got == inserted,
              "%s vs %s" % (got, inserted))
        b.rollback()

        cur.execute("SELECT CAST('12abc' AS INTEGER)")
        cur.fetchall()
        grab(b)
        cur.execute("SHOW WARNINGS")
        warnings = cur.fetchall()
        check("SHOW WARNINGS shows the previous statement's warnings", len(warnings) >= 1, str(warnings))
        b.rollback()

        cur.execute("SELECT SQL_CALC_FOUND_ROWS id FROM sticky LIMIT 0")
        cur.fetchall()
        cur.execute("SELECT COUNT(*) FROM sticky")
        total = cur.fetchone()[0]
        cur.execute("SELECT SQL_CALC_FOUND_ROWS id FROM sticky LIMIT 0")
        cur.fetchall()
        grab(b)
        cur.execute("SELECT FOUND_ROWS()")
        found = cur.fetchone()[0]
        check("SELECT FOUND_ROWS() answers for the previous SQL_CALC_FOUND_ROWS", found == total,
              "%s vs %s" % (found, total))
        b.rollback()

        cur.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
        grab(b)
        cur.execute("START TRANSACTION")
        cur.execute("SELECT COUNT(*) FROM sticky")
        cur.fetchall()
        cur.execute("SELECT trx_isolation_level FROM information_schema.INNODB_TRX "
                    "WHERE trx_mysql_thread_id = CONNECTION_ID()")
        level = cur.fetchone()
        check("SET TRANSACTION applies to the transaction that follows it", level == ("SERIALIZABLE",), str(level))
        cur.execute("COMMIT")
        b.rollback()
        a.close()
        b.close()
    finally:
        proxy.stop()


def server_max_connections():
    """The primary's own max_connections below what the clients run at once: statements wait
    for a connection to come back, as at causeway's own limit, instead of failing with the
    server's 1040."""
    user = ("maxconn", "maxconn")
    create_user(user)
    proxy = Causeway("workers: 1\n", users=[user], status=True)
    admin = pymysql.connect(host=HOST, port=PRIMARY_PORT, user=ROOT[0], password=ROOT[1], autocommit=True)
    acur = admin.cursor()
    acur.execute("SELECT @@global.max_connections")
    saved = acur.fetchone()[0]
    clients = [pymysql.connect(host=HOST, port=proxy.port, user=user[0], password=user[1], database="demo",
                               autocommit=True) for _ in range(16)]
    errors = []

    def refused():
        with urllib.request.urlopen("http://%s:%d/metrics" % (HOST, proxy.status_port), timeout=10) as r:
            text = r.read().decode()
        return int(re.search(r'^causeway_errors_total\{kind="backend_refused"\} (\d+)$', text, re.M).group(1))

    def run(c):
        try:
            cur = c.cursor()
            for _ in range(5):
                cur.execute("/* causeway: route=primary */ SELECT SLEEP(0.05)")
                cur.fetchall()
        except pymysql.MySQLError as e:
            errors.append(str(e.args))

    try:
        clients[0].cursor().execute("SELECT 1")
        # The connections of the causeways stopped before (the server counts them until it
        # has handled their close) are gone first.
        wait_until(lambda: all(backend_connections(u) == 0 for u in (APP[0], "warmtest", "stickytest")), 30)
        acur.execute("SHOW GLOBAL STATUS LIKE 'Threads_connected'")
        # Room for 3 more connections than the server has now.
        acur.execute("SET GLOBAL max_connections = %d" % (int(acur.fetchone()[1]) + 3))
        threads = [threading.Thread(target=run, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        refusals = refused()
    finally:
        acur.execute("SET GLOBAL max_connections = %d" % saved)
        admin.close()
        for c in clients:
            c.close()
        proxy.stop()
    check("the server refused connections to 16 clients' statements", refusals > 0, "%d refusals" % refusals)
    check("every statement waited for a connection instead of failing", not errors, "; ".join(errors[:3]))


def main():
    create_user(APP)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, CLIENTS + 500)), hard))
    proxy = Causeway("pool:\n  max_connections_per_server: %d\nworkers: 2\n" % LIMIT, users=[APP])
    clients = []
    try:
        for _ in range(CLIENTS):
            clients.append(pymysql.connect(host=HOST, port=proxy.port, user=APP[0], password=APP[1],
                                           database="demo", autocommit=True))
        check("%d clients connect" % CLIENTS, len(clients) == CLIENTS)

        wrong = []
        for i, c in enumerate(clients):
            cur = c.cursor()
            cur.execute("SELECT %s + 1", (i,))
            if cur.fetchone()[0] != i + 1:
                wrong.append(i)
        check("every client's statement gets its own answer", not wrong, "wrong: %s" % wrong[:5])
        n = backend_connections()
        check("the primary sees at most %d backend connections" % LIMIT, 0 < n <= LIMIT, "%d" % n)

        # All clients at once, in 50 threads: each statement waits for a free connection.
        errors = []

        def worker(part):
            try:
                for c in part:
                    cur = c.cursor()
                    cur.execute("SELECT COUNT(*) FROM information_schema.COLLATIONS")
                    cur.fetchall()
            except pymysql.MySQLError as e:
                errors.append(str(e))

        threads = [threading.Thread(target=worker, args=(clients[i::50],)) for i in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        check("statements from 50 threads over %d clients all succeed" % CLIENTS, not errors, "; ".join(errors[:3]))
        n = backend_connections()
        check("still at most %d backend connections after the concurrent round" % LIMIT, 0 < n <= LIMIT, "%d" % n)

        # Prepared statements as the first thing a session does (sysbench does this): the
        # sessions stay multiplexed and the statements work on whatever connection runs them.
        raws = []
        for _ in range(200):
            raw = mysqlraw.connect(HOST, proxy.port, APP[0], APP[1], db="demo")
            raws.append((raw, raw.prepare("SELECT 'pooled'")[0]))
        n = backend_connections()
        check("200 sessions that prepared statements hold at most %d backend connections" % LIMIT, n <= LIMIT, "%d" % n)
        answers = {tuple(raw.execute_first_column(sid)) for raw, sid in raws}
        check("each executes its statement on a pooled connection", answers == {("pooled",)}, str(answers))
        for raw, _ in raws:
            raw.close()

        # A session with state of its own keeps its connection, and it stays right.
        pinned = clients[0].cursor()
        pinned.execute("CREATE TEMPORARY TABLE pool_tmp (v INT)")
        pinned.execute("INSERT INTO pool_tmp VALUES (11)")
        pinned.execute("SET @mine = 5")
        # 20 more sessions with variables of their own: each holds its connection (pinned).
        for c in clients[1:21]:
            c.cursor().execute("SET @mine = 99")
        pinned.execute("SELECT v, @mine FROM pool_tmp")
        check("a pinned session keeps its temporary table and variables", pinned.fetchone() == (11, 5))
        seen = set()
        for c in clients[100:300]:
            cur = c.cursor()
            cur.execute("SELECT @mine")
            seen.add(cur.fetchone()[0])
        check("sessions on pooled connections never see another session's variables", seen == {None}, str(seen))
        clean = pymysql.connect(host=HOST, port=proxy.port, user=APP[0], password=APP[1], database="demo")
        ccur = clean.cursor()
        ccur.execute("SELECT @mine, @@session.time_zone")
        check("a new session starts clean on a pooled connection", ccur.fetchone()[0] is None)
        clean.close()
    finally:
        for c in clients:
            try:
                c.close()
            except Exception:
                pass
        status = proxy.stop()
    check("causeway exits 0 after SIGTERM", status == 0, "status %s" % status)
    warm_up()
    connection_scoped_results()
    server_max_connections()
    failed = results.count(False)
    print("pool: %d passed, %d failed" % (len(results) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

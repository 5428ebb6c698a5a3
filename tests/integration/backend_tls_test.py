#!/usr/bin/python3
"""TLS from causeway to the servers (backend_tls): relay, monitor and binlog streams.

The accounts here REQUIRE SSL on the servers, so every connection causeway opens for them
(a client's, the monitor's, the binlog dump's) is refused unless it really is TLS. Runs
causeways of its own; the sandbox servers have certificates from deploy/gen-certs.sh
(CW_CA signs them, with 127.0.0.1 among their names).
"""
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import urllib.request

import pymysql

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
from topology import Tally  # noqa: E402
from cwproc import HOST, Causeway, wait_until  # noqa: E402

PRIMARY_PORT = int(os.environ["CW_PRIMARY_PORT"])
ROOT = (os.environ.get("CW_ROOT_USER", "root"), os.environ.get("CW_ROOT_PASSWORD", "root"))
CA = os.environ["CW_CA"]
WRONG_CA = os.environ.get("CW_WRONG_CA")
APP, MON, REPL = ("tlsapp", "tlsapp"), ("tlsmon", "tlsmon"), ("tlsrepl", "tlsrepl")

tally = Tally("backend_tls")
check = tally.check


def create_accounts():
    """Created on the primary; replication brings them to the replicas."""
    c = pymysql.connect(host=HOST, port=PRIMARY_PORT, user=ROOT[0], password=ROOT[1], autocommit=True)
    cur = c.cursor()
    for (user, password), grant in ((APP, "ALL ON demo.*"),
                                    (MON, "PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.*"),
                                    (REPL, "REPLICATION SLAVE, BINLOG MONITOR ON *.*")):
        cur.execute("CREATE OR REPLACE USER %s IDENTIFIED BY %s REQUIRE SSL", (user, password))
        cur.execute("GRANT %s TO %%s" % grant, (user,))
    cur.execute("CREATE TABLE IF NOT EXISTS demo.tls_rows (id INT AUTO_INCREMENT PRIMARY KEY, v LONGBLOB)")
    c.close()


def tls_causeway(tls_yaml, status=True):
    """causeway with `tls_yaml` as backend_tls, the monitor and the binlog client on the
    REQUIRE SSL accounts."""
    return Causeway("backend_tls:\n" + tls_yaml, users=[APP], status=status,
                    replace=[(r"monitor:\n  user: \w+\n  password: \w+", "monitor:\n  user: %s\n  password: %s" % MON),
                             (r"replication:\n  user: \w+\n  password: \w+",
                              "replication:\n  user: %s\n  password: %s" % REPL)])


def servers(proxy):
    with urllib.request.urlopen("http://%s:%d/api/servers" % (HOST, proxy.status_port), timeout=10) as r:
        return json.load(r)["servers"]


def app(proxy):
    return pymysql.connect(host=HOST, port=proxy.port, user=APP[0], password=APP[1], database="demo",
                           autocommit=True, max_allowed_packet=64 * 1024 * 1024)


def everything_over_tls():
    proxy = tls_causeway("  mode: verify_identity\n  ca_file: %s\n" % CA)
    try:
        # The monitor's checks and the streams come up on their own: a bounded poll of the API.
        healthy = wait_until(lambda: all(s["health"] == "up" and s["stream"]["state"] == "streaming"
                                         for s in servers(proxy)), 30)
        check("the monitor and the binlog streams log in over TLS (REQUIRE SSL accounts)", healthy,
              json.dumps([(s["name"], s["health"], s["error"], s["stream"]) for s in servers(proxy)]))

        c = app(proxy)
        cur = c.cursor()
        cur.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        cipher = cur.fetchone()[1]
        check("the server sees causeway's connection as TLS", cipher != "", repr(cipher))

        before = {s["name"]: s["statements_total"] for s in servers(proxy)}
        stale = 0
        for i in range(40):
            cur.execute("INSERT INTO tls_rows (v) VALUES (%s)", ("row%d" % i,))
            inserted = cur.lastrowid
            cur.execute("SELECT MAX(id) FROM tls_rows")
            if cur.fetchone()[0] < inserted:
                stale += 1
        after = {s["name"]: s["statements_total"] for s in servers(proxy)}
        replica_reads = sum(after[n] - before[n] for n in after if n != "primary")
        check("reads reach the replicas over TLS", replica_reads > 0, "%d" % replica_reads)
        check("read-your-writes holds with the GTIDs streamed over TLS", stale == 0, "%d stale" % stale)

        blob = os.urandom(20 * 1024 * 1024)
        cur.execute("INSERT INTO tls_rows (v) VALUES (%s)", (blob,))
        cur.execute("SELECT v FROM tls_rows WHERE id = %s", (cur.lastrowid,))
        back = cur.fetchone()[0]
        check("a 20 MB value goes up and comes back intact through the TLS hop",
              hashlib.sha256(back).digest() == hashlib.sha256(blob).digest(), "%d bytes back" % len(back))
        cur.execute("DELETE FROM tls_rows WHERE LENGTH(v) > 1000")
        c.close()
    finally:
        check("and causeway stops cleanly", proxy.stop() == 0)


def without_tls_the_server_refuses():
    proxy = Causeway("", users=[APP])
    try:
        app(proxy)
        check("without backend_tls a REQUIRE SSL account is refused by the server", False, "connected")
    except pymysql.MySQLError as e:
        check("without backend_tls a REQUIRE SSL account is refused by the server", e.args[0] == 1045, str(e.args))
    finally:
        proxy.stop()


def wrong_ca_is_refused():
    if not WRONG_CA:
        print("SKIP wrong_ca_is_refused: no wrong CA (CW_WRONG_CA)")
        return
    proxy = tls_causeway("  mode: verify_ca\n  ca_file: %s\n" % WRONG_CA)
    try:
        try:
            app(proxy)
            check("a server whose certificate the CA did not sign is refused", False, "connected")
        except pymysql.MySQLError as e:
            code, message = e.args[0], e.args[1]
            check("a server whose certificate the CA did not sign is refused, naming server and cause",
                  code == 9002 and "'primary'" in message and "certificate" in message, str(e.args))
        down = wait_until(lambda: all(s["health"] != "up" and "certificate" in s["error"] for s in servers(proxy)), 30)
        check("the monitor reports the certificate error for every server", down,
              json.dumps([(s["name"], s["health"], s["error"]) for s in servers(proxy)]))
    finally:
        proxy.stop()


def rotated_ca_is_read_on_reload():
    """A CA file replaced in place (certificate rotation) is used after SIGHUP, without a
    restart: the relay's TLS contexts are made again from the files."""
    if not WRONG_CA:
        print("SKIP rotated_ca_is_read_on_reload: no wrong CA (CW_WRONG_CA)")
        return
    ca = os.path.join(tempfile.mkdtemp(prefix="cw-tls-"), "ca.pem")
    shutil.copyfile(WRONG_CA, ca)
    proxy = tls_causeway("  mode: verify_ca\n  ca_file: %s\n" % ca)
    try:
        try:
            app(proxy).close()
            check("before the rotation the old CA refuses the servers", False, "connected")
        except pymysql.MySQLError as e:
            check("before the rotation the old CA refuses the servers", e.args[0] == 9002, str(e.args))
        shutil.copyfile(CA, ca)
        proxy.proc.send_signal(signal.SIGHUP)
        reloaded = wait_until(lambda: "SIGHUP: configuration reloaded" in open(proxy.log).read(), 10)
        check("SIGHUP reloads the same file", reloaded, open(proxy.log).read()[-300:])
        c = app(proxy)
        cur = c.cursor()
        cur.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        check("after it the rotated CA file is used: logins work over TLS", cur.fetchone()[1] != "")
        c.close()
    finally:
        proxy.stop()


def main():
    create_accounts()
    everything_over_tls()
    without_tls_the_server_refuses()
    wrong_ca_is_refused()
    rotated_ca_is_read_on_reload()
    return tally.summary()


if __name__ == "__main__":
    sys.exit(main())

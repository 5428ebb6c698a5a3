"""What the routing and consistency tests share: the suite's sandbox (from the
environment run.sh exports), connections to it, a PASS/FAIL tally, and demo.whoami, a
local unreplicated table on every server holding its own name, so `SELECT name FROM
whoami` answers with the server that ran a read."""
import os

import pymysql

HOST = os.environ.get("CW_HOST", "127.0.0.1")
PRIMARY_PORT = int(os.environ["CW_PRIMARY_PORT"])
REPLICA_PORTS = [int(p) for p in os.environ["CW_REPLICA_PORTS"].split()]
ROOT = (os.environ.get("CW_ROOT_USER", "root"), os.environ.get("CW_ROOT_PASSWORD", "root"))
APP = (os.environ.get("CW_USER", "app"), os.environ.get("CW_PASSWORD", "app"))
NAMES = ["primary"] + ["replica%d" % (i + 1) for i in range(len(REPLICA_PORTS))]
REPLICAS = set(NAMES[1:])


class Tally:
    """Prints each check as it happens; summary() gives the exit status."""

    def __init__(self, suite):
        self.suite = suite
        self.results = []

    def check(self, name, ok, detail=""):
        self.results.append(ok)
        print("%s %s%s" % ("PASS" if ok else "FAIL", name, (" (%s)" % detail) if detail else ""), flush=True)

    def summary(self):
        failed = self.results.count(False)
        print("%s: %d passed, %d failed" % (self.suite, len(self.results) - failed, failed))
        return 1 if failed else 0


def direct(port):
    """root on one server, bypassing causeway."""
    return pymysql.connect(host=HOST, port=port, user=ROOT[0], password=ROOT[1], database="demo", autocommit=True)


def app(port, **kw):
    return pymysql.connect(host=HOST, port=port, user=APP[0], password=APP[1], database="demo",
                           autocommit=True, **kw)


def one(cur, sql):
    cur.execute(sql)
    return cur.fetchone()[0]


def create_whoami():
    for name, port in zip(NAMES, [PRIMARY_PORT] + REPLICA_PORTS):
        c = direct(port)
        cur = c.cursor()
        cur.execute("SET SESSION sql_log_bin = 0")
        cur.execute("CREATE TABLE IF NOT EXISTS demo.whoami (name VARCHAR(20))")
        cur.execute("DELETE FROM demo.whoami")
        cur.execute("INSERT INTO demo.whoami VALUES (%s)", (name,))
        c.close()

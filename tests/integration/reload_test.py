#!/usr/bin/python3
"""Hot reload: SIGHUP re-reads the config file. A valid file takes effect for the next
statement (new rules, users, consistency) without breaking running sessions; an invalid
one is rejected with the same located errors as --check and the old config stays; a
change that needs a restart (listeners, servers, ...) is refused and says so."""
import os
import re
import signal
import sys

import pymysql

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
from cwproc import Causeway, wait_until  # noqa: E402
from topology import APP, HOST, NAMES, PRIMARY_PORT, REPLICAS, Tally, create_whoami, direct, one  # noqa: E402

tally = Tally("reload")
check = tally.check


def connect(port, user=APP[0], password=APP[1]):
    return pymysql.connect(host=HOST, port=port, user=user, password=password, database="demo", autocommit=True)


class Reloadable:
    """The proxy's config file, rewritten and signalled; waits for the log to answer."""

    def __init__(self, proxy):
        self.proxy = proxy
        self.base = open(proxy.config).read()
        self.answers = 0

    def reload(self, text):
        with open(self.proxy.config, "w") as f:
            f.write(text)
        self.answers += 1
        want = self.answers
        self.proxy.proc.send_signal(signal.SIGHUP)
        ok = wait_until(lambda: self.log().count("SIGHUP: ") >= want, 10)
        return ok, self.log().split("SIGHUP: ")[-1] if ok else ""

    def log(self):
        return open(self.proxy.log).read()


def reads_from(cur, n=20):
    return {one(cur, "SELECT name FROM whoami") for _ in range(n)}


def servers_reload(r, base, cur):
    """Servers can be removed and added by a reload; sessions keep working throughout."""
    name = NAMES[-1]
    block = re.search(r"  - name: %s\n(    .*\n)+" % name, base).group(0)
    without = base.replace(block, "")
    ok, answer = r.reload(without)
    check("a reload can remove a server", ok and "servers changed" in answer, answer[:200])
    check("a removed replica gets no more reads",
          wait_until(lambda: name not in reads_from(cur) and reads_from(cur) <= REPLICAS), str(reads_from(cur)))
    ok, answer = r.reload(base)
    check("a reload can add a server", ok and "servers changed" in answer, answer[:200])
    check("an added replica serves reads", wait_until(lambda: name in reads_from(cur)), str(reads_from(cur)))
    check("the session that lived through both reloads still writes and reads",
          one(cur, "SELECT COUNT(*) >= 0 FROM whoami") == 1)


def main():
    # causeway logs in to the servers as the client's user: the new user exists there.
    root = direct(PRIMARY_PORT)
    root.cursor().execute("CREATE USER IF NOT EXISTS 'reloaded'@'%' IDENTIFIED BY 'newpass'")
    root.cursor().execute("GRANT SELECT ON demo.* TO 'reloaded'@'%'")
    root.close()
    create_whoami()
    proxy = Causeway("routing:\n  read_write_split: true\n")
    try:
        r = Reloadable(proxy)
        held = connect(proxy.port)
        held_cur = held.cursor()
        check("before the reload the statement runs", one(held_cur, "SELECT 'reload_marker'") == "reload_marker")

        rule = "rules:\n  - name: no_marker\n    match: 'reload_marker'\n    reject: 'marker refused after reload'\n"
        ok, answer = r.reload(r.base + rule)
        check("SIGHUP with a valid file reloads it", ok and answer.startswith("configuration reloaded"), answer[:200])
        try:
            held_cur.execute("SELECT 'reload_marker'")
            check("a running session gets the new rule at its next statement", False, "no error")
        except pymysql.MySQLError as e:
            check("a running session gets the new rule at its next statement",
                  e.args[0] == 1148 and "marker refused" in e.args[1], str(e.args))
        check("and goes on working", one(held_cur, "SELECT 1") == 1)
        fresh = connect(proxy.port)
        try:
            fresh.cursor().execute("SELECT 'reload_marker'")
            check("a new session gets the new rule", False, "no error")
        except pymysql.MySQLError as e:
            check("a new session gets the new rule", e.args[0] == 1148, str(e.args))
        fresh.close()

        users = r.base.replace("users:\n", "users:\n  - name: reloaded\n    password: newpass\n", 1) + rule
        ok, answer = r.reload(users)
        check("a user added by a reload can log in", ok and one(connect(proxy.port, "reloaded", "newpass").cursor(),
                                                                "SELECT CURRENT_USER() IS NOT NULL") == 1, answer[:200])

        bad = users + "log_levle: debug\n"
        ok, answer = r.reload(bad)
        check("an invalid file is rejected with its located error, as --check reports it",
              ok and answer.startswith("configuration not reloaded")
              and re.search(r"\.yaml:\d+:\d+: log_levle: unknown key", answer) is not None, answer[:300])
        try:
            held_cur.execute("SELECT 'reload_marker'")
            check("and the old config stays", False, "no error")
        except pymysql.MySQLError as e:
            check("and the old config stays", e.args[0] == 1148, str(e.args))

        servers_reload(r, users, held_cur)

        moved = users.replace("port: %d" % proxy.port, "port: %d" % (proxy.port + 1), 1)
        ok, answer = r.reload(moved)
        check("a change that needs a restart is refused and named", ok and "listeners" in answer, answer[:300])
        check("the session survives every reload", one(held_cur, "SELECT 2") == 2)
        held.close()
    finally:
        status = proxy.stop()
    check("causeway exits cleanly after the reloads", status == 0, "exit %s" % status)
    return tally.summary()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""account_discovery: client accounts read from the primary's mysql.user, as MaxScale does.

Runs a causeway of its own with `account_discovery` (the sandbox's monitor account may
read mysql.user). Accounts are created, changed and dropped on the primary while it runs:
they log in through causeway without a config change, with the server's own rules
(password, host, no password).
"""
import os
import sys

import pymysql

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
from topology import Tally  # noqa: E402
from cwproc import HOST, Causeway, wait_until  # noqa: E402

PRIMARY_PORT = int(os.environ["CW_PRIMARY_PORT"])
ROOT = (os.environ.get("CW_ROOT_USER", "root"), os.environ.get("CW_ROOT_PASSWORD", "root"))

tally = Tally("accounts")
check = tally.check


def admin(*statements):
    c = pymysql.connect(host=HOST, port=PRIMARY_PORT, user=ROOT[0], password=ROOT[1], autocommit=True)
    for sql in statements:
        c.cursor().execute(sql)
    c.close()


def login(port, user, password, **kw):
    """(connection, None) or (None, (errno, message))."""
    try:
        return pymysql.connect(host=HOST, port=port, user=user, password=password, database="demo",
                               autocommit=True, connect_timeout=15, **kw), None
    except pymysql.MySQLError as e:
        return None, e.args


def one(conn, sql):
    cur = conn.cursor()
    cur.execute(sql)
    return cur.fetchone()[0]


def admitted(what, port, user, password, **kw):
    conn, err = login(port, user, password, **kw)
    check(what, conn is not None, str(err))
    return conn


def refused(what, port, user, password, codes=(1045,), **kw):
    conn, err = login(port, user, password, **kw)
    if conn:
        conn.close()
    check(what, err is not None and err[0] in codes, str(err))


def several_plugins():
    """An account that allows ed25519 or mysql_native_password, listed in causeway's users
    with its password: the backend login declines ed25519 (causeway cannot sign) and the
    server takes the native branch, as a client without ed25519 gets in directly."""
    for port in [PRIMARY_PORT] + [int(p) for p in os.environ["CW_REPLICA_PORTS"].split()]:
        c = pymysql.connect(host=HOST, port=port, user=ROOT[0], password=ROOT[1], autocommit=True)
        cur = c.cursor()
        cur.execute("SELECT COUNT(*) FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'ed25519'")
        if cur.fetchone()[0] == 0:
            cur.execute("SET sql_log_bin = 0")
            cur.execute("INSTALL SONAME 'auth_ed25519'")
        c.close()
    admin("DROP USER IF EXISTS 'multi_auth'@'%'",
          "CREATE USER 'multi_auth'@'%' IDENTIFIED VIA ed25519 USING PASSWORD('ma_pw') "
          "OR mysql_native_password USING PASSWORD('ma_pw')",
          "GRANT ALL ON demo.* TO 'multi_auth'@'%'")
    proxy = Causeway(users=[("multi_auth", "ma_pw")])
    try:
        conn = admitted("an account with ed25519 or mysql_native_password logs in through causeway", proxy.port,
                        "multi_auth", "ma_pw")
        if conn:
            check("and runs statements on the primary as itself",
                  one(conn, "SELECT CURRENT_USER() FOR UPDATE") == "multi_auth@%")
            conn.close()
    finally:
        proxy.stop()
        admin("DROP USER IF EXISTS 'multi_auth'@'%'")


def main():
    users = "'disc_a'@'%', 'disc_a'@'127.0.0.1', 'disc_b'@'10.%', 'disc_c'@'%', 'disc_t'@'%'"
    admin("DROP USER IF EXISTS " + users)
    # backend_tls: the server checks REQUIRE SSL on causeway's own connection.
    proxy = Causeway("account_discovery:\n  refresh: 100ms\nbackend_tls:\n  mode: required\n")
    port = proxy.port
    try:
        refused("a user that exists nowhere is refused", port, "disc_a", "pa")

        # Created after causeway started, and after it last read the accounts.
        admin("CREATE USER 'disc_a'@'%' IDENTIFIED BY 'pa'", "GRANT ALL ON demo.* TO 'disc_a'@'%'")
        conn = admitted("an account created at run time logs in through causeway", port, "disc_a", "pa")
        if conn:
            check("as itself", one(conn, "SELECT CURRENT_USER()") == "disc_a@%")
            conn.close()
        refused("a wrong password is refused with 1045", port, "disc_a", "wrong")

        admin("ALTER USER 'disc_a'@'%' IDENTIFIED BY 'pb'")
        conn = admitted("a changed password works at once", port, "disc_a", "pb")
        if conn:
            conn.close()
        refused("and the old one no longer does", port, "disc_a", "pa")

        admin("CREATE USER 'disc_b'@'10.%' IDENTIFIED BY 'pb'", "GRANT ALL ON demo.* TO 'disc_b'@'10.%'")
        refused("an account for other hosts does not admit this client", port, "disc_b", "pb")

        admin("CREATE USER 'disc_c'@'%'", "GRANT ALL ON demo.* TO 'disc_c'@'%'")
        refused("an account without a password is not admitted (list it in users)", port, "disc_c", "")

        # The most specific account decides: one causeway cannot verify refuses, as the
        # server would, rather than falling back to app-like disc_a@'%'.
        admin("CREATE USER 'disc_a'@'127.0.0.1' IDENTIFIED VIA unix_socket")
        # By causeway (1045) or, within a refresh of the last read, by the server (1698, as
        # a direct login gets).
        refused("a more specific account with another plugin refuses the client", port, "disc_a", "pb",
                codes=(1045, 1698))
        admin("DROP USER 'disc_a'@'127.0.0.1'")
        conn = admitted("and once it is gone the general account admits it again", port, "disc_a", "pb")
        if conn:
            conn.close()

        admin("ALTER USER 'disc_a'@'%' ACCOUNT LOCK")
        refused("a locked account is refused with the server's own error: it checks each login itself", port,
                "disc_a", "pb", codes=(4151,))
        admin("ALTER USER 'disc_a'@'%' ACCOUNT UNLOCK")

        admin("CREATE USER 'disc_t'@'%' IDENTIFIED BY 'pt' REQUIRE SSL", "GRANT ALL ON demo.* TO 'disc_t'@'%'")
        refused("a REQUIRE SSL account is refused to a client without TLS", port, "disc_t", "pt")
        conn = admitted("and admitted to one with TLS (causeway asks the server over TLS)", port, "disc_t", "pt",
                        ssl={"ca": os.environ["CW_CA"]})
        if conn:
            conn.close()

        conn = admitted("configured users still log in", port, "app", "app")
        if conn:
            conn.close()

        admin("DROP USER 'disc_a'@'%'")
        # Trusted for one `refresh` (100ms) after a read, as pooled connections of the user
        # may still serve it: refused once that has passed (a bounded poll of logins).
        last = {}

        def gone():
            conn, last["err"] = login(port, "disc_a", "pb")
            if conn:
                conn.close()
            return last["err"] is not None and last["err"][0] == 1045

        check("a dropped account is refused once the accounts are read again", wait_until(gone, 10),
              str(last.get("err")))
    finally:
        check("causeway stops cleanly", proxy.stop() == 0)

    # The suite's own causeway has no account_discovery: only its configured users.
    admin("CREATE USER IF NOT EXISTS 'disc_a'@'%' IDENTIFIED BY 'pa'")
    refused("without account_discovery such an account is refused", int(os.environ["CW_PORT"]), "disc_a", "pa")
    admin("DROP USER IF EXISTS " + users)
    several_plugins()

    return tally.summary()


if __name__ == "__main__":
    sys.exit(main())

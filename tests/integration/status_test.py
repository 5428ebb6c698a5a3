#!/usr/bin/python3
"""The status port (docs/status-api.md) of the suite's causeway, and of a few of its own:
health and readiness, Prometheus metrics that move with traffic, the JSON API (servers,
topology, pools, rules, decisions, config without secrets), the admin actions behind the
token (drain keeps reads off a replica, undrain brings it back, reload), and a stopped SQL
thread showing up as a broken server. HTTP with urllib/http.client from the stdlib."""
import http.client
import json
import os
import re
import signal
import sys
import threading
import urllib.error
import urllib.request

import pymysql

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
from cwproc import Causeway, wait_until  # noqa: E402
from topology import (HOST, NAMES, PRIMARY_PORT, REPLICA_PORTS, REPLICAS, Tally, app,  # noqa: E402
                      create_whoami, direct, one)

PORT = int(os.environ["CW_PORT"])
STATUS = int(os.environ["CW_STATUS_PORT"])
TOKEN = os.environ["CW_ADMIN_TOKEN"]

tally = Tally("status")
check = tally.check

FAMILIES = {
    "causeway_client_connections_total": "counter", "causeway_client_connections": "gauge",
    "causeway_backend_connections": "gauge", "causeway_backend_connections_idle": "gauge",
    "causeway_statements_total": "counter", "causeway_server_statements_total": "counter",
    "causeway_routing_decisions_total": "counter", "causeway_errors_total": "counter",
    "causeway_rule_hits_total": "counter", "causeway_server_up": "gauge",
    "causeway_replica_lag_seconds": "gauge", "causeway_replica_lag_transactions": "gauge",
    "causeway_stream_state": "gauge", "causeway_consistency_wait_seconds": "histogram",
    "causeway_consistency_fallbacks_total": "counter", "causeway_stale_read_guards_total": "counter",
    "causeway_tracker_freshness_seconds": "histogram",
}
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})? '
                    r'(-?[0-9.]+(?:e[+-]?[0-9]+)?|NaN|\+Inf|-Inf)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def request(method, path, token=None, port=STATUS, headers=()):
    """(status, headers, body text); HTTP errors are answers too."""
    req = urllib.request.Request("http://%s:%d%s" % (HOST, port, path), method=method,
                                 data=b"" if method == "POST" else None)
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    for k, v in headers:
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def get_json(path, port=STATUS):
    status, _, body = request("GET", path, port=port)
    return status, json.loads(body)


def metrics(port=STATUS):
    """(types, samples {(name, ((label, value), ...)): float}, malformed lines, content type)."""
    status, headers, text = request("GET", "/metrics", port=port)
    types, samples, bad = {}, {}, []
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        m = SAMPLE.match(line)
        if not m:
            bad.append(line)
            continue
        samples[(m.group(1), tuple(sorted(LABEL.findall(m.group(2) or ""))))] = float(m.group(3))
    return types, samples, bad if status == 200 else ["HTTP %d" % status], headers.get("Content-Type", "")


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def family_sum(samples, name):
    return sum(v for (n, _), v in samples.items() if n == name)


def server(name, port=STATUS):
    return get_json("/api/servers/" + name, port)[1]


def read_names(n, port=PORT):
    """Which servers ran `SELECT name FROM whoami`, n times over a few fresh connections."""
    names = []
    for _ in range(max(1, n // 10)):
        c = app(port)
        cur = c.cursor()
        names += [one(cur, "SELECT name FROM whoami") for _ in range(10)]
        c.close()
    return names


def probes():
    status, _, body = request("GET", "/healthz")
    check("/healthz is 200 ok", status == 200 and body.strip() == "ok", "%d %r" % (status, body))
    check("/readyz is 200 ready", wait_until(lambda: request("GET", "/readyz")[0] == 200),
          "%d %r" % request("GET", "/readyz")[::2])
    status, headers, body = request("GET", "/")
    check("/ serves the dashboard as HTML", status == 200 and headers.get("Content-Type", "").startswith("text/html")
          and "<html" in body.lower(), "%d %s" % (status, headers.get("Content-Type")))
    status, headers, body = request("GET", "/nope")
    check("an unknown path is 404 with a JSON error", status == 404 and "error" in json.loads(body), "%d %s" % (status, body))
    status, headers, body = request("POST", "/metrics")
    check("another method is 405 with Allow", status == 405 and headers.get("Allow") == "GET", "%d %s" % (status, body))
    status, _, _ = request("GET", "/api/servers", headers=[("X-Big", "x" * 20000)])
    check("an oversized request header is refused (431)", status == 431, "%d" % status)
    conn = http.client.HTTPConnection(HOST, STATUS, timeout=10)
    answers = []
    for path in ("/healthz", "/api/servers", "/metrics"):
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        answers.append(r.status)
    conn.close()
    check("keep-alive: three requests on one connection", answers == [200, 200, 200], str(answers))


def metrics_move_with_traffic():
    types, before, bad, ctype = metrics()
    check("/metrics is text format 0.0.4", "version=0.0.4" in ctype, ctype)
    check("every /metrics line is a comment or name{labels} value", not bad, "; ".join(bad[:3]))
    missing = {f: t for f, t in FAMILIES.items() if types.get(f) != t}
    check("/metrics has every documented family with its type", not missing, str(missing))
    for (name, labels), v in before.items():
        if name.endswith("_count") and types.get(name[:-6]) == "histogram":
            inf = before.get((name[:-6] + "_bucket", tuple(sorted(labels + (("le", "+Inf"),)))))
            if inf != v:
                check("histogram %s: +Inf bucket equals _count" % name[:-6], False, "%s vs %s" % (inf, v))
    c = app(PORT)
    cur = c.cursor()
    for i in range(25):
        one(cur, "SELECT %d" % i)
    cur.execute("INSERT INTO st_rows (v) VALUES (1)")
    c.close()
    _, after, _, _ = metrics()
    grew = lambda name, n, **l: value(after, name, **l) - value(before, name, **l) >= n  # noqa: E731
    check("client connections counted", grew("causeway_client_connections_total", 1))
    check("reads counted by class", grew("causeway_statements_total", 25, **{"class": "read"}))
    check("the write counted by class", grew("causeway_statements_total", 1, **{"class": "write"}))
    check("statements counted per server",
          family_sum(after, "causeway_server_statements_total") - family_sum(before, "causeway_server_statements_total") >= 26)
    check("routing decisions counted by reason", grew("causeway_routing_decisions_total", 1, reason="write")
          and family_sum(after, "causeway_routing_decisions_total") - family_sum(before, "causeway_routing_decisions_total") >= 26)
    check("every server is up, with its role", all(value(after, "causeway_server_up", server=n,
                                                         role="primary" if n == "primary" else "replica") == 1
                                                   for n in NAMES))
    check("every stream is streaming", all(value(after, "causeway_stream_state", server=n, state="streaming") == 1
                                           for n in NAMES))
    check("the replicas' visibility checks are counted", wait_until(
        lambda: value(metrics()[1], "causeway_stale_read_guards_total", guard="visibility_check") > 0))


def api():
    status, body = get_json("/api/servers")
    servers = {s["name"]: s for s in body.get("servers", [])}
    check("/api/servers lists the three servers", status == 200 and sorted(servers) == sorted(NAMES), str(sorted(servers)))
    check("roles: primary and replicas", servers.get("primary", {}).get("role") == "primary"
          and all(servers.get(n, {}).get("role") == "replica" for n in REPLICAS))
    ok = wait_until(lambda: all(s["stream"]["state"] == "streaming" for s in get_json("/api/servers")[1]["servers"]))
    check("every stream is streaming", ok)
    primary = servers.get("primary", {})
    check("semi-sync state as MariaDB reports it (built in, off here)",
          isinstance(primary.get("semi_sync"), dict) and primary["semi_sync"]["source"] is False,
          json.dumps(primary.get("semi_sync")))
    r1 = servers.get("replica1", {})
    check("a replica shows replication, GTIDs, lag and health",
          r1.get("health") == "up" and r1["replication"]["sql_running"] and r1["replication"]["source_server"] == "primary"
          and r1.get("gtid_executed") and r1["lag"]["ms"] is not None and r1["checked_at"].endswith("Z"), json.dumps(r1))
    status, body = get_json("/api/servers/replica1")
    check("/api/servers/{name} is one server", status == 200 and body.get("name") == "replica1")
    status, body = get_json("/api/servers/nope")
    check("/api/servers/nope is 404", status == 404 and "nope" in body.get("error", ""), str(body))
    status, body = get_json("/api/topology")
    links = sorted((l["source"], l["replica"]) for l in body.get("links", []))
    check("/api/topology: writer and replication links", status == 200 and body.get("writer") == "primary"
          and links == sorted(("primary", n) for n in REPLICAS), "%s %s" % (body.get("writer"), links))
    status, body = get_json("/api/pools")
    check("/api/pools: every server with open and idle counts", status == 200 and sorted(
        p["name"] for p in body["servers"]) == sorted(NAMES) and all(p["open"] >= p["idle"] >= 0 for p in body["servers"]))
    status, body = get_json("/api/stats")
    check("/api/stats has counters", status == 200 and body["statements"]["read"] > 0, str(body)[:200])


def decisions():
    c = app(PORT)
    cur = c.cursor()
    for _ in range(80):
        one(cur, "SELECT name FROM whoami")
    cur.execute("INSERT INTO st_rows (v) VALUES (2)")
    c.close()
    status, body = get_json("/api/decisions")
    items = body.get("decisions", [])
    check("/api/decisions has sampled decisions", status == 200 and len(items) > 0, "%d items" % len(items))
    times = [d["at"] for d in items]
    check("decisions carry ISO-8601 UTC times, newest first",
          all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", t) for t in times) and times == sorted(times, reverse=True),
          str(times[:3]))
    check("decisions name servers and reasons", all(d["reason"] and (d["server"] is None or d["server"] in NAMES)
                                                    for d in items) and any(d["reason"] == "read" for d in items),
          str(items[:2]))
    check("?limit= caps the list", len(get_json("/api/decisions?limit=1")[1]["decisions"]) == 1)


def config_has_no_secret():
    status, body = get_json("/api/config")
    _, _, text = request("GET", "/api/config")
    leaks = []

    def walk(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("password", "password_hash", "admin_token") and v not in ("***", None):
                    leaks.append(path + "." + k)
                walk(v, path + "." + k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, "%s[%d]" % (path, i))

    walk(body, "")
    check("/api/config: every password and the token are ***", status == 200 and not leaks and TOKEN not in text
          and "sha2pass" not in text and body["users"][0]["password"] == "***", str(leaks))
    check("/api/config is the running config", [s["name"] for s in body.get("servers", [])] == NAMES)


def drain():
    path = "/api/servers/replica1/drain"
    status, headers, body = request("POST", path)
    check("drain without a token is 401 with WWW-Authenticate", status == 401 and
          headers.get("WWW-Authenticate", "").startswith("Bearer"), "%d %s" % (status, body))
    status, _, body = request("POST", path, token="wrong-" + TOKEN)
    check("drain with a wrong token is 403", status == 403, "%d %s" % (status, body))
    status, _, _ = request("GET", path, token=TOKEN)
    check("GET on an admin action is 405", status == 405)
    status, _, body = request("POST", "/api/servers/nope/drain", token=TOKEN)
    check("draining an unknown server is 404", status == 404, "%d %s" % (status, body))
    status, _, body = request("POST", path, token=TOKEN)
    try:
        check("drain with the token is 200", status == 200 and json.loads(body) == {"server": "replica1", "drained": True},
              "%d %s" % (status, body))
        s = server("replica1")
        check("the drained server says so", s["drained"] and s["health"] == "drained", s["health"])
        check("replica2 serves reads while replica1 is drained",
              wait_until(lambda: read_names(10) == ["replica2"] * 10))
        names = read_names(40)
        check("no read goes to the drained replica1", "replica1" not in names and "replica2" in names,
              str(sorted(set(names))))
    finally:
        status, _, body = request("POST", "/api/servers/replica1/undrain", token=TOKEN)
    check("undrain is 200", status == 200 and not json.loads(body)["drained"], "%d %s" % (status, body))
    check("replica1 serves reads again after undrain", wait_until(lambda: "replica1" in read_names(20)))


def reload():
    status, _, _ = request("POST", "/api/reload")
    check("reload without a token is 401", status == 401)
    status, _, body = request("POST", "/api/reload", token=TOKEN)
    answer = json.loads(body)
    check("reload with the token re-reads the unchanged file", status == 200 and answer.get("ok") is True, body)


def broken_replica():
    c = direct(REPLICA_PORTS[1])
    c.cursor().execute("STOP SLAVE SQL_THREAD")
    try:
        ok = wait_until(lambda: server("replica2")["health"] == "broken")
        s = server("replica2")
        check("a stopped SQL thread shows: health broken, sql_running false",
              ok and s["replication"]["sql_running"] is False and s["replication"]["io_running"] is True, json.dumps(s))
        _, samples, _, _ = metrics()
        check("and causeway_server_up is 0 for it", value(samples, "causeway_server_up", server="replica2", role="replica") == 0)
    finally:
        c.cursor().execute("START SLAVE SQL_THREAD")
        c.close()
    check("restarted, the replica is up again", wait_until(lambda: server("replica2")["health"] == "up"))


def own_causeways():
    """Rules with hit counts and no admin token; no monitor; /readyz during shutdown."""
    rules = "rules:\n  - name: marker_to_primary\n    match: 'status_marker'\n    route: primary\n"
    proxy = Causeway(rules, status=True, replace=[(r"  admin_token: \S+\n", "")])
    try:
        c = app(proxy.port)
        cur = c.cursor()
        for _ in range(3):
            one(cur, "SELECT 'status_marker'")
        c.close()
        status, body = get_json("/api/rules", proxy.status_port)
        rule = (body.get("rules") or [{}])[0]
        check("/api/rules lists the rule with its hits", status == 200 and rule.get("name") == "marker_to_primary"
              and rule.get("hits") == 3 and rule["action"]["route"] == "primary", json.dumps(body))
        _, samples, _, _ = metrics(proxy.status_port)
        check("causeway_rule_hits_total counts it", value(samples, "causeway_rule_hits_total", rule="marker_to_primary") == 3)
        status, _, body = request("POST", "/api/servers/replica1/drain", token=TOKEN, port=proxy.status_port)
        check("without a configured token admin actions are 403", status == 403 and "no admin token" in body, body)
    finally:
        proxy.stop()

    no_monitor = [(r"monitor:\n  user: [^\n]+\n  password: [^\n]+\n", ""),
                  (r"replication:\n  user: [^\n]+\n  password: [^\n]+\n", "")]
    proxy = Causeway(status=True, replace=no_monitor)
    try:
        status, _, body = request("POST", "/api/servers/replica1/drain", token=TOKEN, port=proxy.status_port)
        check("drain without a monitor is 409", status == 409 and "monitor" in json.loads(body)["error"], body)
        check("without a monitor /readyz is 200 (the configured primary)",
              request("GET", "/readyz", port=proxy.status_port)[0] == 200)
        # A statement still running when SIGTERM arrives keeps causeway up for a moment.
        sleeper = threading.Thread(target=lambda: one(app(proxy.port).cursor(), "SELECT SLEEP(3)"))
        sleeper.start()

        def running():
            for p in [PRIMARY_PORT] + REPLICA_PORTS:
                cc = direct(p)
                cur = cc.cursor()
                cur.execute("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO = 'SELECT SLEEP(3)'")
                n = cur.fetchone()[0]
                cc.close()
                if n:
                    return True
            return False

        wait_until(running)
        proxy.proc.send_signal(signal.SIGTERM)
        ok = wait_until(lambda: request("GET", "/readyz", port=proxy.status_port)[::2] == (503, "not ready: shutting down\n"), 5)
        check("/readyz turns 503 as soon as shutdown begins", ok)
        sleeper.join()
        check("and causeway exits 0 after the statement", proxy.proc.wait(timeout=30) == 0)
    finally:
        if proxy.proc.poll() is None:
            proxy.stop()


def main():
    create_whoami()
    c = direct(PRIMARY_PORT)
    c.cursor().execute("CREATE TABLE IF NOT EXISTS demo.st_rows (id INT AUTO_INCREMENT PRIMARY KEY, v INT)")
    c.close()
    probes()
    metrics_move_with_traffic()
    api()
    decisions()
    config_has_no_secret()
    drain()
    reload()
    broken_replica()
    own_causeways()
    return tally.summary()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (pymysql.MySQLError, OSError, KeyError, ValueError) as e:
        print("FAIL status: %s: %s" % (type(e).__name__, e), flush=True)
        sys.exit(1)

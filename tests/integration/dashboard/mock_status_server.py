#!/usr/bin/env python3
"""MOCK of causeway's status port, for developing proxy/status/dashboard.html without a
build or a sandbox. Not used by run.sh: the dashboard suite runs against the real port.

    mock_status_server.py [--port 16080] [--cascade] [--semi-sync]

Serves the dashboard at /, and /api/servers, /api/topology, /api/decisions, /metrics,
/readyz shaped as docs/status-api.md describes them, from a small simulation: the primary
commits a few transactions per second, replicas apply them, and
    POST /mock/<server>/stop_sql | start_sql | stop_io | start_io
stops or starts a replica's thread (lag then grows, health turns "broken").
--cascade makes replica2 replicate from replica1; --semi-sync adds a semi_sync field.
"""
import argparse
import json
import pathlib
import random
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DASHBOARD = pathlib.Path(__file__).resolve().parents[3] / "proxy" / "status" / "dashboard.html"


class Sim:
    def __init__(self, cascade, semi_sync):
        self.lock = threading.Lock()
        self.semi_sync = semi_sync
        self.started = time.monotonic()
        self.primary_seq = 4711
        self.commit_times = {}  # seq -> monotonic time the primary committed it
        self.servers = [
            self._server("primary", 13306, "primary", None),
            self._server("replica1", 13307, "replica", "127.0.0.1:13306"),
            self._server("replica2", 13308, "replica", "127.0.0.1:13307" if cascade else "127.0.0.1:13306"),
        ]
        self.waits = 0
        self.wait_sum = 0.0
        self.buckets = {le: 0 for le in (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)}
        self.fallbacks = {"consistency_timeout": 0, "consistency_fallback": 0}
        self.decisions = []
        self.last = time.monotonic()

    def _server(self, name, port, role, source):
        return {
            "name": name, "port": port, "role": role, "source": source,
            "io": True, "sql": True, "applied": 4711, "statements": 0, "error": "",
        }

    def step(self):
        with self.lock:
            now = time.monotonic()
            dt = now - self.last
            self.last = now
            for _ in range(int(dt * 5 + random.random())):
                self.primary_seq += 1
                self.commit_times[self.primary_seq] = now
            for s in self.servers:
                s["statements"] += int(dt * (40 if s["role"] == "primary" else 120) * random.uniform(0.5, 1.5))
                if s["role"] == "replica" and s["io"] and s["sql"]:
                    src = self._source_applied(s)
                    s["applied"] = max(s["applied"], src - random.choice((0, 0, 0, 1)))
            for _ in range(int(dt * 3 + random.random())):
                w = random.expovariate(1 / 0.004)
                self.waits += 1
                self.wait_sum += w
                for le in self.buckets:
                    if w <= le:
                        self.buckets[le] += 1
                self._decision("wait_for_replica", "replica", int(w * 1e6))
            if any(not s["sql"] for s in self.servers) and random.random() < dt:
                self.fallbacks["consistency_timeout"] += 1
                self._decision("consistency_timeout", "primary", 500000)

    def _decision(self, reason, target, waited_us):
        self.decisions.append({
            "at": iso(datetime.now(timezone.utc)), "session": random.randint(1, 90), "user": "app",
            "target": target, "reason": reason, "consistency": "read_your_writes",
            "server": "replica1" if target == "replica" else "primary", "waited_us": waited_us,
            "statement": "SELECT * FROM orders WHERE id = %d" % random.randint(1, 9999),
        })
        del self.decisions[:-256]

    def _source_applied(self, s):
        for o in self.servers:
            if s["source"] and s["source"].endswith(":%d" % o["port"]):
                return self.primary_seq if o["role"] == "primary" else o["applied"]
        return self.primary_seq

    def server_json(self, s):
        now = time.monotonic()
        replica = s["role"] == "replica"
        behind = self.primary_seq - s["applied"] if replica else 0
        lag_ms = int((now - self.commit_times.get(s["applied"] + 1, now)) * 1000) if behind else (3 if replica else 0)
        health = "up" if not replica or (s["io"] and s["sql"]) else "broken"
        out = {
            "name": s["name"], "address": "127.0.0.1:%d" % s["port"],
            "configured_role": s["role"], "role": s["role"], "health": health,
            "reachable": True, "read_only": replica, "drained": False,
            "replication": None if not replica else {
                "source": s["source"], "io_running": s["io"], "sql_running": s["sql"],
                "seconds_behind": int(lag_ms / 1000) if s["io"] and s["sql"] else None,
                "last_error": s["error"],
            },
            "version": "10.11.19-MariaDB-0+deb12u1-log",
            "checked_at": iso(datetime.now(timezone.utc)),
            "stream": {"state": "streaming", "error": ""},
            "gtid_executed": "0-13306-%d" % (s["applied"] if replica else self.primary_seq),
            "lag": {"transactions": behind, "ms": lag_ms},
            "statements_total": s["statements"],
        }
        if self.semi_sync:
            out["semi_sync"] = {"enabled": True, "status": "on" if not replica else "replica"}
        return out

    def servers_json(self):
        with self.lock:
            return [self.server_json(s) for s in self.servers]

    def topology_json(self):
        servers = self.servers_json()
        by_address = {s["address"]: s["name"] for s in servers}
        links = [{"replica": s["name"], "source_address": s["replication"]["source"],
                  "source": by_address.get(s["replication"]["source"]),
                  "io_running": s["replication"]["io_running"], "sql_running": s["replication"]["sql_running"],
                  "lag_ms": s["lag"]["ms"]} for s in servers if s["replication"]]
        return {"generation": 42, "monitored": True, "streams": True, "writer": "primary", "ready": True,
                "servers": servers, "links": links}

    def metrics(self):
        servers = self.servers_json()
        with self.lock:
            lines = [
                "# HELP causeway_client_connections Open client connections.",
                "# TYPE causeway_client_connections gauge",
                "causeway_client_connections 17",
                "# TYPE causeway_server_statements_total counter",
            ]
            lines += ['causeway_server_statements_total{server="%s"} %d' % (s["name"], s["statements_total"]) for s in servers]
            lines.append("# TYPE causeway_server_up gauge")
            lines += ['causeway_server_up{server="%s",role="%s"} %d' % (s["name"], s["role"], s["health"] == "up") for s in servers]
            lines.append("# TYPE causeway_replica_lag_seconds gauge")
            lines += ['causeway_replica_lag_seconds{server="%s"} %g' % (s["name"], s["lag"]["ms"] / 1000) for s in servers if s["replication"]]
            lines.append("# TYPE causeway_replica_lag_transactions gauge")
            lines += ['causeway_replica_lag_transactions{server="%s"} %d' % (s["name"], s["lag"]["transactions"]) for s in servers if s["replication"]]
            lines.append("# TYPE causeway_stream_state gauge")
            for s in servers:
                for st in ("off", "connecting", "streaming", "polling"):
                    lines.append('causeway_stream_state{server="%s",state="%s"} %d' % (s["name"], st, st == s["stream"]["state"]))
            lines.append("# TYPE causeway_consistency_wait_seconds histogram")
            for le, n in self.buckets.items():
                lines.append('causeway_consistency_wait_seconds_bucket{le="%g"} %d' % (le, n))
            lines.append('causeway_consistency_wait_seconds_bucket{le="+Inf"} %d' % self.waits)
            lines.append("causeway_consistency_wait_seconds_sum %g" % self.wait_sum)
            lines.append("causeway_consistency_wait_seconds_count %d" % self.waits)
            lines.append("# TYPE causeway_consistency_fallbacks_total counter")
            lines += ['causeway_consistency_fallbacks_total{reason="%s"} %d' % kv for kv in self.fallbacks.items()]
        return "\n".join(lines) + "\n"

    def control(self, name, action):
        with self.lock:
            for s in self.servers:
                if s["name"] == name and s["role"] == "replica":
                    key, value = {"stop_sql": ("sql", False), "start_sql": ("sql", True),
                                  "stop_io": ("io", False), "start_io": ("io", True)}[action]
                    s[key] = value
                    return True
        return False


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def make_handler(sim):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):  # quiet: one line per request is noise at 5/s
            pass

        def send(self, code, body, ctype):
            data = body.encode() if isinstance(body, str) else body
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            sim.step()
            routes = {
                "/": lambda: (200, DASHBOARD.read_bytes(), "text/html; charset=utf-8"),
                "/api/servers": lambda: (200, json.dumps({"servers": sim.servers_json()}), "application/json"),
                "/api/topology": lambda: (200, json.dumps(sim.topology_json()), "application/json"),
                "/api/decisions": lambda: (200, json.dumps({"decisions": sim.decisions[::-1]}), "application/json"),
                "/metrics": lambda: (200, sim.metrics(), "text/plain; version=0.0.4"),
                "/readyz": lambda: (200, "ready\n", "text/plain"),
                "/healthz": lambda: (200, "ok\n", "text/plain"),
            }
            route = routes.get(self.path.split("?")[0])
            if route is None:
                self.send(404, json.dumps({"error": "not found"}), "application/json")
            else:
                self.send(*route())

        def do_POST(self):
            parts = self.path.strip("/").split("/")
            if len(parts) == 3 and parts[0] == "mock" and sim.control(parts[1], parts[2]):
                self.send(200, json.dumps({"ok": True}), "application/json")
            else:
                self.send(404, json.dumps({"error": "not found"}), "application/json")

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=16080)
    ap.add_argument("--cascade", action="store_true")
    ap.add_argument("--semi-sync", action="store_true")
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(Sim(args.cascade, args.semi_sync)))
    print("mock status port on http://127.0.0.1:%d/ (MOCK, not causeway)" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

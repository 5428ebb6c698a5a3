"""Start a second causeway for a test: the suite's config with changes, on a port of its own."""
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

HOST = os.environ.get("CW_HOST", "127.0.0.1")


def wait_until(predicate, seconds=15):
    """Waits for a change that only shows through queries (a server's processlist, where a
    statement runs): a bounded poll, since there is no event to await."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Causeway:
    """The suite's config (CW_CAUSEWAY_CONFIG) with its listener moved to a free port, the
    status port off (or, with status=True, on a free port of its own: self.status_port),
    `users` added, and `extra` YAML appended (top-level sections it does not have), after
    the regex substitutions in `replace` ((pattern, replacement) pairs)."""

    def __init__(self, extra="", users=(), replace=(), status=False):
        text = open(os.environ["CW_CAUSEWAY_CONFIG"]).read()
        for pattern, replacement in replace:
            text = re.sub(pattern, replacement, text)
        for name, password in users:  # more users, each with a clear password
            text = text.replace("users:\n", "users:\n  - name: %s\n    password: %s\n" % (name, password), 1)
        self.port = free_port()
        text = re.sub(r"(listeners:\n  - name: main\n    address: [^\n]+\n    port: )\d+", r"\g<1>%d" % self.port, text)
        self.status_port = free_port() if status else 0
        text = re.sub(r"(status:\n  address: [^\n]+\n  port: )\d+", r"\g<1>%d" % self.status_port, text)
        text += extra
        cfg = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
        cfg.write(text)
        cfg.close()
        self.config = cfg.name
        self.log = cfg.name + ".log"
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen([os.environ["CW_CAUSEWAY_BIN"], "--config", cfg.name], stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # waiting for a process to listen: a bounded poll
            try:
                socket.create_connection((HOST, self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        self.proc.kill()
        raise SystemExit("causeway did not start; see " + self.log)

    def stop(self):
        """SIGTERM; returns the exit status."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)

#!/usr/bin/python3
"""Loopback TCP relay that logs both directions of every connection as hex.

Used to capture real client/server exchanges for the codec tests:
    relay.py LISTEN_PORT UPSTREAM_PORT LOG.jsonl [--mysql-greeting]
Each line of the log is {"conn": N, "dir": "c2s" | "s2c", "hex": "..."} in arrival order,
the bytes as the sender sent them. --mysql-greeting sets CLIENT_MYSQL (bit 0) in the
greeting forwarded to the client, as causeway's own greeting does, so that libmariadb
asks for no MariaDB extensions (progress reports, metadata caching) that causeway does
not relay. Not part of the build; see capture.sh.
"""
import json
import selectors
import socket
import sys


def set_client_mysql(greeting):
    # header(4) protocol(1) version NUL conn-id(4) nonce-1(8) filler(1) caps-low(2)
    caps_at = greeting.index(b"\0", 5) + 1 + 4 + 8 + 1
    patched = bytearray(greeting)
    patched[caps_at] |= 0x01
    return bytes(patched)


def main():
    listen_port, upstream_port, log_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    mysql_greeting = "--mysql-greeting" in sys.argv[4:]
    greeted = set()
    log = open(log_path, "a", buffering=1)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", listen_port))
    srv.listen(16)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ, None)
    peers = {}
    conn_no = 0
    while True:
        for key, _ in sel.select():
            sock = key.fileobj
            if sock is srv:
                client, _ = srv.accept()
                upstream = socket.create_connection(("127.0.0.1", upstream_port))
                conn_no += 1
                peers[client] = (upstream, conn_no, "c2s")
                peers[upstream] = (client, conn_no, "s2c")
                sel.register(client, selectors.EVENT_READ, None)
                sel.register(upstream, selectors.EVENT_READ, None)
                continue
            if sock not in peers:
                continue  # closed together with its peer in this round
            other, n, direction = peers[sock]
            try:
                data = sock.recv(1 << 20)
            except ConnectionResetError:
                data = b""
            if not data:
                for s in (sock, other):
                    sel.unregister(s)
                    s.close()
                    del peers[s]
                continue
            log.write(json.dumps({"conn": n, "dir": direction, "hex": data.hex()}) + "\n")
            if mysql_greeting and direction == "s2c" and n not in greeted:
                greeted.add(n)
                data = set_client_mysql(data)
            other.sendall(data)


if __name__ == "__main__":
    main()

"""A deliberately small MySQL classic-protocol client over a raw socket.

Used by the integration tests that must send bytes no well-behaved driver would send
(bad_input.py) or look at protocol details drivers hide (client_test.py). Standard
library only, plus `cryptography` for the caching_sha2_password RSA exchange when that
path is taken without TLS.
"""

import hashlib
import socket
import ssl
import struct
import zlib

# Capability flags (protocol docs: "Capabilities Flags").
CLIENT_LONG_PASSWORD = 0x1
CLIENT_LONG_FLAG = 0x4
CLIENT_CONNECT_WITH_DB = 0x8
CLIENT_COMPRESS = 0x20
CLIENT_PROTOCOL_41 = 0x200
CLIENT_SSL = 0x800
CLIENT_TRANSACTIONS = 0x2000
CLIENT_SECURE_CONNECTION = 0x8000
CLIENT_MULTI_STATEMENTS = 0x10000
CLIENT_MULTI_RESULTS = 0x20000
CLIENT_PLUGIN_AUTH = 0x80000

BASE_CAPS = (CLIENT_LONG_PASSWORD | CLIENT_LONG_FLAG | CLIENT_PROTOCOL_41
             | CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION | CLIENT_MULTI_RESULTS
             | CLIENT_PLUGIN_AUTH)

COM_QUIT = 0x01
COM_QUERY = 0x03
COM_PING = 0x0E
COM_CHANGE_USER = 0x11
COM_STMT_PREPARE = 0x16
COM_STMT_EXECUTE = 0x17
COM_STMT_CLOSE = 0x19

MAX_FRAME = 0xFFFFFF
UTF8MB4_GENERAL_CI = 45


class Closed(Exception):
    """The peer closed the connection (EOF or reset) while we were reading."""


class ServerError(Exception):
    def __init__(self, err):
        super().__init__(f"{err.code} ({err.sqlstate}): {err.message}")
        self.err = err


class Err:
    """A decoded ERR packet; `well_formed` tells whether it parsed cleanly."""

    def __init__(self, payload):
        self.raw = payload
        self.code = None
        self.sqlstate = None
        self.message = None
        self.well_formed = False
        if len(payload) < 3 or payload[0] != 0xFF:
            return
        self.code = struct.unpack_from("<H", payload, 1)[0]
        rest = payload[3:]
        if rest[:1] == b"#":
            if len(rest) < 6:
                return
            self.sqlstate = rest[1:6].decode("ascii", "replace")
            rest = rest[6:]
        try:
            self.message = rest.decode("utf-8")
        except UnicodeDecodeError:
            return
        self.well_formed = True

    def __repr__(self):
        return f"ERR {self.code} ({self.sqlstate}): {self.message}"


def is_err(payload):
    return len(payload) > 0 and payload[0] == 0xFF


def is_ok(payload):
    return len(payload) >= 7 and payload[0] == 0x00


def is_eof(payload):
    return len(payload) < 9 and len(payload) > 0 and payload[0] == 0xFE


def lenenc_int(buf, pos):
    first = buf[pos]
    if first < 0xFB:
        return first, pos + 1
    if first == 0xFC:
        return struct.unpack_from("<H", buf, pos + 1)[0], pos + 3
    if first == 0xFD:
        return int.from_bytes(buf[pos + 1:pos + 4], "little"), pos + 4
    if first == 0xFE:
        return struct.unpack_from("<Q", buf, pos + 1)[0], pos + 9
    raise ValueError(f"bad length-encoded integer prefix 0x{first:02x}")


def lenenc_bytes(data):
    n = len(data)
    if n < 0xFB:
        return bytes([n]) + data
    if n < 1 << 16:
        return b"\xfc" + struct.pack("<H", n) + data
    if n < 1 << 24:
        return b"\xfd" + n.to_bytes(3, "little") + data
    return b"\xfe" + struct.pack("<Q", n) + data


def native_scramble(password, salt):
    """mysql_native_password: SHA1(pw) XOR SHA1(salt + SHA1(SHA1(pw)))."""
    if not password:
        return b""
    h1 = hashlib.sha1(password.encode()).digest()
    h2 = hashlib.sha1(h1).digest()
    h3 = hashlib.sha1(salt + h2).digest()
    return bytes(a ^ b for a, b in zip(h1, h3))


def sha2_scramble(password, salt):
    """caching_sha2_password fast path: SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + salt)."""
    if not password:
        return b""
    d1 = hashlib.sha256(password.encode()).digest()
    d2 = hashlib.sha256(d1).digest()
    d3 = hashlib.sha256(d2 + salt).digest()
    return bytes(a ^ b for a, b in zip(d1, d3))


def rsa_encrypt_password(password, salt, pem):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    key = serialization.load_pem_public_key(pem)
    pw = password.encode() + b"\0"
    xored = bytes(b ^ salt[i % len(salt)] for i, b in enumerate(pw))
    return key.encrypt(xored, padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()),
                                           algorithm=hashes.SHA1(), label=None))


class RawConn:
    def __init__(self, host, port, timeout=30.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.seq = 0
        self.handshake = None
        self.auth_trace = []  # what happened during authentication, for assertions

    # ------------------------------------------------------------------ framing

    def settimeout(self, t):
        self.sock.settimeout(t)

    def _recv_exact(self, n):
        while len(self.buf) < n:
            try:
                chunk = self.sock.recv(max(65536, n - len(self.buf)))
            except (ConnectionResetError, BrokenPipeError) as e:
                raise Closed(f"connection reset: {e}") from e
            except ssl.SSLError as e:
                raise Closed(f"TLS error/close: {e}") from e
            if not chunk:
                raise Closed("EOF")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_frame(self):
        header = self._recv_exact(4)
        length = int.from_bytes(header[:3], "little")
        self.seq = (header[3] + 1) & 0xFF
        return header[3], self._recv_exact(length)

    def read_packet(self):
        """One logical packet (joins 16 MB frames). Raises Closed on EOF/reset."""
        seq, payload = self.read_frame()
        parts = [payload]
        while len(payload) == MAX_FRAME:
            _, payload = self.read_frame()
            parts.append(payload)
        return b"".join(parts)

    def send_raw(self, data):
        self.sock.sendall(data)

    def send_frame(self, payload, seq):
        self.sock.sendall(len(payload).to_bytes(3, "little") + bytes([seq & 0xFF]) + payload)

    def send_packet(self, payload, seq=None):
        """Send a logical packet, splitting at 16 MB, starting at `seq` (default: next)."""
        seq = self.seq if seq is None else seq
        while True:
            frame, payload = payload[:MAX_FRAME], payload[MAX_FRAME:]
            self.send_frame(frame, seq)
            seq += 1
            if len(frame) < MAX_FRAME:
                break
        self.seq = seq & 0xFF

    def command(self, cmd, body=b""):
        self.send_packet(bytes([cmd]) + body, seq=0)

    def wait_closed(self, timeout):
        """Read until the peer closes; returns the packets seen before the close."""
        self.settimeout(timeout)
        seen = []
        try:
            while True:
                seen.append(self.read_packet())
        except Closed:
            return seen

    def wait_closed_compressed(self, timeout):
        """wait_closed on a connection in the compressed protocol: the packets inside."""
        self.settimeout(timeout)
        plain = b""
        try:
            while True:
                h = self._recv_exact(7)
                body = self._recv_exact(h[0] | h[1] << 8 | h[2] << 16)
                plain += zlib.decompress(body) if (h[4] | h[5] << 8 | h[6] << 16) else body
        except Closed:
            pass
        packets = []
        while len(plain) >= 4:
            n = plain[0] | plain[1] << 8 | plain[2] << 16
            packets.append(plain[4:4 + n])
            plain = plain[4 + n:]
        return packets

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # ------------------------------------------------------------------ handshake

    def read_handshake(self):
        p = self.read_packet()
        if is_err(p):
            raise ServerError(Err(p))
        if p[0] != 10:
            raise ValueError(f"unexpected protocol version {p[0]}")
        pos = p.index(b"\0", 1)
        version = p[1:pos].decode()
        pos += 1
        conn_id = struct.unpack_from("<I", p, pos)[0]
        pos += 4
        salt = p[pos:pos + 8]
        pos += 9
        caps = struct.unpack_from("<H", p, pos)[0]
        pos += 2
        charset = p[pos]
        pos += 3  # charset, status flags
        caps |= struct.unpack_from("<H", p, pos)[0] << 16
        pos += 2
        auth_len = p[pos]
        # MariaDB keeps its extended capabilities in the last 4 of the 10 reserved bytes,
        # with CLIENT_MYSQL (CLIENT_LONG_PASSWORD) off.
        mariadb_caps = 0 if caps & CLIENT_LONG_PASSWORD else struct.unpack_from("<I", p, pos + 7)[0]
        pos += 11  # auth data length + 10 reserved
        if caps & CLIENT_SECURE_CONNECTION:
            n = max(13, auth_len - 8)
            salt += p[pos:pos + n - 1]  # the last byte is a NUL terminator
            pos += n
        plugin = "mysql_native_password"
        if caps & CLIENT_PLUGIN_AUTH and pos < len(p):
            plugin = p[pos:].split(b"\0", 1)[0].decode()
        self.handshake = dict(version=version, conn_id=conn_id, salt=salt, caps=caps,
                              charset=charset, plugin=plugin, mariadb_caps=mariadb_caps)
        return self.handshake

    def start_tls(self, cafile=None):
        caps = BASE_CAPS | CLIENT_SSL
        self.send_packet(struct.pack("<IIB", caps, 1 << 24, UTF8MB4_GENERAL_CI) + b"\0" * 23)
        ctx = ssl.create_default_context(cafile=cafile) if cafile else ssl.SSLContext(
            ssl.PROTOCOL_TLS_CLIENT)
        if not cafile:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(self.sock, server_hostname="127.0.0.1" if cafile else None)
        self.tls = True

    def _auth_data(self, plugin, password, salt):
        if plugin == "mysql_native_password":
            return native_scramble(password, salt)
        if plugin == "caching_sha2_password":
            return sha2_scramble(password, salt)
        if plugin == "mysql_clear_password":
            return password.encode() + b"\0"
        raise ValueError(f"unsupported auth plugin {plugin}")

    def login(self, user, password, db=None, caps=0, tls=False, cafile=None):
        """Full connection phase; returns the final OK payload or raises ServerError."""
        hs = self.read_handshake() if self.handshake is None else self.handshake
        self.tls = False
        if tls:
            self.start_tls(cafile)
        caps |= BASE_CAPS | (CLIENT_SSL if tls else 0) | (CLIENT_CONNECT_WITH_DB if db else 0)
        plugin = hs["plugin"]
        salt = hs["salt"][:20]
        auth = self._auth_data(plugin, password, salt)
        body = struct.pack("<IIB", caps, 1 << 24, UTF8MB4_GENERAL_CI) + b"\0" * 23
        body += user.encode() + b"\0" + bytes([len(auth)]) + auth
        if db:
            body += db.encode() + b"\0"
        body += plugin.encode() + b"\0"
        self.send_packet(body)
        return self._finish_auth(plugin, password, salt)

    def _finish_auth(self, plugin, password, salt):
        while True:
            p = self.read_packet()
            if is_ok(p):
                self.auth_trace.append("ok")
                return p
            if is_err(p):
                self.auth_trace.append("err")
                raise ServerError(Err(p))
            if p[0] == 0xFE:  # AuthSwitchRequest
                name, rest = p[1:].split(b"\0", 1)
                plugin, salt = name.decode(), rest.rstrip(b"\0")[:20]
                self.auth_trace.append("switch:" + plugin)
                self.send_packet(self._auth_data(plugin, password, salt))
                continue
            if p[0] == 0x01 and plugin == "caching_sha2_password":
                if p[1:] == b"\x03":
                    self.auth_trace.append("fast_auth_success")
                    continue
                if p[1:] == b"\x04":
                    self.auth_trace.append("perform_full_authentication")
                    if self.tls:
                        self.send_packet(password.encode() + b"\0")
                    else:
                        self.send_packet(b"\x02")  # request the RSA public key
                        key = self.read_packet()
                        if is_err(key):
                            raise ServerError(Err(key))
                        self.auth_trace.append("public_key")
                        self.send_packet(rsa_encrypt_password(password, salt, key[1:]))
                    continue
            raise ValueError(f"unexpected packet during auth: {p[:16]!r}")

    # ------------------------------------------------------------------ commands

    def change_user(self, user, password, db=None):
        """COM_CHANGE_USER with the greeting's salt; returns the OK payload or raises ServerError."""
        plugin = self.handshake["plugin"]
        salt = self.handshake["salt"][:20]
        auth = self._auth_data(plugin, password, salt)
        body = user.encode() + b"\0" + bytes([len(auth)]) + auth + (db or "").encode() + b"\0"
        body += struct.pack("<H", UTF8MB4_GENERAL_CI) + plugin.encode() + b"\0"
        self.command(COM_CHANGE_USER, body)
        return self._finish_auth(plugin, password, salt)

    def query(self, sql):
        """COM_QUERY; returns list of rows (tuples of bytes/None), or the OK payload."""
        self.command(COM_QUERY, sql.encode())
        return self.read_result()

    def read_result(self):
        p = self.read_packet()
        if is_err(p):
            raise ServerError(Err(p))
        if is_ok(p):
            return p
        ncols, _ = lenenc_int(p, 0)
        for _ in range(ncols):
            self.read_packet()
        if not is_eof(self.read_packet()):
            raise ValueError("expected EOF after column definitions")
        rows = []
        while True:
            p = self.read_packet()
            if is_eof(p):
                return rows
            if is_err(p):
                raise ServerError(Err(p))
            rows.append(self._text_row(p, ncols))

    @staticmethod
    def _text_row(p, ncols):
        row, pos = [], 0
        for _ in range(ncols):
            if p[pos] == 0xFB:
                row.append(None)
                pos += 1
                continue
            n, pos = lenenc_int(p, pos)
            row.append(p[pos:pos + n])
            pos += n
        return tuple(row)

    def prepare(self, sql):
        """COM_STMT_PREPARE; returns (stmt_id, num_columns, num_params)."""
        self.command(COM_STMT_PREPARE, sql.encode())
        p = self.read_packet()
        if is_err(p):
            raise ServerError(Err(p))
        stmt_id, ncols, nparams = struct.unpack_from("<IHH", p, 1)
        for count in (nparams, ncols):
            if count:
                for _ in range(count):
                    self.read_packet()
                if not is_eof(self.read_packet()):
                    raise ValueError("expected EOF after definitions")
        return stmt_id, ncols, nparams

    def execute_first_column(self, stmt_id):
        """COM_STMT_EXECUTE of a statement without parameters whose first column is a
        string; returns that column of every row."""
        self.command(0x17, struct.pack("<IBI", stmt_id, 0, 1))
        p = self.read_packet()
        if is_err(p):
            raise ServerError(Err(p))
        if is_ok(p):
            return []
        ncols, _ = lenenc_int(p, 0)
        for _ in range(ncols):
            self.read_packet()
        self.read_packet()  # EOF after the column definitions
        values = []
        while True:
            p = self.read_packet()
            if is_eof(p):
                return values
            if is_err(p):
                raise ServerError(Err(p))
            # binary row: 0x00, NULL bitmap ((ncols + 9) // 8 bytes), then the values
            pos = 1 + (ncols + 9) // 8
            n, pos = lenenc_int(p, pos)
            values.append(p[pos:pos + n].decode())


def fetch_sha2_public_key(host, port, user, timeout=15.0):
    """The server's caching_sha2_password RSA public key (PEM), the way a client without
    it gets it: a scramble that cannot match forces full authentication over plain TCP,
    where the client may ask for the key (0x02). No valid credentials needed."""
    c = RawConn(host, port, timeout)
    try:
        hs = c.read_handshake()
        body = struct.pack("<IIB", BASE_CAPS, 1 << 24, UTF8MB4_GENERAL_CI) + b"\0" * 23
        body += user.encode() + b"\0" + bytes([32]) + b"\x5a" * 32
        body += b"caching_sha2_password\0"
        c.send_packet(body)
        p = c.read_packet()
        if p[:1] == b"\xfe":  # switched to caching_sha2_password with a new salt
            c.send_packet(b"\x5a" * 32)
            p = c.read_packet()
        if p != b"\x01\x04":
            raise ValueError(f"expected perform_full_authentication, got {p[:16]!r} "
                             f"(initial plugin {hs['plugin']})")
        c.send_packet(b"\x02")
        key = c.read_packet()
        if key[:1] != b"\x01" or b"PUBLIC KEY" not in key:
            raise ValueError(f"no public key in {key[:32]!r}")
        return key[1:]
    finally:
        c.close()


def connect(host, port, user, password, db=None, timeout=30.0, **kw):
    c = RawConn(host, port, timeout)
    c.login(user, password, db, **kw)
    return c

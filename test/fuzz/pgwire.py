"""pgwire.py — the smallest PostgreSQL client the fuzzer needs (Python stdlib).

Speaks protocol 3.0 over a Unix socket with trust authentication, runs
statements with the simple query protocol, and reports for every statement
its rows (as text) and its error fields (SQLSTATE, message, detail ...).
A fuzzer needs exactly what drivers hide: whether the connection survived
a call, the SQLSTATE of every error, and the backend's pid.
"""
import socket
import struct


class ConnectionLost(Exception):
    """The server closed the connection (a crash, or a FATAL error)."""


class Timeout(Exception):
    """No answer within the client-side timeout (the backend hangs)."""


class Result:
    def __init__(self):
        self.rows = []          # list of tuples of str/None (the last statement's rows)
        self.error = None       # dict of ErrorResponse fields ('C' = SQLSTATE, 'M' = message ...)
        self.notices = []
        self.fatal = False      # the error ended the session
        self.txstatus = "I"     # after the query: I idle, T in a transaction, E failed transaction


class Connection:
    def __init__(self, socket_dir, port, user, database, timeout=120.0, options=None):
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect("%s/.s.PGSQL.%d" % (socket_dir, port))
        self.buf = bytearray()
        self.pid = None
        self.closed = False
        params = [("user", user), ("database", database), ("client_encoding", "UTF8"),
                  ("application_name", "automl_fuzz")]
        if options:
            params.append(("options", options))
        body = struct.pack("!i", 196608)
        for k, v in params:
            body += k.encode() + b"\0" + v.encode() + b"\0"
        body += b"\0"
        self._send(struct.pack("!i", len(body) + 4) + body)
        result = Result()
        while True:
            kind, payload = self._read_message()
            if kind == b"R":
                (code,) = struct.unpack("!i", payload[:4])
                if code != 0:
                    raise RuntimeError("the fuzzer needs trust authentication (got request %d)" % code)
            elif kind == b"K":
                self.pid, _secret = struct.unpack("!ii", payload[:8])
            elif kind == b"E":
                raise RuntimeError("connection refused: %s" % _fields(payload).get("M"))
            elif kind == b"Z":
                break
            elif kind == b"N":
                result.notices.append(_fields(payload))

    def _send(self, data):
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError) as e:
            self.closed = True
            raise ConnectionLost(str(e))
        except socket.timeout:
            raise Timeout("sending took longer than %.0f s" % self.timeout)

    def _fill(self, n):
        while len(self.buf) < n:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise Timeout("no answer within %.0f s" % self.timeout)
            except ConnectionResetError as e:
                self.closed = True
                raise ConnectionLost(str(e))
            if not chunk:
                self.closed = True
                raise ConnectionLost("the server closed the connection")
            self.buf += chunk

    def _read_message(self):
        self._fill(5)
        kind = bytes(self.buf[0:1])
        (length,) = struct.unpack("!i", self.buf[1:5])
        self._fill(1 + length)
        payload = bytes(self.buf[5:1 + length])
        del self.buf[:1 + length]
        return kind, payload

    def query(self, sql):
        """Run one simple-protocol query string; returns a Result.  Raises
        ConnectionLost when the server goes away before ReadyForQuery."""
        data = sql.encode("utf-8") + b"\0"
        self._send(b"Q" + struct.pack("!i", len(data) + 4) + data)
        result = Result()
        rows = []
        while True:
            kind, payload = self._read_message()
            if kind == b"T":
                rows = []
            elif kind == b"D":
                (n,) = struct.unpack("!h", payload[:2])
                pos = 2
                row = []
                for _ in range(n):
                    (ln,) = struct.unpack("!i", payload[pos:pos + 4])
                    pos += 4
                    if ln < 0:
                        row.append(None)
                    else:
                        row.append(payload[pos:pos + ln].decode("utf-8", "replace"))
                        pos += ln
                rows.append(tuple(row))
            elif kind == b"C":
                result.rows = rows
            elif kind == b"E":
                result.error = _fields(payload)
                if result.error.get("S") in ("FATAL", "PANIC"):
                    result.fatal = True
            elif kind == b"N":
                result.notices.append(_fields(payload))
            elif kind == b"Z":
                result.txstatus = payload[:1].decode()
                return result
            elif kind == b"G":
                # COPY FROM STDIN is never generated: refuse it (CopyFail)
                msg = b"no COPY data\0"
                self._send(b"f" + struct.pack("!i", 4 + len(msg)) + msg)
            # 'S' ParameterStatus, 'A' NotificationResponse, 'I' EmptyQuery,
            # 'n' NoData, '1'/'2'/'3' ... are ignored

    def close(self):
        if not self.closed:
            try:
                self._send(b"X" + struct.pack("!i", 4))
            except (ConnectionLost, Timeout):
                pass
        self.closed = True
        self.sock.close()


def _fields(payload):
    fields = {}
    for part in payload.split(b"\0"):
        if part:
            fields[chr(part[0])] = part[1:].decode("utf-8", "replace")
    return fields

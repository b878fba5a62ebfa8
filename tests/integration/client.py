"""A client's side of HTTP/1.1 for tests: a socket with a read buffer, a strict message reader
(Content-Length, chunked, close-delimited, 1xx, HEAD) and raw send/receive helpers. The reader
also parses requests, for the scripted backend.

Strict on purpose: a bare LF, an obs-fold or contradictory framing from fulcrum is a
ProtocolError, not something to tolerate.
"""

import json
import select
import socket
import time

from environment import HOST, IO_TIMEOUT, MiB


class ProtocolError(Exception):
    """The peer sent bytes that are not valid HTTP/1.1 framing."""


class ConnectionClosed(Exception):
    """The peer closed (or reset) the connection before a message started."""


class Message:
    """A parsed HTTP message head and body. For requests, method and target are set; for
    responses, status and reason."""

    def __init__(self):
        self.version = None
        self.status = None
        self.reason = None
        self.method = None
        self.target = None
        self.headers = []  # (name, value) in order, names as sent
        self.trailers = []
        self.body = b""
        self.body_length = 0  # also counted when the body went to a sink
        self.complete = True  # False: the connection ended before the declared end of the body
        self.chunked = False
        self.raw_head = b""

    def header(self, name):
        """The values of every field with this name joined with ", ", or None if there is none."""
        values = self.header_values(name)
        return ", ".join(values) if values else None

    def header_values(self, name):
        lower = name.lower()
        return [v for n, v in self.headers if n.lower() == lower]

    def has_header(self, name):
        return bool(self.header_values(name))

    def connection_tokens(self):
        value = self.header("Connection") or ""
        return {t.strip().lower() for t in value.split(",") if t.strip()}

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        first = self.raw_head.split(b"\r\n", 1)[0]
        return "<%r, %d body bytes%s>" % (first, self.body_length, "" if self.complete else ", incomplete")


def _parse_head(head, is_request):
    """Parses a head (without its final empty line) strictly: CRLF line ends, no obs-fold."""
    message = Message()
    message.raw_head = head
    lines = head.split(b"\r\n")
    for line in lines:
        if b"\n" in line or b"\r" in line:
            raise ProtocolError("bare CR or LF in head: %r" % head[:200])
    start = lines[0].decode("latin-1")
    if is_request:
        parts = start.split(" ")
        if len(parts) != 3:
            raise ProtocolError("bad request line %r" % start)
        message.method, message.target, message.version = parts
    else:
        parts = start.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or len(parts[1]) != 3 or not parts[1].isdigit():
            raise ProtocolError("bad status line %r" % start)
        message.version = parts[0]
        message.status = int(parts[1])
        message.reason = parts[2] if len(parts) == 3 else ""
    message.headers = _parse_fields(lines[1:])
    return message


def _parse_fields(lines):
    fields = []
    for line in lines:
        text = line.decode("latin-1")
        if text[:1] in (" ", "\t"):
            raise ProtocolError("obs-fold in %r" % text)
        name, colon, value = text.partition(":")
        if not colon or not name or name != name.strip():
            raise ProtocolError("bad header line %r" % text)
        fields.append((name, value.strip(" \t")))
    return fields


class Connection:
    """One client TCP connection with a read buffer, so that pipelined responses can be read one
    after another. Every blocking operation times out after `timeout` seconds (socket.timeout).
    """

    def __init__(self, port=None, host=HOST, timeout=IO_TIMEOUT, sock=None):
        if sock is None:
            sock = socket.create_connection((host, port), timeout=timeout)
        sock.settimeout(timeout)
        if port is None:
            # A socket connected elsewhere: its peer is what a Host field names.
            try:
                host, port = sock.getpeername()[:2]
            except OSError:  # reset already: no request will go on it
                pass
        self.sock = sock
        self.port = port
        self.host_header = ("[%s]:%s" if ":" in host else "%s:%s") % (host, port)
        self._buf = bytearray()
        self.eof = False  # the peer closed its side (FIN)
        self.was_reset = False  # the peer reset the connection

    # Raw bytes ------------------------------------------------------------------------------

    def send(self, data):
        """Sends all of data. Returns False (instead of raising) if the peer has closed or reset
        the connection, as servers may do when they reject a request they have not read."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def _fill(self, size=256 * 1024):
        """Reads more bytes into the buffer; False at end of stream (FIN or reset)."""
        if self.eof:
            return False
        try:
            data = self.sock.recv(size)
        except ConnectionResetError:
            data = b""
            self.was_reset = True
        if not data:
            self.eof = True
            return False
        self._buf += data
        return True

    def _take(self, n):
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    def _read_some(self, limit):
        """Up to limit bytes: buffered ones first, else one recv. b"" at end of stream."""
        if self._buf:
            return self._take(min(limit, len(self._buf)))
        if self.eof:
            return b""
        try:
            data = self.sock.recv(min(limit, MiB))
        except ConnectionResetError:
            data = b""
            self.was_reset = True
        if not data:
            self.eof = True
        return data

    def read_exact(self, n):
        """Exactly n bytes, or fewer if the stream ends first."""
        while len(self._buf) < n and self._fill():
            pass
        return self._take(n)

    def read_until(self, delimiter, limit=1024 * 1024):
        """Bytes up to and including delimiter; the rest if the stream ends first."""
        while True:
            i = self._buf.find(delimiter)
            if i >= 0:
                return self._take(i + len(delimiter))
            if len(self._buf) > limit:
                raise ProtocolError("no %r within %d bytes" % (delimiter, limit))
            if not self._fill():
                return self._take(len(self._buf))

    def read_until_close(self, timeout=None):
        """Everything until the peer closes. Raises socket.timeout if it does not close within
        timeout seconds (default: the connection's timeout)."""
        saved = self.sock.gettimeout()
        deadline = time.monotonic() + (timeout if timeout is not None else saved)
        while not self.eof:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("connection not closed")
            self.sock.settimeout(remaining)
            try:
                self._fill()
            finally:
                self.sock.settimeout(saved)
        return self._take(len(self._buf))

    def closed_within(self, timeout):
        """True if the peer closes or resets the connection within timeout seconds, keeping any
        bytes that arrive before that in the buffer; False if it is still open then."""
        try:
            self.read_until_close(timeout)
        except socket.timeout:
            return False
        return True

    def pending(self):
        """The buffered bytes not consumed yet."""
        return bytes(self._buf)

    def readable_within(self, timeout):
        if self._buf or self.eof:
            return True
        ready, _, _ = select.select([self.sock], [], [], timeout)
        return bool(ready)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # HTTP messages -------------------------------------------------------------------------

    def _read_head(self, what):
        head = self.read_until(b"\r\n\r\n", limit=256 * 1024)
        if not head:
            raise ConnectionClosed("connection closed before the %s" % what)
        if not head.endswith(b"\r\n\r\n"):
            raise ProtocolError("connection closed inside the %s head: %r" % (what, head[:300]))
        return head[:-4]

    def _read_body(self, message, length, chunked, until_close, sink):
        def deliver(data):
            message.body_length += len(data)
            if sink is None:
                parts.append(data)
            else:
                sink(data)

        parts = []
        if chunked:
            message.chunked = True
            while True:
                line = self.read_until(b"\r\n", limit=4096)
                if not line.endswith(b"\r\n"):
                    message.complete = False
                    break
                size_text = line[:-2].split(b";", 1)[0].strip()
                try:
                    size = int(size_text, 16)
                except ValueError:
                    raise ProtocolError("bad chunk size line %r" % line)
                if size == 0:
                    trailer_lines = []
                    while True:
                        t = self.read_until(b"\r\n", limit=64 * 1024)
                        if not t.endswith(b"\r\n"):
                            message.complete = False
                            break
                        if t == b"\r\n":
                            break
                        trailer_lines.append(t[:-2])
                    message.trailers = _parse_fields(trailer_lines)
                    break
                remaining = size
                while remaining > 0:
                    data = self._read_some(remaining)
                    if not data:
                        break
                    deliver(data)
                    remaining -= len(data)
                if remaining > 0 or self.read_exact(2) != b"\r\n":
                    if remaining == 0 and not self.eof:
                        raise ProtocolError("chunk data not followed by CRLF")
                    message.complete = False
                    break
        elif length is not None:
            remaining = length
            while remaining > 0:
                data = self._read_some(remaining)
                if not data:
                    message.complete = False
                    break
                deliver(data)
                remaining -= len(data)
        elif until_close:
            while True:
                data = self._read_some(MiB)
                if not data:
                    break
                deliver(data)
        message.body = b"".join(parts)

    @staticmethod
    def _framing(message):
        """(content_length, chunked) from the head; ProtocolError when they are contradictory. A
        response whose last transfer coding is not chunked ends with the connection (RFC 9112
        §6.3); a request cannot be framed so."""
        te = message.header("Transfer-Encoding")
        lengths = message.header_values("Content-Length")
        if te is not None:
            if lengths:
                raise ProtocolError("both Transfer-Encoding and Content-Length: %r" % message)
            if te.split(",")[-1].strip().lower() != "chunked":
                if message.method is not None:
                    raise ProtocolError("unsupported Transfer-Encoding %r" % te)
                return None, False
            return None, True
        if lengths:
            if len(set(lengths)) != 1 or not lengths[0].isdigit():
                raise ProtocolError("bad Content-Length %r" % lengths)
            return int(lengths[0]), False
        return None, False

    def read_response(self, method="GET", sink=None):
        """Reads one response (a 1xx one included). sink(bytes) receives the body as it arrives
        instead of Message.body, for bodies too large to keep."""
        message = _parse_head(self._read_head("response"), is_request=False)
        if method == "HEAD" or 100 <= message.status < 200 or message.status in (204, 304):
            return message
        length, chunked = self._framing(message)
        self._read_body(message, length, chunked, until_close=True, sink=sink)
        return message

    def read_final_response(self, method="GET", sink=None):
        """Skips 1xx responses; returns (final response, list of the 1xx ones)."""
        interim = []
        while True:
            response = self.read_response(method, sink)
            if response.status >= 200:
                return response, interim
            interim.append(response)

    def read_request(self, sink=None):
        """Reads one request (used by ScriptedBackend); None if the peer closed first."""
        try:
            head = self._read_head("request")
        except ConnectionClosed:
            return None
        message = _parse_head(head, is_request=True)
        length, chunked = self._framing(message)
        self._read_body(message, length or 0, chunked, until_close=False, sink=sink)
        return message

    def request(self, method, target, headers=(), body=None, version="HTTP/1.1", sink=None):
        """Sends a request built by build_request() and returns the final response."""
        self.send(build_request(method, target, headers, body, version, host=self.host_header))
        response, _ = self.read_final_response(method, sink)
        return response


def build_request(method, target, headers=(), body=None, version="HTTP/1.1", host=None):
    """The bytes of a request. Adds Host (unless headers has one or host is None) and, with a
    body, Content-Length (unless headers has Content-Length or Transfer-Encoding)."""
    names = {n.lower() for n, _ in headers}
    lines = ["%s %s %s" % (method, target, version)]
    if host is not None and "host" not in names:
        lines.append("Host: %s" % host)
    lines += ["%s: %s" % (n, v) for n, v in headers]
    if body is not None and not names & {"content-length", "transfer-encoding"}:
        lines.append("Content-Length: %d" % len(body))
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + (body or b"")


def chunked_body(chunks, trailers=()):
    """Encodes chunks (bytes) in the chunked coding, with optional trailer fields."""
    out = bytearray()
    for c in chunks:
        if c:
            out += b"%x\r\n" % len(c) + c + b"\r\n"
    out += b"0\r\n"
    for n, v in trailers:
        out += ("%s: %s\r\n" % (n, v)).encode("latin-1")
    return bytes(out + b"\r\n")


def http_request(port, method, target, headers=(), body=None, version="HTTP/1.1", sink=None):
    """One request on a new connection, closed afterwards; returns the final response."""
    with Connection(port) as conn:
        return conn.request(method, target, headers, body, version, sink)

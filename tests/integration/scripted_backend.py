"""A raw TCP server inside the test process, for what fulcrum-backend cannot do: answer with
any bytes (cut bodies, malformed heads, contradictory framing), reset, or hold a request until
the test says so. It records every request it reads."""

import re
import select
import socket
import threading
import time
import traceback

from client import Connection
from environment import HOST, IO_TIMEOUT


class ScriptedConnection(Connection):
    """The server side of one connection to a ScriptedBackend."""

    def __init__(self, sock, server):
        # Bytes leave when send() returns, as most HTTP servers have it. With Nagle's algorithm a
        # small send after one not yet acknowledged waits for fulcrum's delayed ACK or its next
        # bytes on the connection: bytes a test sends "later" could then come after fulcrum's
        # next request on it, and be taken for its answer.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().__init__(sock=sock)
        self.server = server

    def next_request(self):
        """Reads the next request, records it on the server; None once the peer has closed."""
        request = self.read_request()
        if request is not None:
            self.server._record(request)
        return request

    def reset(self):
        """Closes with a TCP reset (SO_LINGER 0) instead of a FIN."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.close()


class ScriptedBackend:
    """A raw TCP server in this process. handler(conn: ScriptedConnection) runs in a thread of
    its own for each accepted connection; it typically calls conn.next_request() and then sends
    whatever bytes the scenario needs, and closes or resets."""

    name = "scripted backend"

    def __init__(self, handler):
        self._handler = handler
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((HOST, 0))
        self._listener.listen(128)
        self.port = self._listener.getsockname()[1]
        self.requests = []
        self.errors = []
        self.connections = 0
        self._lock = threading.Lock()
        self._request_seen = threading.Condition(self._lock)
        self._stopping = False
        self._open = []
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    @property
    def address(self):
        return "%s:%d" % (HOST, self.port)

    def _record(self, request):
        with self._lock:
            self.requests.append(request)
            self._request_seen.notify_all()

    def wait_for_requests(self, count, timeout=IO_TIMEOUT):
        """True once at least count requests have arrived, False after timeout seconds."""
        with self._lock:
            return self._request_seen.wait_for(lambda: len(self.requests) >= count, timeout)

    def _accept_loop(self):
        while not self._stopping:
            ready, _, _ = select.select([self._listener], [], [], 0.05)
            if not ready or self._stopping:
                continue
            try:
                sock, _ = self._listener.accept()
            except OSError:
                continue
            with self._lock:
                self.connections += 1
                self._open.append(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock):
        conn = ScriptedConnection(sock, self)
        try:
            self._handler(conn)
        except (OSError, socket.timeout) as e:
            if not self._stopping:
                with self._lock:
                    self.errors.append("%s: %s" % (type(e).__name__, e))
        except Exception:
            with self._lock:
                self.errors.append(traceback.format_exc())
        finally:
            conn.close()

    def stop(self):
        self._stopping = True
        self._thread.join(5)
        self._listener.close()
        with self._lock:
            for sock in self._open:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def describe(self):
        return "%s on port %d: %d connections, %d requests" % (self.name, self.port, self.connections, len(self.requests))

    def output(self):
        return "\n".join(self.errors)

    def close(self):
        self.stop()


def respond(data, then="close"):
    """A ScriptedBackend handler: to each request, send data; then "close", "reset" or "keep"
    (keep the connection and answer the next request the same way)."""

    def handler(conn):
        while conn.next_request() is not None:
            conn.send(data)
            if then == "close":
                return
            if then == "reset":
                conn.reset()
                return

    return handler


def echo_as_it_reads(piece=64 * 1024, socket_buffers=None):
    """A ScriptedBackend handler: answers a Content-Length body with a chunked echo of it, read
    and sent back a piece (of `piece` bytes) at a time, as streaming services do: it reads no
    more until the piece before has gone. socket_buffers: the size of its connection's receive
    and send buffers, when given (the kernel's grow to MiBs on loopback)."""

    def handler(conn):
        if socket_buffers:
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, socket_buffers)
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, socket_buffers)
        head = conn.read_until(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
        conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        while length > 0:
            data = conn.read_exact(min(length, piece))
            if not data:
                return
            conn.send(b"%x\r\n%s\r\n" % (len(data), data))
            length -= len(data)
        conn.send(b"0\r\n\r\n")

    return handler


def paced(body, head_after=0.0, pieces=1, piece_every=0.0):
    """A ScriptedBackend handler that answers each request on its connection (keep-alive) with a
    200 and body, on a schedule: the head head_after seconds after the request, then the body in
    `pieces` parts, each piece_every seconds after the one before it (the first after the head)."""
    size = -(-len(body) // pieces)
    parts = [body[i : i + size] for i in range(0, len(body), size)]

    def handler(conn):
        while conn.next_request() is not None:
            time.sleep(head_after)
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
            for part in parts:
                time.sleep(piece_every)
                conn.send(part)

    return handler


class UploadSink:
    """A ScriptedBackend handler that answers requests without a body (keep-alive) with `answer`
    (by default, the request's target), answer_after seconds after they came, and reads a
    "/upload" request to the end of its connection without answering, telling when the head
    came and when the connection ended."""

    def __init__(self, answer=None, answer_after=0.0):
        self.answer = answer
        self.answer_after = answer_after
        self.head_seen = threading.Event()
        self.ended = threading.Event()

    def __call__(self, conn):
        while True:
            head = conn.read_until(b"\r\n\r\n")
            if not head.endswith(b"\r\n\r\n"):
                return
            target = head.split(b" ", 2)[1]
            if target == b"/upload":
                self.head_seen.set()
                conn.read_until_close(timeout=30)
                self.ended.set()
                return
            time.sleep(self.answer_after)
            body = target if self.answer is None else self.answer
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

"""The one module tests import: real processes on loopback (DESIGN principle 10).

  Backend, Proxy        fulcrum-backend and fulcrum on free ports (processes.py)
  ScriptedBackend       a raw TCP server answering with any bytes (scripted_backend.py)
  Connection            a client connection with an HTTP/1.1 reader (client.py)
  StatsProbe            a backend's /stats read directly, to see what reached it
  rss_kib, fd_count, pipe_count, cpu_seconds   a server's memory, descriptors and CPU time (procfs.py)
  TestCase              starts servers for one test, stops them after it, prints their output
                        when it fails, and fails it when a sanitizer reported an error in one

Importing this exits with 77 (skipped) when FULCRUM_IO=uring cannot run here (environment.py).
Nothing here sleeps for a fixed time to let something happen: it polls with a deadline.
"""

import atexit
import http.client
import os
import sys
import tempfile
import threading
import time
import unittest

from environment import BACKEND_BIN, FULCRUM_BIN, HOST, IO, IO_TIMEOUT, MODE, MiB, START_TIMEOUT  # noqa: F401
from client import (  # noqa: F401
    Connection,
    ConnectionClosed,
    Message,
    ProtocolError,
    build_request,
    chunked_body,
    http_request,
)
from processes import Backend, FileOnlyProxy, Proxy, ServerProcess, free_port, free_ports, is_listening, run_fulcrum, sanitizer_report  # noqa: F401
from procfs import cpu_seconds, fd_count, pipe_count, process_tree, rss_kib  # noqa: F401
from scripted_backend import ScriptedBackend, ScriptedConnection, respond  # noqa: F401


_temp_files = []


@atexit.register
def _remove_temp_files():
    for path in _temp_files:
        if os.path.exists(path):
            os.unlink(path)


def write_temp_file(text, suffix=".yaml"):
    """Writes text to a new temporary file and returns its path; the file is removed when the
    test process exits, if the test has not removed it."""
    fd, path = tempfile.mkstemp(prefix="fulcrum-it-", suffix=suffix)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    _temp_files.append(path)
    return path


def wait_until(predicate, timeout=10.0, interval=0.02):
    """Polls predicate() until it returns something true or timeout seconds pass.

    Returns the last value predicate() returned (true on success, false on timeout).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


_ALPHABET = bytes(range(ord("a"), ord("a") + 26))
_PATTERN_RUN = _ALPHABET * (MiB // 26 + 2)  # a little over 1 MiB of the pattern from offset 0


def pattern(offset, length):
    """Bytes offset .. offset+length of fulcrum-backend's /bytes and /chunked bodies:
    byte i is chr(ord('a') + i % 26)."""
    parts = []
    while length > 0:
        start = offset % 26
        take = min(length, len(_PATTERN_RUN) - start)
        parts.append(_PATTERN_RUN[start : start + take])
        offset += take
        length -= take
    return b"".join(parts)


class PatternCheck:
    """A body sink that checks streamed bytes against pattern() without keeping them."""

    def __init__(self):
        self.length = 0
        self.first_mismatch = None  # body offset of the first wrong byte

    def __call__(self, chunk):
        if self.first_mismatch is None:
            expected = pattern(self.length, len(chunk))
            if chunk != expected:
                for i, (got, want) in enumerate(zip(chunk, expected)):
                    if got != want:
                        self.first_mismatch = self.length + i
                        break
        self.length += len(chunk)


class StatsProbe:
    """Reads a backend's /stats directly (never through the proxy), on one connection of its
    own, and tells what the backend saw between two readings, not counting its own requests.
    """

    def __init__(self, backend):
        self._conn = Connection(backend.port)
        self._last = self._read()

    def _read(self):
        response = self._conn.request("GET", "/stats")
        if response.status != 200:
            raise AssertionError("GET /stats on the backend answered %r" % response)
        return response.json()

    def delta(self):
        """{"requests": n, "connections": n} since the previous reading. The previous /stats
        request itself is subtracted: whether or not /stats counts itself, it was over then."""
        now = self._read()
        d = {
            "requests": now["requests"] - self._last["requests"] - 1,
            "connections": now["connections"] - self._last["connections"],
        }
        self._last = now
        return d

    def wait_for_requests(self, count, timeout=IO_TIMEOUT):
        """True once count requests have reached the backend since the previous reading (their
        heads are counted as soon as read, before any answer), False after timeout seconds."""
        seen = 0

        def enough():
            nonlocal seen
            seen += self.delta()["requests"]
            return seen >= count

        return wait_until(enough, timeout)

    def close(self):
        self._conn.close()


class KeepAliveLoad:
    """Client threads, each sending GETs on its own keep-alive connection (http.client reconnects
    after a "Connection: close"), counting successes and failures, until stopped."""

    MAX_SECONDS = 120  # a load that nobody stops ends by itself

    def __init__(self, port, threads=4, path="/load/%d"):
        self.port = port
        self.path = path
        self._deadline = time.monotonic() + self.MAX_SECONDS
        self.ok = [0] * threads
        self.failures = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]
        for t in self._threads:
            t.start()

    def _run(self, i):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=20)
        try:
            self._send_until_stopped(i, conn)
        finally:
            conn.close()

    def _send_until_stopped(self, i, conn):
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            try:
                conn.request("GET", self.path % i if "%d" in self.path else self.path)
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    self.ok[i] += 1
                else:
                    self.failures.append((i, "status %d" % response.status))
            except (OSError, http.client.HTTPException) as e:
                self.failures.append((i, repr(e)))
                return

    def failed(self):
        return {i for i, _ in self.failures}

    def total(self):
        return sum(self.ok)

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(30)


class TestCase(unittest.TestCase):
    """Starts processes for one test, stops them when it ends, and prints their output (and the
    scripted backends' errors) when it fails."""

    def run(self, result=None):
        self._servers = []
        failures_before = len(result.failures) + len(result.errors) if result is not None else 0
        try:
            return super().run(result)
        finally:
            if result is not None and len(result.failures) + len(result.errors) > failures_before:
                for server in self._servers:
                    print("\n---- %s output ----\n%s\n---- end ----" % (server.describe(), server.output()), file=sys.stderr)
            for server in self._servers:
                server.close()

    def _track(self, server):
        self._servers.append(server)
        # Cleanups run last in, first out: the output is checked once the server has exited.
        self.addCleanup(self._check_sanitizers, server)
        self.addCleanup(server.stop)
        return server

    def _check_sanitizers(self, server):
        report = sanitizer_report(server.output())
        if report:
            self.fail("%s: sanitizer report:\n%s" % (server.describe(), report))

    def start_backend(self, id=None, status=None, port=None, extra_args=()):
        return self._track(Backend(id=id, status=status, port=port, extra_args=extra_args))

    def start_proxy(self, backends, extra_args=(), nofile=None, mode=MODE):
        return self._track(Proxy(backends, extra_args, nofile, mode))

    def start_scripted_backend(self, handler):
        return self._track(ScriptedBackend(handler))

    def connect(self, server, timeout=IO_TIMEOUT):
        conn = Connection(server.port, timeout=timeout)
        self.addCleanup(conn.close)
        return conn

    def stats_probe(self, backend):
        probe = StatsProbe(backend)
        self.addCleanup(probe.close)
        return probe

    # Assertions on what a client sees -------------------------------------------------------

    def assertClosedWithin(self, conn, timeout, msg=None):
        self.assertTrue(conn.closed_within(timeout), msg or "the server kept the connection open for %.0fs" % timeout)

    def assertErrorResponse(self, response, status):
        """fulcrum's own error responses: the status, a short text/plain body, Connection: close."""
        self.assertEqual(response.status, status, response)
        self.assertTrue((response.header("Content-Type") or "").startswith("text/plain"), response.headers)
        self.assertTrue(0 < len(response.body) <= 512, response.body)
        self.assertIn("close", response.connection_tokens(), response.headers)

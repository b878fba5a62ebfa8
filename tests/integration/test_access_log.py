"""The access log (--access-log PATH, or log: {access: PATH} in the file): a line per request in
nginx's combined format with the backend and the time taken appended, buffered per worker and
written within a second, at 32 KiB and at exit, appended to by every worker, opened again at each
reload (log rotation)."""

import calendar
import contextlib
import os
import re
import shutil
import signal
import socket
import stat
import tempfile
import threading
import time
from collections import namedtuple

import harness
from harness import HOST, IO_TIMEOUT, MODE, build_request

# A quoted field: printable ASCII but for " and \, which come as \xHH like every other byte.
_QUOTED = r'"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\x[0-9A-F]{2})*)"'
LINE = re.compile(
    r"(\S+) - - \[(\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d) \+0000\] " + _QUOTED
    + r" (\d{3}) (\d+) " + _QUOTED + " " + _QUOTED + " " + _QUOTED + r" (\d+\.\d{3})")
Entry = namedtuple("Entry", "ip time request status bytes referer user_agent backend took")
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def parse(line):
    """An Entry from one line (without its newline); AssertionError if it is not well formed.
    time: seconds since the epoch; took: seconds."""
    m = LINE.fullmatch(line)
    if not m:
        raise AssertionError("not an access log line: %r" % line[:500])
    ip, stamp, request, status, size, referer, agent, backend, took = m.groups()
    day, month, rest = stamp.split("/")
    year, hh, mm, ss = rest.split(":")
    when = calendar.timegm((int(year), MONTHS.index(month) + 1, int(day), int(hh), int(mm), int(ss)))
    return Entry(ip, when, request, int(status), int(size), referer, agent, backend, float(took))


def whole_lines(path):
    """The complete lines of the file so far (a line still being written is left out)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    return data[: data.rfind(b"\n") + 1].decode("latin-1").splitlines()


def wait_for_lines(path, count, timeout=10.0):
    """The file's entries once it holds at least count lines; AssertionError after timeout."""
    lines = []

    def enough():
        lines[:] = whole_lines(path)
        return len(lines) >= count

    if not harness.wait_until(enough, timeout):
        raise AssertionError("%s: %d lines after %.0fs, expected %d:\n%s" % (path, len(lines), timeout, count, "\n".join(lines)))
    return [parse(line) for line in lines]


def exchange(port, data, then=None):
    """Sends data on a new connection, calls then(conn) if given, and returns every byte that
    came back until the server closed."""
    with harness.Connection(port) as conn:
        conn.send(data)
        if then:
            then(conn)
        return conn.read_until_close()


def wire_size(response):
    """The bytes a Content-Length (or HEAD) response took on the wire."""
    return len(response.raw_head) + 4 + len(response.body)


@contextlib.contextmanager
def working_directory(path):
    """Processes started inside get path as their working directory."""
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@contextlib.contextmanager
def time_zone(tz):
    """Processes started inside get TZ=tz."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = tz
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before


def dead_address():
    return "%s:%d" % (HOST, harness.free_port())


class AccessLogTest(harness.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="fulcrum-it-log-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.log = os.path.join(self.dir, "access.log")

    def start(self, backends, extra=(), log=True, mode=MODE):
        """fulcrum logging to self.log (unless log is False) with these backends and flags."""
        args = (["--access-log", self.log] if log else []) + list(extra)
        return self.start_proxy(backends, args, mode=mode)

    def entries_at_exit(self, proxy, path=None):
        """Stops proxy (SIGTERM) and returns the entries of its log."""
        self.assertEqual(proxy.stop(), 0, proxy.output())
        return [parse(line) for line in whole_lines(path or self.log)]

    def reload(self, proxy, count):
        """SIGHUP, then waits for the count-th reload to be in force (one worker)."""
        proxy.send_signal(signal.SIGHUP)
        self.assertTrue(harness.wait_until(lambda: proxy.output().count("reloaded:") >= count, 15), proxy.output())

    # What a line holds ---------------------------------------------------------------------

    def test_off_by_default(self):
        backend = self.start_backend()
        with working_directory(self.dir):
            proxy = self.start([backend], log=False)
        self.assertEqual(harness.http_request(proxy.port, "GET", "/").status, 200)
        # No file open but its output (unlinked: "(deleted)"), and nothing in its directory.
        for pid in harness.process_tree(proxy.pid):
            fds = ["/proc/%d/fd/%s" % (pid, fd) for fd in os.listdir("/proc/%d/fd" % pid)]
            files = [os.readlink(fd) for fd in fds if stat.S_ISREG(os.stat(fd).st_mode)]
            self.assertEqual([f for f in files if not f.endswith("(deleted)")], [])
        self.assertEqual(proxy.stop(), 0)
        self.assertEqual(os.listdir(self.dir), [])

    def test_a_line_in_the_combined_format_with_the_backend_and_the_time(self):
        backend = self.start_backend()
        with time_zone("IST-5:30"):  # +05:30: the log's time is UTC whatever the zone
            proxy = self.start([backend])
        # A target as it came: neither normalised nor decoded.
        line = "GET /a/./b/../c%20d?q=%41&r HTTP/1.1"
        before = time.time()
        received = exchange(proxy.port, ("%s\r\nHost: h\r\nReferer: http://r.example/p?x=1\r\nUser-Agent: probe/1.0\r\n"
                                         "Connection: close\r\n\r\n" % line).encode())
        after = time.time()
        self.assertTrue(received.startswith(b"HTTP/1.1 200 "), received[:100])
        [e] = self.entries_at_exit(proxy)
        self.assertEqual(e.ip, "127.0.0.1")
        self.assertTrue(int(before) <= e.time <= after, (before, e.time, after))
        self.assertEqual(e.request, line)
        self.assertEqual((e.status, e.bytes), (200, len(received)))
        self.assertEqual((e.referer, e.user_agent), ("http://r.example/p?x=1", "probe/1.0"))
        self.assertEqual(e.backend, backend.address)
        self.assertLess(e.took, 2.0)

    def test_quoted_fields_escape_quotes_backslashes_and_bytes_outside_printable_ascii(self):
        backend = self.start_backend()
        proxy = self.start([backend])
        headers = b'User-Agent: ua "x" \xc3\xa9\r\nReferer: a\\b\tc\r\n'
        exchange(proxy.port, b"GET /esc HTTP/1.1\r\nHost: h\r\n" + headers + b"Connection: close\r\n\r\n")
        # A head that does not parse is logged as it came, control bytes included.
        exchange(proxy.port, b"GET /\x01\x7f HTTP/1.1\r\nHost: h\r\n\r\n")
        ok, bad = self.entries_at_exit(proxy)
        self.assertEqual(ok.user_agent, r"ua \x22x\x22 \xC3\xA9")
        self.assertEqual(ok.referer, r"a\x5Cb\x09c")
        self.assertEqual((bad.status, bad.request, bad.referer, bad.user_agent), (400, r"GET /\x01\x7F HTTP/1.1", "-", "-"))

    def test_an_ipv6_client_is_logged_by_its_address(self):
        try:
            with socket.socket(socket.AF_INET6) as s:
                s.bind(("::1", 0))
        except OSError as e:
            self.skipTest("no IPv6 loopback: %s" % e)
        proxy = self.start([self.start_backend()], ["--host", "::1"])
        with harness.Connection(proxy.port, host="::1") as conn:
            self.assertEqual(conn.request("GET", "/v6").status, 200)
        [e] = self.entries_at_exit(proxy)
        self.assertEqual((e.ip, e.request), ("::1", "GET /v6 HTTP/1.1"))

    def test_the_backend_is_named_as_configured(self):
        backend = self.start_backend()
        proxy = self.start(["localhost:%d" % backend.port])
        self.assertEqual(harness.http_request(proxy.port, "GET", "/").status, 200)
        [e] = self.entries_at_exit(proxy)
        self.assertEqual(e.backend, "localhost:%d" % backend.port)

    def test_bytes_are_what_the_client_received(self):
        backend = self.start_backend()
        proxy = self.start([backend])
        got = []
        requests = [("GET", "/bytes/300000", "HTTP/1.1"), ("GET", "/chunked/5000", "HTTP/1.1"),
                    ("GET", "/chunked/5000", "HTTP/1.0"), ("HEAD", "/bytes/100", "HTTP/1.1"),
                    ("GET", "/status/404", "HTTP/1.1")]
        for method, target, version in requests:
            got.append(exchange(proxy.port, build_request(method, target, [("Connection", "close")], version=version, host="h")))
        self.assertGreater(len(got[0]), 300000)  # spliced
        self.assertIn(b"chunked", got[1].split(b"\r\n\r\n")[0].lower())
        self.assertNotIn(b"chunked", got[2].split(b"\r\n\r\n")[0].lower())  # the chunks' payload only
        entries = self.entries_at_exit(proxy)
        self.assertEqual([(e.request, e.status, e.bytes) for e in entries],
                         [("%s %s %s" % r, int(g.split(b" ")[1]), len(g)) for r, g in zip(requests, got)])

    def test_bytes_count_interim_responses_and_fulcrums_100_continue(self):
        def early_hints(conn):
            while conn.next_request() is not None:
                conn.send(b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n")
                conn.send(b"HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nhello")

        backend = self.start_scripted_backend(early_hints)
        proxy = self.start([backend])
        sizes = [4, 100 * 1024]  # a body kept for a retry, and one streamed
        received = []
        for size in sizes:
            head = build_request("PUT", "/up", [("Expect", "100-continue"), ("Content-Length", str(size)),
                                                ("Connection", "close")], host="h")
            with harness.Connection(proxy.port) as conn:
                conn.send(head)
                got = conn.read_until(b"\r\n\r\n")
                conn.send(b"b" * size)
                received.append(got + conn.read_until_close())
        for got in received:
            self.assertTrue(got.startswith(b"HTTP/1.1 100 "), got)
            self.assertIn(b"HTTP/1.1 103 ", got)
        entries = self.entries_at_exit(proxy)
        self.assertEqual([(e.status, e.bytes) for e in entries], [(201, len(got)) for got in received])

    def test_the_time_taken_counts_from_the_first_byte_and_the_time_is_the_end(self):
        backend = self.start_backend()
        proxy = self.start([backend])
        conn = self.connect(proxy)
        started = time.time()
        self.assertEqual(conn.request("GET", "/delay/1100").status, 200)
        # The time between requests of a connection is not the next one's (the client pauses)...
        time.sleep(0.8)
        self.assertEqual(conn.request("GET", "/fast").status, 200)
        # ... but the time its head took to arrive is.
        conn.send(b"GET /slow-head HTTP/1.1\r\n")
        time.sleep(0.8)
        conn.send(b"Host: h\r\n\r\n")
        self.assertEqual(conn.read_response().status, 200)
        conn.close()
        delayed, fast, slow_head = self.entries_at_exit(proxy)
        self.assertTrue(1.1 <= delayed.took < 6, delayed)
        self.assertGreaterEqual(delayed.time, int(started + 1.1))  # when it ended, not began
        self.assertLess(fast.took, 0.5, fast)
        self.assertTrue(0.5 <= slow_head.took < 6, slow_head)

    # Statuses -------------------------------------------------------------------------------

    def test_fulcrums_own_answers_with_the_request_line_as_it_came(self):
        backend = self.start_backend()
        proxy = self.start([backend], ["--backend-timeout", "300ms", "--retries", "0"])
        long_line = b"GET /" + b"a" * 9000 + b" HTTP/1.1"
        cases = [  # what is sent, the request logged, status, backend
            (b"GARBAGE\r\n\r\n", "GARBAGE", 400, "-"),
            (b"\r\n\r\nGET /x\rY HTTP/1.1\r\nHost: h\r\n\r\n", "GET /x", 400, "-"),
            (long_line + b"\r\nHost: h\r\n\r\n", long_line[:4096].decode(), 414, "-"),
            (b"GET /h HTTP/1.1\r\nX-Huge: " + b"v" * 40000 + b"\r\n\r\n", "GET /h HTTP/1.1", 431, "-"),
            (b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", "CONNECT example.com:443 HTTP/1.1", 501, "-"),
            (b"GET /delay/3000 HTTP/1.1\r\nHost: h\r\n\r\n", "GET /delay/3000 HTTP/1.1", 504, backend.address),
        ]
        received = [exchange(proxy.port, sent) for sent, *_ in cases]
        entries = self.entries_at_exit(proxy)
        self.assertEqual([(e.request, e.status, e.backend) for e in entries], [tuple(c[1:]) for c in cases])
        self.assertEqual([e.bytes for e in entries], [len(r) for r in received])
        for (_, _, status, _), r in zip(cases, received):
            self.assertTrue(r.startswith(b"HTTP/1.1 %d " % status), r[:100])

    def test_a_failed_backend_is_named_and_none_when_none_was_picked(self):
        dead = dead_address()
        proxy = self.start([dead])
        statuses = []
        while 503 not in statuses and len(statuses) < 6:
            statuses.append(harness.http_request(proxy.port, "GET", "/").status)
        self.assertEqual(statuses[0], 502)
        self.assertEqual(statuses[-1], 503)
        entries = self.entries_at_exit(proxy)
        self.assertEqual([(e.status, e.backend) for e in entries],
                         [(502, dead)] * (len(statuses) - 1) + [(503, "-")])

    def test_499_when_the_client_leaves_during_the_body(self):
        backend = self.start_backend()
        proxy = self.start([backend])
        exchange(proxy.port, build_request("POST", "/gone", [("Content-Length", "100")], host="h") + b"0123456789",
                 lambda conn: conn.sock.shutdown(socket.SHUT_WR))
        [e] = self.entries_at_exit(proxy)
        self.assertEqual((e.request, e.status, e.bytes, e.backend), ("POST /gone HTTP/1.1", 499, 0, "-"))

    # Connections ----------------------------------------------------------------------------

    def test_pipelined_and_keep_alive_requests_a_line_each_in_order(self):
        backend = self.start_backend()
        proxy = self.start([backend])
        conn = self.connect(proxy)
        targets = ["/status/404", "/bytes/10", "/status/201", "/delay/10"]
        conn.send(b"".join(build_request("GET", t, host="h") for t in targets[:3]))
        responses = [conn.read_response() for _ in range(3)]
        responses.append(conn.request("GET", targets[3]))
        conn.close()
        entries = self.entries_at_exit(proxy)
        self.assertEqual([(e.request, e.status, e.bytes) for e in entries],
                         [("GET %s HTTP/1.1" % t, r.status, wire_size(r)) for t, r in zip(targets, responses)])
        self.assertEqual([e.status for e in entries], [404, 200, 201, 200])

    def test_no_line_for_a_connection_without_a_whole_head_but_one_for_a_head_timeout(self):
        backend = self.start_backend()
        proxy = self.start([backend], ["--client-header-timeout", "500ms"])
        harness.Connection(proxy.port).close()
        exchange(proxy.port, b"GET /cut HTTP/1.1\r\nHo", lambda conn: conn.sock.shutdown(socket.SHUT_WR))
        silent = exchange(proxy.port, b"")  # until fulcrum gives up on it
        timed_out = exchange(proxy.port, b"GET /slow HT")
        self.assertTrue(timed_out.startswith(b"HTTP/1.1 408 "), timed_out)
        entries = self.entries_at_exit(proxy)
        self.assertEqual(silent, b"")
        self.assertEqual([(e.request, e.status, e.bytes, e.backend) for e in entries],
                         [("GET /slow HT", 408, len(timed_out), "-")])

    def test_an_upgrade_is_logged_once_when_its_tunnel_closes(self):
        tunnel_open = threading.Event()

        def websocket(conn):
            request = conn.next_request()
            if not request.has_header("Upgrade"):
                conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            conn.send(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\ndown-1")
            tunnel_open.wait(IO_TIMEOUT)
            conn.read_exact(2)
            conn.send(b"down-2:" + b"d" * 5000)

        backend = self.start_scripted_backend(websocket)
        proxy = self.start([backend])
        client = self.connect(proxy)
        client.send(build_request("GET", "/chat", [("Connection", "Upgrade"), ("Upgrade", "websocket")], host="h"))
        switched = client.read_response()
        self.assertEqual(switched.status, 101)
        self.assertEqual(client.read_exact(6), b"down-1")
        # A request that ends while the tunnel is open is logged (and written) alone.
        self.assertEqual(harness.http_request(proxy.port, "GET", "/meanwhile").status, 200)
        self.assertEqual([e.request for e in wait_for_lines(self.log, 1)], ["GET /meanwhile HTTP/1.1"])
        tunnel_open.set()
        client.send(b"up")
        rest = client.read_until_close()
        self.assertEqual(len(rest), 5007)
        client.close()  # the tunnel ends when both ways have
        entries = wait_for_lines(self.log, 2)
        self.assertEqual(len(entries), 2)
        self.assertEqual((entries[1].request, entries[1].status, entries[1].backend),
                         ("GET /chat HTTP/1.1", 101, backend.address))
        self.assertEqual(entries[1].bytes, wire_size(switched) + 6 + len(rest))

    # Writing ---------------------------------------------------------------------------------

    def test_lines_are_written_within_a_second_without_more_traffic(self):
        backend = self.start_backend()
        proxy = self.start([backend])
        self.assertEqual(harness.http_request(proxy.port, "GET", "/one").status, 200)
        answered = time.monotonic()
        self.assertEqual([e.request for e in wait_for_lines(self.log, 1, timeout=5)], ["GET /one HTTP/1.1"])
        self.assertLess(time.monotonic() - answered, 5)

    def test_lines_are_written_at_once_when_32_kib_are_waiting(self):
        backend = self.start_backend()
        proxy = self.start([backend])
        conn = self.connect(proxy)
        agent = "a" * 4000
        size = None  # of a line: each is the same length
        for i in range(1, 21):
            self.assertEqual(conn.request("GET", "/r%02d" % i, [("User-Agent", agent)]).status, 200)
            lines = whole_lines(self.log)
            size = size or (len(lines[0]) + 1 if lines else None)
            # Request i-1 was logged before fulcrum read request i: at most 32 KiB - 1 waits.
            waiting = (i - 1) - len(lines)
            self.assertLess(waiting * (size or 4100), 32 * 1024, "%d lines after %d requests" % (len(lines), i))

    def test_sigterm_writes_every_answered_request_at_exit(self):
        backend = self.start_backend()
        proxy = self.start([backend])
        for i in range(10):
            self.assertEqual(harness.http_request(proxy.port, "GET", "/before/%d" % i).status, 200)
        probe = self.stats_probe(backend)
        in_flight = harness.Connection(proxy.port)
        self.addCleanup(in_flight.close)
        in_flight.send(build_request("GET", "/delay/500", host="h"))
        self.assertTrue(probe.wait_for_requests(1))
        proxy.send_signal(signal.SIGTERM)
        self.assertEqual(in_flight.read_response().status, 200)
        in_flight.close()
        self.assertEqual(proxy.wait(IO_TIMEOUT), 0)
        entries = [parse(line) for line in whole_lines(self.log)]
        self.assertEqual(sorted(e.request for e in entries),
                         sorted(["GET /before/%d HTTP/1.1" % i for i in range(10)] + ["GET /delay/500 HTTP/1.1"]))

    def test_sigquit_writes_every_answered_request_at_exit(self):
        backend = self.start_backend()
        proxy = self.start([backend])
        for i in range(10):
            self.assertEqual(harness.http_request(proxy.port, "GET", "/before/%d" % i).status, 200)
        proxy.send_signal(signal.SIGQUIT)
        self.assertIsNotNone(proxy.wait(IO_TIMEOUT))
        entries = [parse(line) for line in whole_lines(self.log)]
        self.assertEqual([e.request for e in entries], ["GET /before/%d HTTP/1.1" % i for i in range(10)])

    def test_a_request_that_sigquit_cuts_short_logs_no_status_it_did_not_send(self):
        backend = self.start_backend()
        proxy = self.start([backend])
        probe = self.stats_probe(backend)
        in_flight = self.connect(proxy)
        in_flight.send(build_request("GET", "/delay/3000", host="h"))
        self.assertTrue(probe.wait_for_requests(1))
        proxy.send_signal(signal.SIGQUIT)
        self.assertIsNotNone(proxy.wait(IO_TIMEOUT))
        received = in_flight.read_until_close()
        [e] = [parse(line) for line in whole_lines(self.log)]
        self.assertEqual(e.bytes, len(received))
        if not received:  # no answer went to the client, as when it leaves first
            self.assertEqual((e.request, e.status), ("GET /delay/3000 HTTP/1.1", 499))

    def test_several_workers_append_whole_lines_to_one_file(self):
        backend = self.start_backend()
        for mode in ("mt", "mp"):
            with self.subTest(mode=mode):
                log = os.path.join(self.dir, mode + ".log")
                proxy = self.start_proxy([backend], ["--access-log", log, "--mode", mode, "-w", "2"])
                expected = self.load_on_connections(proxy.port, connections=24, batches=5, batch=25)
                entries = wait_for_lines(log, len(expected), timeout=30)
                self.assertEqual(len(entries), len(expected))
                self.assertEqual({e.request: e.user_agent for e in entries}, expected)
                self.assertEqual({e.status for e in entries}, {200})
                with open(log, "rb") as f:
                    self.assertTrue(f.read().endswith(b"\n"))
                self.assertEqual(proxy.stop(), 0)

    def load_on_connections(self, port, connections, batches, batch):
        """Pipelined batches of requests on each of several connections at once; returns
        {request line: User-Agent} of every request sent (and answered 200)."""
        expected, errors = {}, []

        def client(c):
            try:
                with harness.Connection(port) as conn:
                    for b in range(batches):
                        sent = []
                        for r in range(batch):
                            path, agent = "/w/%d/%d/%d" % (c, b, r), "ua-%d-%d-" % (c, b) + "x" * ((c * 997 + r * 131) % 3000)
                            sent.append(build_request("GET", path, [("User-Agent", agent)], host="h"))
                            expected["GET %s HTTP/1.1" % path] = agent
                        conn.send(b"".join(sent))
                        for _ in range(batch):
                            if conn.read_response().status != 200:
                                errors.append(c)
            except Exception as e:  # noqa: BLE001 (reported below)
                errors.append(repr(e))

        threads = [threading.Thread(target=client, args=(c,)) for c in range(connections)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        return expected

    # Configuration and reloads -------------------------------------------------------------

    def test_a_reload_opens_the_file_again_for_log_rotation(self):
        backend = self.start_backend()
        proxy = self.start([backend], ["-l", "info"])
        self.assertEqual(harness.http_request(proxy.port, "GET", "/first").status, 200)
        wait_for_lines(self.log, 1)
        # Logged but maybe not written yet when the file is moved: it belongs to the old file.
        self.assertEqual(harness.http_request(proxy.port, "GET", "/second").status, 200)
        os.rename(self.log, self.log + ".1")
        self.reload(proxy, 1)
        self.assertEqual(harness.http_request(proxy.port, "GET", "/third").status, 200)
        self.assertEqual([e.request for e in wait_for_lines(self.log, 1)], ["GET /third HTTP/1.1"])
        self.assertEqual([e.request for e in self.entries_at_exit(proxy, self.log + ".1")],
                         ["GET /first HTTP/1.1", "GET /second HTTP/1.1"])
        self.assertEqual(len(whole_lines(self.log)), 1)

    def test_a_reload_turns_the_log_on_moves_it_and_turns_it_off(self):
        backend = self.start_backend()
        config = os.path.join(self.dir, "fulcrum.yaml")
        first, second = os.path.join(self.dir, "first.log"), os.path.join(self.dir, "second.log")

        def write_config(log):  # replaced by a rename: a watcher sees one change
            with open(config + ".new", "w") as f:
                f.write('backends:\n  - host: "%s"\n    port: %d\n' % (HOST, backend.port))
                if log:
                    f.write("log:\n  level: info\n  access: %s\n" % log)
            os.rename(config + ".new", config)

        write_config(None)
        proxy = self.start([], ["-c", config, "--watch", "-l", "info"], log=False)
        self.assertTrue(harness.wait_until(lambda: "watching" in proxy.output(), 10), proxy.output())
        for i, log in enumerate([first, second, None, first]):
            self.assertEqual(harness.http_request(proxy.port, "GET", "/%d" % i).status, 200)
            write_config(log)
            self.assertTrue(harness.wait_until(lambda: proxy.output().count("reloaded:") > i, 15), proxy.output())
        self.assertEqual(harness.http_request(proxy.port, "GET", "/4").status, 200)
        self.assertEqual([e.request for e in self.entries_at_exit(proxy, first)], ["GET /1 HTTP/1.1", "GET /4 HTTP/1.1"])
        self.assertEqual([parse(line).request for line in whole_lines(second)], ["GET /2 HTTP/1.1"])

    def test_a_reload_to_a_path_that_cannot_be_opened_is_refused(self):
        backend = self.start_backend()
        config = harness.write_temp_file('backends:\n  - host: "%s"\n    port: %d\nlog: {access: %s}\n' % (HOST, backend.port, self.log))
        proxy = self.start([], ["-c", config, "-l", "info"], log=False)
        self.assertEqual(harness.http_request(proxy.port, "GET", "/before").status, 200)
        with open(config, "w") as f:
            f.write('backends:\n  - host: "%s"\n    port: %d\nlog: {access: /nonexistent-dir/a.log}\n' % (HOST, backend.port))
        proxy.send_signal(signal.SIGHUP)
        self.assertTrue(harness.wait_until(lambda: "the running one stays" in proxy.output(), 15), proxy.output())
        self.assertIn("cannot open /nonexistent-dir/a.log", proxy.output())
        self.assertEqual(harness.http_request(proxy.port, "GET", "/after").status, 200)
        self.assertEqual([e.request for e in self.entries_at_exit(proxy)], ["GET /before HTTP/1.1", "GET /after HTTP/1.1"])
        self.assertNotIn("reloaded:", proxy.output())

    def test_a_relative_path_is_relative_to_the_working_directory(self):
        backend = self.start_backend()
        elsewhere = tempfile.mkdtemp(prefix="fulcrum-it-conf-")
        self.addCleanup(shutil.rmtree, elsewhere, True)
        config = os.path.join(elsewhere, "fulcrum.yaml")
        with open(config, "w") as f:
            f.write('backends:\n  - host: "%s"\n    port: %d\nlog: {access: from-file.log}\n' % (HOST, backend.port))
        with working_directory(self.dir):
            by_flag = self.start([backend], log=False, extra=["--access-log", "from-flag.log"])
            by_file = self.start([], ["-c", config], log=False)
        for proxy, name in ((by_flag, "from-flag.log"), (by_file, "from-file.log")):
            self.assertEqual(harness.http_request(proxy.port, "GET", "/" + name).status, 200)
            self.assertEqual([e.request for e in self.entries_at_exit(proxy, os.path.join(self.dir, name))],
                             ["GET /%s HTTP/1.1" % name])
        self.assertFalse(os.path.exists(os.path.join(elsewhere, "from-file.log")))

    def test_the_flag_overrides_the_file_and_its_reloads(self):
        backend = self.start_backend()
        in_file = [os.path.join(self.dir, "in-file-%d.log" % i) for i in range(2)]
        config = harness.write_temp_file("")

        def write_config(log):
            with open(config, "w") as f:
                f.write('backends:\n  - host: "%s"\n    port: %d\nlog: {access: %s}\n' % (HOST, backend.port, log))

        write_config(in_file[0])
        proxy = self.start([], ["-c", config, "-l", "info"])
        self.assertEqual(harness.http_request(proxy.port, "GET", "/flag").status, 200)
        write_config(in_file[1])
        self.reload(proxy, 1)
        self.assertEqual(harness.http_request(proxy.port, "GET", "/still-flag").status, 200)
        self.assertEqual([e.request for e in self.entries_at_exit(proxy)], ["GET /flag HTTP/1.1", "GET /still-flag HTTP/1.1"])
        self.assertEqual(whole_lines(in_file[0]) + whole_lines(in_file[1]), [])

    def test_a_path_that_cannot_be_opened_is_an_error(self):
        result = harness.run_fulcrum(["-b", "%s:1" % HOST, "--access-log", "/nonexistent-dir/a.log"])
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stderr.decode(), "fulcrum: --access-log: cannot open /nonexistent-dir/a.log: "
                                                 "No such file or directory (see --help)\n")
        config = harness.write_temp_file('backends:\n  - host: "%s"\n    port: 1\nlog:\n  level: info\n'
                                         '  access: /nonexistent-dir/a.log\n' % HOST)
        error = "%s:6:11: log.access: cannot open /nonexistent-dir/a.log: No such file or directory" % config
        for args in (["--check", "-c", config], ["-c", config, "-p", str(harness.free_port())]):
            result = harness.run_fulcrum(args)
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertIn(error, result.stderr.decode().splitlines())


if __name__ == "__main__":
    import unittest

    unittest.main()

"""Timeouts as a client sees them: slow or idle clients are closed, a silent backend gives 504.
Bounds are wide: only "within a few seconds", never "exactly"."""

import socket
import threading
import time

import harness
from environment import IO_TIMEOUT
from harness import MiB, PatternCheck, http_request, pattern
from scripted_backend import echo_as_it_reads


class SlowReader(PatternCheck):
    """A body sink that checks the pattern and takes `rate` bytes a second."""

    def __init__(self, rate):
        super().__init__()
        self.rate = rate

    def __call__(self, chunk):
        super().__call__(chunk)
        time.sleep(len(chunk) / self.rate)


class ClientTimeoutTest(harness.TestCase):
    def setUp(self):
        self.backend = self.start_backend()

    def test_head_dribbled_and_never_finished_is_closed(self):
        proxy = self.start_proxy([self.backend], ["--client-header-timeout", "1s"])
        probe = self.stats_probe(self.backend)
        conn = self.connect(proxy)
        started = time.monotonic()
        conn.send(b"GET / HTTP/1.1\r\nHost: h\r\n")
        closed = False
        i = 0
        while time.monotonic() - started < 10:
            # A line every 100 ms: each read makes progress, only the whole head is late.
            if conn.readable_within(0.1):
                closed = conn.closed_within(5)
                break
            if not conn.send(b"X-Slow-%d: %s\r\n" % (i, b"z" * 10)):
                closed = True
                break
            i += 1
        elapsed = time.monotonic() - started
        self.assertTrue(closed, "still open after %.1fs of dribbling" % elapsed)
        self.assertLess(elapsed, 8)
        data = conn.pending()
        if data:  # a 408 is allowed before the close, nothing else
            self.assertTrue(data.startswith(b"HTTP/1.1 408 "), data[:100])
        self.assertEqual(probe.delta()["requests"], 0)

    def test_silent_connection_is_closed(self):
        proxy = self.start_proxy([self.backend], ["--client-header-timeout", "1s", "--client-idle-timeout", "1s"])
        conn = self.connect(proxy)
        started = time.monotonic()
        self.assertClosedWithin(conn, 10)
        self.assertLess(time.monotonic() - started, 8)
        data = conn.pending()
        if data:
            self.assertTrue(data.startswith(b"HTTP/1.1 408 "), data[:100])

    def test_idle_keep_alive_connection_is_closed(self):
        proxy = self.start_proxy([self.backend], ["--client-idle-timeout", "1s"])
        conn = self.connect(proxy)
        # The idle time starts once the answer has gone, which is after the request was sent.
        idle_before = time.monotonic()
        self.assertEqual(conn.request("GET", "/").status, 200)
        self.assertClosedWithin(conn, 10)
        elapsed = time.monotonic() - idle_before
        self.assertGreater(elapsed, 0.5, "closed long before the idle timeout")
        self.assertLess(elapsed, 8)
        self.assertEqual(conn.pending(), b"", "bytes sent on an idle connection")

    def test_keep_alive_connection_within_the_idle_timeout_stays_usable(self):
        proxy = self.start_proxy([self.backend], ["--client-idle-timeout", "30s"])
        conn = self.connect(proxy)
        self.assertEqual(conn.request("GET", "/1").status, 200)
        self.assertFalse(conn.readable_within(1.5), "closed or sent bytes while idle")
        self.assertEqual(conn.request("GET", "/2").json()["uri"], "/2")

    def test_requests_complete_despite_a_short_header_timeout(self):
        # The header timeout covers one request head, not the life of a keep-alive connection.
        proxy = self.start_proxy([self.backend], ["--client-header-timeout", "1s"])
        conn = self.connect(proxy)
        started = time.monotonic()
        i = 0
        while time.monotonic() - started < 2.5:
            self.assertEqual(conn.request("GET", "/r/%d" % i).status, 200)
            i += 1
        self.assertGreater(i, 1)


class BackendTimeoutTest(harness.TestCase):
    def setUp(self):
        self.backend = self.start_backend()
        self.proxy = self.start_proxy([self.backend], ["--backend-timeout", "1s"])

    def test_hanging_backend_gives_504(self):
        conn = self.connect(self.proxy)
        started = time.monotonic()
        response = conn.request("GET", "/hang")
        elapsed = time.monotonic() - started
        self.assertErrorResponse(response, 504)
        self.assertGreater(elapsed, 0.5)
        self.assertLess(elapsed, 8)
        self.assertClosedWithin(conn, 10)

    def test_backend_timeout_does_not_fire_early(self):
        conn = self.connect(self.proxy)
        self.assertEqual(conn.request("GET", "/warm").status, 200)  # leaves a pooled connection
        self.assertFalse(conn.readable_within(1.5))  # then fulcrum is idle for a while
        started = time.monotonic()
        response = conn.request("GET", "/hang")
        self.assertEqual(response.status, 504)
        # Measured from before the request was sent, so never shorter than the timeout itself.
        self.assertGreaterEqual(time.monotonic() - started, 1.0)

    def test_slow_backend_within_the_timeout_is_answered(self):
        # A second of delay, well within the timeout (5 s) for a busy machine.
        proxy = self.start_proxy([self.backend], ["--backend-timeout", "5s"])
        response = http_request(proxy.port, "GET", "/delay/1000")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.json()["uri"], "/delay/1000")

    def test_interim_responses_show_a_slow_backend_is_alive(self):
        # A long operation may keep its client waiting with interim responses (102 Processing,
        # 103 Early Hints): each is a response head, and the timeout counts anew from it, as
        # HAProxy's and nginx's count from the backend's last bytes. Each comes well within the
        # timeout (2 s) for a busy machine, the final answer long after it.
        def interim_then_answer(conn):
            while conn.next_request() is not None:
                for _ in range(5):
                    conn.send(b"HTTP/1.1 102 Processing\r\n\r\n")
                    time.sleep(0.7)
                conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone")

        slow = self.start_scripted_backend(interim_then_answer)
        proxy = self.start_proxy([slow], ["--backend-timeout", "2s"])
        conn = self.connect(proxy)
        conn.send(harness.build_request("GET", "/long", host="h"))
        response, interim = conn.read_final_response()
        self.assertEqual((response.status, response.body), (200, b"done"), response)
        self.assertEqual([r.status for r in interim], [102] * 5)
        self.assertEqual(conn.request("GET", "/again").status, 200)

    def test_a_backend_silent_after_an_interim_response_is_late(self):
        def interim_then_silence(conn):
            if conn.next_request() is not None:
                conn.send(b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n")
                conn.read_until_close(timeout=30)

        silent = self.start_scripted_backend(interim_then_silence)
        proxy = self.start_proxy([silent], ["--backend-timeout", "1s"])
        conn = self.connect(proxy)
        conn.send(harness.build_request("GET", "/hints", host="h"))
        response, interim = conn.read_final_response()
        self.assertEqual([r.status for r in interim], [103])
        self.assertErrorResponse(response, 504)

    def test_backend_timeout_counts_from_the_request_after_idle_time(self):
        def answer_after_half_a_second(conn):
            while conn.next_request() is not None:
                time.sleep(0.5)
                conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow")

        # The answers take 0.5 s, well within the timeout (3 s) for a busy machine; a timeout
        # counted from when the connection went idle would fire at once after the idle time. (A
        # clock left stale by the idle time, by up to the second that an idle loop sleeps at
        # most, is for test_backend_timeout_does_not_fire_early to find.)
        slow = self.start_scripted_backend(answer_after_half_a_second)
        proxy = self.start_proxy([slow], ["--backend-timeout", "3s"])
        conn = self.connect(proxy)
        self.assertEqual(conn.request("GET", "/warm").status, 200)  # leaves a pooled connection
        self.assertFalse(conn.readable_within(4.0))  # then fulcrum is idle for longer than the timeout
        started = time.monotonic()
        response = conn.request("GET", "/slow")
        self.assertEqual((response.status, response.body), (200, b"slow"), "after %.3fs" % (time.monotonic() - started))

    def test_backend_timeout_counts_from_the_end_of_a_slow_upload(self):
        # The answer is read while a chunked body goes up; a backend that answers once it has the
        # whole body is not late, however long the client took to send it (here 4 s, over the
        # 3 s timeout, which leaves a busy machine time to answer after the body's end).
        proxy = self.start_proxy([self.backend], ["--backend-timeout", "3s"])
        conn = self.connect(proxy)
        conn.send(b"POST /slow-upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(8):
            time.sleep(0.5)
            conn.send(b"5\r\nhello\r\n")
        conn.send(b"0\r\n\r\n")
        response = conn.read_response()
        self.assertEqual(response.status, 200, response)
        self.assertEqual(response.json()["body"], "hello" * 8)

    def test_backend_timeout_does_not_cut_an_echo_that_waits_for_a_slow_upload(self):
        # A backend that answers as it reads (an echo) is silent while the client is: its answer
        # is relayed while the body still goes up, and a pause of the client's longer than the
        # backend timeout (here 4 s, over the 3 s timeout, which leaves a busy machine time to
        # echo the rest) does not make the backend late.
        echo = self.start_scripted_backend(echo_as_it_reads())
        proxy = self.start_proxy([echo], ["--backend-timeout", "3s"])
        conn = self.connect(proxy)
        first, second = b"a" * (100 * 1024), b"b" * (100 * 1024)  # streamed: over the 64 KiB kept
        conn.send(b"PUT /echo HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % (len(first) + len(second)) + first)
        time.sleep(4.0)
        conn.send(second)
        response = conn.read_response()
        self.assertTrue(response.complete, response)
        self.assertEqual((response.status, response.body), (200, first + second))

    def upload(self, proxy, head, body, receive_buffer=None):
        """A connection to proxy that sends head and body in the background (as fast as fulcrum
        takes them), with a receive buffer of that size if one is given."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.settimeout(IO_TIMEOUT)
        sock.connect((harness.HOST, proxy.port))
        conn = harness.Connection(sock=sock)
        self.addCleanup(conn.close)

        def send():
            try:
                conn.send(head + body)
            except OSError:
                pass  # fulcrum gave up on the request: the response tells how

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        self.addCleanup(sender.join, IO_TIMEOUT)
        return conn

    def test_backend_timeout_does_not_cut_an_echo_that_a_slow_client_reads(self):
        # The backend echoes the upload 6 MiB at a time and reads no more while a piece goes
        # down; the client reads the echo slowly but steadily (3 MiB/s, a small buffer at a
        # time). Once the socket buffers on the way are full, each piece keeps the backend from
        # reading for about 2 s, over the timeout (1 s), and fulcrum's send of the upload waits
        # that long, while the backend's answer moves all the time: the backend is busy, not
        # late, and the exchange (about 6 s) completes.
        echo = self.start_scripted_backend(echo_as_it_reads(6 * MiB, socket_buffers=64 * 1024))
        proxy = self.start_proxy([echo], ["--backend-timeout", "1s", "--no-health-checks"])
        length = 18 * MiB
        head = b"PUT /echo HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % length
        conn = self.upload(proxy, head, pattern(0, length), receive_buffer=64 * 1024)
        reader = SlowReader(3 * MiB)
        response = conn.read_response(sink=reader)
        self.assertEqual(response.status, 200, response)
        self.assertTrue(response.complete, "the echo was cut after %d bytes" % reader.length)
        self.assertEqual(reader.length, length)
        self.assertIsNone(reader.first_mismatch, "wrong byte at body offset %s" % reader.first_mismatch)

    def test_backend_timeout_does_not_cut_an_echo_while_the_client_pauses(self):
        # The client sends its whole upload and reads nothing for 5 s (its own timeout is a
        # minute): the echo fills the buffers on the way down, the backend stops reading, and
        # fulcrum's send of the upload waits far longer than twice the backend timeout (1 s).
        # The backend waits for fulcrum, which waits for the client: it is not late, and once
        # the client reads, the whole echo comes.
        echo = self.start_scripted_backend(echo_as_it_reads(socket_buffers=64 * 1024))
        proxy = self.start_proxy([echo], ["--backend-timeout", "1s", "--no-health-checks"])
        length = 32 * MiB  # more than the socket buffers on the way hold
        head = b"PUT /echo HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % length
        conn = self.upload(proxy, head, pattern(0, length), receive_buffer=64 * 1024)
        time.sleep(5.0)  # the pause under test, not a wait for a condition
        reader = PatternCheck()
        response = conn.read_response(sink=reader)
        self.assertEqual(response.status, 200, response)
        self.assertTrue(response.complete, "the echo was cut after %d bytes" % reader.length)
        self.assertEqual(reader.length, length)
        self.assertIsNone(reader.first_mismatch, "wrong byte at body offset %s" % reader.first_mismatch)

    def test_a_backend_that_neither_reads_nor_answers_during_an_upload_is_late(self):
        # Whatever excuses a backend that is busy answering, one that takes none of the upload
        # and sends nothing for longer than the timeout is late: before its answer (a 504) or
        # inside it (the answer is cut short).
        released = threading.Event()
        self.addCleanup(released.set)
        part = b"p" * 1000
        cases = {
            "before its answer": b"",
            "inside its answer": b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (MiB, part),
        }
        length = 16 * MiB  # more than the socket buffers on the way hold
        head = b"PUT /up HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % length
        for name, answer in cases.items():
            with self.subTest(name):

                def stall(conn, answer=answer):
                    if conn.read_until(b"\r\n\r\n"):
                        conn.send(answer)
                        released.wait(3 * IO_TIMEOUT)

                backend = self.start_scripted_backend(stall)
                proxy = self.start_proxy([backend], ["--backend-timeout", "1s", "--no-health-checks"])
                conn = self.upload(proxy, head, b"u" * length)
                response = conn.read_response()
                if answer:
                    self.assertEqual((response.status, response.complete, response.body), (200, False, part))
                else:
                    self.assertErrorResponse(response, 504)
                self.assertClosedWithin(conn, IO_TIMEOUT)

    def test_later_requests_are_served_after_a_504(self):
        self.assertEqual(http_request(self.proxy.port, "GET", "/hang").status, 504)
        self.assertEqual(http_request(self.proxy.port, "GET", "/fine").json()["uri"], "/fine")


if __name__ == "__main__":
    import unittest

    unittest.main()

"""Timeouts as a client sees them: slow or idle clients are closed, a silent backend gives 504.
Bounds are wide: only "within a few seconds", never "exactly"."""

import time

import harness
from harness import http_request
from scripted_backend import echo_as_it_reads


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
        echo = self.start_scripted_backend(echo_as_it_reads)
        proxy = self.start_proxy([echo], ["--backend-timeout", "3s"])
        conn = self.connect(proxy)
        first, second = b"a" * (100 * 1024), b"b" * (100 * 1024)  # streamed: over the 64 KiB kept
        conn.send(b"PUT /echo HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % (len(first) + len(second)) + first)
        time.sleep(4.0)
        conn.send(second)
        response = conn.read_response()
        self.assertTrue(response.complete, response)
        self.assertEqual((response.status, response.body), (200, first + second))

    def test_later_requests_are_served_after_a_504(self):
        self.assertEqual(http_request(self.proxy.port, "GET", "/hang").status, 504)
        self.assertEqual(http_request(self.proxy.port, "GET", "/fine").json()["uri"], "/fine")


if __name__ == "__main__":
    import unittest

    unittest.main()

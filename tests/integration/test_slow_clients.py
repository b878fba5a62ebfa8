"""Slow clients: heads dribbled a byte at a time (slowloris) end at the header timeout while
other clients are served, and a client that stops reading a large response costs fulcrum a
bounded amount of memory and is closed once the idle timeout passes without progress."""

import socket
import time

import harness
from harness import build_request, http_request

GiB = 1024 * harness.MiB
# fulcrum's resident memory, all processes together, while a client holds 1 GiB back: a few
# buffers, nowhere near the response (9 MiB measured in mp mode, master and worker).
RSS_LIMIT_KIB = 32 * 1024


class SlowlorisTest(harness.TestCase):
    def test_dribbled_heads_end_at_the_header_timeout_while_others_are_served(self):
        backend = self.start_backend()
        proxy = self.start_proxy([backend], ["--client-header-timeout", "1s"])
        probe = self.stats_probe(backend)
        head = build_request("GET", "/slow", [("X-Pad", "p" * 200)], host="h")  # 60 s at this pace
        # Before the connections: their header timeout runs from when fulcrum accepts them.
        started = time.monotonic()
        slow = [self.connect(proxy) for _ in range(20)]
        closed_after = {}  # connection index: seconds from `started` to its close
        served = []  # seconds each request of a normal client took meanwhile
        sent = 0
        while len(closed_after) < len(slow) and time.monotonic() - started < 15:
            for i, conn in enumerate(slow):
                if i in closed_after:
                    continue
                if conn.readable_within(0) or not conn.send(head[sent : sent + 1]):
                    self.assertTrue(conn.closed_within(5), "answered but not closed")
                    closed_after[i] = time.monotonic() - started
            sent += 1
            before = time.monotonic()
            self.assertEqual(http_request(proxy.port, "GET", "/meanwhile").status, 200)
            served.append(time.monotonic() - before)
            time.sleep(max(0.0, 0.3 - (time.monotonic() - before)))  # the dribbling pace
        self.assertEqual(len(closed_after), len(slow), "still open after %.1fs" % (time.monotonic() - started))
        self.assertLess(sent, len(head), "a whole head was sent")
        for i, conn in enumerate(slow):
            # Not before the timeout (1 s from the accept), and not long after it.
            self.assertGreater(closed_after[i], 0.8, i)
            self.assertLess(closed_after[i], 8, i)
            data = conn.pending()
            if data:  # a 408 is allowed before the close, nothing else
                self.assertTrue(data.startswith(b"HTTP/1.1 408 "), data[:100])
        self.assertLess(max(served), 5, "a normal client waited behind the slow ones")
        self.assertEqual(probe.delta()["requests"], len(served))


def set_small_receive_buffer(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)


class StalledReaderTest(harness.TestCase):
    def test_client_that_stops_reading_costs_bounded_memory_and_is_closed(self):
        backend = self.start_backend()
        proxy = self.start_proxy([backend], ["--client-idle-timeout", "2s"])
        probe = self.stats_probe(backend)
        idle_fds = harness.fd_count(proxy.pid)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        set_small_receive_buffer(sock)
        sock.settimeout(harness.IO_TIMEOUT)
        sock.connect((harness.HOST, proxy.port))
        conn = harness.Connection(sock=sock)
        self.addCleanup(conn.close)
        conn.send(build_request("GET", "/bytes/%d" % GiB, host="h"))
        stalled_at = time.monotonic()
        # The client reads nothing. fulcrum fills the socket buffers, then must stop reading
        # from the backend instead of buffering the gigabyte. First it holds the client's and the
        # backend's connections:
        self.assertTrue(harness.wait_until(lambda: harness.fd_count(proxy.pid) >= idle_fds + 2, timeout=10))
        peak = 0
        deadline = stalled_at + 20

        def closed_by_fulcrum():
            nonlocal peak
            peak = max(peak, harness.rss_kib(proxy.pid))
            return harness.fd_count(proxy.pid) <= idle_fds

        self.assertTrue(harness.wait_until(closed_by_fulcrum, timeout=deadline - time.monotonic(), interval=0.1),
                        "fulcrum still holds the stalled connection after %.0fs" % (time.monotonic() - stalled_at))
        self.assertGreater(time.monotonic() - stalled_at, 1.5, "closed before the idle timeout")
        self.assertLess(peak, RSS_LIMIT_KIB, "fulcrum's memory grew with a response nobody read")
        # What the client finds is the start of the body, then the end of the stream.
        check = harness.PatternCheck()
        response = conn.read_response(sink=check)
        self.assertEqual(response.status, 200)
        self.assertFalse(response.complete)
        self.assertIsNone(check.first_mismatch)
        self.assertLess(check.length, GiB // 16, "fulcrum buffered far more than its buffers hold")
        # The backend connection went with it rather than back to the pool, mid-body.
        self.assertEqual(http_request(proxy.port, "GET", "/after").json()["uri"], "/after")
        seen = probe.delta()
        self.assertEqual((seen["requests"], seen["connections"]), (2, 2), seen)

    def test_other_clients_are_served_while_one_stalls(self):
        backend = self.start_backend()
        proxy = self.start_proxy([backend], ["--client-idle-timeout", "30s"])
        stalled = []
        for _ in range(4):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            set_small_receive_buffer(sock)
            sock.connect((harness.HOST, proxy.port))
            conn = harness.Connection(sock=sock)
            self.addCleanup(conn.close)
            conn.send(build_request("GET", "/bytes/%d" % GiB, host="h"))
            stalled.append(conn)
        started = time.monotonic()
        for i in range(50):
            response = http_request(proxy.port, "GET", "/bytes/%d" % (1000 * i))
            self.assertEqual((response.status, response.body), (200, harness.pattern(0, 1000 * i)))
        self.assertLess(time.monotonic() - started, 20)
        self.assertLess(harness.rss_kib(proxy.pid), RSS_LIMIT_KIB)


if __name__ == "__main__":
    import unittest

    unittest.main()

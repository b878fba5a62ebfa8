"""Memory after a burst: once many requests in progress at once are over, fulcrum gives the
memory they used back to the system within a few of its 5-second trims, instead of keeping its
peak for good."""

import socket

import harness
from harness import build_request

# Requests in progress at once, each with a body that fulcrum keeps whole until the backend has
# answered (so that it could retry elsewhere), besides its session, request state and frames;
# 400 of them fit in the default limit of 1,024 descriptors of every process here.
BURST = 400
BODY = b"b" * (32 * 1024)
DELAY_MS = 1500  # the backend holds every request this long: all of them overlap
GROWTH_MIN_KIB = 4 * 1024  # the burst must show, or the test proves nothing
RETURN_DEADLINE = 40  # seconds; the trims come every 5 s, and two are needed


class BurstMemoryTest(harness.TestCase):
    def test_a_bursts_memory_goes_back_after_it(self):
        backend = self.start_backend()
        proxy = self.start_proxy([backend])
        self.assertEqual(harness.http_request(proxy.port, "GET", "/warm").status, 200)
        before = harness.rss_kib(proxy.pid)

        request = build_request("POST", "/delay/%d" % DELAY_MS, body=BODY, host="h")
        conns = []
        for _ in range(BURST):
            sock = socket.create_connection((harness.HOST, proxy.port), timeout=harness.IO_TIMEOUT)
            conn = harness.Connection(sock=sock)
            self.addCleanup(conn.close)
            conn.send(request)
            conns.append(conn)
        # The first answers come after the delay: by then every request is in progress.
        peak = harness.rss_kib(proxy.pid)
        for conn in conns:
            self.assertEqual(conn.read_response("POST").status, 200)
            peak = max(peak, harness.rss_kib(proxy.pid))
        for conn in conns:
            conn.close()
        growth = peak - before
        self.assertGreater(growth, GROWTH_MIN_KIB, "RSS %d KiB before the burst, %d at its peak" % (before, peak))

        # At least half of what the burst took goes back (measured: all but about 3%).
        target = before + growth // 2
        returned = harness.wait_until(lambda: harness.rss_kib(proxy.pid) <= target, timeout=RETURN_DEADLINE, interval=0.5)
        self.assertTrue(
            returned,
            "RSS %d KiB before the burst, %d at its peak, still %d after %d s"
            % (before, peak, harness.rss_kib(proxy.pid), RETURN_DEADLINE),
        )
        self.assertEqual(harness.http_request(proxy.port, "GET", "/after").status, 200)

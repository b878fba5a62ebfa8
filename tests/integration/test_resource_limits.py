"""Descriptor limits: at its limit fulcrum pauses accepting (connections wait in the listen
queue) instead of spinning or crashing, and takes them once descriptors are free again."""

import time

import harness
from harness import http_request

NOFILE = 64
HELD = 100  # connections opened at once, more than the limit allows
BUSY_CPU_FRACTION = 0.25  # of one CPU, while nothing but the pause is going on


class DescriptorLimitTest(harness.TestCase):
    def test_accept_pauses_at_the_limit_and_resumes(self):
        backend = self.start_backend()
        # Held connections send nothing: a long header timeout keeps them open meanwhile.
        proxy = self.start_proxy([backend], ["--client-header-timeout", "120s"], nofile=NOFILE)
        self.assertEqual(http_request(proxy.port, "GET", "/before").status, 200)
        held = [self.connect(proxy) for _ in range(HELD)]  # the kernel completes every handshake
        self.assertTrue(harness.wait_until(lambda: "pausing accepts" in proxy.output(), timeout=20), proxy.output())

        # Paused, not spinning: a loop retrying accept would burn a whole CPU.
        cpu_before, wall_before = harness.cpu_seconds(proxy.pid), time.monotonic()
        self.assertFalse(held[0].readable_within(2.0), "a held connection was answered or closed")
        busy = (harness.cpu_seconds(proxy.pid) - cpu_before) / (time.monotonic() - wall_before)
        self.assertLess(busy, BUSY_CPU_FRACTION, "fulcrum used %.0f%% of a CPU while paused" % (100 * busy))
        self.assertTrue(proxy.running(), proxy.output())

        # Free most descriptors: the connections still waiting in the queue are taken and served
        # (one request at a time, so that one pooled backend connection serves them all).
        for conn in held[: HELD - 30]:
            conn.close()
        for i, conn in enumerate(held[HELD - 30 :]):
            response = conn.request("GET", "/held/%d" % i)
            self.assertEqual((response.status, response.json()["uri"]), (200, "/held/%d" % i))
        for conn in held:
            conn.close()
        for i in range(20):
            self.assertEqual(http_request(proxy.port, "GET", "/after/%d" % i).json()["uri"], "/after/%d" % i)
        self.assertTrue(proxy.running(), proxy.output())

    def test_a_descriptor_shortage_is_not_blamed_on_the_backend(self):
        # At the limit, a request that needs a new backend connection cannot have one. It gets
        # an error, but the backend did nothing wrong: it must not be marked down, or a moment
        # of overload would turn into seconds of 503s for everyone once it is over.
        backend = self.start_backend()
        proxy = self.start_proxy([backend], ["--client-header-timeout", "120s", "--retries", "0"], nofile=NOFILE)
        idle_fds = harness.fd_count(proxy.pid)
        held = [self.connect(proxy) for _ in range(HELD)]
        self.assertTrue(harness.wait_until(lambda: "pausing accepts" in proxy.output(), timeout=20), proxy.output())
        for conn in held[:5]:  # accepted first, so accepted by now
            self.assertErrorResponse(conn.request("GET", "/short"), 503)
        for conn in held:
            conn.close()
        self.assertTrue(harness.wait_until(lambda: harness.fd_count(proxy.pid) <= idle_fds, timeout=20))
        self.assertEqual(http_request(proxy.port, "GET", "/x").status, 200)
        self.assertTrue(proxy.running(), proxy.output())

    def test_a_descriptor_shortage_does_not_fail_health_probes(self):
        # A probe that cannot have a socket learnt nothing about the backend. Counted as a failed
        # probe, a shortage lasting a few intervals took every healthy backend down, and clients
        # got 503 until enough probes passed after the shortage was over.
        backend = self.start_backend()
        # A probe gets the whole interval to be answered: the timeout is no part of the test.
        probes = ["--health-interval", "500ms", "--health-timeout", "500ms", "--unhealthy-threshold", "2", "--healthy-threshold", "10"]
        proxy = self.start_proxy([backend], ["--client-header-timeout", "120s"] + probes, nofile=NOFILE)
        idle_fds = harness.fd_count(proxy.pid)
        held = [self.connect(proxy) for _ in range(HELD)]
        self.assertTrue(harness.wait_until(lambda: "pausing accepts" in proxy.output(), timeout=20), proxy.output())
        time.sleep(2.0)  # several probe intervals at the limit (the thing under test is time)
        for conn in held:
            conn.close()
        self.assertTrue(harness.wait_until(lambda: harness.fd_count(proxy.pid) <= idle_fds, timeout=20))
        self.assertNotIn("up -> down", proxy.output())
        for i in range(5):
            self.assertEqual(http_request(proxy.port, "GET", "/after/%d" % i).status, 200)
        self.assertTrue(proxy.running(), proxy.output())


if __name__ == "__main__":
    import unittest

    unittest.main()

"""Graceful shutdown on SIGTERM: requests in flight finish, new connections are refused, exit 0."""

import signal
import socket
import threading
import time

import harness
from harness import build_request


def answer_when_released(released, at_the_latest):
    """A ScriptedBackend handler that answers each request once the released event is set (or
    after at_the_latest seconds), so that a test knows exactly when a request is in flight."""

    def handler(conn):
        while True:
            request = conn.next_request()
            if request is None:
                return
            released.wait(at_the_latest)
            body = request.target.encode()
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    return handler


def refuses_connections(port):
    """True once the port takes no new connection. A connection that lands in the queue just as
    the last copy of the listening socket closes is reset: that is a refusal too."""
    try:
        socket.create_connection((harness.HOST, port), timeout=2).close()
        return False
    except (ConnectionRefusedError, ConnectionResetError):
        return True


def unaccepting_listener(test):
    """The port of a listening socket that never accepts and whose queue is full: the kernel
    drops the SYNs of further connections, which stay in SYN-SENT until they time out."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    test.addCleanup(listener.close)
    listener.bind((harness.HOST, 0))
    listener.listen(0)
    filler = socket.create_connection(listener.getsockname(), timeout=harness.IO_TIMEOUT)
    test.addCleanup(filler.close)
    return listener.getsockname()[1]


def connecting_to(port):
    """Whether a socket on this machine is in SYN-SENT towards port (the 02 of /proc/net/tcp)."""
    with open("/proc/net/tcp") as f:
        for line in f.read().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "02" and int(fields[2].rsplit(":", 1)[1], 16) == port:
                return True
    return False


class ShutdownTest(harness.TestCase):
    def test_idle_proxy_exits_0_quickly(self):
        # At once, not at the end of the drain timeout.
        proxy = self.start_proxy([self.start_backend()], ["--drain-timeout", "60s"])
        self.assertEqual(harness.http_request(proxy.port, "GET", "/").status, 200)
        proxy.send_signal(signal.SIGTERM)
        self.assertEqual(proxy.wait(30), 0, proxy.output())

    def test_request_in_flight_completes(self):
        # The backend answers once the test has seen fulcrum draining.
        released = threading.Event()
        self.addCleanup(released.set)
        backend = self.start_scripted_backend(answer_when_released(released, 30))
        proxy = self.start_proxy([backend], ["--drain-timeout", "60s"])  # the test says when the answer comes
        conn = self.connect(proxy)
        conn.send(build_request("GET", "/in-flight", host="h"))
        self.assertTrue(backend.wait_for_requests(1), "the request never reached the backend")
        proxy.send_signal(signal.SIGTERM)
        self.assertTrue(harness.wait_until(lambda: refuses_connections(proxy.port), timeout=10), "still accepting after SIGTERM")
        released.set()
        response = conn.read_response()
        self.assertEqual(response.status, 200)
        self.assertEqual(response.body, b"/in-flight")
        self.assertEqual(proxy.wait(10), 0, proxy.output())

    def test_request_in_flight_to_fulcrum_backend_completes(self):
        backend = self.start_backend()
        proxy = self.start_proxy([backend], ["--drain-timeout", "30s"])
        probe = self.stats_probe(backend)
        conn = self.connect(proxy)
        conn.send(build_request("GET", "/delay/3000", host="h"))
        # The backend counts a connection when fulcrum connects for this request.
        self.assertTrue(harness.wait_until(lambda: probe.delta()["connections"] >= 1, timeout=10))
        self.assertFalse(conn.readable_within(0), "answered before the delay was over")
        proxy.send_signal(signal.SIGTERM)
        response = conn.read_response()
        self.assertEqual(response.status, 200)
        self.assertEqual(response.json()["uri"], "/delay/3000")
        self.assertEqual(proxy.wait(10), 0, proxy.output())

    def test_new_connections_are_refused_while_draining(self):
        released = threading.Event()
        self.addCleanup(released.set)
        backend = self.start_scripted_backend(answer_when_released(released, 30))
        proxy = self.start_proxy([backend], ["--drain-timeout", "60s"])  # the test says when the answer comes
        conn = self.connect(proxy)
        conn.send(build_request("GET", "/held", host="h"))
        self.assertTrue(backend.wait_for_requests(1))
        proxy.send_signal(signal.SIGTERM)
        self.assertTrue(harness.wait_until(lambda: refuses_connections(proxy.port), timeout=10), "still accepting after SIGTERM")
        self.assertTrue(proxy.running(), "exited with a request in flight")
        released.set()
        response = conn.read_response()
        self.assertEqual((response.status, response.body), (200, b"/held"))
        self.assertEqual(proxy.wait(10), 0, proxy.output())

    # Closing an idle keep-alive connection at once would fail a client that sends on it at that
    # moment: while draining it stays open, its next request is answered with Connection: close,
    # and only the end of the drain timeout closes a connection that stays silent.
    def test_idle_keep_alive_connection_is_served_during_drain(self):
        proxy = self.start_proxy([self.start_backend()], ["--drain-timeout", "30s"])
        conn = self.connect(proxy)
        self.assertEqual(conn.request("GET", "/").status, 200)
        proxy.send_signal(signal.SIGTERM)
        self.assertTrue(harness.wait_until(lambda: refuses_connections(proxy.port), timeout=10), "still accepting after SIGTERM")
        response = conn.request("GET", "/again")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.json()["uri"], "/again")
        self.assertIn("close", response.connection_tokens())
        self.assertClosedWithin(conn, 5)
        self.assertEqual(proxy.wait(10), 0, proxy.output())

    def test_silent_keep_alive_connection_is_closed_when_the_drain_timeout_ends(self):
        proxy = self.start_proxy([self.start_backend()], ["--drain-timeout", "2s"])
        conn = self.connect(proxy)
        self.assertEqual(conn.request("GET", "/").status, 200)
        started = time.monotonic()
        proxy.send_signal(signal.SIGTERM)
        self.assertEqual(proxy.wait(15), 0, proxy.output())
        # Not before the drain timeout: the connection was kept for a late request.
        self.assertGreaterEqual(time.monotonic() - started, 1.5)
        self.assertClosedWithin(conn, 5)
        self.assertEqual(conn.pending(), b"")

    def test_response_during_drain_closes_the_connection(self):
        # The backend answers once the test has seen fulcrum draining.
        released = threading.Event()
        self.addCleanup(released.set)
        backend = self.start_scripted_backend(answer_when_released(released, 30))
        proxy = self.start_proxy([backend], ["--drain-timeout", "60s"])  # the test says when the answer comes
        conn = self.connect(proxy)
        conn.send(build_request("GET", "/last", host="h"))
        self.assertTrue(backend.wait_for_requests(1))
        proxy.send_signal(signal.SIGTERM)
        self.assertTrue(harness.wait_until(lambda: refuses_connections(proxy.port), timeout=10), "still accepting after SIGTERM")
        released.set()
        response = conn.read_response()
        self.assertEqual((response.status, response.body), (200, b"/last"))
        self.assertIn("close", response.connection_tokens(), "a keep-alive response from a proxy that is going away")
        self.assertClosedWithin(conn, 10)
        self.assertEqual(proxy.wait(10), 0, proxy.output())

    def test_drain_timeout_bounds_the_wait(self):
        released = threading.Event()
        self.addCleanup(released.set)
        backend = self.start_scripted_backend(answer_when_released(released, 60))
        proxy = self.start_proxy([backend], ["--drain-timeout", "1s"])
        conn = self.connect(proxy)
        conn.send(build_request("GET", "/stuck", host="h"))
        self.assertTrue(backend.wait_for_requests(1))
        started = time.monotonic()
        proxy.send_signal(signal.SIGTERM)
        status = proxy.wait(15)
        self.assertIsNotNone(status, "still running 15 s after SIGTERM with --drain-timeout 1s")
        self.assertLess(time.monotonic() - started, 10)
        self.assertGreaterEqual(status, 0, "killed by a signal")
        self.assertClosedWithin(conn, 5)

    # The backend did nothing wrong: it was slower than the drain timeout. Its health is shared
    # with the other workers (which stay, when a reload retires some), so the cut requests must not
    # count as its failures: three would take it down (unhealthy_threshold).
    def test_requests_cut_by_the_drain_timeout_are_not_held_against_their_backend(self):
        released = threading.Event()
        self.addCleanup(released.set)
        backend = self.start_scripted_backend(answer_when_released(released, 60))
        proxy = self.start_proxy([backend], ["--drain-timeout", "1s", "-l", "info"])
        conns = [self.connect(proxy) for _ in range(4)]
        for i, conn in enumerate(conns):
            conn.send(build_request("GET", "/held/%d" % i, host="h"))
        self.assertTrue(backend.wait_for_requests(len(conns)))
        proxy.send_signal(signal.SIGTERM)
        self.assertIsNotNone(proxy.wait(15), "still running 15 s after SIGTERM with --drain-timeout 1s")
        self.assertIn("drain timeout", proxy.output())
        self.assertNotIn("up -> down", proxy.output())

    # SIGQUIT is the immediate stop (as HAProxy's hard stop): connections are closed whatever they
    # wait for, and the process still exits 0, having torn every session down.
    def test_sigquit_closes_a_request_in_flight_at_once(self):
        released = threading.Event()
        self.addCleanup(released.set)
        backend = self.start_scripted_backend(answer_when_released(released, 60))
        proxy = self.start_proxy([backend], ["--drain-timeout", "60s"])
        conn = self.connect(proxy)
        conn.send(build_request("GET", "/held", host="h"))
        self.assertTrue(backend.wait_for_requests(1))
        started = time.monotonic()
        proxy.send_signal(signal.SIGQUIT)
        self.assertEqual(proxy.wait(15), 0, proxy.output())
        self.assertLess(time.monotonic() - started, 10)
        self.assertClosedWithin(conn, 5)
        self.assertEqual(conn.pending(), b"")

    # Nor is the request then tried on another backend.
    def test_sigquit_closes_a_request_waiting_for_its_backend_connection(self):
        ports = [unaccepting_listener(self), unaccepting_listener(self)]
        proxy = self.start_proxy(ports, ["--connect-timeout", "60s", "--drain-timeout", "60s"])
        conn = self.connect(proxy)
        conn.send(build_request("GET", "/", host="h"))
        self.assertTrue(harness.wait_until(lambda: any(connecting_to(p) for p in ports), timeout=10), "fulcrum never connected")
        started = time.monotonic()
        proxy.send_signal(signal.SIGQUIT)
        self.assertEqual(proxy.wait(15), 0, proxy.output())
        self.assertLess(time.monotonic() - started, 10)
        self.assertClosedWithin(conn, 5)


if __name__ == "__main__":
    import unittest

    unittest.main()

"""fulcrum-backend on its own: the other scenarios trust what it reports, so it is tested first."""

import time

import harness
from harness import Connection, PatternCheck, http_request


class BackendTest(harness.TestCase):
    def setUp(self):
        self.backend = self.start_backend(id="alpha")

    def test_prints_its_listening_line(self):
        expected = "fulcrum-backend alpha listening on 127.0.0.1:%d" % self.backend.port
        self.assertTrue(harness.wait_until(lambda: expected in self.backend.output(), timeout=10), self.backend.output())

    def test_echoes_a_request_as_json(self):
        response = http_request(
            self.backend.port,
            "POST",
            "/some/path?x=1&y=two",
            headers=[("X-Custom", "a"), ("X-Custom", "b"), ("X-Single", "Value With Spaces")],
            body=b"hello",
        )
        self.assertEqual(response.status, 200)
        self.assertEqual(response.header("Content-Type"), "application/json")
        echo = response.json()
        self.assertEqual(sorted(echo), ["body", "body_length", "headers", "method", "server", "uri"])
        self.assertEqual(echo["server"], "alpha")
        self.assertEqual(echo["method"], "POST")
        self.assertEqual(echo["uri"], "/some/path?x=1&y=two")
        self.assertEqual(echo["headers"]["x-custom"], "a, b")
        self.assertEqual(echo["headers"]["x-single"], "Value With Spaces")
        self.assertEqual(echo["headers"]["host"], "127.0.0.1:%d" % self.backend.port)
        self.assertEqual(echo["headers"]["content-length"], "5")
        self.assertEqual(echo["body_length"], 5)
        self.assertEqual(echo["body"], "hello")

    def test_echoes_a_utf8_body(self):
        body = "h\u00e9llo w\u00f6rld \u2713 \U0001f600".encode("utf-8")
        echo = http_request(self.backend.port, "PUT", "/", body=body).json()
        self.assertEqual(echo["body_length"], len(body))
        self.assertEqual(echo["body"].encode("utf-8"), body)

    def test_echoes_a_body_of_64_kib(self):
        body = b"x" * (64 * 1024)
        echo = http_request(self.backend.port, "POST", "/", body=body).json()
        self.assertEqual(echo["body_length"], len(body))
        self.assertEqual(echo["body"], body.decode())

    def test_a_body_over_64_kib_is_echoed_as_null(self):
        echo = http_request(self.backend.port, "POST", "/", body=b"x" * (64 * 1024 + 1)).json()
        self.assertEqual(echo["body_length"], 64 * 1024 + 1)
        self.assertIsNone(echo["body"])

    def test_a_body_that_is_not_utf8_is_echoed_as_null(self):
        echo = http_request(self.backend.port, "POST", "/", body=bytes(range(256))).json()
        self.assertEqual(echo["body_length"], 256)
        self.assertIsNone(echo["body"])

    def test_a_request_without_body(self):
        echo = http_request(self.backend.port, "GET", "/").json()
        self.assertEqual(echo["method"], "GET")
        self.assertEqual(echo["body_length"], 0)
        self.assertEqual(echo["body"], "")

    def test_decodes_a_chunked_request_body(self):
        body = harness.chunked_body([b"hello", b" ", b"world"])
        echo = http_request(self.backend.port, "POST", "/", headers=[("Transfer-Encoding", "chunked")], body=body).json()
        self.assertEqual(echo["body_length"], 11)
        self.assertEqual(echo["body"], "hello world")

    def test_default_id_names_the_port(self):
        other = self.start_backend()
        self.assertEqual(http_request(other.port, "GET", "/").json()["server"], "backend-%d" % other.port)

    def test_status_route(self):
        response = http_request(self.backend.port, "GET", "/status/418")
        self.assertEqual(response.status, 418)
        response = http_request(self.backend.port, "GET", "/status/503")
        self.assertEqual(response.status, 503)

    def test_health(self):
        response = http_request(self.backend.port, "GET", "/health")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.body, b"ok")

    def test_delay_does_not_block_a_concurrent_request(self):
        # The delay is longer than the test: a backend that blocked during it would answer the
        # fast request only after it (at the client's timeout, here).
        slow = Connection(self.backend.port)
        self.addCleanup(slow.close)
        slow.send(harness.build_request("GET", "/delay/600000", host="x"))
        fast = http_request(self.backend.port, "GET", "/fast")
        self.assertEqual(fast.status, 200)
        self.assertFalse(slow.readable_within(0), "the delayed response came before the fast one")

    def test_delay_after_idle_time_still_waits(self):
        # A delay counts from the request, not from whenever the backend last woke up.
        conn = self.connect(self.backend)
        self.assertFalse(conn.readable_within(1.0))  # both ends idle for a second
        started = time.monotonic()
        response = conn.request("GET", "/delay/500")
        self.assertEqual(response.status, 200)
        self.assertGreaterEqual(time.monotonic() - started, 0.5)

    def test_bytes(self):
        response = http_request(self.backend.port, "GET", "/bytes/1000")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.header("Content-Length"), "1000")
        self.assertFalse(response.chunked)
        self.assertEqual(response.body, harness.pattern(0, 1000))
        self.assertEqual(response.body[:27], b"abcdefghijklmnopqrstuvwxyza")

    def test_zero_bytes(self):
        response = http_request(self.backend.port, "GET", "/bytes/0")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.header("Content-Length"), "0")
        self.assertEqual(response.body, b"")

    def test_chunked(self):
        check = PatternCheck()
        response = http_request(self.backend.port, "GET", "/chunked/200000", sink=check)
        self.assertEqual(response.status, 200)
        self.assertTrue(response.chunked, response.headers)
        self.assertIsNone(response.header("Content-Length"))
        self.assertTrue(response.complete)
        self.assertEqual(check.length, 200000)
        self.assertIsNone(check.first_mismatch)

    def test_head_has_no_body(self):
        with Connection(self.backend.port) as conn:
            conn.send(harness.build_request("HEAD", "/bytes/100", host="x") + harness.build_request("GET", "/health", host="x"))
            head = conn.read_response("HEAD")
            self.assertEqual(head.status, 200)
            self.assertEqual(head.body, b"")
            # Had the HEAD response carried a body, it would be read as the next response.
            after = conn.read_response()
            self.assertEqual((after.status, after.body), (200, b"ok"))

    def test_close_route_answers_then_closes(self):
        with Connection(self.backend.port) as conn:
            response = conn.request("GET", "/close")
            self.assertEqual(response.status, 200)
            self.assertTrue(response.complete)
            self.assertIn("close", response.connection_tokens())
            self.assertTrue(conn.closed_within(10))
            self.assertEqual(conn.pending(), b"")

    def test_reset_route_resets_without_answering(self):
        with Connection(self.backend.port) as conn:
            conn.send(harness.build_request("GET", "/reset", host="x"))
            self.assertTrue(conn.closed_within(10))
            self.assertEqual(conn.pending(), b"")
            self.assertTrue(conn.was_reset, "closed with a FIN, not a reset")

    def test_hang_never_answers(self):
        with Connection(self.backend.port) as conn:
            conn.send(harness.build_request("GET", "/hang", host="x"))
            self.assertFalse(conn.readable_within(1.0))

    def test_stats_counts_connections_and_requests(self):
        probe = self.stats_probe(self.backend)
        with Connection(self.backend.port) as conn:
            for _ in range(3):
                self.assertEqual(conn.request("GET", "/").status, 200)
        self.assertEqual(http_request(self.backend.port, "GET", "/").status, 200)
        self.assertEqual(probe.delta(), {"requests": 4, "connections": 2})

    def test_keep_alive_serves_many_requests_on_one_connection(self):
        probe = self.stats_probe(self.backend)
        with Connection(self.backend.port) as conn:
            for i in range(20):
                self.assertEqual(conn.request("GET", "/n/%d" % i).json()["uri"], "/n/%d" % i)
        self.assertEqual(probe.delta(), {"requests": 20, "connections": 1})


class ForcedStatusTest(harness.TestCase):
    def test_every_answer_has_the_forced_status(self):
        backend = self.start_backend(status=503)
        for target in ("/", "/health", "/bytes/10", "/status/200"):
            self.assertEqual(http_request(backend.port, "GET", target).status, 503, target)


if __name__ == "__main__":
    import unittest

    unittest.main()

"""Failover: a request whose backend fails before any response byte reached the client is tried
on another backend, when that is safe, and never on the same backend twice in a row."""

import harness
from harness import http_request


def dead_address():
    """An address where nothing listens."""
    return "127.0.0.1:%d" % harness.free_port()


def reset_after_request(conn):
    """A backend that reads each request and resets the connection without answering."""
    if conn.next_request() is not None:
        conn.reset()


def early_hints_then_reset(conn):
    """Reads each request, answers 103 Early Hints, then resets the connection."""
    if conn.next_request() is not None:
        conn.send(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n")
        conn.reset()


class FailoverTest(harness.TestCase):
    def test_a_dead_backend_is_hidden_from_clients(self):
        live = self.start_backend(id="live")
        proxy = self.start_proxy([dead_address(), live])
        for i in range(20):
            for method, body in (("GET", None), ("POST", b"x" * 100)):
                response = http_request(proxy.port, method, "/r/%d" % i, body=body)
                self.assertEqual(response.status, 200, (method, i))
                self.assertEqual(response.json()["server"], "live")

    def test_a_dead_backend_is_hidden_from_large_and_chunked_uploads_too(self):
        # A connection that fails carries nothing of the request: a body that is streamed rather
        # than kept (over 64 KiB, or chunked) has not been read yet, so the request may go to
        # another backend as a small one does. It used to get 502 whenever the dead one was picked.
        live = self.start_backend(id="live")
        proxy = self.start_proxy([dead_address(), live])
        big = b"y" * (200 * 1024)
        chunked = harness.chunked_body([b"a" * 1000, b"b" * 100000])
        for i in range(4):
            for headers, body, length in (((), big, len(big)), ((("Transfer-Encoding", "chunked"),), chunked, 101000)):
                response = http_request(proxy.port, "POST", "/up/%d" % i, headers=headers, body=body)
                self.assertEqual(response.status, 200, (i, headers))
                self.assertEqual((response.json()["server"], response.json()["body_length"]), ("live", length))

    def test_idempotent_request_is_retried_after_a_reset(self):
        flaky = self.start_scripted_backend(reset_after_request)
        live = self.start_backend(id="live")
        proxy = self.start_proxy([flaky, live])
        body = bytes(range(256)) * 40  # 10 KiB, kept for the retry
        for _ in range(2):  # the first of the two picks lands on the flaky backend
            response = http_request(proxy.port, "PUT", "/put", body=body)
            self.assertEqual(response.status, 200)
            self.assertEqual(response.json()["server"], "live")
            self.assertEqual(response.json()["body_length"], len(body))
        self.assertGreaterEqual(len(flaky.requests), 1)

    def test_non_idempotent_request_that_reached_a_backend_is_not_retried(self):
        flaky = self.start_scripted_backend(reset_after_request)
        live = self.start_backend(id="live")
        proxy = self.start_proxy([flaky, live])
        probe = self.stats_probe(live)
        statuses = [http_request(proxy.port, "POST", "/order", body=b"once").status for _ in range(2)]
        # One of the two went to the flaky backend, which received it: repeating a POST could
        # repeat its effect, so the client gets the error.
        self.assertEqual(sorted(statuses), [200, 502])
        self.assertEqual(len(flaky.requests), 1)
        self.assertEqual(probe.delta()["requests"], 1)

    def test_a_large_body_that_was_streamed_is_not_retried(self):
        flaky = self.start_scripted_backend(reset_after_request)
        proxy = self.start_proxy([flaky, self.start_backend(id="live")])
        body = b"y" * (200 * 1024)  # over the 64 KiB kept for retries
        statuses = sorted(http_request(proxy.port, "PUT", "/big", body=body).status for _ in range(2))
        self.assertEqual(statuses, [200, 502])

    def test_never_the_same_backend_twice_and_at_most_retries_plus_one_tries(self):
        flaky = [self.start_scripted_backend(reset_after_request) for _ in range(4)]
        proxy = self.start_proxy(flaky)
        response = http_request(proxy.port, "GET", "/doomed")
        self.assertEqual(response.status, 502)
        tries = [len(b.requests) for b in flaky]
        self.assertEqual(sum(tries), 3, tries)  # one try and the default two retries
        self.assertLessEqual(max(tries), 1, tries)

    def test_retries_zero_gives_the_error(self):
        proxy = self.start_proxy([dead_address(), self.start_backend(id="live")], ["--retries", "0"])
        statuses = [http_request(proxy.port, "GET", "/").status for _ in range(2)]
        self.assertEqual(sorted(statuses), [200, 502])

    # A backend that sends an interim (1xx) response and then fails: what reaches the other
    # backend is the request itself, not the interim response relayed to the client meanwhile.
    def test_request_retried_after_an_interim_response_is_the_request(self):
        flaky = self.start_scripted_backend(early_hints_then_reset)
        live = self.start_backend(id="live")
        proxy = self.start_proxy([flaky, live], ["--no-health-checks"])
        for i in range(2):  # one of the two first picks lands on the flaky backend
            response = http_request(proxy.port, "GET", "/hinted/%d" % i)
            self.assertEqual(response.status, 200, response)
            echo = response.json()
            self.assertEqual(echo["server"], "live")
            self.assertEqual(echo["method"], "GET", echo)
            self.assertEqual(echo["uri"], "/hinted/%d" % i, echo)
        self.assertGreaterEqual(len(flaky.requests), 1)

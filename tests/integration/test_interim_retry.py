"""A backend that sends an interim (1xx) response and then fails: the request is tried on another
backend (when that is safe), and what reaches the other backend is the request itself, not the
interim response that was relayed to the client meanwhile."""

import harness
from harness import http_request


def early_hints_then_reset(conn):
    """Reads each request, answers 103 Early Hints, then resets the connection."""
    if conn.next_request() is not None:
        conn.send(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n")
        conn.reset()


class InterimRetryTest(harness.TestCase):
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


if __name__ == "__main__":
    import unittest

    unittest.main()

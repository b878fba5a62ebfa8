"""What a client sees when backends fail: refused, reset, broken responses, all down."""

import re
import time

import harness
from harness import http_request


def dead_address():
    """HOST:PORT where nothing listens (refuses connections)."""
    return "%s:%d" % (harness.HOST, harness.free_port())


class DeadBackendTest(harness.TestCase):
    def test_refused_backend_gives_502(self):
        proxy = self.start_proxy([dead_address()])
        conn = self.connect(proxy)
        response = conn.request("GET", "/")
        self.assertErrorResponse(response, 502)
        self.assertClosedWithin(conn, 10)
        self.assertEqual(conn.pending(), b"")

    def test_after_three_failures_all_down_gives_503_with_retry_after(self):
        proxy = self.start_proxy([dead_address()])
        statuses = []
        for _ in range(6):
            response = http_request(proxy.port, "GET", "/")
            statuses.append(response.status)
            if response.status == 503:
                self.assertErrorResponse(response, 503)
                self.assertRegex(response.header("Retry-After") or "", r"^\d+$")
        self.assertEqual(statuses[0], 502, statuses)
        failures = statuses.index(503) if 503 in statuses else len(statuses)
        self.assertLessEqual(failures, 3, statuses)
        self.assertEqual(statuses, [502] * failures + [503] * (6 - failures))

    def test_dead_backend_beside_a_live_one(self):
        live = self.start_backend(id="live")
        proxy = self.start_proxy([dead_address(), live])
        results = []
        for i in range(20):
            response = http_request(proxy.port, "GET", "/r/%d" % i)
            results.append(response.json()["server"] if response.status == 200 else response.status)
        self.assertLessEqual(results.count(502), 3, results)
        self.assertEqual([r for r in results if r != 502], ["live"] * (20 - results.count(502)), results)
        self.assertEqual(results[-10:], ["live"] * 10, results)

    def test_backend_is_tried_again_after_being_down(self):
        port = harness.free_port()
        proxy = self.start_proxy(["%s:%d" % (harness.HOST, port)])
        statuses = [http_request(proxy.port, "GET", "/").status for _ in range(4)]
        marked_down = time.monotonic()
        self.assertEqual(statuses[-1], 503, statuses)
        self.start_backend(id="back", port=port)
        if time.monotonic() - marked_down < 5:  # still within the 10 s it is considered down
            self.assertEqual(http_request(proxy.port, "GET", "/").status, 503)

        def served():
            response = http_request(proxy.port, "GET", "/again")
            return response.status == 200 and response.json()["server"] == "back"

        self.assertTrue(harness.wait_until(served, timeout=30, interval=0.25), "never sent to the backend again")


class BackendMisbehaviourTest(harness.TestCase):
    def test_backend_reset_before_answering_gives_502(self):
        backend = self.start_backend()
        proxy = self.start_proxy([backend])
        conn = self.connect(proxy)
        response = conn.request("GET", "/reset")
        self.assertErrorResponse(response, 502)
        self.assertClosedWithin(conn, 10)

    def test_backend_closing_without_answering_gives_502(self):
        def handler(conn):
            conn.next_request()

        backend = self.start_scripted_backend(handler)
        proxy = self.start_proxy([backend])
        self.assertErrorResponse(http_request(proxy.port, "GET", "/"), 502)

    def test_malformed_status_line_gives_502(self):
        backend = self.start_scripted_backend(harness.respond(b"HTTP/1.1 abc Nope\r\nContent-Length: 0\r\n\r\n"))
        proxy = self.start_proxy([backend])
        self.assertErrorResponse(http_request(proxy.port, "GET", "/"), 502)

    def test_garbage_response_gives_502(self):
        backend = self.start_scripted_backend(harness.respond(b"this is not http at all\r\n\r\n"))
        proxy = self.start_proxy([backend])
        self.assertErrorResponse(http_request(proxy.port, "GET", "/"), 502)

    def test_malformed_response_header_gives_502(self):
        backend = self.start_scripted_backend(harness.respond(b"HTTP/1.1 200 OK\r\nNo colon here\r\nContent-Length: 2\r\n\r\nok"))
        proxy = self.start_proxy([backend])
        self.assertErrorResponse(http_request(proxy.port, "GET", "/"), 502)

    def test_response_head_over_the_configured_limits_gives_502(self):
        def head(fields):  # Content-Length is the last of `fields` fields; the body is "ok"
            return b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(fields - 1)) + b"Content-Length: 2\r\n\r\nok"

        for fields, status in ((10, 200), (11, 502)):
            with self.subTest(fields=fields):
                backend = self.start_scripted_backend(harness.respond(head(fields)))
                proxy = self.start_proxy([backend], ["--max-headers", "10", "--retries", "0"])
                self.assertEqual(http_request(proxy.port, "GET", "/").status, status)
        head_size = len(head(10)) - len(b"ok")
        for size, status in ((head_size, 200), (head_size - 1, 502)):
            with self.subTest(max_header_size=size):
                backend = self.start_scripted_backend(harness.respond(head(10)))
                proxy = self.start_proxy([backend], ["--max-header-size", str(size), "--retries", "0"])
                self.assertEqual(http_request(proxy.port, "GET", "/").status, status)

    def test_response_with_content_length_and_transfer_encoding_gives_502(self):
        backend = self.start_scripted_backend(
            harness.respond(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        )
        proxy = self.start_proxy([backend])
        self.assertErrorResponse(http_request(proxy.port, "GET", "/"), 502)

    def test_response_with_two_different_content_lengths_gives_502(self):
        backend = self.start_scripted_backend(
            harness.respond(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!")
        )
        proxy = self.start_proxy([backend])
        self.assertErrorResponse(http_request(proxy.port, "GET", "/"), 502)

    def test_response_cut_mid_body_closes_the_client_connection(self):
        backend = self.start_scripted_backend(
            harness.respond(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"0123456789", then="close")
        )
        proxy = self.start_proxy([backend])
        conn = self.connect(proxy)
        conn.send(harness.build_request("GET", "/cut", host="h"))
        response = conn.read_response()
        self.assertEqual(response.status, 200)
        self.assertFalse(response.complete, "a cut body was completed: the client cannot tell it is short")
        self.assertEqual(response.body, b"0123456789")
        self.assertTrue(conn.eof)
        self.assertEqual(conn.read_until_close(timeout=5), b"", "bytes after the cut response")

    def test_chunked_response_cut_mid_body_closes_the_client_connection(self):
        backend = self.start_scripted_backend(
            harness.respond(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n0123456789", then="close")
        )
        proxy = self.start_proxy([backend])
        conn = self.connect(proxy)
        conn.send(harness.build_request("GET", "/cut", host="h"))
        response = conn.read_response()
        self.assertEqual(response.status, 200)
        self.assertFalse(response.complete, "a cut body was completed: the client cannot tell it is short")
        self.assertEqual(response.body, b"0123456789")
        self.assertTrue(conn.eof)
        self.assertEqual(conn.read_until_close(timeout=5), b"", "bytes after the cut response")

    def test_backend_status_codes_pass_through(self):
        backend = self.start_backend(id="s")
        proxy = self.start_proxy([backend])
        for status in (404, 500, 503, 500, 502, 418):
            response = http_request(proxy.port, "GET", "/status/%d" % status)
            self.assertEqual(response.status, status)
            self.assertEqual(response.header("Content-Type"), "application/json", "not the backend's answer")
        # Answers, even 5xx ones, are not connection failures: the backend is still in use.
        self.assertEqual(http_request(proxy.port, "GET", "/").json()["server"], "s")


class ErrorResponseTest(harness.TestCase):
    def test_error_response_format(self):
        proxy = self.start_proxy([dead_address()])
        conn = self.connect(proxy)
        conn.send(harness.build_request("GET", "/", host="h"))
        response = conn.read_response()
        self.assertEqual(response.version, "HTTP/1.1")
        self.assertEqual(response.status, 502)
        self.assertRegex(response.header("Content-Type") or "", r"^text/plain")
        self.assertEqual(response.header("Content-Length"), str(len(response.body)))
        self.assertLess(len(response.body), 512)
        self.assertTrue(re.match(rb"^[\x20-\x7e\r\n\t]+$", response.body), response.body)
        self.assertIn("close", response.connection_tokens())
        self.assertClosedWithin(conn, 10)

    def test_pipelined_request_after_an_error_is_not_answered(self):
        proxy = self.start_proxy([dead_address()])
        conn = self.connect(proxy)
        conn.send(harness.build_request("GET", "/1", host="h") + harness.build_request("GET", "/2", host="h"))
        data = conn.read_until_close(timeout=15)
        self.assertTrue(data.startswith(b"HTTP/1.1 502 "), data[:100])
        self.assertEqual(data.count(b"HTTP/1.1 "), 1, data)


if __name__ == "__main__":
    import unittest

    unittest.main()

"""Malformed or oversized requests: each gets its status, the connection closes, and the backend
never sees the request (its /stats, read directly, count no new request)."""

import socket

import harness


def request_with_headers(headers, target="/"):
    """A GET with Host and then the given (name, value) fields."""
    return harness.build_request("GET", target, headers, host="h")


def numbered_headers(count):
    return [("X-H%d" % i, "v%d" % i) for i in range(count)]


class MalformedRequestTest(harness.TestCase):
    def setUp(self):
        self.backend = self.start_backend()
        self.proxy = self.start_proxy([self.backend])
        self.probe = self.stats_probe(self.backend)

    def assertRejected(self, raw, status):
        conn = self.connect(self.proxy)
        conn.send(raw)  # the proxy may answer and close before reading all of it
        response = conn.read_response()
        self.assertErrorResponse(response, status)
        self.assertClosedWithin(conn, 10)
        self.assertEqual(self.probe.delta()["requests"], 0, "the backend received the rejected request")

    def assertAccepted(self, raw):
        conn = self.connect(self.proxy)
        conn.send(raw)
        response = conn.read_response()
        self.assertEqual(response.status, 200, response)
        self.assertEqual(self.probe.delta()["requests"], 1)
        return response.json()

    def test_content_length_and_transfer_encoding(self):
        self.assertRejected(
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400
        )

    def test_transfer_encoding_and_content_length(self):
        self.assertRejected(
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400
        )

    def test_two_different_content_lengths(self):
        self.assertRejected(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400)

    def test_content_length_list_of_different_values(self):
        self.assertRejected(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\nhello!", 400)

    def test_content_length_not_a_number(self):
        self.assertRejected(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", 400)

    def test_negative_content_length(self):
        self.assertRejected(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400)

    def test_transfer_encoding_chunked_then_identity(self):
        self.assertRejected(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 400)

    def test_transfer_encoding_xchunked(self):
        self.assertRejected(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400)

    def test_target_in_no_form_the_method_allows(self):
        # Neither "/path" nor "http://host/path": a backend would read it its own way.
        self.assertRejected(b"GET foo HTTP/1.1\r\nHost: h\r\n\r\n", 400)
        self.assertRejected(b"GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400)

    def test_fragment_in_target(self):
        # No client sends one (RFC 9112 §3.2): a backend could take it for part of the path, and
        # match an access rule on the path that routing read differently (CVE-2023-45539).
        self.assertRejected(b"GET /index.html#.png HTTP/1.1\r\nHost: h\r\n\r\n", 400)
        self.assertRejected(b"GET http://h/a?q=1#f HTTP/1.1\r\nHost: h\r\n\r\n", 400)

    def test_space_before_colon(self):
        self.assertRejected(b"GET / HTTP/1.1\r\nHost: h\r\nX-Foo : bar\r\n\r\n", 400)

    def test_obs_fold(self):
        self.assertRejected(b"GET / HTTP/1.1\r\nHost: h\r\nX-Foo: bar\r\n  folded\r\n\r\n", 400)

    def test_bare_lf_line_endings(self):
        self.assertRejected(b"GET / HTTP/1.1\nHost: h\nX-Foo: bar\n\n", 400)

    def test_one_bare_lf_among_crlf(self):
        self.assertRejected(b"GET / HTTP/1.1\r\nHost: h\nX-Foo: bar\r\n\r\n", 400)

    def test_nul_in_header_value(self):
        self.assertRejected(b"GET / HTTP/1.1\r\nHost: h\r\nX-Foo: a\x00b\r\n\r\n", 400)

    def test_missing_host_on_http11(self):
        self.assertRejected(b"GET / HTTP/1.1\r\nX-Foo: bar\r\n\r\n", 400)

    def test_two_host_headers(self):
        self.assertRejected(b"GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n", 400)

    def test_garbage_request_line(self):
        self.assertRejected(b"HELLO THERE\r\n\r\n", 400)

    def test_request_line_over_8_kib(self):
        self.assertRejected(b"GET /" + b"a" * (9 * 1024) + b" HTTP/1.1\r\nHost: h\r\n\r\n", 414)

    def test_headers_over_32_kib(self):
        headers = [("X-Big-%d" % i, "v" * 1000) for i in range(40)]  # 40 fields, about 40 KiB
        self.assertRejected(request_with_headers(headers), 431)

    def test_one_header_over_32_kib(self):
        self.assertRejected(request_with_headers([("X-Huge", "v" * (33 * 1024))]), 431)

    def test_101_headers(self):
        self.assertRejected(request_with_headers(numbered_headers(100)), 431)  # and Host: 101

    def test_http_2_0(self):
        self.assertRejected(b"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505)

    # The limits are limits, not smaller: requests just inside them get through.

    def test_100_headers_are_accepted(self):
        echo = self.assertAccepted(request_with_headers(numbered_headers(99)))  # and Host: 100
        self.assertEqual(echo["headers"]["x-h98"], "v98")

    def test_request_line_of_7_kib_is_accepted(self):
        target = "/" + "b" * (7 * 1024)
        self.assertEqual(self.assertAccepted(harness.build_request("GET", target, host="h"))["uri"], target)

    def test_headers_of_16_kib_are_accepted(self):
        headers = [("X-Mid-%d" % i, "w" * 1000) for i in range(16)]
        self.assertEqual(self.assertAccepted(request_with_headers(headers))["headers"]["x-mid-15"], "w" * 1000)

    def test_http10_without_host_is_accepted(self):
        conn = self.connect(self.proxy)
        conn.send(b"GET /ten HTTP/1.0\r\n\r\n")
        response = conn.read_response()
        self.assertEqual(response.status, 200, response)
        self.assertEqual(response.json()["uri"], "/ten")

    def test_a_valid_request_before_a_malformed_one_is_answered(self):
        conn = self.connect(self.proxy)
        conn.send(harness.build_request("GET", "/good", host="h") + b"GET / HTTP/1.1\r\nHost: h\r\nX-Foo : bar\r\n\r\n")
        good = conn.read_response()
        self.assertEqual((good.status, good.json()["uri"]), (200, "/good"))
        self.assertErrorResponse(conn.read_response(), 400)
        self.assertClosedWithin(conn, 10)
        self.assertEqual(self.probe.delta()["requests"], 1)


class LimitsTest(harness.TestCase):
    def setUp(self):
        self.backend = self.start_backend()

    def test_100_headers_reach_a_backend_without_limits(self):
        # fulcrum's default limit alone, seen from a backend that accepts any number of fields.
        backend = self.start_scripted_backend(harness.respond(b"HTTP/1.1 204 No Content\r\n\r\n", then="keep"))
        proxy = self.start_proxy([backend])
        self.assertEqual(self.status_of(proxy, request_with_headers(numbered_headers(99))), 204)  # 100 with Host
        forwarded = backend.requests[0]
        self.assertEqual([v for n, v in forwarded.headers if n.lower().startswith("x-h")], ["v%d" % i for i in range(99)])

    def status_of(self, proxy, raw):
        conn = self.connect(proxy)
        conn.send(raw)
        return conn.read_response().status

    def test_max_headers_10(self):
        proxy = self.start_proxy([self.backend], ["--max-headers", "10"])
        self.assertEqual(self.status_of(proxy, request_with_headers(numbered_headers(9))), 200)  # 10 with Host
        self.assertEqual(self.status_of(proxy, request_with_headers(numbered_headers(10))), 431)  # 11

    def test_max_header_size_4k(self):
        proxy = self.start_proxy([self.backend], ["--max-header-size", "4k"])
        self.assertEqual(self.status_of(proxy, request_with_headers([("X-A", "a" * 2000)])), 200)
        self.assertEqual(self.status_of(proxy, request_with_headers([("X-A", "a" * 5000)])), 431)

    def test_max_request_line_1k(self):
        proxy = self.start_proxy([self.backend], ["--max-request-line", "1k"])
        self.assertEqual(self.status_of(proxy, harness.build_request("GET", "/" + "c" * 500, host="h")), 200)
        self.assertEqual(self.status_of(proxy, harness.build_request("GET", "/" + "c" * 2000, host="h")), 414)


if __name__ == "__main__":
    import unittest

    unittest.main()


class LingeringCloseTest(harness.TestCase):
    def test_after_an_error_the_client_may_go_on_sending_without_a_reset(self):
        # A client busy uploading when its request is refused must be able to read the answer:
        # fulcrum half-closes and drops what still arrives for a while instead of closing, which
        # would make the kernel reset the connection (and could destroy the response in flight).
        proxy = self.start_proxy([self.start_backend()])
        sock = socket.create_connection((harness.HOST, proxy.port), timeout=10)
        self.addCleanup(sock.close)
        sock.sendall(b"POST /x HTTP/1.1\r\nHost: h\r\nBad Header: x\r\nContent-Length: 2000000\r\n\r\n")
        answer = b""
        while not answer.endswith(b"\n") or b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        self.assertTrue(answer.startswith(b"HTTP/1.1 400 "), answer)
        block = b"x" * 65536
        for _ in range(30):  # the rest of the announced body, far more than socket buffers hold
            sock.sendall(block)
        self.assertEqual(sock.recv(4096), b"", "expected the end of the stream after the 400")

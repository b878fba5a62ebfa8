"""Header fields: end-to-end ones pass unchanged, hop-by-hop ones are dropped, forwarding ones
are added."""

import harness
from harness import http_request


class RequestHeadersTest(harness.TestCase):
    def setUp(self):
        self.backend = self.start_backend()
        self.proxy = self.start_proxy([self.backend])

    def seen_by_backend(self, headers, method="GET", body=None):
        response = http_request(self.proxy.port, method, "/h", headers=headers, body=body)
        self.assertEqual(response.status, 200, response)
        return response.json()["headers"]

    def test_authorization_is_forwarded(self):
        seen = self.seen_by_backend([("Authorization", "Bearer eyJhbGciOi.J9.abc-_=")])
        self.assertEqual(seen["authorization"], "Bearer eyJhbGciOi.J9.abc-_=")

    def test_custom_headers_are_forwarded(self):
        seen = self.seen_by_backend(
            [
                ("X-Request-Id", "3f2a-11"),
                ("X-Spaces", 'a, b;c="d e"  f'),
                ("Cookie", "a=1; b=2"),
                ("Accept", "text/html, application/json;q=0.9"),
                ("User-Agent", "it/1.0 (test)"),
            ]
        )
        self.assertEqual(seen["x-request-id"], "3f2a-11")
        self.assertEqual(seen["x-spaces"], 'a, b;c="d e"  f')
        self.assertEqual(seen["cookie"], "a=1; b=2")
        self.assertEqual(seen["accept"], "text/html, application/json;q=0.9")
        self.assertEqual(seen["user-agent"], "it/1.0 (test)")

    def test_repeated_headers_are_forwarded_in_order(self):
        seen = self.seen_by_backend([("X-Multi", "first"), ("X-Other", "o"), ("X-Multi", "second")])
        self.assertEqual(seen["x-multi"], "first, second")
        self.assertEqual(seen["x-other"], "o")

    def test_empty_header_value_is_forwarded(self):
        seen = self.seen_by_backend([("X-Empty", "")])
        self.assertEqual(seen["x-empty"], "")

    def test_host_passes_through_unchanged(self):
        seen = self.seen_by_backend([("Host", "example.test:8443")])
        self.assertEqual(seen["host"], "example.test:8443")

    def test_hop_by_hop_headers_are_removed(self):
        seen = self.seen_by_backend(
            [
                ("Connection", "keep-alive, X-Private-Hop"),
                ("X-Private-Hop", "secret"),
                ("Keep-Alive", "timeout=5, max=100"),
                ("Proxy-Connection", "keep-alive"),
                ("TE", "trailers"),
                ("Trailer", "X-Checksum"),
                ("X-End-To-End", "kept"),
            ]
        )
        for name in ("keep-alive", "proxy-connection", "te", "x-private-hop"):
            self.assertNotIn(name, seen)
        # fulcrum may state its own persistence to the backend, but not relay the client's list.
        self.assertNotIn("x-private-hop", seen.get("connection", "").lower())
        self.assertEqual(seen["x-end-to-end"], "kept")
        # Trailer is end to end: it announces the trailer fields of a chunked body.
        self.assertEqual(seen["trailer"], "X-Checksum")

    def test_upgrade_is_removed(self):
        seen = self.seen_by_backend([("Upgrade", "h2c"), ("X-End-To-End", "kept")])
        self.assertNotIn("upgrade", seen)
        self.assertEqual(seen["x-end-to-end"], "kept")

    def test_an_upgrade_to_h2c_is_not_forwarded(self):
        # A backend that took it would read the client's HTTP/2 through the tunnel: requests that
        # no route or header rule of fulcrum's ever sees (h2c smuggling).
        for upgrade in ("h2c", "websocket, h2c"):
            with self.subTest(upgrade=upgrade):
                seen = self.seen_by_backend(
                    [("Connection", "Upgrade, HTTP2-Settings"), ("Upgrade", upgrade), ("HTTP2-Settings", "AAMAAABkAAQAAP__")]
                )
                self.assertNotIn("upgrade", seen)
                self.assertNotIn("http2-settings", seen)
                self.assertNotIn("upgrade", seen.get("connection", "").lower())

    def test_each_field_named_by_connection_is_removed(self):
        seen = self.seen_by_backend(
            [("Connection", "X-A"), ("Connection", "x-b , X-C"), ("X-A", "1"), ("X-B", "2"), ("X-C", "3"), ("X-D", "4")]
        )
        for name in ("x-a", "x-b", "x-c"):
            self.assertNotIn(name, seen)
        self.assertEqual(seen["x-d"], "4")

    def test_x_forwarded_for_is_added(self):
        self.assertEqual(self.seen_by_backend([])["x-forwarded-for"], "127.0.0.1")

    def test_x_forwarded_for_is_appended_to(self):
        seen = self.seen_by_backend([("X-Forwarded-For", "1.2.3.4")])
        self.assertEqual(seen["x-forwarded-for"], "1.2.3.4, 127.0.0.1")

    def test_x_forwarded_for_chain_is_appended_to(self):
        seen = self.seen_by_backend([("X-Forwarded-For", "1.2.3.4, 5.6.7.8")])
        self.assertEqual(seen["x-forwarded-for"], "1.2.3.4, 5.6.7.8, 127.0.0.1")

    def test_x_forwarded_proto_is_http(self):
        self.assertEqual(self.seen_by_backend([])["x-forwarded-proto"], "http")

    def test_x_forwarded_host_is_the_original_host(self):
        seen = self.seen_by_backend([("Host", "shop.example:8080")])
        self.assertEqual(seen["x-forwarded-host"], "shop.example:8080")
        self.assertEqual(seen["host"], "shop.example:8080")

    def test_via_is_added(self):
        self.assertIn("1.1 fulcrum", self.seen_by_backend([])["via"])

    def test_via_keeps_earlier_hops(self):
        via = self.seen_by_backend([("Via", "1.0 edge")])["via"]
        self.assertIn("1.0 edge", via)
        self.assertIn("1.1 fulcrum", via)

    def test_forwarding_headers_on_every_request_of_a_connection(self):
        conn = self.connect(self.proxy)
        for i in range(3):
            seen = conn.request("GET", "/k/%d" % i).json()["headers"]
            self.assertEqual(seen["x-forwarded-for"], "127.0.0.1")
            self.assertEqual(seen["x-forwarded-proto"], "http")
            self.assertIn("1.1 fulcrum", seen["via"])

    def test_content_length_of_a_body_is_forwarded(self):
        seen = self.seen_by_backend([("Content-Type", "text/plain")], method="POST", body=b"12345")
        self.assertEqual(seen["content-length"], "5")
        self.assertEqual(seen["content-type"], "text/plain")


class ResponseHeadersTest(harness.TestCase):
    def test_backend_response_headers_reach_the_client(self):
        head = (
            b"HTTP/1.1 201 Created\r\n"
            b"Content-Type: text/x-test; charset=utf-8\r\n"
            b"Location: /items/7\r\n"
            b"Set-Cookie: a=1; Path=/\r\n"
            b"Set-Cookie: b=2; Path=/\r\n"
            b"X-Backend: yes\r\n"
            b"Content-Length: 2\r\n\r\nok"
        )
        backend = self.start_scripted_backend(harness.respond(head, then="keep"))
        proxy = self.start_proxy([backend])
        response = http_request(proxy.port, "GET", "/r")
        self.assertEqual((response.status, response.reason, response.body), (201, "Created", b"ok"))
        self.assertEqual(response.header("Content-Type"), "text/x-test; charset=utf-8")
        self.assertEqual(response.header("Location"), "/items/7")
        self.assertEqual(response.header_values("Set-Cookie"), ["a=1; Path=/", "b=2; Path=/"])
        self.assertEqual(response.header("X-Backend"), "yes")

    def test_hop_by_hop_response_headers_are_removed(self):
        head = (
            b"HTTP/1.1 200 OK\r\n"
            b"Connection: X-Backend-Hop\r\n"
            b"X-Backend-Hop: secret\r\n"
            b"Keep-Alive: timeout=99\r\n"
            b"X-End-To-End: kept\r\n"
            b"Content-Length: 2\r\n\r\nok"
        )
        backend = self.start_scripted_backend(harness.respond(head, then="keep"))
        proxy = self.start_proxy([backend])
        response = http_request(proxy.port, "GET", "/r")
        self.assertEqual((response.status, response.body), (200, b"ok"))
        self.assertFalse(response.has_header("X-Backend-Hop"), response.headers)
        self.assertNotIn("x-backend-hop", response.connection_tokens())
        self.assertNotEqual(response.header("Keep-Alive"), "timeout=99")
        self.assertEqual(response.header("X-End-To-End"), "kept")


if __name__ == "__main__":
    import unittest

    unittest.main()

"""Methods and request targets reach the backend unchanged."""

import harness
from harness import http_request


class MethodsTest(harness.TestCase):
    def setUp(self):
        self.backend = self.start_backend(id="only")
        self.proxy = self.start_proxy([self.backend])

    def echo(self, method, target="/", body=None, headers=()):
        response = http_request(self.proxy.port, method, target, headers=headers, body=body)
        self.assertEqual(response.status, 200, response)
        self.assertEqual(response.header("Content-Type"), "application/json")
        echo = response.json()
        self.assertEqual(echo["server"], "only")
        return echo

    def test_get(self):
        echo = self.echo("GET", "/get")
        self.assertEqual((echo["method"], echo["uri"], echo["body_length"]), ("GET", "/get", 0))

    def test_post(self):
        echo = self.echo("POST", "/post", body=b"posted")
        self.assertEqual((echo["method"], echo["uri"], echo["body"]), ("POST", "/post", "posted"))

    def test_put(self):
        echo = self.echo("PUT", "/put", body=b"put body")
        self.assertEqual((echo["method"], echo["uri"], echo["body"]), ("PUT", "/put", "put body"))

    def test_patch(self):
        echo = self.echo("PATCH", "/patch", body=b'{"a":1}', headers=[("Content-Type", "application/json")])
        self.assertEqual((echo["method"], echo["body"]), ("PATCH", '{"a":1}'))
        self.assertEqual(echo["headers"]["content-type"], "application/json")

    def test_delete(self):
        echo = self.echo("DELETE", "/items/42")
        self.assertEqual((echo["method"], echo["uri"]), ("DELETE", "/items/42"))

    def test_delete_with_body(self):
        echo = self.echo("DELETE", "/items", body=b"[1,2]")
        self.assertEqual((echo["method"], echo["body"]), ("DELETE", "[1,2]"))

    def test_options(self):
        echo = self.echo("OPTIONS", "/opt")
        self.assertEqual((echo["method"], echo["uri"]), ("OPTIONS", "/opt"))

    def test_connect_is_refused_and_never_reaches_the_backend(self):
        # fulcrum offers no tunnels. Forwarded, a CONNECT would have the backend's 2xx make its
        # connection a tunnel (RFC 9112 §6.3) that fulcrum takes for an HTTP response, while the
        # client waits on a tunnel that leads nowhere. nginx refuses CONNECT too.
        probe = self.stats_probe(self.backend)
        conn = self.connect(self.proxy)
        conn.send(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
        self.assertErrorResponse(conn.read_response(), 501)
        self.assertClosedWithin(conn, 10)
        self.assertEqual(probe.delta()["requests"], 0)
        # The proxy serves on.
        self.assertEqual(self.echo("GET", "/after")["uri"], "/after")

    def test_head_has_no_body_and_keeps_the_connection_usable(self):
        conn = self.connect(self.proxy)
        conn.send(harness.build_request("HEAD", "/bytes/100", host="h") + harness.build_request("GET", "/after", host="h"))
        head = conn.read_response("HEAD")
        self.assertEqual(head.status, 200)
        self.assertEqual(head.body, b"")
        # A body after the HEAD response would be misread as the next response.
        after = conn.read_response()
        self.assertEqual(after.status, 200)
        self.assertEqual(after.json()["uri"], "/after")

    def test_head_reaches_the_backend_as_head(self):
        # fulcrum-backend answers HEAD like GET without the body; the echo of a HEAD cannot be
        # read, but the status and Content-Type of the JSON echo can.
        response = http_request(self.proxy.port, "HEAD", "/x")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.header("Content-Type"), "application/json")
        self.assertEqual(response.body, b"")

    def test_query_string_is_byte_exact(self):
        target = "/search?q=a%20b+c&x=1&x=2&empty=&flag&enc=%2F%3F%26%3D&arr[]=1&utf=%E2%9C%93"
        self.assertEqual(self.echo("GET", target)["uri"], target)

    def test_unusual_path_characters_are_byte_exact(self):
        target = "/a;b=c/d,e/~f/%7E/%2e%2e/./x//y/@:!$&'()*+"
        self.assertEqual(self.echo("GET", target)["uri"], target)

    def test_long_path_of_4_kib(self):
        target = "/" + "".join(chr(ord("a") + i % 26) for i in range(4095))
        self.assertEqual(len(target), 4096)
        self.assertEqual(self.echo("GET", target)["uri"], target)

    def test_long_query_string(self):
        target = "/q?" + "&".join("k%d=v%d" % (i, i) for i in range(600))
        self.assertGreater(len(target), 4096)
        self.assertEqual(self.echo("GET", target)["uri"], target)

    def test_every_method_on_one_connection(self):
        conn = self.connect(self.proxy)
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "GET"):
            body = b"b-" + method.encode() if method in ("POST", "PUT", "PATCH") else None
            response = conn.request(method, "/m/" + method.lower(), body=body)
            self.assertEqual(response.status, 200, method)
            if method != "HEAD":
                echo = response.json()
                self.assertEqual((echo["method"], echo["uri"]), (method, "/m/" + method.lower()))
                self.assertEqual(echo["body"], body.decode() if body else "")


if __name__ == "__main__":
    import unittest

    unittest.main()

"""Routes and pools from the configuration file: which pool a request goes to (host, wildcard
host, path prefix, method, header, client address, default), per-route header rules, X-Request-ID, X-Forwarded-*
on or off, per-pool health settings, and listening on several addresses."""

import socket

import harness
from harness import HOST


def pool_yaml(name, *backends, extra="", health="    health: {enabled: false}\n"):
    """A pool; without probes unless `health` says otherwise, so that backends see only the
    test's requests."""
    lines = "  %s:\n    backends:\n" % name
    lines += "".join('      - "%s:%d"\n' % (HOST, b.port) for b in backends)
    return lines + health + extra


class RoutingTest(harness.TestCase):
    def start_routed(self, routes, headers=""):
        """One backend per pool, named like its pool; returns the proxy."""
        names = ["default", "exact", "wild", "prefix", "method", "header"]
        backends = {n: self.start_backend(id=n) for n in names}
        config = "pools:\n" + "".join(pool_yaml(n, backends[n]) for n in names)
        config += "default_pool: default\n" + headers + "routes:\n" + routes
        path = harness.write_temp_file(config)
        return self.start_proxy([], ["-c", path])

    def served_by(self, proxy, method, target, headers=()):
        response = harness.http_request(proxy.port, method, target, headers)
        self.assertEqual(response.status, 200, response)
        return response.json()["server"]

    def test_routing_matrix(self):
        proxy = self.start_routed(
            "  - header: {name: X-Canary, value: \"1\"}\n    pool: header\n"
            "  - host: api.example.com\n    pool: exact\n"
            "  - host: \"*.example.com\"\n    pool: wild\n"
            "  - path_prefix: /static/\n    pool: prefix\n"
            "  - method: [DELETE, PATCH]\n    pool: method\n")
        cases = [
            # (method, target, headers, pool)
            ("GET", "/", [("Host", "other.test")], "default"),
            ("GET", "/x", [("Host", "api.example.com")], "exact"),
            ("GET", "/x", [("Host", "API.Example.COM:8080")], "exact"),  # case and port ignored
            ("GET", "/x", [("Host", "www.example.com")], "wild"),
            ("GET", "/x", [("Host", "a.b.example.com")], "wild"),
            ("GET", "/x", [("Host", "example.com")], "default"),  # the wildcard needs a label
            ("GET", "/x", [("Host", "badexample.com")], "default"),
            ("GET", "/static/app.js", [("Host", "h")], "prefix"),
            ("GET", "/static", [("Host", "h")], "default"),  # prefix is "/static/"
            ("GET", "http://h/static/a.css", [("Host", "h")], "prefix"),  # absolute form
            ("GET", "http://h?s=/static/a.css", [("Host", "h")], "default"),  # its path is "/"
            ("DELETE", "/thing", [("Host", "h")], "method"),
            ("PATCH", "/thing", [("Host", "h")], "method"),
            ("PUT", "/thing", [("Host", "h")], "default"),
            ("GET", "/", [("Host", "h"), ("X-Canary", "1")], "header"),
            ("GET", "/", [("Host", "h"), ("X-Canary", "0")], "default"),
            # Order decides: the header route comes before the host route.
            ("GET", "/", [("Host", "api.example.com"), ("X-Canary", "1")], "header"),
        ]
        for method, target, headers, pool in cases:
            with self.subTest(method=method, target=target, headers=headers):
                self.assertEqual(self.served_by(proxy, method, target, headers), pool)

    def served_from(self, source, port):
        """The backend that answers a GET / sent from the loopback address `source`."""
        sock = socket.create_connection((HOST, port), timeout=harness.IO_TIMEOUT, source_address=(source, 0))
        with harness.Connection(sock=sock) as conn:
            response = conn.request("GET", "/")
            self.assertEqual(response.status, 200, response)
            return response.json()["server"]

    def test_source_routes_by_the_clients_address(self):
        proxy = self.start_routed("  - source: [\"127.0.0.2\", \"10.0.0.0/8\"]\n    pool: exact\n"
                                  "  - source: 127.0.0.8/29\n    pool: wild\n")
        for source, pool in (("127.0.0.1", "default"), ("127.0.0.2", "exact"), ("127.0.0.3", "default"),
                             ("127.0.0.8", "wild"), ("127.0.0.15", "wild"), ("127.0.0.16", "default")):
            with self.subTest(source=source):
                self.assertEqual(self.served_from(source, proxy.port), pool)

    def test_an_ipv4_client_of_a_dual_stack_listener_matches_an_ipv4_block(self):
        # Listening on [::], the kernel gives an IPv4 client's address as ::ffff:a.b.c.d.
        backends = {n: self.start_backend(id=n) for n in ("default", "exact")}
        port = harness.free_port()
        config = 'listen: "[::]:%d"\npools:\n%s%sdefault_pool: default\n' % (
            port, pool_yaml("default", backends["default"]), pool_yaml("exact", backends["exact"]))
        config += "routes:\n  - source: 127.0.0.2\n    pool: exact\n"
        self._track(harness.FileOnlyProxy(harness.write_temp_file(config), port))
        self.assertEqual(self.served_from("127.0.0.2", port), "exact")
        self.assertEqual(self.served_from("127.0.0.1", port), "default")

    def test_a_route_with_several_conditions_needs_all_of_them(self):
        proxy = self.start_routed(
            "  - host: \"*.example.com\"\n    path_prefix: /api/\n    method: [POST]\n"
            "    header: {name: X-Tenant, value: acme}\n    pool: exact\n")
        full = [("Host", "shop.example.com"), ("X-Tenant", "acme")]
        self.assertEqual(self.served_by(proxy, "POST", "/api/orders", full), "exact")
        self.assertEqual(self.served_by(proxy, "GET", "/api/orders", full), "default")
        self.assertEqual(self.served_by(proxy, "POST", "/web/orders", full), "default")
        self.assertEqual(self.served_by(proxy, "POST", "/api/orders", [("Host", "shop.example.com")]), "default")
        self.assertEqual(self.served_by(proxy, "POST", "/api/orders", [("Host", "shop.other.com"), ("X-Tenant", "acme")]), "default")

    def test_header_rules_per_route_and_at_the_top(self):
        proxy = self.start_routed(
            "  - path_prefix: /api/\n    pool: exact\n    headers:\n"
            "      request:\n        add: {X-Route: api}\n        set: {X-Env: production}\n"
            "        remove: [X-Debug]\n"
            "      response:\n        set: {Cache-Control: no-store}\n        add: {X-Served-By: fulcrum}\n"
            "        remove: [Server]\n",
            headers="headers:\n  request:\n    set: {X-Top: yes}\n")
        response = harness.http_request(proxy.port, "GET", "/api/x", [("Host", "h"), ("X-Env", "dev"), ("X-Debug", "1")])
        seen = response.json()["headers"]
        self.assertEqual(response.json()["server"], "exact")
        self.assertEqual(seen["x-route"], "api")
        self.assertEqual(seen["x-env"], "production")  # set replaces the client's value
        self.assertNotIn("x-debug", seen)
        self.assertNotIn("x-top", seen)  # a route with its own rules does not get the top-level ones
        self.assertEqual(response.header_values("Cache-Control"), ["no-store"])
        self.assertEqual(response.header("X-Served-By"), "fulcrum")
        self.assertFalse(response.has_header("Server"))

        # A request that matches no route gets the top-level rules only.
        response = harness.http_request(proxy.port, "GET", "/other", [("Host", "h"), ("X-Debug", "1")])
        seen = response.json()["headers"]
        self.assertEqual(response.json()["server"], "default")
        self.assertEqual(seen["x-top"], "yes")
        self.assertEqual(seen["x-debug"], "1")
        self.assertNotIn("x-route", seen)
        self.assertFalse(response.has_header("X-Served-By"))

    def test_request_id_is_added_unless_the_client_sent_one(self):
        proxy = self.start_routed("  - path_prefix: /plain/\n    pool: exact\n    headers: {request_id: false}\n",
                                  headers="headers:\n  request_id: true\n")
        ids = set()
        for _ in range(3):
            seen = harness.http_request(proxy.port, "GET", "/", [("Host", "h")]).json()["headers"]
            self.assertRegex(seen["x-request-id"], "^[0-9a-f]{32}$")
            ids.add(seen["x-request-id"])
        self.assertEqual(len(ids), 3)
        seen = harness.http_request(proxy.port, "GET", "/", [("Host", "h"), ("X-Request-ID", "abc-123")]).json()["headers"]
        self.assertEqual(seen["x-request-id"], "abc-123")
        seen = harness.http_request(proxy.port, "GET", "/plain/x", [("Host", "h")]).json()["headers"]
        self.assertNotIn("x-request-id", seen)

    def test_forwarded_headers_can_be_turned_off_per_route(self):
        proxy = self.start_routed("  - path_prefix: /raw/\n    pool: exact\n    headers: {forwarded: false}\n")
        seen = harness.http_request(proxy.port, "GET", "/x", [("Host", "h")]).json()["headers"]
        self.assertEqual(seen["x-forwarded-for"], HOST)
        self.assertEqual(seen["x-forwarded-proto"], "http")
        self.assertEqual(seen["x-forwarded-host"], "h")
        seen = harness.http_request(proxy.port, "GET", "/raw/x", [("Host", "h"), ("X-Forwarded-For", "1.2.3.4")]).json()["headers"]
        self.assertEqual(seen["x-forwarded-for"], "1.2.3.4")  # the client's, untouched
        self.assertNotIn("x-forwarded-proto", seen)
        self.assertNotIn("x-forwarded-host", seen)
        self.assertIn("fulcrum", seen["via"])

    def test_each_pool_balances_over_its_own_backends_with_its_own_strategy(self):
        a1, a2 = self.start_backend(id="a1"), self.start_backend(id="a2")
        b1, b2 = self.start_backend(id="b1"), self.start_backend(id="b2")
        config = ("pools:\n" + pool_yaml("a", a1, a2) + pool_yaml("b", b1, b2, extra="    strategy: hash\n    hash_key: path\n")
                  + "default_pool: a\nroutes:\n  - host: b.test\n    pool: b\n")
        proxy = self.start_proxy([], ["-c", harness.write_temp_file(config)])
        seen_a = {self.served_by(proxy, "GET", "/%d" % i, [("Host", "a.test")]) for i in range(6)}
        self.assertEqual(seen_a, {"a1", "a2"})
        # Hash on the path: one path always lands on one backend of pool b.
        for path in ("/one", "/two", "/three"):
            seen_b = {self.served_by(proxy, "GET", path, [("Host", "b.test")]) for _ in range(4)}
            self.assertEqual(len(seen_b), 1, path)
            self.assertTrue(seen_b <= {"b1", "b2"})

    def test_pool_failure_statuses_and_retries_are_per_pool(self):
        sick = self.start_backend(id="sick", status=503)
        healthy = self.start_backend(id="healthy")
        lone = self.start_backend(id="lone", status=503)
        # Pool "tolerant" does not count 503 as a failure; pool "strict" does and retries it.
        config = ("pools:\n"
                  + pool_yaml("strict", sick, healthy, extra="    retries: 1\n",
                              health="    health: {enabled: false, unhealthy_threshold: 1}\n")
                  + pool_yaml("tolerant", lone, health="    health: {enabled: false, failure_statuses: [500], unhealthy_threshold: 1}\n")
                  + "default_pool: strict\nroutes:\n  - path_prefix: /t/\n    pool: tolerant\n")
        proxy = self.start_proxy([], ["-c", harness.write_temp_file(config)])
        for _ in range(4):
            self.assertEqual(harness.http_request(proxy.port, "GET", "/t/x").status, 503)
        self.assertNotIn("(pool tolerant): up -> down", proxy.output())
        for _ in range(4):
            harness.http_request(proxy.port, "GET", "/s")
        self.assertTrue(harness.wait_until(lambda: "(pool strict): up -> down (failure status)" in proxy.output(), timeout=10), proxy.output())
        for _ in range(4):
            self.assertEqual(self.served_by(proxy, "GET", "/s"), "healthy")


class ListenTest(harness.TestCase):
    def test_listens_on_every_address_of_the_file(self):
        backend = self.start_backend(id="b")
        first, second = harness.free_ports(2)  # never the same port twice
        config = 'listen: ["%s:%d", "%s:%d"]\nbackends: ["%s:%d"]\n' % (HOST, first, HOST, second, HOST, backend.port)
        proxy = self._track(harness.FileOnlyProxy(harness.write_temp_file(config), first))
        self.assertTrue(harness.wait_until(lambda: harness.is_listening(proxy.pid, second), timeout=10))
        for port in (first, second):
            self.assertEqual(harness.http_request(port, "GET", "/").json()["server"], "b")


if __name__ == "__main__":
    import unittest
    unittest.main()

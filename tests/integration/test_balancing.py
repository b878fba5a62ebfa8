"""Round-robin: requests rotate over the backends in a fixed order."""

import http.client
import json

import harness
from harness import http_request


class RoundRobinTest(harness.TestCase):
    def setUp(self):
        self.backends = [self.start_backend(id="rr-%d" % i) for i in range(3)]
        self.proxy = self.start_proxy(self.backends)

    def assertRotates(self, servers, count):
        self.assertEqual(len(servers), count)
        self.assertEqual(sorted(set(servers[:3])), ["rr-0", "rr-1", "rr-2"], servers)
        for i in range(3, count):
            self.assertEqual(servers[i], servers[i - 3], "request %d broke the rotation: %s" % (i, servers))
        for b in self.backends:
            self.assertEqual(servers.count(b.id), count // 3, servers)

    def test_30_requests_on_new_connections(self):
        servers = [http_request(self.proxy.port, "GET", "/%d" % i).json()["server"] for i in range(30)]
        self.assertRotates(servers, 30)

    def test_30_requests_on_one_keep_alive_connection(self):
        client = http.client.HTTPConnection(harness.HOST, self.proxy.port, timeout=harness.IO_TIMEOUT)
        self.addCleanup(client.close)
        servers = []
        for i in range(30):
            client.request("GET", "/ka/%d" % i)
            response = client.getresponse()
            self.assertEqual(response.status, 200)
            servers.append(json.loads(response.read())["server"])
        self.assertRotates(servers, 30)

    def test_pipelined_requests_rotate_too(self):
        conn = self.connect(self.proxy)
        conn.send(b"".join(harness.build_request("GET", "/pl/%d" % i, host="h") for i in range(12)))
        servers = []
        for i in range(12):
            echo = conn.read_response().json()
            self.assertEqual(echo["uri"], "/pl/%d" % i)
            servers.append(echo["server"])
        self.assertRotates(servers, 12)

    def test_every_method_counts_in_the_rotation(self):
        servers = []
        for i, method in enumerate(("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS") * 2):
            servers.append(http_request(self.proxy.port, method, "/m/%d" % i, body=b"x" if method in ("POST", "PUT") else None).json()["server"])
        self.assertRotates(servers, 12)


class SingleBackendTest(harness.TestCase):
    def test_every_request_goes_to_the_only_backend(self):
        backend = self.start_backend(id="solo")
        proxy = self.start_proxy([backend])
        servers = {http_request(proxy.port, "GET", "/%d" % i).json()["server"] for i in range(10)}
        self.assertEqual(servers, {"solo"})


if __name__ == "__main__":
    import unittest

    unittest.main()

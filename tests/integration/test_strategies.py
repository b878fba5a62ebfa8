"""Balancing strategies beyond plain rotation: weights, random, least_conn, p2c and hash keys."""

import collections

import harness


def servers_of(proxy, count, target="/", headers=()):
    return [harness.http_request(proxy.port, "GET", target, headers).json()["server"] for _ in range(count)]


class StrategyTest(harness.TestCase):
    def start_backends(self, n):
        return [self.start_backend(id="b%d" % i) for i in range(n)]

    def weighted(self, backends, weights, extra=()):
        args = []
        for b, w in zip(backends, weights):
            args += ["-b", "127.0.0.1:%d,weight=%d" % (b.port, w)]
        return self.start_proxy([], args + list(extra))

    def test_weights_interleave_in_round_robin(self):
        a, b, c = self.start_backends(3)
        proxy = self.weighted([a, b, c], [5, 1, 1])
        order = servers_of(proxy, 14)
        # nginx's smooth weighted round-robin: a a b a c a a, twice.
        self.assertEqual(order, ["b0", "b0", "b1", "b0", "b2", "b0", "b0"] * 2)

    def test_weights_from_the_configuration_file(self):
        a, b = self.start_backends(2)
        path = harness.write_temp_file(
            "backends:\n"
            '  - host: "127.0.0.1"\n    port: %d\n    weight: 2\n'
            '  - host: "127.0.0.1"\n    port: %d\n    weight: 1\n' % (a.port, b.port))
        proxy = self.start_proxy([], ["-c", path])
        self.assertEqual(collections.Counter(servers_of(proxy, 30)), {"b0": 20, "b1": 10})

    def test_random_uses_every_backend_by_weight(self):
        a, b = self.start_backends(2)
        proxy = self.weighted([a, b], [3, 1], ["-s", "random"])
        counts = collections.Counter(servers_of(proxy, 200))
        self.assertEqual(set(counts), {"b0", "b1"})
        self.assertGreater(counts["b0"], counts["b1"])

    def test_least_conn_avoids_the_busy_backend(self):
        a, b = self.start_backends(2)
        # The drain timeout cuts the held request when the test ends.
        proxy = self.start_proxy([a, b], ["-s", "least_conn", "--drain-timeout", "1s"])
        probes = {"b0": self.stats_probe(a), "b1": self.stats_probe(b)}
        # A request that its backend holds for as long as the test lasts.
        held = self.connect(proxy)
        held.send(harness.build_request("GET", "/delay/600000", host="h"))
        seen = collections.Counter()

        def slow_one_arrived():
            for name, probe in probes.items():
                seen[name] += probe.delta()["requests"]
            return sum(seen.values()) >= 1

        self.assertTrue(harness.wait_until(slow_one_arrived, timeout=10))
        busy = [name for name in probes if seen[name] >= 1][0]
        # While one backend holds a request, every new one goes to the other.
        fast = servers_of(proxy, 5, "/fast")
        self.assertEqual(fast, [{"b0": "b1", "b1": "b0"}[busy]] * 5)
        self.assertFalse(held.readable_within(0), "the held request was answered")

    def test_p2c_serves_from_every_backend(self):
        backends = self.start_backends(3)
        proxy = self.start_proxy(backends, ["-s", "p2c"])
        self.assertEqual(set(servers_of(proxy, 60)), {"b0", "b1", "b2"})

    def test_hash_on_a_header_keeps_a_key_on_one_backend(self):
        backends = self.start_backends(3)
        proxy = self.start_proxy(backends, ["-s", "hash", "--hash-key", "header:X-User"])
        owners = {}
        for user in range(30):
            seen = set(servers_of(proxy, 3, "/", [("X-User", "user-%d" % user)]))
            self.assertEqual(len(seen), 1, "user-%d went to %s" % (user, seen))
            owners[user] = seen.pop()
        self.assertGreater(len(set(owners.values())), 1, "every key on one backend")

    def test_hash_on_a_cookie_and_on_the_path(self):
        backends = self.start_backends(3)
        by_cookie = self.start_proxy(backends, ["-s", "hash", "--hash-key", "cookie:session"])
        for session in ("abc", "def", "ghi"):
            header = [("Cookie", "theme=dark; session=%s; lang=en" % session)]
            self.assertEqual(len(set(servers_of(by_cookie, 4, "/", header))), 1)
        by_path = self.start_proxy(backends, ["-s", "hash", "--hash-key", "path"])
        for path in ("/a", "/b", "/c/d"):
            # The query string is not part of the key.
            seen = {harness.http_request(by_path.port, "GET", "%s?n=%d" % (path, n)).json()["server"] for n in range(4)}
            self.assertEqual(len(seen), 1, path)

    def test_hash_on_a_cookie_finds_it_in_any_cookie_line(self):
        # A client may send several Cookie lines (an HTTP/2 gateway may pass on one per cookie).
        backends = self.start_backends(3)
        proxy = self.start_proxy(backends, ["-s", "hash", "--hash-key", "cookie:session"])
        owners = set()
        for session in range(20):
            in_first = servers_of(proxy, 1, "/", [("Cookie", "session=s%d; lang=en" % session)])
            in_second = servers_of(proxy, 1, "/", [("Cookie", "theme=dark"), ("Cookie", "lang=en; session=s%d" % session)])
            self.assertEqual(in_second, in_first, "session s%d" % session)
            # The first line that has it counts.
            twice = servers_of(proxy, 1, "/", [("Cookie", "session=s%d" % session), ("Cookie", "session=other")])
            self.assertEqual(twice, in_first, "session s%d" % session)
            owners.add(in_first[0])
        self.assertGreater(len(owners), 1, "every session on one backend")

    def test_hash_moves_only_the_keys_of_a_dead_backend(self):
        backends = self.start_backends(3)
        proxy = self.start_proxy(backends, ["-s", "hash", "--hash-key", "header:X-User"])
        before = {u: servers_of(proxy, 1, "/", [("X-User", "u%d" % u)])[0] for u in range(40)}
        victim = "b1"
        backends[1].stop()
        # Up to three failures take it down; then its keys go elsewhere and no other key moves.
        for u in range(40):
            harness.http_request(proxy.port, "GET", "/", [("X-User", "u%d" % u)])
        after = {u: servers_of(proxy, 1, "/", [("X-User", "u%d" % u)])[0] for u in range(40)}
        for u in range(40):
            if before[u] != victim:
                self.assertEqual(after[u], before[u], "key u%d moved" % u)
            else:
                self.assertNotEqual(after[u], victim)

    def test_bad_strategy_and_hash_key_are_refused(self):
        for args in (["-s", "fastest"], ["-s", "hash", "--hash-key", "body"], ["-b", "127.0.0.1:9,weight=0"]):
            result = harness.run_fulcrum(["-b", "127.0.0.1:9"] + args)
            self.assertEqual(result.returncode, 2, args)
            self.assertEqual(len(result.stderr.decode().strip().splitlines()), 1, result.stderr)

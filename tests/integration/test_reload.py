"""Reloading the configuration file (SIGHUP, and --watch) while traffic flows: nothing fails, an
invalid file changes nothing, a removed backend gets no new request, and the backends that stay
keep their health state and their pooled connections."""

import os
import signal

import harness
from harness import HOST


def pools_yaml(pools, default=None, routes=""):
    text = "pools:\n"
    for name, backends in pools.items():
        text += "  %s:\n    backends:\n" % name
        text += "".join('      - "%s:%d"\n' % (HOST, b.port) for b in backends)
        # No probes (the backends see only the test's requests); one failure takes a backend down.
        text += "    health: {enabled: false, unhealthy_threshold: 1, healthy_threshold: 1}\n"
    if default:
        text += "default_pool: %s\n" % default
    return text + routes


class ReloadTest(harness.TestCase):
    def start_with_file(self, text, extra=()):
        self.path = harness.write_temp_file(text)
        self.reloads = 0
        return self.start_proxy([], ["-c", self.path, "-l", "info"] + list(extra))

    def rewrite(self, text):
        with open(self.path, "w") as f:
            f.write(text)

    def reload(self, proxy):
        """SIGHUP, then waits until every worker has put the configuration in force."""
        self.reloads += 1
        proxy.send_signal(signal.SIGHUP)
        self.assertTrue(harness.wait_until(lambda: proxy.output().count("reloaded:") >= self.reloads, timeout=15), proxy.output())

    def served_by(self, proxy, target="/", headers=()):
        response = harness.http_request(proxy.port, "GET", target, headers)
        self.assertEqual(response.status, 200, response)
        return response.json()["server"]

    def test_reload_under_load_fails_nothing_and_a_removed_backend_gets_no_new_request(self):
        a, b, c = self.start_backend(id="a"), self.start_backend(id="b"), self.start_backend(id="c")
        proxy = self.start_with_file(pools_yaml({"web": [a, b]}))
        load = harness.KeepAliveLoad(proxy.port, threads=4)
        self.addCleanup(load.stop)
        self.assertTrue(harness.wait_until(lambda: load.total() > 200, timeout=30))
        # Swap a for c, under load.
        self.rewrite(pools_yaml({"web": [b, c]}))
        self.reload(proxy)
        # A request in flight during the reload keeps the configuration it started with, and may
        # still reach a: counting starts once every load thread has finished two requests since
        # (the second one started after the reload).
        marks = list(load.ok)
        self.assertTrue(
            harness.wait_until(lambda: all(n >= m + 2 for n, m in zip(load.ok, marks)), timeout=30),
            load.failures,
        )
        removed = self.stats_probe(a)
        mark = load.total()
        self.assertTrue(harness.wait_until(lambda: load.total() > mark + 300, timeout=30))
        load.stop()
        self.assertEqual(load.failures, [])
        # Alone now, round-robin alternates between the two backends of the new configuration.
        seen = {self.served_by(proxy, "/%d" % i) for i in range(6)}
        self.assertEqual(seen, {"b", "c"})
        self.assertEqual(removed.delta()["requests"], 0)

    def test_an_invalid_file_changes_nothing(self):
        a, b = self.start_backend(id="a"), self.start_backend(id="b")
        proxy = self.start_with_file(pools_yaml({"web": [a]}))
        load = harness.KeepAliveLoad(proxy.port, threads=2)
        self.addCleanup(load.stop)
        self.assertTrue(harness.wait_until(lambda: load.total() > 50, timeout=30))
        for broken in ("pools: [oops\n",  # a syntax error
                       pools_yaml({"web": [b]}, routes="routes:\n  - path_prefix: /x\n    pool: nope\n")):
            self.rewrite(broken)
            proxy.send_signal(signal.SIGHUP)
            self.assertTrue(harness.wait_until(lambda: proxy.output().count("the running one stays") >= 1, timeout=15), proxy.output())
        mark = load.total()
        self.assertTrue(harness.wait_until(lambda: load.total() > mark + 50, timeout=30))
        load.stop()
        self.assertEqual(load.failures, [])
        self.assertEqual({self.served_by(proxy, "/%d" % i) for i in range(4)}, {"a"})
        self.assertNotIn("reloaded:", proxy.output())

    def test_routes_change_with_a_reload(self):
        a, b = self.start_backend(id="a"), self.start_backend(id="b")
        proxy = self.start_with_file(pools_yaml({"one": [a], "two": [b]}, default="one"))
        self.assertEqual(self.served_by(proxy, "/api/x"), "a")
        self.rewrite(pools_yaml({"one": [a], "two": [b]}, default="one",
                                routes="routes:\n  - path_prefix: /api/\n    pool: two\n"))
        self.reload(proxy)
        self.assertEqual(self.served_by(proxy, "/api/x"), "b")
        self.assertEqual(self.served_by(proxy, "/web/x"), "a")

    def test_a_backend_that_stays_keeps_its_pooled_connections(self):
        a = self.start_backend(id="a")
        proxy = self.start_with_file(pools_yaml({"web": [a]}))
        conn = self.connect(proxy)
        self.assertEqual(conn.request("GET", "/warm").status, 200)
        probe = self.stats_probe(a)
        self.rewrite(pools_yaml({"web": [a]}, routes="routes:\n  - path_prefix: /never/\n    pool: web\n"))
        self.reload(proxy)
        for i in range(5):
            self.assertEqual(conn.request("GET", "/after/%d" % i).status, 200)
        delta = probe.delta()
        self.assertEqual(delta["requests"], 5)
        self.assertEqual(delta["connections"], 0)  # the pooled connection from before is reused

    def test_a_backend_that_stays_keeps_its_health_state(self):
        sick = self.start_backend(id="sick", status=503)
        good = self.start_backend(id="good")
        proxy = self.start_with_file(pools_yaml({"web": [sick, good]}))
        # One failure status takes it down (unhealthy_threshold 1); no probes, so it stays down
        # for the cool-down (10 s).
        for i in range(4):
            harness.http_request(proxy.port, "GET", "/%d" % i)
        self.assertTrue(harness.wait_until(lambda: "up -> down" in proxy.output(), timeout=10), proxy.output())
        probe = self.stats_probe(sick)
        self.rewrite(pools_yaml({"web": [sick, good]}, routes="routes:\n  - path_prefix: /never/\n    pool: web\n"))
        self.reload(proxy)
        for i in range(6):
            self.assertEqual(self.served_by(proxy, "/%d" % i), "good")
        self.assertEqual(probe.delta()["requests"], 0)

    def test_watch_reloads_a_file_written_in_place_or_replaced_by_rename(self):
        a, b = self.start_backend(id="a"), self.start_backend(id="b")
        proxy = self.start_with_file(pools_yaml({"web": [a]}), extra=["--watch"])
        self.assertTrue(harness.wait_until(lambda: "watching" in proxy.output(), timeout=10), proxy.output())
        self.assertEqual(self.served_by(proxy), "a")
        self.rewrite(pools_yaml({"web": [b]}))  # in place
        self.assertTrue(harness.wait_until(lambda: "reloaded:" in proxy.output(), timeout=15), proxy.output())
        self.assertEqual(self.served_by(proxy), "b")
        replacement = self.path + ".new"
        with open(replacement, "w") as f:
            f.write(pools_yaml({"web": [a]}))
        os.rename(replacement, self.path)  # as editors and deployment tools save
        self.assertTrue(harness.wait_until(lambda: proxy.output().count("reloaded:") >= 2, timeout=15), proxy.output())
        self.assertEqual(self.served_by(proxy), "a")

    def test_watch_needs_a_config_file(self):
        result = harness.run_fulcrum(["-b", "%s:1" % HOST, "--watch"])
        self.assertEqual(result.returncode, 2)
        self.assertIn(b"--watch: needs a --config file", result.stderr)


if __name__ == "__main__":
    import unittest
    unittest.main()

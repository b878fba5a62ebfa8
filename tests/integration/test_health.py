"""Health: active probes and passive checks take backends down and bring them back, and each
change of state is logged once."""

import collections
import math
import os
import re
import signal
import threading
import time

import harness
from harness import IO_TIMEOUT, http_request

# A probe gets the whole interval to be answered: with a shorter timeout, answers a busy machine
# delays past it (a scripted backend shares the test's Python process) took healthy backends down.
FAST_PROBES = ["--health-interval", "500ms", "--health-timeout", "500ms", "--health-path", "/health", "-l", "warn"]


def binomial_quantile(n, p, tail):
    """The least k such that n draws, each true with probability p, are true more than k times
    with a probability below tail."""
    above = 1.0
    for k in range(n + 1):
        above -= math.comb(n, k) * p**k * (1 - p) ** (n - k)
        if above < tail:
            return k
    return n


def servers(proxy, count):
    return [http_request(proxy.port, "GET", "/").json().get("server") for _ in range(count)]


class ActiveHealthTest(harness.TestCase):
    def test_probes_take_a_sick_backend_down_before_clients_see_it(self):
        sick = self.start_backend(id="sick", status=503)
        good = self.start_backend(id="good")
        proxy = self.start_proxy([sick, good], FAST_PROBES + ["--unhealthy-threshold", "2"])
        self.assertTrue(harness.wait_until(lambda: "sick" not in proxy.output() and "up -> down" in proxy.output(), timeout=20), proxy.output())
        self.assertIn("backend 127.0.0.1:%d (pool default): up -> down (probe: unexpected status)" % sick.port, proxy.output())
        statuses = collections.Counter(http_request(proxy.port, "GET", "/").status for _ in range(20))
        self.assertEqual(statuses, {200: 20})

    def test_probe_answers_are_held_to_the_configured_head_limits(self):
        # 150 header fields: over the default limit (100), within the configured one (200). A
        # probe must take the answer that a client's request would take.
        fields = b"".join(b"X-Field-%d: %d\r\n" % (i, i) for i in range(150))
        backend = self.start_scripted_backend(harness.respond(b"HTTP/1.1 200 OK\r\n" + fields + b"Content-Length: 2\r\n\r\nok", then="keep"))
        proxy = self.start_proxy([backend], FAST_PROBES + ["--max-headers", "200", "--unhealthy-threshold", "2"])
        # Probes send Connection: close, so each is a connection of its own.
        self.assertTrue(harness.wait_until(lambda: backend.connections >= 4, timeout=20), backend.describe())
        self.assertNotIn("up -> down", proxy.output())
        response = http_request(proxy.port, "GET", "/")
        self.assertEqual((response.status, response.body), (200, b"ok"), proxy.output())

    def test_a_backend_that_comes_back_is_used_again(self):
        good = self.start_backend(id="good")
        port = harness.free_port()
        proxy = self.start_proxy(["127.0.0.1:%d" % port, good], FAST_PROBES + ["--healthy-threshold", "2"])
        self.assertTrue(harness.wait_until(lambda: "up -> down" in proxy.output(), timeout=20), proxy.output())
        self.assertEqual(set(servers(proxy, 6)), {"good"})
        self.start_backend(id="back", port=port)
        self.assertTrue(harness.wait_until(lambda: "down -> up (probe passed)" in proxy.output(), timeout=20), proxy.output())
        self.assertEqual(set(servers(proxy, 6)), {"good", "back"})
        # Each change is logged once, however many probes confirm it.
        self.assertEqual(proxy.output().count("up -> down"), 1)
        self.assertEqual(proxy.output().count("down -> up"), 1)

    def test_slow_start_ramps_a_recovered_backend_up(self):
        slow_start = 6.0
        good = self.start_backend(id="good")
        port = harness.free_port()
        proxy = self.start_proxy(["127.0.0.1:%d" % port, good], FAST_PROBES + ["--healthy-threshold", "1", "--slow-start", "6s"])
        self.assertTrue(harness.wait_until(lambda: "up -> down" in proxy.output(), timeout=20), proxy.output())
        started = time.monotonic()  # it cannot come back before it runs
        self.start_backend(id="back", port=port)
        self.assertTrue(harness.wait_until(lambda: "down -> up (probe passed)" in proxy.output(), timeout=20), proxy.output())
        seen_up = time.monotonic()
        early = servers(proxy, 20)
        # Round-robin alone gives it every other request, 10 of 20. With slow start each request
        # admits it to the rotation with the probability of its ramp (10% when it comes back, then
        # up linearly to 100% at the end of the slow start), and it gets every other request it
        # is admitted to. These 20 came at most `elapsed` seconds after its return: the bound is
        # the admissions at that ramp that 20 draws exceed once in 10,000 runs, halved, plus one
        # for the rotation's phase (7 when the requests take a second; the slower they are, the
        # less this tells).
        elapsed = time.monotonic() - started
        ramp = min(1.0, 0.1 + 0.9 * elapsed / slow_start)
        self.assertLessEqual(early.count("back"), binomial_quantile(20, ramp, 1e-4) // 2 + 1, (early, elapsed))
        harness.wait_until(lambda: time.monotonic() > seen_up + slow_start + 0.5, timeout=slow_start + 1)
        late = servers(proxy, 20)
        self.assertIn(late.count("back"), (9, 10, 11), late)

    def test_probe_requests_and_expected_status_ranges(self):
        probes = self.start_scripted_backend(harness.respond(b"HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n"))
        proxy = self.start_proxy([probes], FAST_PROBES + ["--health-path", "/healthz", "--health-status", "200-399"])
        self.assertTrue(probes.wait_for_requests(3, timeout=20))
        for request in probes.requests[:3]:
            self.assertEqual((request.method, request.target), ("GET", "/healthz"))
            self.assertEqual(request.header("host"), "127.0.0.1:%d" % probes.port)
        self.assertNotIn("up -> down", proxy.output())
        strict = self.start_proxy([probes], FAST_PROBES + ["--health-path", "/healthz", "--health-status", "200"])
        self.assertTrue(harness.wait_until(lambda: "up -> down (probe: unexpected status)" in strict.output(), timeout=20), strict.output())

    def test_by_default_any_answer_below_500_is_healthy(self):
        # Probes GET / by default, and many backends have no page there: a 404 is still an answer.
        # A probe wanting 200 took such backends down and fulcrum refused every request (the
        # shared referee's nginx backends did exactly this).
        no_root = self.start_scripted_backend(harness.respond(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))
        failing = self.start_scripted_backend(harness.respond(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"))
        fast = ["--health-interval", "500ms", "--health-timeout", "500ms", "-l", "warn"]
        proxy = self.start_proxy([no_root, failing], fast)
        self.assertTrue(harness.wait_until(lambda: "127.0.0.1:%d (pool default): up -> down (probe: unexpected status)" % failing.port in proxy.output(), timeout=20), proxy.output())
        self.assertTrue(no_root.wait_for_requests(5, timeout=20))
        self.assertEqual([(r.method, r.target) for r in no_root.requests[:5]], [("GET", "/")] * 5)
        self.assertNotIn("127.0.0.1:%d (pool default): up -> down" % no_root.port, proxy.output())


class PassiveHealthTest(harness.TestCase):
    def test_failure_statuses_take_a_backend_down(self):
        sick = self.start_backend(id="sick", status=503)
        good = self.start_backend(id="good")
        proxy = self.start_proxy([sick, good], ["--no-health-checks", "-l", "warn"])
        results = [http_request(proxy.port, "GET", "/r") for _ in range(12)]
        # The sick backend's 503s reach the client (they are answers), three of them, then it is
        # down and the good one takes everything.
        self.assertEqual([r.status for r in results].count(503), 3)
        self.assertEqual([r.json()["server"] for r in results[-6:]], ["good"] * 6)
        self.assertIn("up -> down (failure status)", proxy.output())


class SharedHealthTest(harness.TestCase):
    """With two workers (processes in mp, threads in mt), health is one state for the instance."""

    def test_probes_run_once_per_instance_not_once_per_worker(self):
        backend = self.start_backend(id="b")
        probe = self.stats_probe(backend)
        start = time.monotonic()  # probes start with the proxy, maybe well before it listens
        proxy = self.start_proxy([backend], ["--health-interval", "300ms", "--health-timeout", "250ms", "-w", "2"])
        seen = []
        self.assertTrue(harness.wait_until(lambda: seen.append(probe.delta()["requests"]) or sum(seen) >= 10, timeout=30))
        elapsed = time.monotonic() - start
        # One prober: about elapsed / 0.3 probes (jitter is 10%); two would send twice that.
        self.assertLessEqual(sum(seen), 1.5 * elapsed / 0.3 + 2, (sum(seen), elapsed))
        self.assertTrue(proxy.running())

    def test_a_draining_worker_stops_probing(self):
        # After a binary upgrade the new master probes the same health states, by its own
        # configuration: the draining generation's probes would count twice, and by old checks.
        probes = []
        held = threading.Event()
        release = threading.Event()
        self.addCleanup(release.set)

        def handler(conn):
            while (request := conn.next_request()) is not None:
                if request.target == "/health":
                    probes.append(request)
                else:
                    held.set()
                    release.wait(IO_TIMEOUT)
                conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

        backend = self.start_scripted_backend(handler)
        proxy = self.start_proxy([backend], ["--health-interval", "100ms", "--health-timeout", "100ms", "--health-path", "/health", "-l", "info"])
        self.assertTrue(harness.wait_until(lambda: len(probes) >= 3, timeout=20), proxy.output())
        conn = self.connect(proxy)
        conn.send(harness.build_request("GET", "/held", host="h"))
        self.assertTrue(held.wait(IO_TIMEOUT), proxy.output())
        proxy.send_signal(signal.SIGTERM)  # drains while /held is answered
        self.assertTrue(harness.wait_until(lambda: "draining" in proxy.output(), timeout=10), proxy.output())
        drained_at = len(probes)
        # Ten intervals: a probe already under way may still come, no other.
        self.assertFalse(harness.wait_until(lambda: len(probes) > drained_at + 1, timeout=1.0),
                         "%d probes during the drain" % (len(probes) - drained_at))
        release.set()
        self.assertEqual(conn.read_response().status, 200)
        self.assertEqual(proxy.wait(15), 0, proxy.output())

    def test_a_backend_down_in_one_worker_is_down_in_all(self):
        sick = self.start_backend(id="sick", status=503)
        good = self.start_backend(id="good")
        proxy = self.start_proxy([sick, good], ["--no-health-checks", "-w", "2", "-l", "warn"])
        # Connections (one request each) spread over the workers until the failures add up.
        self.assertTrue(harness.wait_until(
            lambda: http_request(proxy.port, "GET", "/r").status and "up -> down" in proxy.output(), timeout=20), proxy.output())
        probe = self.stats_probe(sick)
        served = [http_request(proxy.port, "GET", "/after").json()["server"] for _ in range(20)]
        self.assertEqual(served, ["good"] * 20)
        self.assertEqual(probe.delta()["requests"], 0)
        self.assertEqual(proxy.output().count("up -> down"), 1)

    def test_sigusr1_logs_counters_that_add_up_across_workers(self):
        a, b = self.start_backend(id="a"), self.start_backend(id="b")
        proxy = self.start_proxy([a, b], ["--no-health-checks", "-w", "2", "-l", "info"])
        # One connection per request, so that they spread over the workers.
        for i in range(30):
            self.assertEqual(http_request(proxy.port, "GET", "/%d" % i).status, 200)
        self.assertEqual(http_request(proxy.port, "GET", "/status/404").status, 404)  # an answer, not an error
        proxy.send_signal(signal.SIGUSR1)
        self.assertTrue(harness.wait_until(lambda: proxy.output().count("stats: backend") >= 2, timeout=10), proxy.output())
        total = re.search(r"stats: (\d+) connections \(\d+ open\), (\d+) requests, (\d+) error responses", proxy.output())
        self.assertIsNotNone(total, proxy.output())
        self.assertEqual(total.groups(), ("31", "31", "0"))
        # "in flight" may still count the last request for a moment after its answer arrived.
        per_backend = re.findall(r"stats: backend 127\.0\.0\.1:(\d+) \(pool default\): up, (\d+) requests, 0 failures, \d+ in flight", proxy.output())
        self.assertEqual(sorted(int(port) for port, _ in per_backend), sorted([a.port, b.port]))
        self.assertEqual(sum(int(n) for _, n in per_backend), 31)


class UpgradeHealthTest(harness.TestCase):
    """A binary upgrade (SIGUSR2, mp) carries each backend's health over to the new master."""

    def start_with_a_sick_backend_down(self):
        """mp, two workers, in front of `sick` (fails its probes, but would answer a request with
        200, as itself: only its health keeps requests away from it) and `good`; returns once the
        probes have taken sick down."""

        def sick_handler(conn):
            while (request := conn.next_request()) is not None:
                if request.target == "/health":
                    conn.send(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    return
                body = b'{"server": "sick"}'
                conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

        self.sick = self.start_scripted_backend(sick_handler)
        self.good = self.start_backend(id="good")
        self.path = harness.write_temp_file(self.pool_yaml("interval: 500ms, timeout: 500ms, unhealthy_threshold: 2"))
        self.addCleanup(os.unlink, self.path)
        self.pid_file = self.path + ".pid"
        self.addCleanup(lambda: os.path.exists(self.pid_file) and os.unlink(self.pid_file))
        proxy = self.start_proxy([], ["-c", self.path, "--mode", "mp", "-w", "2", "--health-path", "/health", "-l", "info", "--pid-file", self.pid_file])
        self.down = "backend %s (pool web): up -> down" % self.sick.address
        self.assertTrue(harness.wait_until(lambda: self.down in proxy.output(), timeout=20), proxy.output())
        self.assertEqual(set(servers(proxy, 10)), {"good"})
        # The new masters probe once an hour: within this test, their own probes cannot take sick
        # down again, so only what they inherit can keep requests away from it.
        self.rewrite(self.pool_yaml("interval: 1h, timeout: 2s, unhealthy_threshold: 2"))
        self.upgrades = 0
        return proxy

    def pool_yaml(self, health):
        return 'pools:\n  web:\n    backends: ["%s", "%s"]\n    health: {path: /health, %s}\n' % (self.sick.address, self.good.address, health)

    def rewrite(self, text):
        with open(self.path, "w") as f:
            f.write(text)

    def upgrade(self, proxy, master):
        """SIGUSR2 to master; returns the new master's pid once it is ready and the old one has
        left (its workers drained)."""
        self.upgrades += 1
        os.kill(master, signal.SIGUSR2)
        self.assertTrue(harness.wait_until(lambda: proxy.output().count("is ready; draining the old workers") == self.upgrades, timeout=30), proxy.output())
        successor = harness.wait_until(lambda: (pid := read_pid(self.pid_file)) not in (None, master) and pid, timeout=10)
        self.assertTrue(successor, proxy.output())
        self.addCleanup(stop_by_pid, successor)
        self.assertTrue(harness.wait_until(lambda: not os.path.exists("/proc/%d" % master) or zombie(master), timeout=30), proxy.output())
        return successor

    def test_a_backend_down_before_an_upgrade_stays_down_after_it(self):
        proxy = self.start_with_a_sick_backend_down()
        master = proxy.pid
        for _ in range(2):  # the second new master got the region from the first
            master = self.upgrade(proxy, master)
            self.assertEqual(servers(proxy, 20), ["good"] * 20, proxy.output())
        self.assertEqual(proxy.output().count("upgrade: backend health and counters carried over from the previous master"), 2, proxy.output())
        self.assertEqual(proxy.output().count(self.down), 1, proxy.output())
        self.assertNotIn("down -> up", proxy.output())
        # And good, up all along, stayed up.
        self.assertNotIn("backend %s (pool web): up -> down" % self.good.address, proxy.output())

    def test_a_failed_upgrade_leaves_the_old_instance_as_it_was(self):
        proxy = self.start_with_a_sick_backend_down()
        valid = open(self.path).read()
        self.rewrite("pools: [\n")  # the new master cannot start
        proxy.send_signal(signal.SIGUSR2)
        self.assertTrue(harness.wait_until(lambda: "ended before it was ready; this one stays" in proxy.output(), timeout=30), proxy.output())
        self.assertTrue(proxy.running())
        self.assertEqual(servers(proxy, 20), ["good"] * 20, proxy.output())
        # The region is handed down at the next try all the same.
        self.rewrite(valid)
        self.upgrade(proxy, proxy.pid)
        self.assertEqual(servers(proxy, 20), ["good"] * 20, proxy.output())
        self.assertIn("upgrade: backend health and counters carried over from the previous master", proxy.output())


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read())
    except (OSError, ValueError):
        return None


def zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def stop_by_pid(pid):
    """Ends a master this test started indirectly (by an upgrade), by its pid; it drains and
    waits for its workers."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if not harness.wait_until(lambda: not os.path.exists("/proc/%d" % pid), timeout=20):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

"""The soak: mixed traffic through fulcrum (mp, two workers) to three backends, which are killed
and restarted along the way. Memory stays flat and no descriptor leaks: fulcrum's resident
memory at rest after the soak is within 10% of what it was at rest after a warm-up of the same
traffic, and its descriptor count comes back to where it started. No client ever gets a wrong
answer or waits forever; some get errors or cut responses when their backend dies.

The soak lasts FULCRUM_SOAK_SECONDS (default 90) after a warm-up of FULCRUM_SOAK_WARMUP_SECONDS
(default 30). ctest stops a test after 600 s: for longer soaks run this file directly, e.g.
FULCRUM_SOAK_SECONDS=3600 python3 -m unittest -v test_soak in tests/integration with FULCRUM_BIN
and FULCRUM_BACKEND_BIN set.
"""

import os
import random
import socket
import threading
import time

import harness
from harness import MiB, PatternCheck, build_request, chunked_body

SOAK_SECONDS = float(os.environ.get("FULCRUM_SOAK_SECONDS", "90"))
WARMUP_SECONDS = float(os.environ.get("FULCRUM_SOAK_WARMUP_SECONDS", "30"))
CLIENTS = 6
BACKENDS = 3
KILL_EVERY = (8.0, 14.0)  # seconds between two backend kills, drawn at random
DOWN_FOR = (0.5, 2.0)  # seconds a killed backend stays dead
# Each client pauses this long between two requests, so that the soak leaves CPU time to the
# tests that ctest runs beside it (unpaced, it takes both cores of a small machine).
THINK_SECONDS = 0.01
RSS_TOLERANCE = 0.10
# Requests that meet a dying backend may fail; everything else must not.
MAX_FAILED_FRACTION = 0.05


class Outcomes:
    def __init__(self):
        self.lock = threading.Lock()
        self.ok = 0
        self.failed = []  # fulcrum's error responses and responses cut short: allowed, counted
        self.wrong = []  # wrong answers, hangs, garbage: never allowed

    def add(self, kind, what=None):
        with self.lock:
            if kind == "ok":
                self.ok += 1
            elif kind == "failed":
                self.failed.append(what)
            else:
                self.wrong.append(what)

    def total(self):
        with self.lock:
            return self.ok + len(self.failed) + len(self.wrong)


class Client(threading.Thread):
    """Sends a random mix of requests, keep-alive or not, and checks every answer, while `run`
    is set; closes its connection whenever it is cleared."""

    def __init__(self, index, port, seed, outcomes, running, stop):
        super().__init__(daemon=True)
        self.index = index
        self.port = port
        self.random = random.Random(seed)
        self.outcomes = outcomes
        self.running = running
        self.stop = stop
        self.conn = None
        self.idle = threading.Event()
        self.n = 0

    def run(self):
        while not self.stop.is_set():
            if not self.running.is_set():
                self.close()
                self.idle.set()
                self.running.wait(0.2)
                continue
            self.idle.clear()
            self.stop.wait(THINK_SECONDS)
            self.n += 1
            try:
                self.one_request()
            except socket.timeout as e:
                self.outcomes.add("wrong", "request %d: no answer in time (%s)" % (self.n, e))
                self.close()
            except (harness.ConnectionClosed, ConnectionError) as e:
                self.outcomes.add("failed", repr(e))
                self.close()
            except Exception as e:  # noqa: BLE001 (a protocol error is a wrong answer)
                self.outcomes.add("wrong", "request %d: %r" % (self.n, e))
                self.close()
        self.close()

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def one_request(self):
        r = self.random
        kind = r.choice(("bytes", "chunked", "post", "post_chunked", "close"))
        size = r.choice((0, 1, 100, 4096, 65536, 300_000, MiB))
        target = "/%s/%d?client=%d&n=%d" % (kind, size, self.index, self.n)
        headers, body = [], None
        if kind in ("bytes", "chunked"):
            target = "/%s/%d" % (kind, size)
        elif kind == "post":
            body = harness.pattern(self.n, min(size, 200_000))
        elif kind == "post_chunked":
            piece = harness.pattern(self.n, min(size, 200_000))
            body = chunked_body([piece[i : i + 16384] for i in range(0, len(piece), 16384)])
            headers = [("Transfer-Encoding", "chunked")]
        else:
            headers = [("Connection", "close")]
        if self.conn is None:
            self.conn = harness.Connection(self.port)
        method = "POST" if body is not None else "GET"
        self.conn.send(build_request(method, target, headers, body, host="h"))
        check = PatternCheck()
        response = self.conn.read_response(sink=check if kind in ("bytes", "chunked") else None)
        if "close" in response.connection_tokens() or not response.complete:
            self.close()
        if response.status in (502, 503, 504) and (response.header("Content-Type") or "").startswith("text/plain"):
            self.outcomes.add("failed", "%s: %d" % (target, response.status))
            return
        if response.status != 200:
            self.outcomes.add("wrong", "%s: %r" % (target, response))
            return
        if not response.complete:
            self.outcomes.add("failed", "%s: cut after %d bytes" % (target, response.body_length))
            if check.first_mismatch is not None:
                self.outcomes.add("wrong", "%s: wrong byte at %d" % (target, check.first_mismatch))
            return
        if kind in ("bytes", "chunked"):
            good = check.length == size and check.first_mismatch is None
        else:
            echo = response.json()
            sent = min(size, 200_000) if kind != "close" else 0
            good = echo["uri"] == target and echo["body_length"] == sent
        self.outcomes.add("ok" if good else "wrong", None if good else "%s: %r" % (target, response))


class SoakTest(harness.TestCase):
    def setUp(self):
        self.backends = [self.start_backend(id="b%d" % i) for i in range(BACKENDS)]
        self.proxy = self.start_proxy(
            self.backends,
            # Probes every second bring a restarted backend back within seconds; without them
            # a backend that failed waits out a cool-down of 10 s or more before its trial.
            ["--mode", "mp", "-w", "2", "--pool-idle-timeout", "2s", "--backend-timeout", "10s",
             "--health-interval", "1s", "--health-timeout", "1s"],
        )
        self.assertTrue(harness.wait_until(lambda: len(harness.process_tree(self.proxy.pid)) == 3, timeout=20))
        self.workers = sorted(harness.process_tree(self.proxy.pid))
        self.seed = int(os.environ.get("FULCRUM_SOAK_SEED", str(int(time.time()))))
        self.random = random.Random(self.seed)
        self.outcomes = Outcomes()
        self.running = threading.Event()
        self.stop = threading.Event()
        self.addCleanup(self.stop.set)
        self.clients = [Client(i, self.proxy.port, self.seed + i, self.outcomes, self.running, self.stop) for i in range(CLIENTS)]
        for c in self.clients:
            c.start()
        self.kills = 0

    def restart(self, i):
        """A new backend process on the killed one's port, which may stay taken for a moment."""
        port = self.backends[i].port

        def start():
            try:
                self.backends[i] = self.start_backend(id="b%d" % i, port=port)
                return True
            except RuntimeError as e:
                if "in use" not in str(e):
                    raise
                return False

        self.assertTrue(harness.wait_until(start, timeout=20, interval=0.1), "port %d stayed in use" % port)

    def traffic(self, seconds):
        """Runs the clients for `seconds`, killing and restarting a backend now and then."""
        self.running.set()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            pause = min(self.random.uniform(*KILL_EVERY), max(0.0, end - time.monotonic()))
            if self.stop.wait(pause) or time.monotonic() >= end:
                break
            victim = self.random.randrange(BACKENDS)
            self.backends[victim].proc.kill()
            self.backends[victim].proc.wait()
            self.kills += 1
            self.stop.wait(self.random.uniform(*DOWN_FOR))
            self.restart(victim)
        self.running.clear()
        for c in self.clients:
            self.assertTrue(c.idle.wait(60), "a client is stuck in a request")

    def descriptors(self):
        """fulcrum's descriptors: pipes, and all the others."""
        pipes = harness.pipe_count(self.proxy.pid)
        return pipes, harness.fd_count(self.proxy.pid) - pipes

    def at_rest(self, at_start):
        """Waits for fulcrum to hold as many descriptors as at_start besides pipes (its pooled
        connections expire after 2 s); returns its RSS in KiB then. The pipes that bodies were
        spliced through are kept, one per spliced body that was in flight at once: at most one per
        client here."""
        pipes_at_start, others_at_start = at_start
        self.assertTrue(harness.wait_until(lambda: self.descriptors()[1] == others_at_start, timeout=30, interval=0.2),
                        "fulcrum holds %d descriptors at rest besides pipes, %d before any traffic" % (self.descriptors()[1], others_at_start))
        self.assertLessEqual(self.descriptors()[0], pipes_at_start + 2 * CLIENTS)
        return harness.rss_kib(self.proxy.pid)

    def test_soak(self):
        fds_at_start = self.descriptors()
        rss_at_start = harness.rss_kib(self.proxy.pid)
        self.traffic(WARMUP_SECONDS)
        rss_warm = self.at_rest(fds_at_start)
        requests_warm = self.outcomes.total()
        self.traffic(SOAK_SECONDS)
        rss_end = self.at_rest(fds_at_start)
        summary = "seed %d; %d kills; %d requests (%d in the warm-up): %d ok, %d failed; RSS %d KiB at start, %d after the warm-up, %d at the end; %d descriptors" % (
            self.seed, self.kills, self.outcomes.total(), requests_warm, self.outcomes.ok, len(self.outcomes.failed),
            rss_at_start, rss_warm, rss_end, sum(fds_at_start))
        self.assertEqual(self.outcomes.wrong[:10], [], summary)
        self.assertGreater(self.kills, 0, summary)
        self.assertGreater(self.outcomes.ok, 1000, summary)
        self.assertLessEqual(len(self.outcomes.failed), MAX_FAILED_FRACTION * self.outcomes.total(), summary + "\n%s" % self.outcomes.failed[:20])
        self.assertLessEqual(abs(rss_end - rss_warm), RSS_TOLERANCE * rss_warm, summary)
        # The same workers all along: none crashed and was replaced.
        self.assertEqual(sorted(harness.process_tree(self.proxy.pid)), self.workers, self.proxy.output())
        print("\nsoak: " + summary)


if __name__ == "__main__":
    import unittest

    unittest.main()

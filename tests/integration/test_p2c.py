"""p2c as a client's requests teach it: the latency it compares is the time to the response head,
not to the end of the download, and a try that the client cut short teaches it nothing.

Requests go one at a time, so that no backend has a request in flight when the next is picked:
p2c then always takes the backend with the lower latency average, and the other one wins again
only once its average, shrinking by 1/32 at each comparison it loses, has gone below (about 22
lost comparisons per halving; src/upstream/balancer/p2c.h). The margins below rest on that.
"""

import time

import harness
from harness import build_request
from scripted_backend import UploadSink, paced


def server_of(conn):
    response = conn.request("GET", "/")
    if response.status != 200:
        raise AssertionError("the proxy answered %r" % response)
    return response.body.split(b" ", 1)[0].decode()


class P2CLatencyTest(harness.TestCase):
    def test_latency_ends_at_the_response_head(self):
        # "trickle" sends its head at once and its body over 0.5 s; "held" holds its head for
        # 0.2 s, then sends it with the body. To the head, trickle takes about a millisecond and
        # held 200: trickle wins every comparison, and held would need some 150 lost ones to
        # catch up (a stall of the machine on trickle's head costs it one or two). To the end of
        # the download it would be the other way round (500 ms against 200), and trickle would
        # get about one request in ten.
        body = b"x" * 5000
        trickle = self.start_scripted_backend(paced(b"trickle " + body, pieces=5, piece_every=0.1))
        held = self.start_scripted_backend(paced(b"held " + body, head_after=0.2))
        proxy = self.start_proxy([trickle, held], ["-s", "p2c"])
        conn = self.connect(proxy)
        # Until both have an average, p2c takes a measured backend and one that is not as equals;
        # then a few more, for first answers that a new connection or a stall made slow.
        warm_up = []
        while set(warm_up) != {"trickle", "held"}:
            self.assertLess(len(warm_up), 40, "a backend never picked: %s" % warm_up)
            warm_up.append(server_of(conn))
        warm_up += [server_of(conn) for _ in range(6)]
        picks = [server_of(conn) for _ in range(16)]
        self.assertGreaterEqual(picks.count("trickle"), 12, "after the warm-up %s: %s" % (warm_up, picks))


class P2CVoidTryTest(harness.TestCase):
    def test_a_try_the_client_left_is_no_sample(self):
        # Both backends answer in about 50 ms. A client sends an upload, which one of them reads
        # without answering, and leaves after `hold` seconds. Had that try counted (as a failure,
        # or as an answer when the client left), that backend's average would be a quarter of
        # `hold` or more, 40 times the other's, and it would lose the next 115 comparisons or so.
        # As it is, it keeps its average and gets its turns again once the other's, which new
        # answers keep current, is no lower: at once when both are near 50 ms, after some 50
        # requests when a stalled machine had made its last answers five times slower.
        hold = 8.0
        sinks = {name: UploadSink(answer=name.encode() + b" ok", answer_after=0.05) for name in ("a", "b")}
        backends = [self.start_scripted_backend(sinks[name]) for name in ("a", "b")]
        # One failure would take a backend down: the client leaving must not count as one.
        proxy = self.start_proxy(backends, ["-s", "p2c", "--no-health-checks", "--unhealthy-threshold", "1"])
        conn = self.connect(proxy)
        warm_up = [server_of(conn) for _ in range(20)]

        leaving = self.connect(proxy)
        # Over 64 KiB: the body is streamed, so the try starts before the body is read.
        leaving.send(build_request("PUT", "/upload", [("Content-Length", str(harness.MiB))], host="h") + b"u" * 1024)
        self.assertTrue(harness.wait_until(lambda: any(s.head_seen.is_set() for s in sinks.values())), "the upload reached no backend")
        victim = [name for name, s in sinks.items() if s.head_seen.is_set()][0]
        time.sleep(hold)  # how long the try lasts: the scenario, not a wait
        leaving.close()
        self.assertTrue(sinks[victim].ended.wait(harness.IO_TIMEOUT), "fulcrum kept the abandoned upload's backend connection")

        picks = [server_of(conn) for _ in range(100)]
        self.assertNotIn("up -> down", proxy.output())
        self.assertGreaterEqual(picks.count(victim), 8, "%s had the abandoned upload; before it: %s; after it: %s" % (victim, warm_up, picks))


if __name__ == "__main__":
    import unittest

    unittest.main()

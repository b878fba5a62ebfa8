"""1 GiB bodies stream through fulcrum both ways with flat memory: its peak RSS stays far below
the size of the message."""

import harness
from harness import MiB, PatternCheck, build_request

GiB = 1024 * MiB
RSS_LIMIT_KIB = 16 * 1024  # measured: about 4.6 MiB; a few buffers, nowhere near 1 GiB


def peak_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM for pid %d" % pid)


class StreamingMemoryTest(harness.TestCase):
    def setUp(self):
        self.backend = self.start_backend()
        # One process serving the traffic, so that its own memory is what is measured.
        self.proxy = self.start_proxy([self.backend], ["--mode", "sp"])

    def test_1_gib_upload(self):
        conn = self.connect(self.proxy, timeout=120)
        conn.send(build_request("PUT", "/upload", [("Content-Length", str(GiB))], host="h"))
        block = harness.pattern(0, MiB)
        for _ in range(GiB // MiB):
            self.assertTrue(conn.send(block), "the proxy closed the connection during the upload")
        response = conn.read_response()
        self.assertEqual(response.status, 200, response)
        self.assertEqual(response.json()["body_length"], GiB)
        self.assertLess(peak_rss_kib(self.proxy.pid), RSS_LIMIT_KIB)

    def test_1_gib_download(self):
        check = PatternCheck()
        conn = self.connect(self.proxy, timeout=120)
        response = conn.request("GET", "/bytes/%d" % GiB, sink=check)
        self.assertEqual(response.status, 200, response)
        self.assertEqual(check.length, GiB)
        self.assertIsNone(check.first_mismatch)
        self.assertLess(peak_rss_kib(self.proxy.pid), RSS_LIMIT_KIB)

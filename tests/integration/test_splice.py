"""A large Content-Length response body is spliced: the kernel moves it from the backend's socket
through a pipe to the client's, and the pipe goes back to the worker's PipeCache once the body is
through. So after one large download a worker keeps a pipe, and after a small one it keeps none;
a pipe that no body needs for a while is closed."""

import harness
from harness import MiB, PatternCheck


class SpliceTest(harness.TestCase):
    def setUp(self):
        self.backend = self.start_backend()
        self.proxy = self.start_proxy([self.backend])

    def download(self, size):
        check = PatternCheck()
        response = self.connect(self.proxy).request("GET", "/bytes/%d" % size, sink=check)
        self.assertEqual(response.status, 200, response)
        self.assertEqual(check.length, size)
        self.assertIsNone(check.first_mismatch)

    def test_small_download_is_copied(self):
        before = harness.pipe_count(self.proxy.pid)
        self.download(4096)
        self.assertEqual(harness.pipe_count(self.proxy.pid), before)

    def test_large_download_goes_through_a_cached_pipe(self):
        before = harness.pipe_count(self.proxy.pid)
        self.download(4 * MiB)
        # The spliced body's pipe (two descriptors) is kept in the worker's PipeCache.
        self.assertEqual(harness.pipe_count(self.proxy.pid) - before, 2,
                         "no pipe was used for a 4 MiB Content-Length download: not spliced")
        self.download(4 * MiB)  # on the same worker or another: at most one pipe each
        self.assertIn(harness.pipe_count(self.proxy.pid) - before, (2, 4))

    def test_a_pipe_no_body_needs_is_closed(self):
        before = harness.pipe_count(self.proxy.pid)
        self.download(4 * MiB)
        self.assertEqual(harness.pipe_count(self.proxy.pid) - before, 2)
        # Nothing more is spliced: the second trim after the download (5 s apart) closes it.
        self.assertTrue(harness.wait_until(lambda: harness.pipe_count(self.proxy.pid) == before, timeout=30),
                        "the worker still keeps %d pipe descriptors" % (harness.pipe_count(self.proxy.pid) - before))


if __name__ == "__main__":
    import unittest
    unittest.main()

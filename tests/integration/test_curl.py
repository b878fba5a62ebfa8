"""End to end with a real client: curl through fulcrum."""

import json
import os
import shutil
import subprocess
import tempfile

import harness

CURL = shutil.which("curl")


class CurlTest(harness.TestCase):
    def setUp(self):
        if CURL is None:
            self.skipTest("curl is not installed")
        self.backend = self.start_backend(id="curl")
        self.proxy = self.start_proxy([self.backend])
        self.tmp = tempfile.TemporaryDirectory(prefix="fulcrum-it-curl-")
        self.addCleanup(self.tmp.cleanup)

    def curl(self, *args):
        """Runs curl against the proxy; returns its stdout. Environment proxies are ignored."""
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        result = subprocess.run(
            [CURL, "-sS", "--noproxy", "*", "--max-time", "60"] + list(args),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=90,
            env=env,
        )
        self.assertEqual(result.returncode, 0, "curl %s: %s" % (" ".join(args), result.stderr.decode()))
        return result.stdout

    def file_with(self, data):
        path = os.path.join(self.tmp.name, "body")
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_get(self):
        echo = json.loads(self.curl(self.proxy.url + "/curl/get?a=1"))
        self.assertEqual((echo["server"], echo["method"], echo["uri"]), ("curl", "GET", "/curl/get?a=1"))
        self.assertEqual(echo["headers"]["host"], "127.0.0.1:%d" % self.proxy.port)
        self.assertTrue(echo["headers"]["user-agent"].startswith("curl/"))

    def test_post_data_binary(self):
        data = bytes(range(256)) * 64
        echo = json.loads(self.curl("--data-binary", "@" + self.file_with(data), self.proxy.url + "/curl/post"))
        self.assertEqual((echo["method"], echo["body_length"]), ("POST", len(data)))

    def test_post_text(self):
        echo = json.loads(self.curl("--data-binary", "name=value&other=2", self.proxy.url + "/form"))
        self.assertEqual(echo["body"], "name=value&other=2")
        self.assertEqual(echo["headers"]["content-type"], "application/x-www-form-urlencoded")

    def test_upload_file(self):
        # 3 MiB: curl sends "Expect: 100-continue" for an upload this size.
        data = harness.pattern(0, 3 * harness.MiB)
        echo = json.loads(self.curl("-T", self.file_with(data), self.proxy.url + "/curl/put"))
        self.assertEqual((echo["method"], echo["uri"], echo["body_length"]), ("PUT", "/curl/put", len(data)))

    def test_head(self):
        out = self.curl("-I", self.proxy.url + "/bytes/123").decode("latin-1")
        lines = out.split("\r\n")
        self.assertEqual(lines[0], "HTTP/1.1 200 OK")
        self.assertIn("content-length: 123", [line.lower() for line in lines])

    def test_download(self):
        path = os.path.join(self.tmp.name, "download")
        self.curl("-o", path, self.proxy.url + "/chunked/1000000")
        with open(path, "rb") as f:
            self.assertEqual(f.read(), harness.pattern(0, 1000000))

    def test_several_urls_on_one_connection(self):
        out = self.curl("-w", "%{num_connects}\n", "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null",
                        self.proxy.url + "/1", self.proxy.url + "/2", self.proxy.url + "/3")
        self.assertEqual(out.decode().split(), ["1", "0", "0"], "curl had to reconnect")

    def test_error_status(self):
        out = self.curl("-o", "/dev/null", "-w", "%{http_code}", self.proxy.url + "/status/404")
        self.assertEqual(out, b"404")


if __name__ == "__main__":
    import unittest

    unittest.main()

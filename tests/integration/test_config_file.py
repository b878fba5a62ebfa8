"""The configuration file: loading with -c, --check, flags over the file, and SIGHUP reloads."""

import os
import signal

import harness

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def backends_yaml(*backends):
    return "backends:\n" + "".join('  - host: "127.0.0.1"\n    port: %d\n' % b.port for b in backends)


class ConfigFileTest(harness.TestCase):
    def test_check_accepts_the_examples(self):
        for name in ("seed.yaml", "multi-pool.yaml"):
            result = harness.run_fulcrum(["--check", "-c", os.path.join(REPO, "examples", name)])
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn(b": ok", result.stdout)

    def test_check_reports_every_error_with_its_position(self):
        path = harness.write_temp_file('listen: 8080\nbackends:\n  - host: "127.0.0.1"\n    port: 70000\n    wieght: 2\n')
        result = harness.run_fulcrum(["--check", "-c", path])
        self.assertEqual(result.returncode, 1)
        lines = result.stderr.decode().splitlines()
        self.assertIn("%s:4:11: backends[0].port: 70000 is not a port (1-65535)" % path, lines)
        self.assertIn("%s:5:5: backends[0].wieght: unknown key (did you mean 'weight'?)" % path, lines)

    def test_serves_the_backends_of_the_file(self):
        backend = self.start_backend(id="from-file")
        path = harness.write_temp_file(backends_yaml(backend))
        proxy = self.start_proxy([], ["-c", path])
        response = harness.http_request(proxy.port, "GET", "/x")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.json()["server"], "from-file")

    def test_flags_override_the_file(self):
        in_file = self.start_backend(id="in-file")
        on_command_line = self.start_backend(id="on-command-line")
        path = harness.write_temp_file(backends_yaml(in_file) + "timeouts:\n  backend: 30s\n")
        # Proxy passes -p for its own port, overriding the file's listen address too.
        proxy = self.start_proxy([on_command_line], ["-c", path])
        for _ in range(4):
            self.assertEqual(harness.http_request(proxy.port, "GET", "/").json()["server"], "on-command-line")

    def test_sighup_reloads_the_file_and_keeps_the_old_one_when_the_new_is_invalid(self):
        first = self.start_backend(id="first")
        second = self.start_backend(id="second")
        path = harness.write_temp_file(backends_yaml(first))
        proxy = self.start_proxy([], ["-c", path, "--mode", "mp", "-w", "1", "-l", "info"])
        self.assertEqual(harness.http_request(proxy.port, "GET", "/").json()["server"], "first")
        with open(path, "w") as f:
            f.write("backends: [oops\n")
        proxy.send_signal(signal.SIGHUP)
        self.assertTrue(harness.wait_until(lambda: "the running one stays" in proxy.output(), timeout=10), proxy.output())
        self.assertEqual(harness.http_request(proxy.port, "GET", "/").json()["server"], "first")
        with open(path, "w") as f:
            f.write(backends_yaml(second))
        proxy.send_signal(signal.SIGHUP)
        self.assertTrue(harness.wait_until(lambda: "reloaded:" in proxy.output(), timeout=10), proxy.output())
        self.assertTrue(harness.wait_until(
            lambda: harness.http_request(proxy.port, "GET", "/").json()["server"] == "second", timeout=10))

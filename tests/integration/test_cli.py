"""The command line: --help, --version, one-line errors with exit status 2, a port in use."""

import os
import re
import socket

import harness
from harness import run_fulcrum

FLAGS = [
    "-b",
    "-p",
    "--host",
    "--mode",
    "-l",
    "--io",
    "--client-header-timeout",
    "--client-idle-timeout",
    "--connect-timeout",
    "--backend-timeout",
    "--pool-idle-timeout",
    "--drain-timeout",
    "--tunnel-timeout",
    "--max-header-size",
    "--max-headers",
    "--max-request-line",
    "--help",
    "--version",
]


def pool_file(test, backend_port, health):
    """A configuration file (removed after the test) whose one pool has the health settings
    `health`, a YAML flow map's contents."""
    path = harness.write_temp_file(
        'pools:\n  api:\n    backends: ["127.0.0.1:%d"]\n    health: {%s}\n' % (backend_port, health))
    test.addCleanup(os.remove, path)
    return path


def flag_pattern(flag):
    """Matches flag as a whole word: "-p" in "-p,--port" but not inside "--pool-idle-timeout"."""
    return re.compile(r"(?<![\w-])" + re.escape(flag) + r"(?![\w-])")


class HelpAndVersionTest(harness.TestCase):
    def test_help_lists_every_flag(self):
        result = run_fulcrum(["--help"])
        self.assertEqual(result.returncode, 0, result.stderr)
        text = result.stdout.decode()
        for flag in FLAGS:
            self.assertRegex(text, flag_pattern(flag), "--help does not mention %s" % flag)

    def test_help_shows_defaults(self):
        text = run_fulcrum(["--help"]).stdout.decode()
        blocks = self.option_blocks(text)
        for flag in FLAGS:
            if flag in ("-b", "--help", "--version"):
                continue
            self.assertIn(flag, blocks, text)
            self.assertRegex(blocks[flag], r"\[[^\]]+\]|[Dd]efault|=\S+", "no default shown for %s:\n%s" % (flag, blocks[flag]))
        self.assertRegex(blocks["--max-headers"], r"\b100\b")
        self.assertRegex(blocks["--max-header-size"], r"\b(32768|32[kK]|32 ?KiB)\b")
        self.assertRegex(blocks["--max-request-line"], r"\b(8192|8[kK]|8 ?KiB)\b")

    @staticmethod
    def option_blocks(text):
        """Maps each flag to the help text from its line up to the next option's line."""
        lines = text.splitlines()
        starts = [i for i, line in enumerate(lines) if re.match(r"^\s*-", line)]
        blocks = {}
        for n, i in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(lines)
            block = "\n".join(lines[i:end])
            names = re.match(r"^\s*(\S+)", lines[i]).group(1)
            for name in re.findall(r"--?[\w-]+", names):
                blocks[name] = block
        return blocks

    def test_version(self):
        result = run_fulcrum(["--version"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout.decode(), r"fulcrum.*\d+\.\d+\.\d+")


class BadArgumentTest(harness.TestCase):
    def assertUsageError(self, args, *names):
        """Exit status 2 and exactly one line on stderr that names one of names."""
        result = run_fulcrum(args)
        stderr = result.stderr.decode()
        self.assertEqual(result.returncode, 2, "fulcrum %s: exit %s, stderr %r" % (" ".join(args), result.returncode, stderr))
        lines = stderr.splitlines()
        self.assertEqual(len(lines), 1, "expected one line on stderr, got %r" % stderr)
        self.assertTrue(any(flag_pattern(n).search(lines[0]) for n in names), "%r names none of %s" % (lines[0], names))

    def backend(self):
        return ["-b", "127.0.0.1:%d" % harness.free_port()]

    def test_unknown_flag(self):
        self.assertUsageError(self.backend() + ["--bogus-flag"], "--bogus-flag")

    def test_port_out_of_range(self):
        self.assertUsageError(self.backend() + ["-p", "70000"], "-p", "--port", "70000")

    def test_port_not_a_number(self):
        self.assertUsageError(self.backend() + ["-p", "eighty"], "-p", "--port", "eighty")

    def test_bad_duration(self):
        self.assertUsageError(self.backend() + ["--connect-timeout", "abc"], "--connect-timeout")

    def test_bad_duration_unit(self):
        self.assertUsageError(self.backend() + ["--client-idle-timeout", "10x"], "--client-idle-timeout")

    def test_bad_size(self):
        self.assertUsageError(self.backend() + ["--max-header-size", "12q"], "--max-header-size")

    def test_bad_backend(self):
        self.assertUsageError(["-b", "nonsense"], "-b", "--backend", "nonsense")

    def test_backend_port_out_of_range(self):
        self.assertUsageError(["-b", "127.0.0.1:99999"], "-b", "--backend", "127.0.0.1:99999")

    def test_no_backend(self):
        self.assertUsageError(["-p", str(harness.free_port())], "-b", "--backend")

    def test_bad_io(self):
        self.assertUsageError(self.backend() + ["--io", "kqueue"], "--io")

    def test_bad_log_level(self):
        self.assertUsageError(self.backend() + ["-l", "chatty"], "-l", "--log-level")

    def test_missing_value(self):
        self.assertUsageError(self.backend() + ["--backend-timeout"], "--backend-timeout")

    def test_health_timeout_longer_than_the_interval(self):
        self.assertUsageError(self.backend() + ["--health-interval", "1s", "--health-timeout", "3s"], "--health-timeout")

    # The default probe timeout (2 s) yields to a shorter interval instead of being an error.
    def test_short_health_interval_alone_is_accepted(self):
        result = run_fulcrum(self.backend() + ["--check", "--health-interval", "500ms"])
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_zero_health_interval(self):
        self.assertUsageError(self.backend() + ["--health-interval", "0"], "--health-interval")

    # Over a file, a flag is held to the file's values as the file's own keys are to each other.
    def test_health_interval_below_the_files_timeout(self):
        path = pool_file(self, harness.free_port(), "timeout: 3s")
        self.assertUsageError(["--check", "-c", path, "--health-interval", "1s"], "--health-interval")

    def test_health_timeout_within_the_files_longer_interval_is_accepted(self):
        path = pool_file(self, harness.free_port(), "interval: 10s")
        result = run_fulcrum(["--check", "-c", path, "--health-timeout", "6s"])
        self.assertEqual(result.returncode, 0, result.stderr)


class StartupTest(harness.TestCase):
    def test_port_in_use(self):
        holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(holder.close)
        holder.bind((harness.HOST, 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        result = run_fulcrum(["--mode", "sp", "-p", str(port), "--host", harness.HOST, "-b", "127.0.0.1:1", "--io", harness.IO])
        stderr = result.stderr.decode()
        self.assertGreater(result.returncode, 0, "exit %s (negative: killed by a signal); stderr %r" % (result.returncode, stderr))
        self.assertLess(result.returncode, 128, stderr)
        self.assertIn("in use", stderr.lower())
        self.assertNotIn("Sanitizer", stderr)

    # The default probe timeout (2 s) yields to a shorter --health-interval over a file as it
    # does alone: probes of a backend that answers in 1 s time out.
    def test_health_interval_over_a_file_cuts_the_default_timeout(self):
        backend = self.start_backend(id="slow-probes")
        path = pool_file(self, backend.port, "path: /delay/1000")
        proxy = self.start_proxy([], ["-c", path, "--health-interval", "300ms"])
        self.assertTrue(harness.wait_until(lambda: "up -> down (probe: timeout)" in proxy.output(), timeout=20), proxy.output())

    def test_every_duration_and_size_form_is_accepted(self):
        backend = self.start_backend(id="forms")
        proxy = self.start_proxy(
            [backend],
            [
                "--client-header-timeout", "10s",
                "--client-idle-timeout", "2m",
                "--connect-timeout", "500ms",
                "--backend-timeout", "30",
                "--pool-idle-timeout", "1m",
                "--drain-timeout", "5s",
                "--tunnel-timeout", "1h",
                "--max-header-size", "64k",
                "--max-headers", "50",
                "--max-request-line", "16384",
            ],
        )
        self.assertEqual(harness.http_request(proxy.port, "GET", "/").json()["server"], "forms")

    def test_size_in_megabytes(self):
        backend = self.start_backend(id="mb")
        proxy = self.start_proxy([backend], ["--max-header-size", "1m"])
        self.assertEqual(harness.http_request(proxy.port, "GET", "/").json()["server"], "mb")


if __name__ == "__main__":
    import unittest

    unittest.main()

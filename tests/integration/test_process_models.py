"""The process models: mp (a master and worker processes) and mt (worker threads), with crash
recovery, reloads and a pid file."""

import os
import shutil
import signal
import socket
import tempfile
import time

import harness
import procfs
from harness import HOST


def children_of(pid):
    """Pids of the live processes whose parent is pid."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return sorted(found)


def stop_foreign_process(pid):
    """Ends a process this test started indirectly (not its child), by pid."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def loop_ready(pid):
    """Whether the worker pid has set up its event loop (it accepts just after)."""
    return any(t in ("anon_inode:[io_uring]", "anon_inode:[eventpoll]") for t in procfs.fd_targets(pid))


def pipes_of(pid):
    """The pipes pid itself (not its children) holds open."""
    pipes = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("pipe:"):
            pipes.append(target)
    return sorted(pipes)


class MultiProcessTest(harness.TestCase):
    def temp_dir(self):
        path = tempfile.mkdtemp(prefix="fulcrum-it-")
        self.addCleanup(shutil.rmtree, path, True)
        return path

    def start_mp(self, workers=2, extra=()):
        """fulcrum in mp mode in front of one fulcrum-backend (self.backend), once every worker
        runs."""
        backend = self.backend = self.start_backend()
        proxy = self.start_proxy([backend], ["--mode", "mp", "-w", str(workers), "-l", "info"] + list(extra))
        self.assertTrue(harness.wait_until(lambda: len(children_of(proxy.pid)) == workers, timeout=20), proxy.output())
        # And once each has set up its loop, just before it accepts: a worker still starting (slow
        # under ASan) would leave every connection of a test's load to the other one.
        self.assertTrue(harness.wait_until(lambda: all(loop_ready(p) for p in children_of(proxy.pid)), timeout=20),
                        proxy.output())
        return proxy

    def test_killed_worker_is_replaced_and_other_connections_never_fail(self):
        proxy = self.start_mp(workers=2)
        # Connections spread over both workers; the ones on the surviving worker must not notice.
        threads = 16  # so that both workers get some (SO_REUSEPORT hashes connections)
        load = harness.KeepAliveLoad(proxy.port, threads=threads)
        self.addCleanup(load.stop)
        self.assertTrue(harness.wait_until(lambda: all(n > 0 for n in load.ok), timeout=20))
        victim, survivor = children_of(proxy.pid)
        os.kill(victim, signal.SIGKILL)
        self.assertTrue(harness.wait_until(lambda: len(children_of(proxy.pid)) == 2 and victim not in children_of(proxy.pid), timeout=10),
                        "no replacement worker: %s" % proxy.output())
        self.assertIn(survivor, children_of(proxy.pid))
        # Connections of the killed worker were reset (they fail once and stop); every other one
        # goes on being answered.
        before = list(load.ok)
        self.assertTrue(harness.wait_until(
            lambda: all(i in load.failed() or load.ok[i] > before[i] for i in range(threads)), timeout=20), load.failures)
        load.stop()
        self.assertLess(len(load.failed()), threads, "every connection was on the killed worker")
        self.assertEqual(len(load.failures), len(load.failed()))  # one failure per connection at most
        for _, failure in load.failures:
            self.assertRegex(failure, "Reset|RemoteDisconnected|BrokenPipe|IncompleteRead|BadStatusLine", failure)
        self.assertIn("was killed by signal 9", proxy.output())
        # New connections are served by both workers again.
        for _ in range(20):
            self.assertEqual(harness.http_request(proxy.port, "GET", "/after").status, 200)

    def test_crash_loop_is_throttled(self):
        proxy = self.start_mp(workers=1)
        worker = children_of(proxy.pid)[0]
        gaps = []  # from a kill to the next worker's start
        for _ in range(6):
            os.kill(worker, signal.SIGKILL)
            killed_at = time.monotonic()
            self.assertTrue(harness.wait_until(lambda: children_of(proxy.pid) not in ([], [worker]), timeout=40), proxy.output())
            gaps.append(time.monotonic() - killed_at)
            worker = children_of(proxy.pid)[0]
        # The first four quick exits restart at once; from the fifth on the wait is 1 s, then 2 s.
        self.assertLess(max(gaps[:4]), 0.9, gaps)
        self.assertGreaterEqual(gaps[4], 0.9, gaps)
        self.assertGreaterEqual(gaps[5], 1.8, gaps)
        self.assertIn("keeps exiting", proxy.output())
        self.assertEqual(harness.http_request(proxy.port, "GET", "/").status, 200)

    def test_reload_under_load_fails_no_request(self):
        proxy = self.start_mp(workers=2)
        load = harness.KeepAliveLoad(proxy.port, threads=4)
        self.addCleanup(load.stop)
        self.assertTrue(harness.wait_until(lambda: load.total() > 100, timeout=20))
        workers = sorted(children_of(proxy.pid))
        for reload in range(2):
            mark = load.total()
            proxy.send_signal(signal.SIGHUP)
            # Each worker loads the configuration in place (keeping its backends' connections).
            self.assertTrue(harness.wait_until(lambda: proxy.output().count("reloaded:") == 2 * (reload + 1), timeout=10), proxy.output())
            self.assertTrue(harness.wait_until(lambda: load.total() > mark + 200, timeout=20))
        load.stop()
        self.assertEqual(load.failures, [])
        self.assertEqual(sorted(children_of(proxy.pid)), workers)

    def test_binary_upgrade_under_load_fails_no_request(self):
        pid_file = os.path.join(self.temp_dir(), "fulcrum.pid")
        proxy = self.start_mp(workers=2, extra=["--pid-file", pid_file])
        load = harness.KeepAliveLoad(proxy.port, threads=4)
        self.addCleanup(load.stop)
        self.assertTrue(harness.wait_until(lambda: load.total() > 100, timeout=20))
        proxy.send_signal(signal.SIGUSR2)
        # The old master leaves once the new one runs and the old workers have drained.
        self.assertEqual(proxy.wait(30), 0, proxy.output())
        with open(pid_file) as f:
            successor = int(f.read())
        self.assertNotEqual(successor, proxy.pid)
        self.addCleanup(stop_foreign_process, successor)
        self.assertIn("is ready; draining the old workers", proxy.output())
        mark = load.total()
        self.assertTrue(harness.wait_until(lambda: load.total() > mark + 200, timeout=20))
        load.stop()
        self.assertEqual(load.failures, [])
        self.assertEqual(harness.http_request(proxy.port, "GET", "/after").status, 200)
        os.kill(successor, signal.SIGTERM)
        self.assertTrue(harness.wait_until(lambda: not os.path.exists("/proc/%d" % successor), timeout=20))
        self.assertFalse(os.path.exists(pid_file))

    def test_the_upgraded_generation_holds_no_pipe_of_the_upgrade(self):
        # The pipe on which a new master reports ready: held open by its workers, it would hide
        # from the old master the end of file that says the new one failed.
        pid_file = os.path.join(self.temp_dir(), "fulcrum.pid")
        proxy = self.start_mp(workers=1, extra=["--pid-file", pid_file])
        inherited = pipes_of(proxy.pid)  # whatever the test's own environment passed down
        self.assertEqual(pipes_of(children_of(proxy.pid)[0]), inherited)
        proxy.send_signal(signal.SIGUSR2)
        self.assertEqual(proxy.wait(30), 0, proxy.output())
        with open(pid_file) as f:
            successor = int(f.read())
        self.addCleanup(stop_foreign_process, successor)
        self.assertTrue(harness.wait_until(
            lambda: len(children_of(successor)) == 1 and loop_ready(children_of(successor)[0]), timeout=20))
        self.assertEqual(pipes_of(successor), inherited)
        self.assertEqual(pipes_of(children_of(successor)[0]), inherited)
        self.assertEqual(harness.http_request(proxy.port, "GET", "/").status, 200)

    def test_a_failed_upgrade_gives_the_pid_file_back_to_the_old_master(self):
        # The new master writes the pid file as it starts; one that then fails (here: a listen
        # address added to the file is taken) removes it as it ends, and the old master, which
        # stays, must write it again, or nothing would name the running master.
        backend = self.start_backend()
        port = harness.free_port()
        taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(taken.close)
        taken.bind((HOST, 0))
        taken.listen()
        config = 'listen: [%s]\npools:\n  web:\n    backends: ["%s"]\n'
        path = harness.write_temp_file(config % ('"%s:%d"' % (HOST, port), backend.address))
        self.addCleanup(os.unlink, path)
        pid_file = os.path.join(self.temp_dir(), "fulcrum.pid")
        proxy = self._track(harness.FileOnlyProxy(path, port, ["--pid-file", pid_file], mode="mp"))
        self.assertTrue(harness.wait_until(lambda: "worker 0 started" in proxy.output(), timeout=20), proxy.output())
        with open(path, "w") as f:
            f.write(config % ('"%s:%d", "%s:%d"' % (HOST, port, HOST, taken.getsockname()[1]), backend.address))
        proxy.send_signal(signal.SIGUSR2)
        self.assertTrue(harness.wait_until(lambda: "ended before it was ready; this one stays" in proxy.output(), timeout=30),
                        proxy.output())
        self.assertIn("Address already in use", proxy.output())
        with open(pid_file) as f:
            self.assertEqual(int(f.read()), proxy.pid)
        self.assertEqual(harness.http_request(port, "GET", "/").status, 200)
        proxy.send_signal(signal.SIGTERM)
        self.assertEqual(proxy.wait(20), 0, proxy.output())
        self.assertFalse(os.path.exists(pid_file))

    def test_an_upgrade_into_another_mode_is_refused_and_the_master_stays(self):
        backend = self.start_backend()
        # The mode comes from the file, so that the successor (the same command line) reads another.
        config = 'mode: %s\nworkers: 1\npools:\n  web:\n    backends: ["%s"]\n'
        path = harness.write_temp_file(config % ("mp", backend.address))
        self.addCleanup(os.unlink, path)
        proxy = self.start_proxy([], ["-c", path, "-l", "info"], mode=None)
        self.assertTrue(harness.wait_until(lambda: "worker 0 started" in proxy.output(), timeout=20), proxy.output())
        self.assertEqual(harness.http_request(proxy.port, "GET", "/").status, 200)
        with open(path, "w") as f:
            f.write(config % ("sp", backend.address))
        proxy.send_signal(signal.SIGUSR2)
        self.assertTrue(harness.wait_until(lambda: "ended before it was ready; this one stays" in proxy.output(), timeout=30),
                        proxy.output())
        self.assertIn("a binary upgrade needs mode mp, and the configuration now says sp", proxy.output())
        self.assertTrue(proxy.running())
        self.assertEqual(harness.http_request(proxy.port, "GET", "/").status, 200)

    def test_sigterm_drains_and_removes_the_pid_file(self):
        pid_file = os.path.join(self.temp_dir(), "fulcrum.pid")
        proxy = self.start_mp(workers=2, extra=["--pid-file", pid_file])
        with open(pid_file) as f:
            self.assertEqual(int(f.read()), proxy.pid)
        probe = self.stats_probe(self.backend)
        conn = self.connect(proxy)
        conn.send(harness.build_request("GET", "/delay/1000", host="h"))
        # Once the request is on its way, SIGTERM must not cut it.
        self.assertTrue(probe.wait_for_requests(1), "the request never reached the backend")
        proxy.send_signal(signal.SIGTERM)
        self.assertEqual(conn.read_response().status, 200)
        self.assertEqual(proxy.wait(15), 0, proxy.output())
        self.assertFalse(os.path.exists(pid_file))


    def test_workers_are_pinned_one_per_cpu_unless_told_not_to(self):
        cpus = len(os.sched_getaffinity(0))
        if cpus < 2:
            self.skipTest("pinning needs two CPUs to be observable; this machine has %d" % cpus)

        def allowed(pid):
            with open("/proc/%d/status" % pid) as f:
                return [line.split()[1] for line in f if line.startswith("Cpus_allowed_list:")][0]

        pinned = self.start_mp(workers=2)
        # A worker pins itself just after the fork: wait for both to have done so.
        lists = []
        harness.wait_until(lambda: lists.append(sorted(allowed(pid) for pid in children_of(pinned.pid)))
                           or (len(set(lists[-1])) == 2 and all(l.isdigit() for l in lists[-1])), timeout=10)
        self.assertEqual(len(set(lists[-1])), 2, lists[-1])
        self.assertTrue(all(l.isdigit() for l in lists[-1]), lists[-1])  # one CPU each
        free = self.start_mp(workers=2, extra=["--no-affinity"])
        self.assertEqual({allowed(pid) for pid in children_of(free.pid)}, {allowed(free.pid)})

    def test_sigquit_stops_at_once(self):
        proxy = self.start_mp(workers=1, extra=["--drain-timeout", "60s"])
        probe = self.stats_probe(self.backend)
        conn = self.connect(proxy)
        conn.send(harness.build_request("GET", "/hang", host="h"))
        self.assertTrue(probe.wait_for_requests(1), "the request never reached the backend")
        proxy.send_signal(signal.SIGQUIT)
        self.assertEqual(proxy.wait(10), 0, proxy.output())
        self.assertClosedWithin(conn, 5)


class MultiThreadTest(harness.TestCase):
    def test_threads_serve_and_drain(self):
        backend = self.start_backend()
        proxy = self.start_proxy([backend], ["--mode", "mt", "-w", "2", "-l", "info"])
        for _ in range(20):
            self.assertEqual(harness.http_request(proxy.port, "GET", "/").status, 200)
        self.assertIn("2 worker threads", proxy.output())
        probe = self.stats_probe(backend)
        conn = self.connect(proxy)
        conn.send(harness.build_request("GET", "/delay/1000", host="h"))
        self.assertTrue(probe.wait_for_requests(1), "the request never reached the backend")
        proxy.send_signal(signal.SIGTERM)
        self.assertEqual(conn.read_response().status, 200)
        self.assertEqual(proxy.wait(15), 0, proxy.output())


class UpgradeOutsideMultiProcessTest(harness.TestCase):
    """A binary upgrade takes a master (mp); SIGUSR2 to sp or mt is logged and changes nothing
    (its default action would have ended the process at once, without a drain)."""

    def test_sigusr2_is_refused_and_the_process_serves_on(self):
        backend = self.start_backend()
        for mode in ("sp", "mt"):
            with self.subTest(mode=mode):
                proxy = self.start_proxy([backend], ["--mode", mode, "-w", "1", "-l", "info"])
                proxy.send_signal(signal.SIGUSR2)
                self.assertTrue(harness.wait_until(lambda: "SIGUSR2: a binary upgrade takes --mode mp; ignored" in proxy.output(), timeout=10),
                                proxy.output())
                self.assertTrue(proxy.running())
                self.assertEqual(harness.http_request(proxy.port, "GET", "/").status, 200)
                proxy.send_signal(signal.SIGTERM)
                self.assertEqual(proxy.wait(15), 0, proxy.output())

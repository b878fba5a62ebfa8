"""fulcrum and fulcrum-backend as child processes: each on a free port, ready once it listens,
stopped by its own pid only, its output kept in a temporary file for diagnostics."""

import fcntl
import os
import re
import resource
import signal
import socket
import subprocess
import tempfile
import time

from environment import BACKEND_BIN, FULCRUM_BIN, HOST, IO, MODE, START_TIMEOUT, STOP_TIMEOUT
from procfs import alive, process_tree


def free_port():
    """A port that nothing listens on right now. Another process may take it before we bind it:
    the servers below retry with a new port when that happens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def free_ports(count):
    """count different ports that nothing listens on right now, as free_port() says. Each is
    held until all are chosen: two free_port() calls in a row may return the same port."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for s in sockets:
            s.bind((HOST, 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _listening_socket_inodes(port):
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(inode)
    return inodes


def _socket_inodes_of(pid):
    inodes = set()
    fd_dir = "/proc/%d/fd" % pid
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return inodes
    for name in names:
        try:
            link = os.readlink(os.path.join(fd_dir, name))
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[len("socket:[") : -1])
    return inodes


def is_listening(pid, port):
    """True when process pid holds a socket listening on port.

    Read from /proc instead of connecting, so that readiness checks neither count as connections
    in a backend's /stats nor get answered by some other process that took the port.
    """
    return bool(_listening_socket_inodes(port) & _socket_inodes_of(pid))


def _shares_port(pid, port):
    """True when a process outside pid's tree also listens on port."""
    listening = _listening_socket_inodes(port)
    for p in process_tree(pid):
        listening -= _socket_inodes_of(p)
    return bool(listening)


# The first line of every report of AddressSanitizer, LeakSanitizer, UndefinedBehaviorSanitizer and
# ThreadSanitizer. A sanitizer build may keep running after one (UBSan does by default), so the
# output is checked whatever the exit status.
_SANITIZER_REPORT = re.compile(
    r"^.*(ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer|runtime error: ).*$", re.M)


def sanitizer_report(output):
    """The sanitizer report in a process's output from its first line on, or None."""
    match = _SANITIZER_REPORT.search(output)
    return output[match.start() :] if match else None


def read_log(log):
    """Everything in a process's log file so far, read without moving the shared offset."""
    chunks, offset = [], 0
    while True:
        chunk = os.pread(log.fileno(), 1 << 20, offset)
        if not chunk:
            return b"".join(chunks).decode("utf-8", "replace")
        chunks.append(chunk)
        offset += len(chunk)


# --- Processes -------------------------------------------------------------------------------


class ServerProcess:
    """A child process serving on a free port; its stdout and stderr go to a temporary file."""

    name = "server"

    def __init__(self, nofile=None):
        self.proc = None
        self.port = None
        self.args = None
        self._log = None
        self._nofile = nofile  # its descriptor limit (RLIMIT_NOFILE), if not the one inherited

    def _command(self, port):
        raise NotImplementedError

    def _start(self, port=None):
        """Starts the process and returns once it listens. With port=None, picks a free port and
        retries with another one if the process lost a race for it."""
        attempts = 1 if port is not None else 5
        failures = []
        for _ in range(attempts):
            chosen = port if port is not None else free_port()
            log = tempfile.TemporaryFile(prefix="fulcrum-it-")
            # The process and its children share this file's offset: appending keeps their lines
            # from overwriting each other, and reads (read_log) leave the offset alone.
            fcntl.fcntl(log.fileno(), fcntl.F_SETFL, fcntl.fcntl(log.fileno(), fcntl.F_GETFL) | os.O_APPEND)
            args = self._command(chosen)
            proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    preexec_fn=self._set_limits if self._nofile else None)
            deadline = time.monotonic() + START_TIMEOUT
            while proc.poll() is None and not is_listening(proc.pid, chosen):
                if time.monotonic() >= deadline:
                    proc.kill()
                    proc.wait()
                    break
                time.sleep(0.01)
            if proc.poll() is None and port is None and _shares_port(proc.pid, chosen):
                # fulcrum binds with SO_REUSEPORT, so a process of a test running beside this one
                # that chose the same port at the same time shares it: the kernel would hand some
                # connections to that process (or reset them as it stops).
                proc.kill()
                proc.wait()
                log.close()
                failures.append("%s shared port %d with another process" % (" ".join(args), chosen))
                continue
            if proc.poll() is None:
                self.proc, self.port, self.args, self._log = proc, chosen, args, log
                return
            output = read_log(log)
            log.close()
            failures.append("%s exited with %s at startup:\n%s" % (" ".join(args), proc.returncode, output))
            if "in use" not in output.lower():
                break
        raise RuntimeError("%s did not start listening within %.0fs\n%s" % (self.name, START_TIMEOUT, "\n".join(failures)))

    def _set_limits(self):
        resource.setrlimit(resource.RLIMIT_NOFILE, (self._nofile, self._nofile))

    @property
    def pid(self):
        return self.proc.pid

    @property
    def address(self):
        return "%s:%d" % (HOST, self.port)

    @property
    def url(self):
        return "http://%s:%d" % (HOST, self.port)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, signo):
        if self.running():
            self.proc.send_signal(signo)

    def wait(self, timeout):
        """Waits for the process to exit; returns its exit status, or None on timeout."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        """SIGTERM, then SIGKILL if it does not exit in time: this process and the processes it
        started (an mp master's workers), each by its pid. A master exits only after its workers,
        so once stop() returns, nothing writes to the output any more: a sanitizer report from a
        worker is in it when it is checked, and no orphaned worker outlives the test."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._kill_tree()
        return self.proc.returncode

    def _kill_tree(self):
        # Stopped first, the process can start no other (a master replaces a worker that dies).
        self.proc.send_signal(signal.SIGSTOP)
        descendants = process_tree(self.proc.pid)[1:]
        self.proc.kill()
        self.proc.wait()
        for pid in descendants:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + STOP_TIMEOUT
        while any(alive(pid) for pid in descendants) and time.monotonic() < deadline:
            time.sleep(0.01)

    def output(self):
        if self._log is None or self._log.closed:
            return ""
        return read_log(self._log)

    def describe(self):
        return "%s (pid %s, port %s): %s" % (self.name, self.pid if self.proc else "-", self.port, " ".join(self.args or []))

    def close(self):
        self.stop()
        if self._log is not None:
            self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Backend(ServerProcess):
    """fulcrum-backend: echoes requests as JSON, plus /status, /delay, /bytes, /chunked, /close,
    /reset, /hang, /health and /stats."""

    name = "fulcrum-backend"

    def __init__(self, id=None, status=None, port=None, extra_args=()):
        super().__init__()
        self._id = id
        self._status = status
        self._extra_args = list(extra_args)
        self._start(port)

    @property
    def id(self):
        return self._id if self._id is not None else "backend-%d" % self.port

    def _command(self, port):
        args = [BACKEND_BIN, "--port", str(port), "--host", HOST]
        if self._id is not None:
            args += ["--id", self._id]
        if self._status is not None:
            args += ["--status", str(self._status)]
        return args + ["--io", IO] + self._extra_args


def backend_address(backend):
    """HOST:PORT for -b, from a Backend, a ScriptedBackend, a port number or a string."""
    if isinstance(backend, int):
        return "%s:%d" % (HOST, backend)
    if isinstance(backend, str):
        return backend
    return backend.address


class Proxy(ServerProcess):
    """fulcrum in the process model under test (environment.MODE) in front of the given backends."""

    name = "fulcrum"

    def __init__(self, backends, extra_args=(), nofile=None, mode=MODE):
        """mode None: none on the command line (a configuration file's, or the default)."""
        super().__init__(nofile)
        self._backends = [backend_address(b) for b in backends]
        self._extra_args = list(extra_args)
        self._mode = mode
        self._start()

    def _command(self, port):
        args = [FULCRUM_BIN, "-p", str(port), "--host", HOST]
        # Probes would add requests that the scenarios do not expect; the health tests ask
        # for them.
        if not any(a.startswith("--health") or a.endswith("-threshold") for a in self._extra_args):
            args += ["--no-health-checks"]
        if self._mode and "--mode" not in self._extra_args:
            args += ["--mode", self._mode]
            if self._mode != "sp" and not any(a in ("-w", "--workers") for a in self._extra_args):
                args += ["-w", "1"]
        for b in self._backends:
            args += ["-b", b]
        return args + ["--io", IO, "-l", "warn"] + self._extra_args


class FileOnlyProxy(ServerProcess):
    """fulcrum started with a configuration file and no listen or backend flags, so that the
    file's own listen addresses are used; `port` is one of them, to wait for."""

    name = "fulcrum"

    def __init__(self, config_path, port, extra_args=(), mode=MODE):
        super().__init__()
        self._config_path = config_path
        self._extra_args = list(extra_args)
        self._mode = mode
        self._start(port)

    def _command(self, port):
        args = [FULCRUM_BIN, "-c", self._config_path, "--mode", self._mode, "--io", IO, "-l", "info"]
        if self._mode != "sp":
            args += ["-w", "1"]
        return args + self._extra_args


def run_fulcrum(args, timeout=30.0):
    """Runs fulcrum with exactly these arguments to completion (for command-line tests). Raises
    AssertionError if a sanitizer reported an error."""
    result = subprocess.run([FULCRUM_BIN] + list(args), stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    report = sanitizer_report(result.stderr.decode("utf-8", "replace"))
    if report:
        raise AssertionError("fulcrum %s: sanitizer report:\n%s" % (" ".join(args), report))
    return result

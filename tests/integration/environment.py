"""Where the binaries are, which I/O backend is under test, and the deadlines every test uses.

Set by ctest (tests/CMakeLists.txt): FULCRUM_BIN, FULCRUM_BACKEND_BIN, FULCRUM_IO (uring or epoll),
FULCRUM_MODE (sp, mt or mp).
When FULCRUM_IO=uring and the kernel refuses io_uring, importing this module exits with 77, which
ctest reports as skipped (DESIGN principle 7: skip with a reason, never pass silently).
"""

import ctypes
import os
import sys

_REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FULCRUM_BIN = os.environ.get("FULCRUM_BIN", os.path.join(_REPO, "build", "fulcrum"))
BACKEND_BIN = os.environ.get("FULCRUM_BACKEND_BIN", os.path.join(_REPO, "build", "fulcrum-backend"))
IO = os.environ.get("FULCRUM_IO", "epoll")
# The process model every Proxy runs in (sp, mt or mp); mt and mp run one worker so that the
# scenarios that count per worker (round-robin order, failures before a backend is down) hold.
MODE = os.environ.get("FULCRUM_MODE", "sp")

HOST = "127.0.0.1"
START_TIMEOUT = 20.0  # a process must listen within this (busy machine, maybe sanitizers)
STOP_TIMEOUT = 15.0  # after SIGTERM, before SIGKILL
IO_TIMEOUT = 20.0  # any single socket operation of a test
SKIP_EXIT_CODE = 77

MiB = 1024 * 1024



def _io_uring_refusal():
    """Returns why io_uring cannot be set up in this process, or None if it can.

    Calls io_uring_setup (syscall 425 on every Linux architecture) for a 4-entry ring: a kernel
    can have io_uring compiled in and still refuse it (seccomp, kernel.io_uring_disabled).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    params = ctypes.create_string_buffer(120)  # sizeof(struct io_uring_params)
    fd = libc.syscall(ctypes.c_long(425), ctypes.c_uint(4), params)
    if fd < 0:
        return "io_uring_setup failed: " + os.strerror(ctypes.get_errno())
    os.close(fd)
    return None


def _exit_if_io_backend_unavailable():
    if IO != "uring":
        return
    reason = _io_uring_refusal()
    if reason:
        print("SKIP: FULCRUM_IO=uring but %s" % reason, file=sys.stderr)
        sys.exit(SKIP_EXIT_CODE)


_exit_if_io_backend_unavailable()

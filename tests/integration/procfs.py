"""What /proc says about a server under test and the processes it started (mp workers): resident
memory, open descriptors and CPU time, summed over the tree."""

import os

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    """The fields of /proc/PID/stat after the command name (state first), or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def alive(pid):
    """True while pid runs: neither gone nor a zombie waiting for its parent."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def process_tree(pid):
    """pid and its live descendants."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None and fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    return tree


def rss_kib(pid):
    """VmRSS of pid and its descendants, in KiB."""
    total = 0
    for p in process_tree(pid):
        try:
            with open("/proc/%d/status" % p) as f:
                total += sum(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        except OSError:
            pass
    return total


def fd_targets(pid):
    """What the open descriptors of pid and its descendants point at ("socket:[...]", "pipe:[...]",
    paths)."""
    targets = []
    for p in process_tree(pid):
        try:
            fds = os.listdir("/proc/%d/fd" % p)
        except OSError:
            continue
        for fd in fds:
            try:
                targets.append(os.readlink("/proc/%d/fd/%s" % (p, fd)))
            except OSError:
                pass
    return targets


def fd_count(pid):
    """Open descriptors of pid and its descendants."""
    return len(fd_targets(pid))


def pipe_count(pid):
    """The pipe descriptors among them (the pipes that bodies are spliced through are kept)."""
    return sum(1 for t in fd_targets(pid) if t.startswith("pipe:"))


def cpu_seconds(pid):
    """User and system CPU time of pid and its live descendants, in seconds."""
    ticks = 0
    for p in process_tree(pid):
        fields = _stat_fields(p)
        if fields is not None:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / CLOCK_TICKS

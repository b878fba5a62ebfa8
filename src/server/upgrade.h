#pragma once
// Binary upgrade (SIGUSR2), as nginx does it: the running master starts the executable again
// (possibly a new build at the same path) with its listening sockets inherited and named in an
// environment variable, and with the region of backend health and counters that its workers
// share (upstream/shared_state.h), so that the new generation goes on from the old one's health
// states instead of taking every backend for up. The new master reports ready on a pipe once its
// workers run; the old master then drains its workers and exits. The sockets stay open
// throughout, so the port never refuses a connection.
#include <sys/types.h>

#include <string>
#include <vector>

namespace fulcrum::server {

// The listening sockets handed down by an upgrading master (matched to listeners by the address
// they are bound to); empty when this
// process was started normally. Clears the environment variable so that it is not passed on.
std::vector<int> inherited_listeners();

// Whether this process was started by an upgrading master (before inherited_listeners() reads
// what it handed down).
bool started_by_upgrade();

// The descriptor of the shared-state region handed down by an upgrading master, or -1 when this
// process was started normally. Clears the environment variable so that it is not passed on.
int inherited_shared_state();

// In the new master, before it forks workers: the pipe on which it reports ready, or -1 when not
// upgrading. Close-on-exec, and the workers close it: the old master learns of a failure from the
// pipe's end of file, which one end left open elsewhere would keep from coming.
int take_ready_fd();

// Tells the old master that the workers run, and closes fd (no-op for -1).
void report_ready(int fd);

// Starts `executable` with argv, the sockets fds and the shared-state region shared_fd (-1: none)
// inherited. Returns the read end of the pipe on which the successor reports ready (a byte) or
// fails (end of file), or -1 with *error set; *pid is the successor's pid.
int start_successor(const std::string& executable, char** argv, const std::vector<int>& fds,
                    int shared_fd, pid_t* pid, std::string* error);

// The absolute path of the running executable as started (argv[0]), so that an upgrade runs the
// binary now at that path, not the running one.
std::string executable_path(const char* argv0);

}  // namespace fulcrum::server

#pragma once
// Multi-threaded mode: one process, one thread per worker, each with its own loop and its own
// SO_REUSEPORT listening socket. Nothing on the request path is shared between the threads.
#include "config/config.h"
#include "server/worker_main.h"

namespace fulcrum::server {

// Runs the worker threads until they have drained after SIGTERM or SIGINT (a second signal, or
// SIGQUIT, stops them at once). SIGHUP loads the configuration with `load` once, and every
// thread puts it in force. signal_fd reads those signals. Returns the exit status.
int run_threads(const config::Config& config, int signal_fd, ConfigLoader load);

}  // namespace fulcrum::server

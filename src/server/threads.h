#pragma once
// Multi-threaded mode: one process, one thread per worker, each with its own loop and its own
// SO_REUSEPORT listening socket. Nothing on the request path is shared between the threads.
#include "config/config.h"

namespace fulcrum::server {

// Runs the worker threads until they have drained after SIGTERM or SIGINT (a second signal, or
// SIGQUIT, stops them at once). signal_fd reads those signals. Returns the exit status.
int run_threads(const config::Config& config, int signal_fd);

}  // namespace fulcrum::server

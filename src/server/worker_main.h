#pragma once
// Running one worker on this thread: its loop, its Worker, and the channel that tells it to
// drain or stop. The three process models (sp, mp, mt) all run their workers through this.
#include "config/config.h"

namespace fulcrum::server {

enum class Control {
  kSignals,   // control_fd is a signalfd: SIGTERM or SIGINT drains, SIGQUIT or a second one stops
  kCommands,  // control_fd reads a pipe: 'd' drains, 'q' stops
};
inline constexpr char kDrainCommand = 'd';
inline constexpr char kStopCommand = 'q';

// Runs until the worker has drained or is told to stop. Takes ownership of listen_fd (see
// Worker). Returns the exit status: 0, or 1 if the event loop cannot be set up.
int run_worker(const config::Config& config, int listen_fd, int control_fd, Control control);

}  // namespace fulcrum::server

#pragma once
// Running one worker on this thread: its loop, its Worker, and the channel that tells it to
// drain or stop. The three process models (sp, mp, mt) all run their workers through this.
#include <functional>
#include <memory>
#include <vector>

#include "config/config.h"
#include "server/config_watcher.h"

namespace fulcrum::server {

enum class Control {
  // control_fd is a signalfd: SIGTERM or SIGINT drains, SIGQUIT or a second one stops, SIGHUP
  // reloads
  kSignals,
  kCommands,  // control_fd reads a pipe: 'd' drains, 'q' stops, 'r' reloads
};
inline constexpr char kDrainCommand = 'd';
inline constexpr char kStopCommand = 'q';
inline constexpr char kReloadCommand = 'r';

// What a reload puts in force: the configuration loaded anew, or nullptr when it does not load
// (the loader has logged why; the running configuration stays).
using ConfigLoader = std::function<std::shared_ptr<const config::Config>()>;
// The loader that reads the command line again (and the file it names).
ConfigLoader command_line_loader(int argc, char** argv);

// Runs until the worker has drained or is told to stop. Takes ownership of listen_fds (see
// Worker). A change that `watcher` (if not null) sees reloads too. Returns the exit status: 0,
// or 1 if the event loop cannot be set up.
int run_worker(std::shared_ptr<const config::Config> config, std::vector<int> listen_fds,
               int control_fd, Control control, ConfigLoader reload,
               ConfigWatcher* watcher = nullptr);

}  // namespace fulcrum::server

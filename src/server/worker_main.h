#pragma once
// Running one worker on this thread: its loop, its Worker, and the channel that tells it to
// drain or stop. The three process models (sp, mp, mt) all run their workers through this.
#include <functional>
#include <memory>
#include <vector>

#include "config/config.h"
#include "server/config_watcher.h"
#include "upstream/shared_state.h"

namespace fulcrum::server {

enum class Control {
  // control_fd is a signalfd: SIGTERM or SIGINT drains, SIGQUIT or a second one stops, SIGHUP
  // reloads, SIGUSR1 logs the counters, SIGUSR2 (an upgrade, which takes mp) is logged and ignored
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

// What a worker runs with.
struct WorkerSetup {
  std::shared_ptr<const config::Config> config;
  // Listening sockets, one per listener; the worker owns them (see Worker).
  std::vector<int> listen_fds;
  int control_fd = -1;
  Control control = Control::kSignals;
  ConfigLoader reload;
  upstream::SharedState* shared = nullptr;  // the instance's health and counters
  bool prober = false;                      // this worker runs the instance's health probes
  ConfigWatcher* watcher = nullptr;         // when not null, a change it sees reloads too
};

// Runs until the worker has drained or is told to stop. Returns the exit status: 0, or 1 if
// the event loop cannot be set up.
int run_worker(WorkerSetup setup);

}  // namespace fulcrum::server

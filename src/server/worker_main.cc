#include "server/worker_main.h"

#include <signal.h>
#include <sys/signalfd.h>

#include <cstdio>

#include "base/log.h"
#include "base/task.h"
#include "config/cli.h"
#include "io/loop.h"
#include "server/worker.h"

namespace fulcrum::server {
namespace {

struct Controlled {
  Worker& worker;
  ConfigLoader& load;
  bool draining = false;

  void reload() {
    if (draining) return;
    if (auto config = load()) worker.reload(std::move(config));
  }

  void drain_or_stop(bool stop) {
    if (stop || draining) {
      worker.stop();
      return;
    }
    draining = true;
    worker.drain();
  }
};

base::Task<void> read_signals(io::Loop& loop, int fd, Controlled& target) {
  signalfd_siginfo info;
  for (;;) {
    int n = co_await loop.read(fd, reinterpret_cast<char*>(&info), sizeof info);
    if (n != static_cast<int>(sizeof info)) co_return;
    auto signo = static_cast<int>(info.ssi_signo);
    if (signo == SIGHUP) {
      target.reload();
      continue;
    }
    if (signo == SIGUSR1) {
      target.worker.log_stats();
      continue;
    }
    if (signo == SIGUSR2) {
      LOG_WARN("SIGUSR2: a binary upgrade takes --mode mp; ignored");
      continue;
    }
    LOG_INFO("signal %d: %s", signo,
             signo == SIGQUIT || target.draining ? "stopping now" : "draining");
    target.drain_or_stop(signo == SIGQUIT);
  }
}

base::Task<void> read_commands(io::Loop& loop, int fd, Controlled& target) {
  char command;
  for (;;) {
    int n = co_await loop.read(fd, &command, 1);
    if (n != 1) co_return;
    if (command == kReloadCommand) {
      target.reload();
    } else {
      target.drain_or_stop(command == kStopCommand);
    }
  }
}

base::Task<void> read_file_changes(io::Loop& loop, ConfigWatcher& watcher, Controlled& target) {
  std::vector<char> events(ConfigWatcher::kEventBufferSize);
  for (;;) {
    int n = co_await loop.read(watcher.fd(), events.data(), events.size());
    if (n <= 0) co_return;
    if (watcher.concerns_file(events.data(), static_cast<size_t>(n))) {
      LOG_INFO("the configuration file changed: reloading");
      target.reload();
    }
  }
}

}  // namespace

ConfigLoader command_line_loader(int argc, char** argv) {
  return [argc, argv]() -> std::shared_ptr<const config::Config> {
    config::Config fresh;
    if (config::parse_command_line(argc, argv, &fresh) >= 0) {
      LOG_ERROR("reload: the configuration does not load; the running one stays");
      return nullptr;
    }
    return std::make_shared<const config::Config>(std::move(fresh));
  };
}

int run_worker(WorkerSetup setup) {
  std::string error;
  auto loop = io::Loop::create(setup.config->io, &error);
  if (!loop) {
    LOG_ERROR("cannot set up the event loop: %s", error.c_str());
    return 1;
  }
  Worker worker(*loop, *setup.shared, setup.prober, std::move(setup.config),
                std::move(setup.listen_fds));
  Controlled target{worker, setup.reload};
  // Accepting first: a signal already pending (one sent just after the fork) is read at once
  // when the control reader starts, and its drain must find the accepts to cancel.
  worker.start();
  base::TaskGroup control_reader;  // destroyed before the worker and the loop
  control_reader.start(setup.control == Control::kSignals
                           ? read_signals(*loop, setup.control_fd, target)
                           : read_commands(*loop, setup.control_fd, target));
  if (setup.watcher && setup.watcher->fd() >= 0) {
    control_reader.start(read_file_changes(*loop, *setup.watcher, target));
  }
  LOG_DEBUG("worker running on %s", std::string(loop->name()).c_str());
  loop->run();
  return 0;
}

}  // namespace fulcrum::server

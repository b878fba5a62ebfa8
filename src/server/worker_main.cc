#include "server/worker_main.h"

#include <signal.h>
#include <sys/signalfd.h>

#include <cstdio>

#include "base/log.h"
#include "base/task.h"
#include "io/loop.h"
#include "server/worker.h"

namespace fulcrum::server {
namespace {

struct Controlled {
  Worker& worker;
  bool draining = false;

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
      LOG_WARN("SIGHUP: reloading is available in --mode mp only");
      continue;
    }
    LOG_INFO("signal %d: %s", signo, signo == SIGQUIT || target.draining ? "stopping now" : "draining");
    target.drain_or_stop(signo == SIGQUIT);
  }
}

base::Task<void> read_commands(io::Loop& loop, int fd, Controlled& target) {
  char command;
  for (;;) {
    int n = co_await loop.read(fd, &command, 1);
    if (n != 1) co_return;
    target.drain_or_stop(command == kStopCommand);
  }
}

}  // namespace

int run_worker(const config::Config& config, int listen_fd, int control_fd, Control control) {
  std::string error;
  auto loop = io::Loop::create(config.io, &error);
  if (!loop) {
    LOG_ERROR("cannot set up the event loop: %s", error.c_str());
    return 1;
  }
  Worker worker(*loop, config, listen_fd);
  Controlled target{worker};
  base::TaskGroup control_reader;  // destroyed before the worker and the loop
  control_reader.start(control == Control::kSignals ? read_signals(*loop, control_fd, target)
                                                    : read_commands(*loop, control_fd, target));
  worker.start();
  LOG_DEBUG("worker running on %s", std::string(loop->name()).c_str());
  loop->run();
  return 0;
}

}  // namespace fulcrum::server

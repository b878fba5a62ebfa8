#include "server/threads.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <mutex>
#include <thread>
#include <vector>

#include "base/log.h"
#include "base/signals.h"
#include "server/affinity.h"
#include "server/config_watcher.h"
#include "server/listeners.h"
#include "server/worker_main.h"
#include "upstream/stats.h"

namespace fulcrum::server {

int run_threads(const config::Config& config, int signal_fd, ConfigLoader load) {
  std::string error;
  std::vector<int> cpus = usable_cpus();
  size_t count = config.workers ? config.workers : cpus.size();
  std::vector<std::vector<int>> listen_fds(count);
  for (std::vector<int>& fds : listen_fds) {
    if (!open_listeners(config, &fds, &error)) {
      LOG_ERROR("cannot listen on %s", error.c_str());
      return 1;
    }
  }
  upstream::SharedState shared;
  // What the last reload loaded; each thread takes it when told to reload.
  std::mutex reloaded_mutex;
  auto reloaded = std::make_shared<const config::Config>(config);
  ConfigLoader take_reloaded = [&] {
    std::lock_guard lock(reloaded_mutex);
    return reloaded;
  };
  // Each thread reads its commands from a pipe and reports its end on a shared one.
  int done[2];
  if (::pipe2(done, O_CLOEXEC) != 0) return 1;
  std::vector<int> command_fds;
  std::vector<std::thread> threads;
  for (size_t i = 0; i < count; ++i) {
    int commands[2];
    if (::pipe2(commands, O_CLOEXEC | O_NONBLOCK) != 0) return 1;
    command_fds.push_back(commands[1]);
    threads.emplace_back([&, i, initial = reloaded, read_fd = commands[0], done_fd = done[1]] {
      if (config.pin_workers) pin_to_cpu(cpus[i % cpus.size()]);
      run_worker({.config = initial,
                  .listen_fds = std::move(listen_fds[i]),
                  .control_fd = read_fd,
                  .control = Control::kCommands,
                  .reload = take_reloaded,
                  .shared = &shared,
                  .prober = i == 0});
      char byte = 'x';
      ssize_t ignored = ::write(done_fd, &byte, 1);
      (void)ignored;
    });
  }
  LOG_INFO("fulcrum %s listening on %s with %zu worker threads", FULCRUM_VERSION,
           listeners_text(config).c_str(), count);

  auto tell_threads = [&](char command) {
    for (int fd : command_fds) {
      ssize_t ignored = ::write(fd, &command, 1);
      (void)ignored;
    }
  };
  auto reload = [&] {
    auto fresh = load();
    if (!fresh) return;
    {
      std::lock_guard lock(reloaded_mutex);
      reloaded = std::move(fresh);
    }
    tell_threads(kReloadCommand);
  };
  ConfigWatcher watcher(config);
  size_t finished = 0;
  int signals = 0;
  while (finished < count) {
    pollfd fds[3] = {{signal_fd, POLLIN, 0}, {done[0], POLLIN, 0}, {watcher.fd(), POLLIN, 0}};
    ::poll(fds, watcher.fd() >= 0 ? 3 : 2, -1);
    char byte;
    if ((fds[1].revents & POLLIN) && ::read(done[0], &byte, 1) == 1) ++finished;
    if (watcher.fd() >= 0 && (fds[2].revents & POLLIN) && watcher.changed()) {
      LOG_INFO("the configuration file changed: reloading");
      reload();
    }
    signalfd_siginfo info;
    while (::read(signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      auto signo = static_cast<int>(info.ssi_signo);
      if (signo == SIGHUP) {
        reload();
        continue;
      }
      if (signo == SIGUSR1) {
        std::lock_guard lock(reloaded_mutex);
        upstream::log_stats(*reloaded, shared);
        continue;
      }
      if (signo == SIGUSR2) {
        LOG_WARN("SIGUSR2: a binary upgrade takes --mode mp; ignored");
        continue;
      }
      char command = signo == SIGQUIT || ++signals > 1 ? kStopCommand : kDrainCommand;
      LOG_INFO("signal %d: %s", signo, command == kStopCommand ? "stopping now" : "draining");
      tell_threads(command);
    }
  }
  for (auto& t : threads) t.join();
  LOG_INFO("stopped");
  return 0;
}

}  // namespace fulcrum::server

#include "server/threads.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "base/log.h"
#include "base/signals.h"
#include "net/socket.h"
#include "server/affinity.h"
#include "server/worker_main.h"

namespace fulcrum::server {

int run_threads(const config::Config& config, int signal_fd) {
  std::string error;
  net::Address address;
  if (!net::resolve(config.listen_host, config.port, &address, &error)) {
    LOG_ERROR("--host: %s", error.c_str());
    return 2;
  }
  std::vector<int> cpus = usable_cpus();
  size_t count = config.workers ? config.workers : cpus.size();
  std::vector<int> listen_fds;
  for (size_t i = 0; i < count; ++i) {
    int fd = net::listen_on(address, 4096, &error);
    if (fd < 0) {
      LOG_ERROR("cannot listen on %s", error.c_str());
      return 1;
    }
    listen_fds.push_back(fd);
  }
  // Each thread reads its commands from a pipe and reports its end on a shared one.
  int done[2];
  if (::pipe2(done, O_CLOEXEC) != 0) return 1;
  std::vector<int> command_fds;
  std::vector<std::thread> threads;
  for (size_t i = 0; i < count; ++i) {
    int commands[2];
    if (::pipe2(commands, O_CLOEXEC | O_NONBLOCK) != 0) return 1;
    command_fds.push_back(commands[1]);
    threads.emplace_back([&config, &cpus, i, listen_fd = listen_fds[i], read_fd = commands[0],
                          done_fd = done[1]] {
      if (config.pin_workers) pin_to_cpu(cpus[i % cpus.size()]);
      run_worker(config, listen_fd, read_fd, Control::kCommands);
      char byte = 'x';
      ssize_t ignored = ::write(done_fd, &byte, 1);
      (void)ignored;
    });
  }
  LOG_INFO("fulcrum %s listening on %s with %zu worker threads", FULCRUM_VERSION,
           address.to_string().c_str(), count);

  size_t finished = 0;
  int signals = 0;
  while (finished < count) {
    pollfd fds[2] = {{signal_fd, POLLIN, 0}, {done[0], POLLIN, 0}};
    ::poll(fds, 2, -1);
    char byte;
    if ((fds[1].revents & POLLIN) && ::read(done[0], &byte, 1) == 1) ++finished;
    signalfd_siginfo info;
    while (::read(signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      auto signo = static_cast<int>(info.ssi_signo);
      if (signo == SIGHUP) {
        LOG_WARN("SIGHUP: reloading is available in --mode mp only");
        continue;
      }
      char command = signo == SIGQUIT || ++signals > 1 ? kStopCommand : kDrainCommand;
      LOG_INFO("signal %d: %s", signo, command == kStopCommand ? "stopping now" : "draining");
      for (int fd : command_fds) {
        ssize_t ignored = ::write(fd, &command, 1);
        (void)ignored;
      }
    }
  }
  for (auto& t : threads) t.join();
  LOG_INFO("stopped");
  return 0;
}

}  // namespace fulcrum::server

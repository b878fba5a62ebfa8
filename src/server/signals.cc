#include "server/signals.h"

#include <sys/signalfd.h>

#include <csignal>

namespace fulcrum::server {

int block_signals(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) return -1;
  return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

base::Task<void> dispatch_signals(io::Loop& loop, int fd, void (*on_signal)(void*, int),
                                  void* arg) {
  signalfd_siginfo info;
  for (;;) {
    int n = co_await loop.read(fd, reinterpret_cast<char*>(&info), sizeof info);
    if (n != static_cast<int>(sizeof info)) co_return;
    on_signal(arg, static_cast<int>(info.ssi_signo));
  }
}

}  // namespace fulcrum::server

#include "base/signals.h"

#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>

namespace fulcrum::base {

int block_signals(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) return -1;
  return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

}  // namespace fulcrum::base

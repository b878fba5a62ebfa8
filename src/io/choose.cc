// Picks the I/O backend at run time by actually setting one up: a kernel may have io_uring
// compiled in yet refuse it (seccomp in containers, kernel.io_uring_disabled).
#include "io/epoll_loop.h"
#include "io/loop.h"
#include "io/uring_loop.h"

namespace fulcrum::io {

std::unique_ptr<Loop> Loop::create(Backend backend, std::string* error) {
  switch (backend) {
    case Backend::kUring:
      return UringLoop::create(error);
    case Backend::kEpoll:
      return EpollLoop::create(error);
    case Backend::kAuto:
      break;
  }
  if (auto loop = UringLoop::create(error)) return loop;
  return EpollLoop::create(error);
}

}  // namespace fulcrum::io

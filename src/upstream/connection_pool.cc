#include "upstream/connection_pool.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace fulcrum::upstream {

ConnectionPool::ConnectionPool(io::Loop& loop, size_t backends, size_t max_idle,
                               io::Duration idle_timeout)
    : loop_(loop), max_idle_(max_idle), idle_timeout_(idle_timeout), idle_(backends) {
  for (auto& stack : idle_) stack.reserve(max_idle);
  sweep_timer_.owner = this;
  sweep_timer_.fire = &ConnectionPool::sweep;
  loop_.timers().arm(sweep_timer_, loop_.now() + sweep_period());
}

ConnectionPool::~ConnectionPool() {
  loop_.timers().disarm(sweep_timer_);
  for (auto& stack : idle_) {
    for (Idle& c : stack) loop_.close(c.fd);
  }
}

int ConnectionPool::take(size_t backend) {
  auto& stack = idle_[backend];
  while (!stack.empty()) {
    Idle c = stack.back();
    stack.pop_back();
    char byte;
    ssize_t n = ::recv(c.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    bool open_and_quiet = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    if (open_and_quiet && loop_.now() - c.since < idle_timeout_) return c.fd;
    loop_.close(c.fd);
  }
  return -1;
}

void ConnectionPool::put(size_t backend, int fd) {
  auto& stack = idle_[backend];
  if (stack.size() >= max_idle_) {
    loop_.close(fd);
    return;
  }
  stack.push_back({fd, loop_.now()});
}

void ConnectionPool::sweep(io::Timer* timer) {
  auto* self = static_cast<ConnectionPool*>(timer->owner);
  io::TimePoint cutoff = self->loop_.now() - self->idle_timeout_;
  for (auto& stack : self->idle_) {
    // Oldest at the bottom: expired connections form a prefix of the stack.
    auto fresh = std::find_if(stack.begin(), stack.end(),
                              [cutoff](const Idle& c) { return c.since > cutoff; });
    for (auto it = stack.begin(); it != fresh; ++it) self->loop_.close(it->fd);
    stack.erase(stack.begin(), fresh);
  }
  self->loop_.timers().arm(*timer, self->loop_.now() + self->sweep_period());
}

}  // namespace fulcrum::upstream

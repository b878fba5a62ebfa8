#include "upstream/connection_pool.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace fulcrum::upstream {

void ConnectionPool::configure(size_t max_idle, io::Duration idle_timeout) {
  max_idle_ = max_idle;
  idle_timeout_ = idle_timeout;
  while (idle_.size() > max_idle_) {
    loop_.close(idle_.front().fd);
    idle_.erase(idle_.begin());
  }
}

int ConnectionPool::take(io::Duration max_idle) {
  // The most recent first: when it is too old, the others are older.
  while (!idle_.empty() && loop_.now() - idle_.back().since < max_idle) {
    Idle c = idle_.back();
    idle_.pop_back();
    char byte;
    ssize_t n = ::recv(c.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    bool open_and_quiet = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    if (open_and_quiet && loop_.now() - c.since < idle_timeout_) return c.fd;
    loop_.close(c.fd);
  }
  return -1;
}

void ConnectionPool::put(int fd) {
  if (idle_.size() >= max_idle_) {
    loop_.close(fd);
    return;
  }
  if (idle_.capacity() == 0) idle_.reserve(std::min<size_t>(max_idle_, 64));
  idle_.push_back({fd, loop_.now()});
}

void ConnectionPool::sweep() {
  io::TimePoint cutoff = loop_.now() - idle_timeout_;
  // Oldest at the bottom: expired connections form a prefix of the stack.
  auto fresh = std::find_if(idle_.begin(), idle_.end(),
                            [cutoff](const Idle& c) { return c.since > cutoff; });
  for (auto it = idle_.begin(); it != fresh; ++it) loop_.close(it->fd);
  idle_.erase(idle_.begin(), fresh);
}

void ConnectionPool::close_all() {
  for (Idle& c : idle_) loop_.close(c.fd);
  idle_.clear();
}

}  // namespace fulcrum::upstream

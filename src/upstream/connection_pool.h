#pragma once
#include <algorithm>
#include <cstddef>
#include <vector>

#include "io/loop.h"

namespace fulcrum::upstream {

// Idle keep-alive connections to the backends, for one loop. Per backend a bounded LIFO stack:
// the most recently used connection is the likeliest to still be open and warm. A connection the
// backend closed while idle is detected when taken (a non-blocking peek sees end of stream or
// unexpected bytes) and never used; ones idle past the timeout are closed by a sweep.
class ConnectionPool {
 public:
  ConnectionPool(io::Loop& loop, size_t backends, size_t max_idle, io::Duration idle_timeout);
  ~ConnectionPool();

  // An open idle connection to backend, or -1 if there is none.
  int take(size_t backend);
  // Gives back a connection whose last response was complete and fully read; closes it when the
  // backend's stack is full.
  void put(size_t backend, int fd);
  size_t idle_count(size_t backend) const { return idle_[backend].size(); }

 private:
  static void sweep(io::Timer* timer);
  io::Duration sweep_period() const {
    return std::min<io::Duration>(idle_timeout_, std::chrono::seconds(1));
  }

  struct Idle {
    int fd;
    io::TimePoint since;
  };
  io::Loop& loop_;
  size_t max_idle_;
  io::Duration idle_timeout_;
  std::vector<std::vector<Idle>> idle_;
  io::Timer sweep_timer_;  // closes connections idle past the timeout
};

}  // namespace fulcrum::upstream

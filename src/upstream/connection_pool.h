#pragma once
#include <cstddef>
#include <vector>

#include "io/loop.h"

namespace fulcrum::upstream {

// The idle keep-alive connections to one backend, in one loop: a bounded LIFO stack, since the
// most recently used connection is the likeliest to still be open and warm. A connection the
// backend closed while idle is detected when taken (a non-blocking peek sees end of stream or
// unexpected bytes) and never used; ones idle past the timeout are closed by sweep(), which the
// owner of the backends calls periodically.
//
// The peek is a system call per reuse, and it stays even for a request that could go again on
// a fresh connection: a closed connection would be found by the send or the empty answer, but
// bytes the backend sent while the connection was idle (a 408 before its close, the rest of a
// misframed response) would be read as the answer to the next request, someone else's.
class ConnectionPool {
 public:
  ConnectionPool(io::Loop& loop, size_t max_idle, io::Duration idle_timeout)
      : loop_(loop), max_idle_(max_idle), idle_timeout_(idle_timeout) {}
  ~ConnectionPool() { close_all(); }
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A reload may change the bound and the timeout; connections over the new bound are closed.
  void configure(size_t max_idle, io::Duration idle_timeout);
  io::Duration idle_timeout() const { return idle_timeout_; }

  // An open idle connection that has been idle for less than max_idle (at most the pool's
  // timeout), or -1 if there is none.
  int take(io::Duration max_idle);
  // Gives back a connection whose last response was complete and fully read; closes it when the
  // stack is full.
  void put(int fd);
  // Closes the connections idle past the timeout.
  void sweep();
  void close_all();
  size_t idle_count() const { return idle_.size(); }

 private:
  struct Idle {
    int fd;
    io::TimePoint since;
  };
  io::Loop& loop_;
  size_t max_idle_;
  io::Duration idle_timeout_;
  std::vector<Idle> idle_;  // oldest first
};

}  // namespace fulcrum::upstream

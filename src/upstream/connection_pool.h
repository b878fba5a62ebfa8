#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "io/loop.h"
#include "io/multishot.h"

namespace fulcrum::upstream {

class Connections;
class ConnectionPool;

// A connection to a backend, and the stream it is read through (a `once` stream: nothing is read
// ahead of a splice). While it waits in a pool a receive stays pending on it, so that the
// backend's close, or bytes it sends unasked (a 408 before its close, the rest of a misframed
// response), are seen when they come: such a connection is closed, never given to a request that
// would take those bytes for its answer. The same receive, still pending, is the first read of
// the next request's answer: reusing a connection costs no system call to check it, unless it
// went idle in the loop's current round, its receive not yet in the kernel (then a peek checks it).
// Bytes that come after that check are the next answer's, as they would be on a connection a
// client kept (nginx's pooled connections have the same window).
struct Connection {
  Connection(Connections& connections, io::Loop& loop, int socket)
      : rx(loop, socket, /*once=*/true), fd(socket), owner(connections) {}

  io::RecvStream rx;
  int fd;
  Connections& owner;
  ConnectionPool* pool = nullptr;  // while idle in it
  io::TimePoint since;             // idle since
  uint64_t round = 0;              // the loop's round when it went idle
};

// The backend connections of one loop, whoever holds them: a request, a pool, or nobody while
// one closes (its receive must end in the kernel before its socket closes).
class Connections {
 public:
  explicit Connections(io::Loop& loop) : loop_(loop) {}
  Connections(const Connections&) = delete;
  Connections& operator=(const Connections&) = delete;

  io::Loop& loop() const { return loop_; }
  // For a connected (or connecting) socket fd, which the connection then owns.
  Connection* open(int fd);
  // Closes the socket, once its receive has ended.
  void close(Connection* c);
  // Connections open or closing; when it drops to 0, on_none(arg) is called, if set (a worker
  // that ends waits for it, so that no receive is left in the kernel when its loop goes).
  size_t count() const { return count_; }
  void (*on_none)(void*) = nullptr;
  void* on_none_arg = nullptr;

 private:
  static void on_closed(void* connection);
  void finish(Connection* c);

  io::Loop& loop_;
  size_t count_ = 0;
};

// The idle keep-alive connections to one backend, in one loop: a bounded LIFO stack, since the
// most recently used connection is the likeliest to still be open and warm. One the backend
// closes, or sends bytes on, while it waits here leaves the pool and closes then; ones idle past
// the timeout are closed by sweep(), which the owner of the backends calls periodically.
class ConnectionPool {
 public:
  ConnectionPool(Connections& connections, size_t max_idle, io::Duration idle_timeout)
      : connections_(connections), max_idle_(max_idle), idle_timeout_(idle_timeout) {}
  ~ConnectionPool() { close_all(); }
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A reload may change the bound and the timeout; connections over the new bound are closed.
  void configure(size_t max_idle, io::Duration idle_timeout);
  io::Duration idle_timeout() const { return idle_timeout_; }

  // An open idle connection, whose receive is pending, or null if there is none.
  Connection* take();
  // Gives back a connection whose last response was complete and fully read; closes it when the
  // stack is full, or when bytes or its end have come already.
  void put(Connection* c);
  // Closes the connections idle past the timeout.
  void sweep();
  void close_all();
  size_t idle_count() const { return idle_.size(); }

 private:
  // The backend closed the connection, or sent bytes on it, while it was idle.
  static void on_idle_event(void* connection);
  void close_oldest();

  Connections& connections_;
  size_t max_idle_;
  io::Duration idle_timeout_;
  std::vector<Connection*> idle_;  // oldest first
};

}  // namespace fulcrum::upstream

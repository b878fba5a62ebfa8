#pragma once
// A worker: one loop, one listening socket, and the client sessions it accepts. It drains on
// request: it stops accepting, lets requests in flight finish (each answered with
// "Connection: close"), and when the drain timeout ends it aborts what is left. Stopping is the
// end of a drain without the wait. Either way loop.run() returns once every session has ended,
// so that nothing is left suspended when the worker and its loop go.
#include "base/task.h"
#include "config/config.h"
#include "io/loop.h"
#include "proxy/context.h"
#include "upstream/backend.h"
#include "upstream/health/prober.h"

namespace fulcrum::server {

class Worker {
 public:
  // listen_fd: a listening socket the worker accepts on; the worker owns this descriptor and
  // closes it when draining (in multi-process mode the master keeps its own copy, so that
  // connections waiting in the queue survive the worker).
  Worker(io::Loop& loop, const config::Config& config, int listen_fd);
  ~Worker();

  // Accepts and serves until drained; loop.run() then returns.
  void start();
  void drain();
  // Stops at once (SIGQUIT, or a second signal while draining): no more accepts, and every
  // connection aborted now, its request in flight or not.
  void stop();

 private:
  base::Task<void> accept_loop();
  void stop_accepting();
  static void on_drain_timeout(io::Timer* timer);
  void abort_sessions();
  void finish_if_drained();

  io::Loop& loop_;
  upstream::BackendSet backends_;
  proxy::ProxyContext ctx_;
  upstream::Prober prober_;
  int listen_fd_;
  bool accepting_ = false;
  io::Op* pending_accept_ = nullptr;  // set while accept_loop waits in accept
  io::Timer drain_timer_;
  base::TaskGroup tasks_;  // the accept loop and the probes; destroyed first
};

}  // namespace fulcrum::server

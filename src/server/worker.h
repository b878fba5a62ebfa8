#pragma once
// A worker: one loop, its listening sockets, and the client sessions it accepts. A reload puts
// a new configuration in force for the requests that start after it. It drains on request: it
// stops accepting, lets requests in flight finish (each answered with "Connection: close"), and
// when the drain timeout ends it aborts what is left. Stopping is the end of a drain without the
// wait. Either way loop.run() returns once every session has ended, so that nothing is left
// suspended when the worker and its loop go.
#include <memory>
#include <vector>

#include "base/task.h"
#include "config/config.h"
#include "io/loop.h"
#include "io/multishot.h"
#include "proxy/context.h"
#include "upstream/backend_table.h"

namespace fulcrum::server {

class Worker {
 public:
  // listen_fds: listening sockets the worker accepts on, one per configured listener; the worker
  // owns these descriptors and closes them when draining (in multi-process mode the master keeps
  // its own copies, so that connections waiting in the queues survive the worker).
  // shared: the instance's health and counters, shared by its workers; prober: this worker runs
  // the active health checks for all of them.
  Worker(io::Loop& loop, upstream::SharedState& shared, bool prober,
         std::shared_ptr<const config::Config> config, std::vector<int> listen_fds);
  ~Worker();

  // Accepts and serves until drained; loop.run() then returns.
  void start();
  void reload(std::shared_ptr<const config::Config> config);
  // The instance's counters (shared by every worker) and its backends' states, to the log.
  void log_stats() const;
  void drain();
  // Stops at once (SIGQUIT, or a second signal while draining): no more accepts, and every
  // connection aborted now, its request in flight or not.
  void stop();

 private:
  struct Listener {
    int fd = -1;
    io::Acceptor* acceptor = nullptr;  // set while its accept loop runs
  };
  base::Task<void> accept_loop(Listener& listener);
  void stop_accepting();
  static void on_drain_timeout(io::Timer* timer);
  void abort_sessions();
  void finish_if_drained();

  io::Loop& loop_;
  std::vector<Listener> listeners_;
  size_t open_listeners_;
  bool accepting_ = false;
  io::Timer drain_timer_;
  upstream::BackendTable backends_;
  base::TaskGroup probes_;  // the backends' probers; destroyed before the table
  proxy::ProxyContext ctx_;
  base::TaskGroup tasks_;  // the accept loops; destroyed first
};

}  // namespace fulcrum::server

#pragma once
// The master of multi-process mode (nginx's model): it owns the listening sockets, one set per
// worker slot (SO_REUSEPORT), forks one worker process per slot, and replaces a worker that dies.
// It serves no request itself. Because the sockets belong to the master, connections waiting in
// a slot's queues survive the death or replacement of its worker. On SIGHUP it checks the
// configuration and has every worker load it in place (keeping its backends' state and
// connections); a new worker count starts or retires slots.
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "config/config.h"
#include "upstream/shared_state.h"

namespace fulcrum::server {

class Master {
 public:
  // argc/argv are kept to read the command line again on SIGHUP.
  Master(int argc, char** argv, config::Config config);
  Master(const Master&) = delete;
  Master& operator=(const Master&) = delete;

  // Runs until the workers are gone after SIGTERM, SIGINT or SIGQUIT, or after a new master
  // started by SIGUSR2 took over. Returns the exit status.
  int run();

 private:
  using Clock = std::chrono::steady_clock;
  struct Slot {
    std::vector<int> listen_fds;  // one per listener, in the configuration's order
    pid_t pid = 0;                // 0: no worker running
    Clock::time_point started_at{};
    int quick_exits = 0;  // consecutive exits within kQuickExit of their start
    Clock::duration backoff{};
    bool restart_due = false;
    Clock::time_point restart_at{};
  };
  enum class State { kRunning, kDraining, kStopping };

  bool open_slots(size_t count, std::vector<int> inherited, std::string* error);
  void close_slot(Slot& slot);
  void start_worker(size_t slot);
  void reap_workers();
  void schedule_restart(Slot& slot, size_t index);
  void start_due_workers();
  void on_signal(int signo);
  void signal_workers(int signo);
  void reload();
  int poll_timeout_ms() const;
  bool any_worker() const;
  void start_upgrade();
  void on_successor_report();
  void drain();

  int argc_;
  char** argv_;
  config::Config config_;
  std::vector<Slot> slots_;
  std::vector<pid_t> retiring_;  // workers of an older configuration, draining
  std::vector<int> cpus_;
  // Mapped before the first fork: every worker shares it. After a binary upgrade, the one the
  // previous master handed down (its old workers still use it while they drain).
  upstream::SharedState shared_;
  int signal_fd_ = -1;
  int ready_fd_ = -1;  // after an upgrade, until the workers run: where to tell the old master
  State state_ = State::kRunning;
  std::string executable_;       // what SIGUSR2 starts
  pid_t successor_pid_ = 0;      // a new master started by SIGUSR2
  int successor_ready_fd_ = -1;  // where it reports ready
};

}  // namespace fulcrum::server

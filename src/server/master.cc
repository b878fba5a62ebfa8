#include "server/master.h"

#if defined(__SANITIZE_ADDRESS__)  // GCC
#define FULCRUM_LEAK_CHECK 1
#elif defined(__has_feature)  // clang
#if __has_feature(address_sanitizer)
#define FULCRUM_LEAK_CHECK 1
#endif
#endif
#if FULCRUM_LEAK_CHECK
#include <sanitizer/lsan_interface.h>
#endif

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "base/signals.h"
#include "config/cli.h"
#include "net/socket.h"
#include "server/affinity.h"
#include "server/config_watcher.h"
#include "server/listeners.h"
#include "server/pid_file.h"
#include "server/upgrade.h"
#include "server/worker_main.h"
#include "upstream/stats.h"

namespace fulcrum::server {
namespace {

using namespace std::chrono_literals;

// A worker that exits sooner than this after its start counts as a quick exit; after
// kQuickExitsBeforeBackoff of them in a row its restarts are delayed, 1 s doubling up to 30 s,
// so that a crash loop does not spin. A worker that stays up that long resets the count.
constexpr auto kQuickExit = 10s;
constexpr int kQuickExitsBeforeBackoff = 5;
constexpr auto kMaxBackoff = 30s;

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return std::string("was killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  }
  return "ended";
}

// A worker leaves with _exit: the exit handlers and static destructors are the master's, and its
// stdio buffers would be flushed twice. That skips LeakSanitizer's check at exit too, so in an
// ASan build it runs here, and a worker's leaks are reported (on the output that the worker
// shares with the master) like those of the other process models.
[[noreturn]] void exit_worker(int status) {
#if FULCRUM_LEAK_CHECK
  __lsan_do_leak_check();
#endif
  ::_exit(status);
}

}  // namespace

Master::Master(int argc, char** argv, config::Config config)
    : argc_(argc),
      argv_(argv),
      config_(std::move(config)),
      cpus_(usable_cpus()),
      shared_(upstream::SharedState::kDefaultCapacity, inherited_shared_state()),
      executable_(executable_path(argv[0])) {}

bool Master::open_slots(size_t count, std::vector<int> inherited, std::string* error) {
  bool ok = true;
  while (ok && slots_.size() < count) {
    Slot slot;
    ok = open_listeners(config_, &slot.listen_fds, error, &inherited);
    if (ok) slots_.push_back(std::move(slot));
  }
  // Sockets of an upgraded master's listeners that this configuration no longer has.
  for (int fd : inherited) ::close(fd);
  return ok;
}

void Master::close_slot(Slot& slot) {
  for (int fd : slot.listen_fds) ::close(fd);
  slot.listen_fds.clear();
}

int Master::run() {
  std::string error;
  signal_fd_ = base::block_signals({SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2});
  ready_fd_ = take_ready_fd();
  size_t workers = config_.workers ? config_.workers : cpus_.size();
  if (!open_slots(workers, inherited_listeners(), &error)) {
    LOG_ERROR("cannot listen on %s", error.c_str());
    return 1;
  }
  LOG_INFO("fulcrum %s master listening on %s with %zu workers", FULCRUM_VERSION,
           listeners_text(config_).c_str(), workers);
  for (size_t i = 0; i < slots_.size(); ++i) start_worker(i);
  report_ready(ready_fd_);
  ready_fd_ = -1;

  ConfigWatcher watcher(config_);
  while (state_ == State::kRunning || any_worker()) {
    pollfd p[3] = {
        {signal_fd_, POLLIN, 0}, {watcher.fd(), POLLIN, 0}, {successor_ready_fd_, POLLIN, 0}};
    ::poll(p, successor_ready_fd_ >= 0 ? 3 : 2, poll_timeout_ms());
    if (successor_ready_fd_ >= 0 && p[2].revents) on_successor_report();
    if (watcher.fd() >= 0 && (p[1].revents & POLLIN) && watcher.changed() &&
        state_ == State::kRunning) {
      LOG_INFO("the configuration file changed: reloading");
      reload();
    }
    signalfd_siginfo info;
    while (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      on_signal(static_cast<int>(info.ssi_signo));
    }
    start_due_workers();
  }
  LOG_INFO("all workers gone; master exits");
  return 0;
}

void Master::start_worker(size_t index) {
  Slot& slot = slots_[index];
  pid_t pid = ::fork();
  if (pid < 0) {
    LOG_ERROR("fork: %s; retrying in 1s", std::strerror(errno));
    slot.restart_due = true;
    slot.restart_at = Clock::now() + 1s;
    return;
  }
  if (pid == 0) {
    // The worker: it keeps only its own slot's sockets, none of the master's descriptors, and
    // drains if the master dies.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    ::close(signal_fd_);
    if (ready_fd_ >= 0) ::close(ready_fd_);
    if (successor_ready_fd_ >= 0) ::close(successor_ready_fd_);
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (i != index) close_slot(slots_[i]);
    }
    // Ctrl-C reaches the whole process group; the master turns it into one SIGTERM.
    ::signal(SIGINT, SIG_IGN);
    if (config_.pin_workers) pin_to_cpu(cpus_[index % cpus_.size()]);
    int control = base::block_signals({SIGTERM, SIGQUIT, SIGHUP, SIGUSR1});
    // Slot 0's worker probes the backends for the whole instance.
    int status = run_worker({.config = std::make_shared<const config::Config>(config_),
                             .listen_fds = slot.listen_fds,
                             .control_fd = control,
                             .control = Control::kSignals,
                             .reload = command_line_loader(argc_, argv_),
                             .shared = &shared_,
                             .prober = index == 0});
    exit_worker(status);
  }
  slot.pid = pid;
  slot.started_at = Clock::now();
  slot.restart_due = false;
  LOG_INFO("worker %zu started (pid %d)", index, static_cast<int>(pid));
}

void Master::reap_workers() {
  int status = 0;
  pid_t pid;
  while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
    if (pid == successor_pid_) {
      LOG_ERROR("upgrade: the new master (pid %d) %s", static_cast<int>(pid),
                describe_exit(status).c_str());
      successor_pid_ = 0;
      continue;
    }
    auto old = std::find(retiring_.begin(), retiring_.end(), pid);
    if (old != retiring_.end()) {
      retiring_.erase(old);
      LOG_INFO("old worker (pid %d) %s", static_cast<int>(pid), describe_exit(status).c_str());
      continue;
    }
    for (size_t i = 0; i < slots_.size(); ++i) {
      Slot& slot = slots_[i];
      if (slot.pid != pid) continue;
      slot.pid = 0;
      if (state_ != State::kRunning) {
        LOG_INFO("worker %zu (pid %d) %s", i, static_cast<int>(pid), describe_exit(status).c_str());
      } else {
        LOG_WARN("worker %zu (pid %d) %s", i, static_cast<int>(pid), describe_exit(status).c_str());
        schedule_restart(slot, i);
      }
    }
  }
}

void Master::schedule_restart(Slot& slot, size_t index) {
  Clock::time_point now = Clock::now();
  if (now - slot.started_at < kQuickExit) {
    ++slot.quick_exits;
  } else {
    slot.quick_exits = 0;
    slot.backoff = {};
  }
  slot.restart_due = true;
  slot.restart_at = now;
  if (slot.quick_exits >= kQuickExitsBeforeBackoff) {
    slot.backoff = slot.backoff == Clock::duration{}
                       ? Clock::duration(1s)
                       : std::min<Clock::duration>(slot.backoff * 2, kMaxBackoff);
    slot.restart_at = now + slot.backoff;
    LOG_WARN("worker %zu keeps exiting (%d times within %llds of its start): next start in %lldms",
             index, slot.quick_exits, static_cast<long long>(kQuickExit.count()),
             static_cast<long long>(
                 std::chrono::duration_cast<std::chrono::milliseconds>(slot.backoff).count()));
  }
}

void Master::start_due_workers() {
  if (state_ != State::kRunning) return;
  Clock::time_point now = Clock::now();
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].restart_due && slots_[i].restart_at <= now) start_worker(i);
  }
}

int Master::poll_timeout_ms() const {
  int timeout = -1;
  if (state_ != State::kRunning) return timeout;
  Clock::time_point now = Clock::now();
  for (const Slot& slot : slots_) {
    if (!slot.restart_due) continue;
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(slot.restart_at - now).count();
    int wait = static_cast<int>(std::max<long long>(0, ms));
    timeout = timeout < 0 ? wait : std::min(timeout, wait);
  }
  return timeout;
}

bool Master::any_worker() const {
  return !retiring_.empty() ||
         std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.pid != 0; });
}

void Master::signal_workers(int signo) {
  for (const Slot& slot : slots_) {
    if (slot.pid) ::kill(slot.pid, signo);
  }
  for (pid_t pid : retiring_) ::kill(pid, signo);
}

void Master::on_signal(int signo) {
  switch (signo) {
    case SIGCHLD:
      reap_workers();
      return;
    case SIGHUP:
      if (state_ == State::kRunning) reload();
      return;
    case SIGUSR2:
      if (state_ == State::kRunning) start_upgrade();
      return;
    case SIGUSR1:
      upstream::log_stats(config_, shared_);
      return;
    case SIGTERM:
    case SIGINT:
      if (state_ == State::kRunning) {
        LOG_INFO("signal %d: draining the workers", signo);
        drain();
        return;
      }
      [[fallthrough]];
    case SIGQUIT:
      LOG_INFO("signal %d: stopping the workers now", signo);
      state_ = State::kStopping;
      signal_workers(SIGQUIT);
      return;
    default:
      return;
  }
}

void Master::drain() {
  state_ = State::kDraining;
  // This master's copies of the sockets close now; the workers close theirs when they stop
  // accepting. After an upgrade the new master still holds its own, so the port stays open.
  for (Slot& slot : slots_) close_slot(slot);
  signal_workers(SIGTERM);
}

void Master::start_upgrade() {
  if (successor_pid_ != 0) {
    LOG_WARN("SIGUSR2: an upgrade is already under way (pid %d)", static_cast<int>(successor_pid_));
    return;
  }
  std::vector<int> fds;
  for (const Slot& slot : slots_) {
    fds.insert(fds.end(), slot.listen_fds.begin(), slot.listen_fds.end());
  }
  std::string error;
  successor_ready_fd_ =
      start_successor(executable_, argv_, fds, shared_.descriptor(), &successor_pid_, &error);
  if (successor_ready_fd_ < 0) {
    LOG_ERROR("upgrade: cannot start %s: %s", executable_.c_str(), error.c_str());
    successor_pid_ = 0;
    return;
  }
  LOG_INFO("upgrade: started %s (pid %d)", executable_.c_str(), static_cast<int>(successor_pid_));
}

void Master::on_successor_report() {
  char byte = 0;
  ssize_t n = ::read(successor_ready_fd_, &byte, 1);
  ::close(successor_ready_fd_);
  successor_ready_fd_ = -1;
  if (n == 1) {
    LOG_INFO("upgrade: the new master (pid %d) is ready; draining the old workers",
             static_cast<int>(successor_pid_));
    successor_pid_ = 0;  // no longer ours to watch: it outlives this master
    drain();
  } else {
    LOG_ERROR("upgrade: the new master (pid %d) ended before it was ready; this one stays",
              static_cast<int>(successor_pid_));
    // It may have written the pid file, and removed it as it ended.
    if (!write_pid_file(config_.pid_file)) {
      LOG_ERROR("upgrade: cannot write the pid file %s again", config_.pid_file.c_str());
    }
  }
}

void Master::reload() {
  config::Config fresh;
  if (config::parse_command_line(argc_, argv_, &fresh) >= 0) {
    LOG_ERROR("reload: the configuration does not load; the running one stays");
    return;
  }
  if (!same_listeners(fresh, config_)) {
    LOG_WARN(
        "reload: new listen addresses take a restart or an upgrade (SIGUSR2); still "
        "listening on %s",
        listeners_text(config_).c_str());
    fresh.listeners = config_.listeners;
  }
  config_ = std::move(fresh);
  // Every running worker loads the configuration itself, in place; slots added by a larger
  // worker count start with it, and the workers of slots it no longer has drain.
  signal_workers(SIGHUP);
  size_t workers = config_.workers ? config_.workers : cpus_.size();
  while (slots_.size() > workers) {
    Slot& slot = slots_.back();
    if (slot.pid) {
      retiring_.push_back(slot.pid);
      ::kill(slot.pid, SIGTERM);
    }
    close_slot(slot);
    slots_.pop_back();
  }
  size_t running = slots_.size();
  std::string error;
  if (!open_slots(workers, {}, &error)) LOG_ERROR("reload: cannot listen on %s", error.c_str());
  for (size_t i = running; i < slots_.size(); ++i) start_worker(i);
  LOG_INFO("reload: %zu workers load the configuration", slots_.size());
}

}  // namespace fulcrum::server

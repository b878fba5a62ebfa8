// fulcrum: read the command line, then run the chosen process model.
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "base/log.h"
#include "base/signals.h"
#include "config/cli.h"
#include "server/listeners.h"
#include "server/master.h"
#include "server/pid_file.h"
#include "server/threads.h"
#include "server/upgrade.h"
#include "server/worker_main.h"

using namespace fulcrum;

namespace {

// One process, one loop.
int run_single(int argc, char** argv, const config::Config& config) {
  // SIGHUP is read too: it reloads; SIGUSR1 logs the counters; SIGUSR2 (an upgrade, mp only)
  // is refused.
  int signal_fd = base::block_signals({SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2});
  std::string error;
  std::vector<int> listen_fds;
  if (!server::open_listeners(config, &listen_fds, &error)) {
    std::fprintf(stderr, "fulcrum: cannot listen on %s\n", error.c_str());
    return 1;
  }
  LOG_INFO("fulcrum %s listening on %s (%zu pools)", FULCRUM_VERSION,
           server::listeners_text(config).c_str(), config.pools.size());
  server::ConfigWatcher watcher(config);
  upstream::SharedState shared;
  int rc = server::run_worker({.config = std::make_shared<const config::Config>(config),
                               .listen_fds = listen_fds,
                               .control_fd = signal_fd,
                               .control = server::Control::kSignals,
                               .reload = server::command_line_loader(argc, argv),
                               .shared = &shared,
                               .prober = true,
                               .watcher = &watcher});
  LOG_INFO("stopped");
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  config::Config config;
  if (int rc = config::parse_command_line(argc, argv, &config); rc >= 0) return rc;
  base::set_log_level(config.log_level);
  // Only a master takes what an upgrading master hands down (its sockets, the pipe it waits on
  // for readiness): a successor whose configuration now names another mode stops before it
  // touches the pid file, and its end tells the old master to stay.
  if (server::started_by_upgrade() && config.mode != config::Mode::kMultiProcess) {
    std::fprintf(stderr,
                 "fulcrum: a binary upgrade needs mode mp, and the configuration now says %s; "
                 "the running master stays\n",
                 config.mode == config::Mode::kSingleProcess ? "sp" : "mt");
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);
  server::PidFile pid_file(config.pid_file);
  if (!pid_file.write()) {
    std::fprintf(stderr, "fulcrum: --pid-file: cannot write %s\n", config.pid_file.c_str());
    return 1;
  }
  switch (config.mode) {
    case config::Mode::kSingleProcess:
      return run_single(argc, argv, config);
    case config::Mode::kMultiThread:
      return server::run_threads(
          config, base::block_signals({SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2}),
          server::command_line_loader(argc, argv));
    case config::Mode::kMultiProcess:
      return server::Master(argc, argv, config).run();
  }
  return 1;
}

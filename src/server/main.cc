// fulcrum: parse the command line, listen, and run one worker in this process (--mode sp).
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "base/log.h"
#include "config/cli.h"
#include "io/loop.h"
#include "net/socket.h"
#include "server/signals.h"
#include "server/worker.h"

using namespace fulcrum;

namespace {

struct SignalTarget {
  io::Loop* loop;
  server::Worker* worker;
  int received = 0;
};

void on_signal(void* arg, int signo) {
  auto* t = static_cast<SignalTarget*>(arg);
  if (signo == SIGQUIT || ++t->received > 1) {
    LOG_INFO("signal %d: stopping now", signo);
    t->loop->stop();
    return;
  }
  LOG_INFO("signal %d: stopping gracefully", signo);
  t->worker->drain();
}

}  // namespace

int main(int argc, char** argv) {
  config::Config config;
  if (int rc = config::parse_command_line(argc, argv, &config); rc >= 0) return rc;
  base::set_log_level(config.log_level);
  std::signal(SIGPIPE, SIG_IGN);

  std::string error;
  net::Address listen_addr;
  if (!net::resolve(config.listen_host, config.port, &listen_addr, &error)) {
    std::fprintf(stderr, "fulcrum: --host: %s\n", error.c_str());
    return 2;
  }
  int signal_fd = server::block_signals({SIGINT, SIGTERM, SIGQUIT});
  auto loop = io::Loop::create(config.io, &error);
  if (!loop) {
    std::fprintf(stderr, "fulcrum: cannot set up the event loop: %s\n", error.c_str());
    return 1;
  }
  int listen_fd = net::listen_on(listen_addr, 4096, &error);
  if (listen_fd < 0) {
    std::fprintf(stderr, "fulcrum: cannot listen on %s\n", error.c_str());
    return 1;
  }

  server::Worker worker(*loop, config, listen_fd);
  SignalTarget target{loop.get(), &worker};
  base::spawn(server::dispatch_signals(*loop, signal_fd, &on_signal, &target));
  worker.start();
  LOG_INFO("fulcrum %s listening on %s (%s, %zu backends)", FULCRUM_VERSION,
           listen_addr.to_string().c_str(), std::string(loop->name()).c_str(),
           config.backends.size());
  loop->run();
  LOG_INFO("stopped");
  return 0;
}

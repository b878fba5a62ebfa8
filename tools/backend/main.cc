// fulcrum-backend: the demo, test and benchmark backend. See kUsage and server.h.
#include <netinet/in.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "base/buffer.h"
#include "base/signals.h"
#include "base/task.h"
#include "io/loop.h"
#include "json.h"
#include "net/address.h"
#include "net/socket.h"
#include "options.h"
#include "server.h"

namespace fulcrum::backend {
namespace {

base::Task<void> stop_on_signal(io::Loop& loop, int signal_fd) {
  signalfd_siginfo info;
  co_await loop.read(signal_fd, reinterpret_cast<char*>(&info), sizeof info);
  loop.stop();
}

int run(int argc, char** argv) {
  Options options;
  std::string error;
  if (!parse_options(argc, argv, &options, &error)) {
    std::fprintf(stderr, "fulcrum-backend: %s (%s)\n", error.c_str(), kUsage);
    return 2;
  }
  if (options.help) {
    std::printf("%s\n", kUsage);
    return 0;
  }
  net::Address addr;
  if (!net::resolve(options.host, options.port, &addr, &error)) {
    std::fprintf(stderr, "fulcrum-backend: --host: %s\n", error.c_str());
    return 2;
  }

  // Signals arrive through the loop, like everything else: block them before anything else runs.
  ::signal(SIGPIPE, SIG_IGN);
  int signal_fd = base::block_signals({SIGTERM, SIGINT});
  if (signal_fd < 0) {
    std::fprintf(stderr, "fulcrum-backend: signalfd: %s\n", std::strerror(errno));
    return 1;
  }

  std::unique_ptr<io::Loop> loop = io::Loop::create(options.io, &error);
  if (!loop) {
    std::fprintf(stderr, "fulcrum-backend: cannot set up the I/O loop: %s\n", error.c_str());
    return 1;
  }
  // Exclusive: a second backend started on a port in use must fail rather than silently share
  // the port's connections with the first.
  int listen_fd = net::listen_on(addr, 4096, &error, net::PortSharing::kExclusive);
  if (listen_fd < 0) {
    std::fprintf(stderr, "fulcrum-backend: cannot listen on %s\n", error.c_str());
    return 1;
  }
  if (options.port == 0) {  // report the port the kernel chose
    addr.len = sizeof addr.storage;
    ::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&addr.storage), &addr.len);
  }

  ServerConfig config;
  config.id = options.id.empty() ? "backend-" + std::to_string(addr.port()) : options.id;
  base::Buffer id_json;
  append_json_string(id_json, config.id);
  config.id_json = std::string(id_json.view());
  config.forced_status = options.forced_status;
  config.verbose = options.verbose;
  Stats stats;

  std::printf("fulcrum-backend %s listening on %s\n", config.id.c_str(), addr.to_string().c_str());
  std::fflush(stdout);
  if (options.verbose) {
    std::fprintf(stderr, "fulcrum-backend %s: I/O loop %.*s\n", config.id.c_str(),
                 static_cast<int>(loop->name().size()), loop->name().data());
  }

  base::spawn(stop_on_signal(*loop, signal_fd));
  base::spawn(accept_connections(*loop, listen_fd, config, stats));
  loop->run();
  return 0;
}

}  // namespace
}  // namespace fulcrum::backend

int main(int argc, char** argv) {
  int rc = fulcrum::backend::run(argc, argv);
  // Connections may still be suspended in the loop; tearing them down one by one would only
  // delay the exit (and make leak checkers report their frames), so leave at once.
  std::fflush(nullptr);
  ::_exit(rc);
}

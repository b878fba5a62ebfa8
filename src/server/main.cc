// fulcrum: read the command line, then run the chosen process model.
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "base/log.h"
#include "base/signals.h"
#include "config/cli.h"
#include "net/socket.h"
#include "server/master.h"
#include "server/threads.h"
#include "server/worker_main.h"

using namespace fulcrum;

namespace {

// One process, one loop.
int run_single(const config::Config& config) {
  std::string error;
  net::Address address;
  if (!net::resolve(config.listen_host, config.port, &address, &error)) {
    LOG_ERROR("--host: %s", error.c_str());
    return 2;
  }
  // SIGHUP is read (and ignored) too: its default action would end the process.
  int signal_fd = base::block_signals({SIGINT, SIGTERM, SIGQUIT, SIGHUP});
  int listen_fd = net::listen_on(address, 4096, &error);
  if (listen_fd < 0) {
    std::fprintf(stderr, "fulcrum: cannot listen on %s\n", error.c_str());
    return 1;
  }
  LOG_INFO("fulcrum %s listening on %s (%zu backends)", FULCRUM_VERSION,
           address.to_string().c_str(), config.backends.size());
  int rc = server::run_worker(config, listen_fd, signal_fd, server::Control::kSignals);
  LOG_INFO("stopped");
  return rc;
}

// Written at start, removed at exit unless a newer master (a binary upgrade) rewrote it.
class PidFile {
 public:
  explicit PidFile(std::string path) : path_(std::move(path)) {}
  ~PidFile() {
    if (!written_) return;
    FILE* f = std::fopen(path_.c_str(), "r");
    int pid = 0;
    bool ours = f && std::fscanf(f, "%d", &pid) == 1 && pid == static_cast<int>(getpid());
    if (f) std::fclose(f);
    if (ours) ::unlink(path_.c_str());
  }
  bool write() {
    if (path_.empty()) return true;
    FILE* f = std::fopen(path_.c_str(), "w");
    if (!f) return false;
    std::fprintf(f, "%d\n", static_cast<int>(getpid()));
    written_ = std::fclose(f) == 0;
    return written_;
  }

 private:
  std::string path_;
  bool written_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  config::Config config;
  if (int rc = config::parse_command_line(argc, argv, &config); rc >= 0) return rc;
  base::set_log_level(config.log_level);
  std::signal(SIGPIPE, SIG_IGN);
  PidFile pid_file(config.pid_file);
  if (!pid_file.write()) {
    std::fprintf(stderr, "fulcrum: --pid-file: cannot write %s\n", config.pid_file.c_str());
    return 1;
  }
  switch (config.mode) {
    case config::Mode::kSingleProcess:
      return run_single(config);
    case config::Mode::kMultiThread:
      return server::run_threads(
          config, base::block_signals({SIGINT, SIGTERM, SIGQUIT, SIGHUP}));
    case config::Mode::kMultiProcess:
      return server::Master(argc, argv, config).run();
  }
  return 1;
}

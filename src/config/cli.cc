#include "config/cli.h"

#include <CLI/CLI.hpp>
#include <iostream>

#include "config/units.h"

namespace fulcrum::config {
namespace {

void add_duration(CLI::App& app, const std::string& name, milliseconds* target,
                  const std::string& help) {
  app.add_option_function<std::string>(
         name,
         [name, target](const std::string& text) {
           auto d = parse_duration(text);
           if (!d) {
             throw CLI::ValidationError(name, "'" + text +
                                                  "' is not a duration (e.g. 500ms, 10s, 2m)");
           }
           *target = *d;
         },
         help)
      ->default_str(std::to_string(target->count()) + "ms")
      ->type_name("DURATION");
}

void add_size(CLI::App& app, const std::string& name, uint32_t* target, const std::string& help) {
  app.add_option_function<std::string>(
         name,
         [name, target](const std::string& text) {
           auto s = parse_size(text);
           if (!s || *s == 0 || *s > UINT32_MAX) {
             throw CLI::ValidationError(name,
                                        "'" + text + "' is not a size (e.g. 8k, 1m, 4096)");
           }
           *target = static_cast<uint32_t>(*s);
         },
         help)
      ->default_str(std::to_string(*target))
      ->type_name("SIZE");
}

}  // namespace

int parse_command_line(int argc, char** argv, Config* config) {
  CLI::App app("fulcrum: an HTTP/1.1 load balancer and reverse proxy", "fulcrum");
  app.set_version_flag("-V,--version", "fulcrum " FULCRUM_VERSION);
  app.get_formatter()->column_width(38);
  // As with most Unix tools, a flag given twice takes its last value (so a wrapper script can
  // override what it was handed); only --backend accumulates.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  std::vector<std::string> backends;
  std::string mode = "mp";
  std::string log_level = "info";
  std::string io = "auto";
  app.add_option("-b,--backend", backends, "Backend HOST:PORT (repeatable)")
      ->type_name("HOST:PORT")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("-p,--port", config->port, "Port to listen on")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  app.add_option("--host", config->listen_host, "Address to listen on")->capture_default_str();
  app.add_option("-w,--workers", config->workers, "Workers (0: one per CPU)")
      ->capture_default_str();
  app.add_option("--mode", mode,
                 "Process model: mp (master and worker processes), mt (threads), sp (one loop)")
      ->capture_default_str()
      ->check(CLI::IsMember({"sp", "mp", "mt"}));
  bool no_affinity = false;
  app.add_flag("--no-affinity", no_affinity, "Do not pin workers to CPUs");
  app.add_option("--pid-file", config->pid_file, "Write the master's pid to this file");
  app.add_option("-s,--strategy", config->strategy, "Balancing strategy")
      ->capture_default_str()
      ->check(CLI::IsMember({"round_robin"}));
  app.add_option("-c,--config", config->config_file, "Configuration file")->check(CLI::ExistingFile);
  app.add_option("-l,--log-level", log_level, "Log level: err, warn, info, debug")
      ->capture_default_str()
      ->check(CLI::IsMember({"err", "error", "warn", "info", "debug"}));
  app.add_option("--io", io, "I/O backend: auto, uring, epoll")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "uring", "epoll"}));
  Timeouts& t = config->timeouts;
  add_duration(app, "--client-header-timeout", &t.client_header, "Time to receive a request head");
  add_duration(app, "--client-idle-timeout", &t.client_idle, "Keep-alive idle time of a client");
  add_duration(app, "--connect-timeout", &t.connect, "Time to connect to a backend");
  add_duration(app, "--backend-timeout", &t.backend, "Time to a backend's response head");
  add_duration(app, "--pool-idle-timeout", &t.pool_idle, "Idle time of a pooled backend connection");
  add_duration(app, "--drain-timeout", &t.drain, "Time for requests in flight at shutdown");
  http::Limits& l = config->limits;
  add_size(app, "--max-header-size", &l.max_header_bytes, "Largest request head");
  app.add_option("--max-headers", l.max_headers, "Most header fields in a request")
      ->capture_default_str()
      ->check(CLI::Range(1u, 10'000u));
  add_size(app, "--max-request-line", &l.max_request_line, "Longest request line");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      app.exit(e);
      return 0;
    }
    std::cerr << "fulcrum: " << e.what() << " (see --help)\n";
    return 2;
  }

  auto fail = [](const std::string& message) {
    std::cerr << "fulcrum: " << message << " (see --help)\n";
    return 2;
  };
  config->mode = mode == "sp"   ? Mode::kSingleProcess
                 : mode == "mt" ? Mode::kMultiThread
                                : Mode::kMultiProcess;
  config->pin_workers = !no_affinity;
  if (!config->config_file.empty()) return fail("--config is not available yet");
  if (backends.empty()) return fail("at least one --backend HOST:PORT is required");
  config->log_level = log_level == "debug"  ? base::LogLevel::kDebug
                      : log_level == "info" ? base::LogLevel::kInfo
                      : log_level == "warn" ? base::LogLevel::kWarn
                                            : base::LogLevel::kError;
  config->io = io == "uring" ? io::Backend::kUring
               : io == "epoll" ? io::Backend::kEpoll
                               : io::Backend::kAuto;
  for (const std::string& text : backends) {
    BackendConfig b;
    std::string error;
    if (!net::split_host_port(text, &b.host, &b.port, &error) ||
        !net::resolve(b.host, b.port, &b.address, &error)) {
      return fail("--backend: " + error);
    }
    config->backends.push_back(std::move(b));
  }
  return -1;
}

}  // namespace fulcrum::config

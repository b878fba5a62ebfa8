#include "config/cli.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <iostream>

#include "config/file.h"
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


// Flags given on the command line override the file: each long name says which field it sets.
using Override = void (*)(Config& to, const Config& from);
const std::pair<const char*, Override> kOverrides[] = {
    {"--port", [](Config& to, const Config& from) { to.port = from.port; }},
    {"--host", [](Config& to, const Config& from) { to.listen_host = from.listen_host; }},
    {"--workers", [](Config& to, const Config& from) { to.workers = from.workers; }},
    {"--mode", [](Config& to, const Config& from) { to.mode = from.mode; }},
    {"--no-affinity", [](Config& to, const Config& from) { to.pin_workers = from.pin_workers; }},
    {"--pid-file", [](Config& to, const Config& from) { to.pid_file = from.pid_file; }},
    {"--strategy", [](Config& to, const Config& from) { to.strategy = from.strategy; }},
    {"--hash-key", [](Config& to, const Config& from) { to.hash_key = from.hash_key; }},
    {"--retries", [](Config& to, const Config& from) { to.retries = from.retries; }},
    {"--no-health-checks",
     [](Config& to, const Config& from) { to.health.enabled = from.health.enabled; }},
    {"--health-interval",
     [](Config& to, const Config& from) { to.health.interval = from.health.interval; }},
    {"--health-timeout", [](Config& to, const Config& from) { to.health.timeout = from.health.timeout; }},
    {"--health-path", [](Config& to, const Config& from) { to.health.path = from.health.path; }},
    {"--health-status",
     [](Config& to, const Config& from) { to.health.expected_status = from.health.expected_status; }},
    {"--unhealthy-threshold",
     [](Config& to, const Config& from) {
       to.health.unhealthy_threshold = from.health.unhealthy_threshold;
     }},
    {"--healthy-threshold",
     [](Config& to, const Config& from) { to.health.healthy_threshold = from.health.healthy_threshold; }},
    {"--log-level", [](Config& to, const Config& from) { to.log_level = from.log_level; }},
    {"--io", [](Config& to, const Config& from) { to.io = from.io; }},
    {"--client-header-timeout",
     [](Config& to, const Config& from) { to.timeouts.client_header = from.timeouts.client_header; }},
    {"--client-idle-timeout",
     [](Config& to, const Config& from) { to.timeouts.client_idle = from.timeouts.client_idle; }},
    {"--connect-timeout",
     [](Config& to, const Config& from) { to.timeouts.connect = from.timeouts.connect; }},
    {"--backend-timeout",
     [](Config& to, const Config& from) { to.timeouts.backend = from.timeouts.backend; }},
    {"--pool-idle-timeout",
     [](Config& to, const Config& from) { to.timeouts.pool_idle = from.timeouts.pool_idle; }},
    {"--drain-timeout", [](Config& to, const Config& from) { to.timeouts.drain = from.timeouts.drain; }},
    {"--max-header-size",
     [](Config& to, const Config& from) { to.limits.max_header_bytes = from.limits.max_header_bytes; }},
    {"--max-headers",
     [](Config& to, const Config& from) { to.limits.max_headers = from.limits.max_headers; }},
    {"--max-request-line",
     [](Config& to, const Config& from) { to.limits.max_request_line = from.limits.max_request_line; }},
};

// "HOST:PORT" or "HOST:PORT,weight=N", resolved now.
bool parse_backend(const std::string& text, BackendConfig* b, std::string* error) {
  std::string address = text;
  size_t comma = text.find(',');
  if (comma != std::string::npos) {
    address = text.substr(0, comma);
    std::string option = text.substr(comma + 1);
    unsigned weight = 0;
    auto [end, ec] = std::from_chars(option.data() + std::min<size_t>(7, option.size()),
                                     option.data() + option.size(), weight);
    if (option.rfind("weight=", 0) != 0 || ec != std::errc() ||
        end != option.data() + option.size() || weight < 1 || weight > 1000) {
      *error = "'" + option + "' in '" + text + "' is not weight=N (1-1000)";
      return false;
    }
    b->weight = weight;
  }
  return net::split_host_port(address, &b->host, &b->port, error) &&
         net::resolve(b->host, b->port, &b->address, error);
}

}  // namespace

int parse_command_line(int argc, char** argv, Config* config) {
  CLI::App app("fulcrum: an HTTP/1.1 load balancer and reverse proxy", "fulcrum");
  app.set_version_flag("-V,--version", "fulcrum " FULCRUM_VERSION);
  app.get_formatter()->column_width(38);
  // As with most Unix tools, a flag given twice takes its last value (so a wrapper script can
  // override what it was handed); only --backend accumulates.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  Config cli;  // what the flags say; applied over the file's configuration
  std::vector<std::string> backends;
  std::string mode = "mp";
  std::string log_level = "info";
  std::string io = "auto";
  bool check = false;
  app.add_option("-b,--backend", backends, "Backend HOST:PORT[,weight=N] (repeatable)")
      ->type_name("HOST:PORT")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("-c,--config", cli.config_file, "Configuration file (YAML or JSON)")
      ->check(CLI::ExistingFile);
  app.add_flag("--check", check, "Load and validate the configuration, then exit");
  app.add_option("-p,--port", cli.port, "Port to listen on")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  app.add_option("--host", cli.listen_host, "Address to listen on")->capture_default_str();
  app.add_option("-w,--workers", cli.workers, "Workers (0: one per CPU)")->capture_default_str();
  app.add_option("--mode", mode,
                 "Process model: mp (master and worker processes), mt (threads), sp (one loop)")
      ->capture_default_str()
      ->check(CLI::IsMember({"sp", "mp", "mt"}));
  bool no_affinity = false;
  app.add_flag("--no-affinity", no_affinity, "Do not pin workers to CPUs");
  app.add_option("--pid-file", cli.pid_file, "Write the master's pid to this file");
  std::string strategy = "round_robin";
  std::string hash_key = "ip";
  app.add_option("-s,--strategy", strategy,
                 "Balancing: round_robin (weighted), random, least_conn, p2c, hash")
      ->capture_default_str()
      ->check(CLI::IsMember({"round_robin", "weighted", "random", "least_conn", "p2c", "hash"}));
  app.add_option("--hash-key", hash_key, "What -s hash hashes: ip, path, header:NAME, cookie:NAME")
      ->capture_default_str();
  app.add_option("--retries", cli.retries, "Other backends a failed request may be tried on")
      ->capture_default_str()
      ->check(CLI::Range(0u, 10u));
  HealthCheck& h = cli.health;
  bool no_health_checks = false;
  std::string health_status = "200";
  app.add_flag("--no-health-checks", no_health_checks, "No active probes (passive checks stay)");
  add_duration(app, "--health-interval", &h.interval, "Time between two probes of a backend");
  add_duration(app, "--health-timeout", &h.timeout, "Time a probe may take");
  app.add_option("--health-path", h.path, "What probes GET")->capture_default_str();
  app.add_option("--health-status", health_status, "Expected probe status, e.g. 200 or 200-399")
      ->capture_default_str();
  app.add_option("--unhealthy-threshold", h.unhealthy_threshold,
                 "Consecutive failures that take a backend down")
      ->capture_default_str()
      ->check(CLI::Range(1u, 100u));
  app.add_option("--healthy-threshold", h.healthy_threshold,
                 "Consecutive successes that bring it back")
      ->capture_default_str()
      ->check(CLI::Range(1u, 100u));
  app.add_option("-l,--log-level", log_level, "Log level: err, warn, info, debug")
      ->capture_default_str()
      ->check(CLI::IsMember({"err", "error", "warn", "info", "debug"}));
  app.add_option("--io", io, "I/O backend: auto, uring, epoll")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "uring", "epoll"}));
  Timeouts& t = cli.timeouts;
  add_duration(app, "--client-header-timeout", &t.client_header, "Time to receive a request head");
  add_duration(app, "--client-idle-timeout", &t.client_idle, "Keep-alive idle time of a client");
  add_duration(app, "--connect-timeout", &t.connect, "Time to connect to a backend");
  add_duration(app, "--backend-timeout", &t.backend, "Time to a backend's response head");
  add_duration(app, "--pool-idle-timeout", &t.pool_idle, "Idle time of a pooled backend connection");
  add_duration(app, "--drain-timeout", &t.drain, "Time for requests in flight at shutdown");
  http::Limits& l = cli.limits;
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
  cli.mode = mode == "sp"   ? Mode::kSingleProcess
             : mode == "mt" ? Mode::kMultiThread
                            : Mode::kMultiProcess;
  cli.pin_workers = !no_affinity;
  cli.strategy = *upstream::parse_strategy(strategy);
  h.enabled = !no_health_checks;
  if (auto range = parse_status_range(health_status)) {
    h.expected_status = {*range};
  } else {
    return fail("--health-status: '" + health_status + "' is not a status or range (e.g. 200-399)");
  }
  if (app.get_option("--health-timeout")->count() == 0) {
    h.timeout = std::min(h.timeout, h.interval);  // the default yields to a shorter interval
  } else if (h.timeout > h.interval) {
    return fail("--health-timeout: longer than --health-interval");
  }
  if (auto key = parse_hash_key(hash_key)) {
    cli.hash_key = *key;
  } else {
    return fail("--hash-key: '" + hash_key + "' is not one of " + std::string(kHashKeyForms));
  }
  cli.log_level = log_level == "debug"  ? base::LogLevel::kDebug
                  : log_level == "info" ? base::LogLevel::kInfo
                  : log_level == "warn" ? base::LogLevel::kWarn
                                        : base::LogLevel::kError;
  cli.io = io == "uring" ? io::Backend::kUring : io == "epoll" ? io::Backend::kEpoll : io::Backend::kAuto;
  for (const std::string& text : backends) {
    BackendConfig b;
    std::string error;
    if (!parse_backend(text, &b, &error)) return fail("--backend: " + error);
    cli.backends.push_back(std::move(b));
  }

  Config result;
  if (!cli.config_file.empty()) {
    std::vector<std::string> errors;
    if (!load_config_file(cli.config_file, &result, &errors)) {
      for (const std::string& e : errors) std::cerr << e << "\n";
      std::cerr << "fulcrum: " << cli.config_file << ": " << errors.size()
                << (errors.size() == 1 ? " error\n" : " errors\n");
      return 1;
    }
  }
  for (const auto& [name, apply] : kOverrides) {
    if (app.get_option(name)->count() > 0 || cli.config_file.empty()) apply(result, cli);
  }
  // -b replaces the default pool's backends of a file.
  if (!cli.backends.empty() || cli.config_file.empty()) result.backends = cli.backends;
  if (result.backends.empty()) {
    return fail("at least one --backend HOST:PORT (or a --config file with backends) is required");
  }
  if (check) {
    std::cout << (cli.config_file.empty() ? "command line" : cli.config_file) << ": ok\n";
    return 0;
  }
  *config = std::move(result);
  return -1;
}

}  // namespace fulcrum::config

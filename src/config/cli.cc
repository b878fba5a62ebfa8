#include "config/cli.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <iostream>

#include "config/file.h"
#include "config/units.h"

namespace fulcrum::config {
namespace {

// `nonzero`, when given, names what the duration is for and refuses 0, as the file does for it.
void add_duration(CLI::App& app, const std::string& name, milliseconds* target,
                  const std::string& help, const std::string& nonzero = "") {
  app.add_option_function<std::string>(
         name,
         [name, target, nonzero](const std::string& text) {
           auto d = parse_duration(text);
           if (!d) {
             throw CLI::ValidationError(name,
                                        "'" + text + "' is not a duration (e.g. 500ms, 10s, 2m)");
           }
           if (!nonzero.empty() && d->count() == 0) {
             throw CLI::ValidationError(name, "0 is not a " + nonzero + " (more than 0)");
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
             throw CLI::ValidationError(name, "'" + text + "' is not a size (e.g. 8k, 1m, 4096)");
           }
           *target = static_cast<uint32_t>(*s);
         },
         help)
      ->default_str(std::to_string(*target))
      ->type_name("SIZE");
}

// Flags given on the command line override the file: each long name says which field it sets.
// The pool flags set the default pool's fields; the backend timeouts set every pool's.
using Override = void (*)(Config& to, const Config& from);
#define FULCRUM_POOL_OVERRIDE(flag, field)                               \
  {                                                                      \
    flag, [](Config& to, const Config& from) {                           \
      to.default_pool_config().field = from.default_pool_config().field; \
    }                                                                    \
  }
#define FULCRUM_TIMEOUT_OVERRIDE(flag, field)                                 \
  {                                                                           \
    flag, [](Config& to, const Config& from) {                                \
      to.timeouts.field = from.timeouts.field;                                \
      for (PoolConfig & p : to.pools) p.timeouts.field = from.timeouts.field; \
    }                                                                         \
  }
const std::pair<const char*, Override> kOverrides[] = {
    {"--workers", [](Config& to, const Config& from) { to.workers = from.workers; }},
    {"--mode", [](Config& to, const Config& from) { to.mode = from.mode; }},
    {"--no-affinity", [](Config& to, const Config& from) { to.pin_workers = from.pin_workers; }},
    {"--pid-file", [](Config& to, const Config& from) { to.pid_file = from.pid_file; }},
    {"--watch", [](Config& to, const Config& from) { to.watch = from.watch; }},
    FULCRUM_POOL_OVERRIDE("--strategy", strategy),
    FULCRUM_POOL_OVERRIDE("--hash-key", hash_key),
    FULCRUM_POOL_OVERRIDE("--retries", retries),
    FULCRUM_POOL_OVERRIDE("--slow-start", slow_start),
    FULCRUM_POOL_OVERRIDE("--no-health-checks", health.enabled),
    FULCRUM_POOL_OVERRIDE("--health-interval", health.interval),
    FULCRUM_POOL_OVERRIDE("--health-timeout", health.timeout),
    FULCRUM_POOL_OVERRIDE("--health-timeout", health.timeout_given),  // then held to the interval
    FULCRUM_POOL_OVERRIDE("--health-path", health.path),
    FULCRUM_POOL_OVERRIDE("--health-status", health.expected_status),
    FULCRUM_POOL_OVERRIDE("--unhealthy-threshold", health.unhealthy_threshold),
    FULCRUM_POOL_OVERRIDE("--healthy-threshold", health.healthy_threshold),
    {"--log-level", [](Config& to, const Config& from) { to.log_level = from.log_level; }},
    {"--access-log", [](Config& to, const Config& from) { to.access_log = from.access_log; }},
    {"--io", [](Config& to, const Config& from) { to.io = from.io; }},
    {"--client-header-timeout",
     [](Config& to, const Config& from) {
       to.timeouts.client_header = from.timeouts.client_header;
     }},
    {"--client-idle-timeout",
     [](Config& to, const Config& from) { to.timeouts.client_idle = from.timeouts.client_idle; }},
    FULCRUM_TIMEOUT_OVERRIDE("--connect-timeout", connect),
    FULCRUM_TIMEOUT_OVERRIDE("--backend-timeout", backend),
    FULCRUM_TIMEOUT_OVERRIDE("--pool-idle-timeout", pool_idle),
    {"--drain-timeout",
     [](Config& to, const Config& from) { to.timeouts.drain = from.timeouts.drain; }},
    {"--tunnel-timeout",
     [](Config& to, const Config& from) { to.timeouts.tunnel = from.timeouts.tunnel; }},
    {"--max-header-size",
     [](Config& to, const Config& from) {
       to.limits.max_header_bytes = from.limits.max_header_bytes;
     }},
    {"--max-headers",
     [](Config& to, const Config& from) { to.limits.max_headers = from.limits.max_headers; }},
    {"--max-request-line",
     [](Config& to, const Config& from) {
       to.limits.max_request_line = from.limits.max_request_line;
     }},
};
#undef FULCRUM_POOL_OVERRIDE
#undef FULCRUM_TIMEOUT_OVERRIDE

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

// Why the default pool's probe timeout, longer than its interval, is refused, naming the flag
// that made it so: --health-timeout, or --health-interval below a timeout that the file gives.
std::string health_timeout_conflict(const CLI::App& app, const HealthCheck& h,
                                    const std::string& config_file) {
  const std::string timeout = duration_text(h.timeout);
  const std::string interval = duration_text(h.interval);
  if (app.get_option("--health-timeout")->count() > 0) {
    const bool interval_flag = app.get_option("--health-interval")->count() > 0;
    const std::string source = interval_flag         ? ""
                               : config_file.empty() ? ", the default"
                                                     : ", from " + config_file;
    return "--health-timeout: " + timeout + " is longer than the interval (" + interval + source +
           "); a probe must end before the next";
  }
  return "--health-interval: " + interval + " is shorter than the probe timeout (" + timeout +
         ") that " + config_file +
         " gives; a probe must end before the next, so set --health-timeout too";
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
  cli.pools.emplace_back();
  cli.pools[0].name = "default";
  cli.default_pool = "default";
  PoolConfig& pool = cli.pools[0];
  std::vector<std::string> backends;
  std::string listen_host(kDefaultListenHost);
  uint16_t port = kDefaultPort;
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
  app.add_flag("--watch", cli.watch, "Reload the --config file when it changes");
  app.add_option("-p,--port", port, "Port to listen on (with --host, replaces the file's listen)")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  app.add_option("--host", listen_host, "Address to listen on")->capture_default_str();
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
  app.add_option("--retries", pool.retries, "Other backends a failed request may be tried on")
      ->capture_default_str()
      ->check(CLI::Range(0u, 10u));
  add_duration(app, "--slow-start", &pool.slow_start,
               "A recovered backend's share of traffic ramps up over this (0: at once)");
  HealthCheck& h = pool.health;
  bool no_health_checks = false;
  std::string health_status = format_status_range(h.expected_status.front());
  app.add_flag("--no-health-checks", no_health_checks, "No active probes (passive checks stay)");
  add_duration(app, "--health-interval", &h.interval, "Time between two probes of a backend",
               "probe interval");
  add_duration(app, "--health-timeout", &h.timeout, "Time a probe may take", "probe timeout");
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
  app.add_option("--access-log", cli.access_log, "Log each request to this file, a line each")
      ->type_name("PATH");
  app.add_option("--io", io, "I/O backend: auto, uring, epoll")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "uring", "epoll"}));
  Timeouts& t = cli.timeouts;
  add_duration(app, "--client-header-timeout", &t.client_header, "Time to receive a request head");
  add_duration(app, "--client-idle-timeout", &t.client_idle, "Keep-alive idle time of a client");
  add_duration(app, "--connect-timeout", &t.connect, "Time to connect to a backend");
  add_duration(app, "--backend-timeout", &t.backend, "Time to a backend's response head");
  add_duration(app, "--pool-idle-timeout", &t.pool_idle,
               "Idle time of a pooled backend connection");
  add_duration(app, "--drain-timeout", &t.drain, "Time for requests in flight at shutdown");
  add_duration(app, "--tunnel-timeout", &t.tunnel,
               "Idle time of an upgraded (WebSocket) connection");
  http::Limits& l = cli.limits;
  add_size(app, "--max-header-size", &l.max_header_bytes, "Largest request or response head");
  app.add_option("--max-headers", l.max_headers, "Most header fields in a request or response head")
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
  pool.strategy = *upstream::parse_strategy(strategy);
  h.enabled = !no_health_checks;
  if (auto range = parse_status_range(health_status)) {
    h.expected_status = {*range};
  } else {
    return fail("--health-status: '" + health_status + "' is not a status or range (e.g. 200-399)");
  }
  if (!is_probe_path(h.path)) {
    return fail("--health-path: '" + h.path + "' is not " + std::string(kProbePathForm));
  }
  h.timeout_given = app.get_option("--health-timeout")->count() > 0;
  if (auto key = parse_hash_key(hash_key)) {
    pool.hash_key = *key;
  } else {
    return fail("--hash-key: '" + hash_key + "' is not one of " + std::string(kHashKeyForms));
  }
  cli.log_level = log_level == "debug"  ? base::LogLevel::kDebug
                  : log_level == "info" ? base::LogLevel::kInfo
                  : log_level == "warn" ? base::LogLevel::kWarn
                                        : base::LogLevel::kError;
  cli.io = io == "uring"   ? io::Backend::kUring
           : io == "epoll" ? io::Backend::kEpoll
                           : io::Backend::kAuto;
  for (const std::string& text : backends) {
    BackendConfig b;
    std::string error;
    if (!parse_backend(text, &b, &error)) return fail("--backend: " + error);
    pool.backends.push_back(std::move(b));
  }

  if (cli.watch && cli.config_file.empty()) return fail("--watch: needs a --config file");
  if (std::string error; !cli.access_log.empty() && !check_access_log(cli.access_log, &error)) {
    return fail("--access-log: " + error);
  }
  pool.timeouts = {t.connect, t.backend, t.pool_idle};
  pool.pool_size = cli.pool_size;

  Config result;
  if (cli.config_file.empty()) {
    result = cli;
  } else {
    std::vector<std::string> errors;
    if (!load_config_file(cli.config_file, &result, &errors)) {
      for (const std::string& e : errors) std::cerr << e << "\n";
      std::cerr << "fulcrum: " << cli.config_file << ": " << errors.size()
                << (errors.size() == 1 ? " error\n" : " errors\n");
      return 1;
    }
    result.config_file = cli.config_file;
    for (const auto& [name, apply] : kOverrides) {
      if (app.get_option(name)->count() > 0) apply(result, cli);
    }
    // -b replaces the backends of the file's default pool.
    if (!pool.backends.empty()) result.default_pool_config().backends = pool.backends;
  }
  // Checked once the flags are over the file, so that a flag is held to the file's values: the
  // file's other pools were checked as it loaded, and the flags change only the default pool.
  if (!fit_health_timeout(&result.default_pool_config().health)) {
    return fail(health_timeout_conflict(app, result.default_pool_config().health, cli.config_file));
  }
  if (result.listeners.empty() || app.get_option("--host")->count() > 0 ||
      app.get_option("--port")->count() > 0) {
    ListenConfig listener{listen_host, port, {}};
    std::string error;
    if (!net::resolve(listener.host, listener.port, &listener.address, &error)) {
      return fail("--host: " + error);
    }
    result.listeners = {std::move(listener)};
  }
  if (result.default_pool_config().backends.empty()) {
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

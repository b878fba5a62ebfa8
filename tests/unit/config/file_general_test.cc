// The process-wide keys of the configuration file: listen, workers, mode, io, log, limits,
// timeouts, pool_size; and what every file shares: syntax, types, unknown and repeated keys.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

#include "config/file.h"

namespace fulcrum::config {
namespace {

using Lines = std::vector<std::string>;
using std::chrono::milliseconds;

constexpr const char* kBackends = "backends: [\"127.0.0.1:9001\"]\n";

Lines errors_of(const std::string& text) {
  Config config;
  config.workers = 77;  // a failed load leaves the model alone
  Lines errors;
  EXPECT_FALSE(load_config_text(text, "fulcrum.yaml", &config, &errors));
  EXPECT_EQ(config.workers, 77u);
  return errors;
}

Config load(const std::string& text) {
  Config config;
  Lines errors;
  EXPECT_TRUE(load_config_text(text, "fulcrum.yaml", &config, &errors));
  EXPECT_EQ(errors, Lines{});
  return config;
}

TEST(ConfigFileSyntax, YamlSyntaxErrorHasItsPosition) {
  EXPECT_EQ(errors_of("backends: [\"127.0.0.1:9001\"\nworkers: 2\n"),
            Lines{"fulcrum.yaml:2:1: YAML syntax: end of sequence flow not found"});
  EXPECT_EQ(errors_of("pools:\n  api:\n\tbackends: []\n"),
            Lines{"fulcrum.yaml:3:2: YAML syntax: end of map not found"});
}

TEST(ConfigFileSyntax, EmptyFileAndNonMapDocument) {
  EXPECT_EQ(errors_of(""),
            Lines{"fulcrum.yaml:1:1: the file is empty; expected a map of settings"});
  EXPECT_EQ(errors_of("# only a comment\n"),
            Lines{"fulcrum.yaml:1:1: the file is empty; expected a map of settings"});
  EXPECT_EQ(errors_of("- 127.0.0.1:9001\n"),
            Lines{"fulcrum.yaml:1:1: expected a map of settings, got a list"});
}

TEST(ConfigFileSyntax, SecondDocumentIsAnError) {
  EXPECT_EQ(errors_of(std::string(kBackends) + "---\nworkers: 2\n"),
            Lines{"fulcrum.yaml:3:1: a second YAML document; the configuration is a single "
                  "document"});
}

// Found by fuzzing: a comma after a top-level flow collection begins a document that consumes
// nothing, and yaml-cpp 0.7's LoadAll adds such documents until memory runs out.
TEST(ConfigFileSyntax, CommaAfterTopLevelFlowCollectionEnds) {
  EXPECT_EQ(errors_of("{\"backends\": [\"127.0.0.1:9001\"]},\n"),
            Lines{"fulcrum.yaml:1:33: a second YAML document; the configuration is a single "
                  "document"});
  const Lines two_lists = {
      "fulcrum.yaml:1:1: expected a map of settings, got a list",
      "fulcrum.yaml:1:4: a second YAML document; the configuration is a single document"};
  EXPECT_EQ(errors_of("[a], [b]"), two_lists);
}

TEST(ConfigFileSyntax, NoBackendsAtAll) {
  EXPECT_EQ(errors_of("workers: 2\n"),
            Lines{"fulcrum.yaml:1:1: no backends: give `backends` (a single pool) or `pools`"});
}

TEST(ConfigFileSyntax, UnknownTopLevelKeySuggestsOrLists) {
  EXPECT_EQ(errors_of(std::string(kBackends) + "wrokers: 2\n"),
            Lines{"fulcrum.yaml:2:1: wrokers: unknown key (did you mean 'workers'?)"});
  EXPECT_EQ(errors_of(std::string(kBackends) + "colour: red\n"),
            Lines{"fulcrum.yaml:2:1: colour: unknown key (one of: listen, workers, mode, io, log, "
                  "limits, timeouts, pool_size, backends, strategy, hash_key, pools, routes, "
                  "default_pool, headers)"});
}

TEST(ConfigFileSyntax, RepeatedKeyIsAnError) {
  EXPECT_EQ(errors_of(std::string(kBackends) + "workers: 2\nworkers: 3\n"),
            Lines{"fulcrum.yaml:3:1: workers: duplicate key (first at 2:1)"});
}

TEST(ConfigFileSyntax, WrongTypes) {
  EXPECT_EQ(
      errors_of(std::string(kBackends) + "limits: [1, 2]\n"   // a list where a map is expected
                                         "workers: \"4\"\n"   // a string where a number is expected
                                         "mode: {sp: 1}\n"    // a map where a name is expected
                                         "log:\n  level:\n"   // nothing where a name is expected
                                         "timeouts: 10s\n"),  // a scalar where a map is expected
      (Lines{
          "fulcrum.yaml:2:9: limits: expected a map of limits, got a list",
          "fulcrum.yaml:3:10: workers: \"4\" is a string; expected a worker count (0-1024)",
          "fulcrum.yaml:4:7: mode: expected a process model (one of: sp, mp, mt), got a map",
          "fulcrum.yaml:6:3: log.level: expected a log level (one of: err, error, warn, "
          "info, debug), got nothing",
          "fulcrum.yaml:7:11: timeouts: expected a map of timeouts, got '10s'",
      }));
}

TEST(ConfigFileGeneral, DefaultsWhenTheFileSaysNothing) {
  Config c = load(kBackends);
  Config defaults;
  EXPECT_EQ(c.workers, defaults.workers);
  EXPECT_EQ(c.mode, defaults.mode);
  EXPECT_EQ(c.io, io::Backend::kAuto);
  EXPECT_EQ(c.log_level, base::LogLevel::kInfo);
  EXPECT_EQ(c.timeouts.connect, defaults.timeouts.connect);
  EXPECT_EQ(c.limits.max_header_bytes, defaults.limits.max_header_bytes);
  ASSERT_EQ(c.listeners.size(), 1u);
  EXPECT_EQ(c.listeners[0].address.to_string(), "0.0.0.0:8080");
  EXPECT_EQ(c.config_file, "fulcrum.yaml");
}

TEST(ConfigFileGeneral, ListenForms) {
  Config one = load(std::string(kBackends) + "listen: 9000\n");
  ASSERT_EQ(one.listeners.size(), 1u);
  EXPECT_EQ(one.listeners[0].address.to_string(), "0.0.0.0:9000");

  Config many =
      load(std::string(kBackends) + "listen: [\"127.0.0.1:8080\", \"[::1]:8081\", 8082]\n");
  ASSERT_EQ(many.listeners.size(), 3u);
  EXPECT_EQ(many.listeners[0].address.to_string(), "127.0.0.1:8080");
  EXPECT_EQ(many.listeners[1].host, "::1");
  EXPECT_EQ(many.listeners[1].address.to_string(), "[::1]:8081");
  EXPECT_EQ(many.listeners[2].host, "0.0.0.0");
}

TEST(ConfigFileGeneral, ListenErrors) {
  EXPECT_EQ(errors_of(std::string(kBackends) +
                      "listen: [8080, \"0.0.0.0:8080\", any, 70000, \"h:0\", []]\n"),
            (Lines{
                "fulcrum.yaml:2:16: listen[1]: duplicate listen address (first at 2:10)",
                "fulcrum.yaml:2:32: listen[2]: 'any' is not a listen address (PORT, HOST:PORT or "
                "[IPv6]:PORT)",
                "fulcrum.yaml:2:37: listen[3]: 70000 is not a port (1-65535)",
                "fulcrum.yaml:2:44: listen[4]: '0' is not a port (1-65535) in 'h:0'",
                "fulcrum.yaml:2:51: listen[5]: expected a port, HOST:PORT or [IPv6]:PORT, got a "
                "list",
            }));
  EXPECT_EQ(errors_of(std::string(kBackends) + "listen: []\n"),
            Lines{"fulcrum.yaml:2:9: listen: empty; give at least one address to listen on"});
  std::vector<std::string> unresolved =
      errors_of(std::string(kBackends) + "listen: \"no-such-host.invalid:80\"\n");
  ASSERT_EQ(unresolved.size(), 1u);
  EXPECT_TRUE(unresolved[0].starts_with(
      "fulcrum.yaml:2:9: listen: cannot resolve 'no-such-host.invalid': "))
      << unresolved[0];
}

TEST(ConfigFileGeneral, ProcessSettings) {
  Config c = load(std::string(kBackends) +
                  "workers: 8\nmode: mt\nio: epoll\nlog: {level: debug}\npool_size: 16\n");
  EXPECT_EQ(c.workers, 8u);
  EXPECT_EQ(c.mode, Mode::kMultiThread);
  EXPECT_EQ(c.io, io::Backend::kEpoll);
  EXPECT_EQ(c.log_level, base::LogLevel::kDebug);
  EXPECT_EQ(c.pool_size, 16u);
  EXPECT_EQ(load(std::string(kBackends) + "mode: sp\n").mode, Mode::kSingleProcess);
  EXPECT_EQ(load(std::string(kBackends) + "log: {level: err}\n").log_level, base::LogLevel::kError);
}

TEST(ConfigFileGeneral, ProcessSettingErrors) {
  EXPECT_EQ(errors_of(std::string(kBackends) +
                      "workers: -1\nmode: multi\nio: urnig\nlog: {levle: info}\npool_size: 1.5\n"),
            (Lines{
                "fulcrum.yaml:2:10: workers: -1 is not a worker count (0-1024)",
                "fulcrum.yaml:3:7: mode: 'multi' is not a process model (one of: sp, mp, mt)",
                "fulcrum.yaml:4:5: io: 'urnig' is not an I/O backend (did you mean 'uring'?)",
                "fulcrum.yaml:5:7: log.levle: unknown key (did you mean 'level'?)",
                "fulcrum.yaml:6:12: pool_size: '1.5' is not a pool size (0-65536)",
            }));
}

TEST(ConfigFileGeneral, AccessLog) {
  const std::string path =
      ::testing::TempDir() + "fulcrum-access-log-check-" + std::to_string(::getpid()) + ".log";
  std::remove(path.c_str());
  EXPECT_EQ(load(std::string(kBackends)).access_log, "");
  EXPECT_EQ(load(std::string(kBackends) + "log: {level: warn, access: " + path + "}\n").access_log,
            path);
  EXPECT_EQ(std::remove(path.c_str()), 0) << "the check creates the file";
  EXPECT_EQ(errors_of(std::string(kBackends) + "log:\n  access: /nonexistent-dir/a.log\n"),
            Lines{"fulcrum.yaml:3:11: log.access: cannot open /nonexistent-dir/a.log: No such file "
                  "or directory"});
}

TEST(ConfigFileGeneral, LimitsAndTimeouts) {
  Config c = load(std::string(kBackends) +
                  "limits: {max_header_size: 64k, max_headers: 50, max_request_line: 4096}\n"
                  "timeouts:\n"
                  "  client_header: 5s\n  client_idle: 2m\n  connect: 500ms\n"
                  "  backend: 45\n  pool_idle: 1h\n  drain: \"3s\"\n  tunnel: 10m\n");
  EXPECT_EQ(c.limits.max_header_bytes, 65536u);
  EXPECT_EQ(c.limits.max_headers, 50u);
  EXPECT_EQ(c.limits.max_request_line, 4096u);
  EXPECT_EQ(c.timeouts.client_header, milliseconds(5'000));
  EXPECT_EQ(c.timeouts.client_idle, milliseconds(120'000));
  EXPECT_EQ(c.timeouts.connect, milliseconds(500));
  EXPECT_EQ(c.timeouts.backend, milliseconds(45'000));
  EXPECT_EQ(c.timeouts.pool_idle, milliseconds(3'600'000));
  EXPECT_EQ(c.timeouts.drain, milliseconds(3'000));
  EXPECT_EQ(c.timeouts.tunnel, milliseconds(600'000));
}

TEST(ConfigFileGeneral, LimitAndTimeoutErrors) {
  EXPECT_EQ(errors_of(std::string(kBackends) + "limits:\n"
                                               "  max_header_size: 0\n"
                                               "  max_headers: 20000\n"
                                               "  max_request_line: 8kb\n"
                                               "  max_header: 8k\n"
                                               "timeouts:\n"
                                               "  connect: 3x\n"
                                               "  backend: -1s\n"
                                               "  drain: 1.5s\n"
                                               "  idle: 1s\n"),
            (Lines{
                "fulcrum.yaml:3:20: limits.max_header_size: 0 is out of range (1-4294967295 bytes)",
                "fulcrum.yaml:4:16: limits.max_headers: 20000 is not a header count (1-10000)",
                "fulcrum.yaml:5:21: limits.max_request_line: '8kb' is not a size (e.g. 32k, 1m, "
                "or bytes)",
                "fulcrum.yaml:6:3: limits.max_header: unknown key (did you mean 'max_headers'?)",
                "fulcrum.yaml:8:12: timeouts.connect: '3x' is not a duration (e.g. 500ms, 10s, "
                "2m, 1h, or seconds)",
                "fulcrum.yaml:9:12: timeouts.backend: '-1s' is not a duration (e.g. 500ms, 10s, "
                "2m, 1h, or seconds)",
                "fulcrum.yaml:10:10: timeouts.drain: '1.5s' is not a duration (e.g. 500ms, 10s, "
                "2m, 1h, or seconds)",
                "fulcrum.yaml:11:3: timeouts.idle: unknown key (one of: client_header, "
                "client_idle, connect, backend, pool_idle, drain, tunnel)",
            }));
}

TEST(ConfigFileGeneral, CollectsErrorsFromEverySection) {
  Lines errors = errors_of(
      "listen: 0\nworkers: x\npools:\n  api:\n    backends: []\nroutes:\n  - pool: web\n");
  EXPECT_EQ(errors.size(), 5u);
}

TEST(ConfigFileGeneral, MissingFileNamesTheFile) {
  Config c;
  Lines errors;
  EXPECT_FALSE(load_config_file("/nonexistent/fulcrum.yaml", &c, &errors));
  EXPECT_EQ(errors, Lines{"/nonexistent/fulcrum.yaml: cannot open: No such file or directory"});
}

}  // namespace
}  // namespace fulcrum::config

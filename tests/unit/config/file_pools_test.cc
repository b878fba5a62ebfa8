// The pools of the configuration file: backends, strategies, hash keys, health checks, retries,
// slow start, per-pool timeouts and pool sizes, and the top-level `backends` shorthand.
#include <gtest/gtest.h>

#include "config/file.h"

namespace fulcrum::config {
namespace {

using Lines = std::vector<std::string>;
using std::chrono::milliseconds;

Lines errors_of(const std::string& text) {
  Config config;
  Lines errors;
  EXPECT_FALSE(load_config_text(text, "fulcrum.yaml", &config, &errors));
  return errors;
}

Config load(const std::string& text) {
  Config config;
  Lines errors;
  EXPECT_TRUE(load_config_text(text, "fulcrum.yaml", &config, &errors));
  EXPECT_EQ(errors, Lines{});
  return config;
}

// A file with one pool "api" whose body (indented by four) is `body`.
std::string api_pool(const std::string& body) { return "pools:\n  api:\n" + body; }

TEST(ConfigFilePools, BackendPortOutOfRange) {
  EXPECT_EQ(errors_of(api_pool("    backends:\n"
                               "      - {host: 127.0.0.1, port: 9001}\n"
                               "      - {host: 127.0.0.1, port: 9002}\n"
                               "      - host: 127.0.0.1\n"
                               "        port: 70000\n")),
            Lines{"fulcrum.yaml:7:15: pools.api.backends[2].port: 70000 is not a port (1-65535)"});
}

TEST(ConfigFilePools, UnknownBackendKeySuggests) {
  EXPECT_EQ(errors_of(api_pool("    backends:\n"
                               "      - host: 127.0.0.1\n"
                               "        port: 9001\n"
                               "        wieght: 2\n")),
            Lines{"fulcrum.yaml:6:9: pools.api.backends[0].wieght: unknown key (did you mean "
                  "'weight'?)"});
}

TEST(ConfigFilePools, NegativeZeroAndStringWeights) {
  EXPECT_EQ(errors_of(api_pool("    backends:\n"
                               "      - {host: 127.0.0.1, port: 9001, weight: -1}\n"
                               "      - {host: 127.0.0.1, port: 9002, weight: 0}\n"
                               "      - {host: 127.0.0.1, port: 9003, weight: \"2\"}\n"
                               "      - {host: 127.0.0.1, port: 9004, weight: 1001}\n")),
            (Lines{
                "fulcrum.yaml:4:47: pools.api.backends[0].weight: -1 is not a weight (1-1000)",
                "fulcrum.yaml:5:47: pools.api.backends[1].weight: 0 is not a weight (1-1000)",
                "fulcrum.yaml:6:47: pools.api.backends[2].weight: \"2\" is a string; expected a "
                "weight (1-1000)",
                "fulcrum.yaml:7:47: pools.api.backends[3].weight: 1001 is not a weight (1-1000)",
            }));
}

TEST(ConfigFilePools, MissingHostOrPortAndMalformedShorthand) {
  EXPECT_EQ(errors_of(api_pool("    backends:\n"
                               "      - {host: 127.0.0.1}\n"
                               "      - port: 9001\n"
                               "      - \"127.0.0.1\"\n"
                               "      - [127.0.0.1, 9001]\n")),
            (Lines{
                "fulcrum.yaml:4:9: pools.api.backends[0].port: missing (required; 1-65535)",
                "fulcrum.yaml:5:9: pools.api.backends[1].host: missing (required)",
                "fulcrum.yaml:6:9: pools.api.backends[2]: '127.0.0.1' is not HOST:PORT",
                "fulcrum.yaml:7:9: pools.api.backends[3]: expected a backend (HOST:PORT or a map "
                "of host, port, weight), got a list",
            }));
}

TEST(ConfigFilePools, MisspeltKeyIsNotAlsoMissing) {
  EXPECT_EQ(errors_of(api_pool("    backends:\n"
                               "      - {host: 127.0.0.1, prot: 9001}\n"
                               "      - {hots: 127.0.0.1, port: 9002}\n"
                               "      - {address: 127.0.0.1, port: 9003}\n")),
            (Lines{
                "fulcrum.yaml:4:27: pools.api.backends[0].prot: unknown key (did you mean "
                "'port'?)",
                "fulcrum.yaml:5:10: pools.api.backends[1].hots: unknown key (did you mean "
                "'host'?)",
                "fulcrum.yaml:6:9: pools.api.backends[2].host: missing (required)",
                "fulcrum.yaml:6:10: pools.api.backends[2].address: unknown key (one of: host, "
                "port, weight)",
            }));
  EXPECT_EQ(errors_of(api_pool("    bakends: [\"127.0.0.1:9001\"]\n")),
            Lines{"fulcrum.yaml:3:5: pools.api.bakends: unknown key (did you mean 'backends'?)"});
}

TEST(ConfigFilePools, EmptyOrMissingBackends) {
  EXPECT_EQ(
      errors_of(api_pool("    backends: []\n")),
      Lines{"fulcrum.yaml:3:15: pools.api.backends: empty; a pool needs at least one backend"});
  EXPECT_EQ(
      errors_of(api_pool("    retries: 1\n")),
      Lines{"fulcrum.yaml:3:5: pools.api.backends: missing; a pool needs at least one backend"});
  EXPECT_EQ(errors_of(api_pool("    backends: {host: 127.0.0.1, port: 9001}\n")),
            Lines{"fulcrum.yaml:3:15: pools.api.backends: expected a list of backends, got a map"});
}

TEST(ConfigFilePools, DuplicateBackend) {
  EXPECT_EQ(
      errors_of(api_pool("    backends: [\"127.0.0.1:9001\", {host: 127.0.0.1, port: 9001}]\n")),
      Lines{"fulcrum.yaml:3:34: pools.api.backends[1]: duplicate backend 127.0.0.1:9001 "
            "(first at 3:16)"});
}

TEST(ConfigFilePools, UnresolvableHostIsAnErrorAtTheHost) {
  Lines errors =
      errors_of(api_pool("    backends:\n"
                         "      - host: no-such-host.invalid\n"
                         "        port: 9001\n"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(
      errors[0].starts_with("fulcrum.yaml:4:15: pools.api.backends[0].host: cannot "
                            "resolve 'no-such-host.invalid': "))
      << errors[0];
}

TEST(ConfigFilePools, DuplicatePoolNames) {
  EXPECT_EQ(errors_of("pools:\n"
                      "  api:\n    backends: [\"127.0.0.1:9001\"]\n"
                      "  api:\n    backends: [\"127.0.0.1:9002\"]\n"),
            Lines{"fulcrum.yaml:4:3: pools.api: duplicate pool name (first at 2:3)"});
  EXPECT_EQ(errors_of("backends: [\"127.0.0.1:9001\"]\n"
                      "pools:\n  default:\n    backends: [\"127.0.0.1:9002\"]\n"
                      "default_pool: default\n"),
            Lines{"fulcrum.yaml:3:3: pools.default: duplicate pool name (the top-level backends "
                  "are pool 'default')"});
}

TEST(ConfigFilePools, BadPoolNameAndPoolsType) {
  EXPECT_EQ(errors_of("pools:\n  \"a.b\":\n    backends: [\"127.0.0.1:9001\"]\n"),
            Lines{"fulcrum.yaml:2:3: pools.a.b: 'a.b' is not a pool name (letters, digits, '-' "
                  "and '_')"});
  EXPECT_EQ(errors_of("pools:\n  - api\n"),
            Lines{"fulcrum.yaml:2:3: pools: expected a map of pools by name, got a list"});
  EXPECT_EQ(errors_of("pools: {}\n"),
            Lines{"fulcrum.yaml:1:8: pools: empty; define at least one pool"});
  EXPECT_EQ(errors_of("pools:\n  api: [\"127.0.0.1:9001\"]\n"),
            Lines{"fulcrum.yaml:2:8: pools.api: expected a map of pool settings, got a list"});
}

TEST(ConfigFilePools, InvalidStrategy) {
  EXPECT_EQ(errors_of(api_pool("    backends: [\"127.0.0.1:9001\"]\n"
                               "    strategy: round_robbin\n")),
            Lines{"fulcrum.yaml:4:15: pools.api.strategy: 'round_robbin' is not a strategy (did "
                  "you mean 'round_robin'?)"});
  EXPECT_EQ(errors_of(api_pool("    backends: [\"127.0.0.1:9001\"]\n"
                               "    strategy: fastest\n")),
            Lines{"fulcrum.yaml:4:15: pools.api.strategy: 'fastest' is not a strategy (one of: "
                  "round_robin, weighted, random, least_conn, p2c, hash)"});
}

TEST(ConfigFilePools, HashKeys) {
  auto key_of = [](const std::string& key) {
    return load(api_pool("    backends: [\"127.0.0.1:9001\"]\n"
                         "    strategy: hash\n"
                         "    hash_key: \"" +
                         key + "\"\n"))
        .pools.at(0)
        .hash_key;
  };
  EXPECT_EQ(key_of("ip").source, HashKey::Source::kClientIp);
  EXPECT_EQ(key_of("path").source, HashKey::Source::kPath);
  HashKey header = key_of("header:X-User");
  EXPECT_EQ(header.source, HashKey::Source::kHeader);
  EXPECT_EQ(header.name, "X-User");
  HashKey cookie = key_of("cookie:session");
  EXPECT_EQ(cookie.source, HashKey::Source::kCookie);
  EXPECT_EQ(cookie.name, "session");
  EXPECT_EQ(load(api_pool("    backends: [\"127.0.0.1:9001\"]\n    strategy: hash\n"))
                .pools[0]
                .hash_key.source,
            HashKey::Source::kClientIp);
}

TEST(ConfigFilePools, InvalidHashKeys) {
  EXPECT_EQ(errors_of(api_pool("    backends: [\"127.0.0.1:9001\"]\n"
                               "    strategy: hash\n"
                               "    hash_key: \"header:\"\n")),
            Lines{"fulcrum.yaml:5:15: pools.api.hash_key: \"header:\" is not a hash key (ip, path, "
                  "header:NAME or cookie:NAME)"});
  EXPECT_EQ(errors_of(api_pool("    backends: [\"127.0.0.1:9001\"]\n"
                               "    strategy: hash\n"
                               "    hash_key: url\n")),
            Lines{"fulcrum.yaml:5:15: pools.api.hash_key: 'url' is not a hash key (ip, path, "
                  "header:NAME or cookie:NAME)"});
  EXPECT_EQ(errors_of(api_pool("    backends: [\"127.0.0.1:9001\"]\n"
                               "    hash_key: path\n")),
            Lines{"fulcrum.yaml:4:15: pools.api.hash_key: only used with strategy: hash (this "
                  "pool's is round_robin)"});
}

TEST(ConfigFilePools, HealthSettings) {
  Config c =
      load(api_pool("    backends: [\"127.0.0.1:9001\"]\n"
                    "    health:\n"
                    "      path: /ready\n"
                    "      interval: 10s\n"
                    "      timeout: 1s\n"
                    "      unhealthy_threshold: 5\n"
                    "      healthy_threshold: 1\n"
                    "      expected_status: [200, \"204-206\"]\n"
                    "      failure_statuses: 500-599\n"));
  const HealthCheck& h = c.pools.at(0).health;
  EXPECT_TRUE(h.enabled);
  EXPECT_EQ(h.path, "/ready");
  EXPECT_EQ(h.interval, milliseconds(10'000));
  EXPECT_EQ(h.timeout, milliseconds(1'000));
  EXPECT_EQ(h.unhealthy_threshold, 5u);
  EXPECT_EQ(h.healthy_threshold, 1u);
  ASSERT_EQ(h.expected_status.size(), 2u);
  EXPECT_EQ(h.expected_status[0].first, 200);
  EXPECT_EQ(h.expected_status[0].last, 200);
  EXPECT_EQ(h.expected_status[1].first, 204);
  EXPECT_EQ(h.expected_status[1].last, 206);
  ASSERT_EQ(h.failure_statuses.size(), 1u);
  EXPECT_TRUE(h.failure_statuses[0].contains(503));
  EXPECT_FALSE(h.failure_statuses[0].contains(499));

  EXPECT_TRUE(load(api_pool("    backends: [\"127.0.0.1:9001\"]\n")).pools[0].health.enabled);
  EXPECT_FALSE(load(api_pool("    backends: [\"127.0.0.1:9001\"]\n"
                             "    health: {enabled: false, path: /x}\n"))
                   .pools[0]
                   .health.enabled);
}

// Found by the config_loader fuzz target: with a short interval and no timeout, the default timeout
// (2 s) was kept, longer than the interval, which the loader rejects when it is written.
TEST(ConfigFilePools, DefaultHealthTimeoutYieldsToAShorterInterval) {
  const HealthCheck h = load(api_pool("    backends: [\"127.0.0.1:9001\"]\n"
                                      "    health: {interval: 500ms}\n"))
                            .pools.at(0)
                            .health;
  EXPECT_EQ(h.interval, milliseconds(500));
  EXPECT_EQ(h.timeout, milliseconds(500));
  EXPECT_EQ(load(api_pool("    backends: [\"127.0.0.1:9001\"]\n"
                          "    health: {interval: 10s}\n"))
                .pools.at(0)
                .health.timeout,
            milliseconds(2'000));
}

TEST(ConfigFilePools, HealthErrors) {
  EXPECT_EQ(errors_of(api_pool("    backends: [\"127.0.0.1:9001\"]\n"
                               "    health:\n"
                               "      enabled: yes\n"
                               "      path: healthz\n"
                               "      interval: 2s\n"
                               "      timeout: 3s\n"
                               "      unhealthy_treshold: 2\n"
                               "      healthy_threshold: 0\n"
                               "      expected_status: 399-200\n"
                               "      failure_statuses: [502, 600, \"5xx\", []]\n")),
            (Lines{
                "fulcrum.yaml:5:16: pools.api.health.enabled: 'yes' is not true or false",
                "fulcrum.yaml:6:13: pools.api.health.path: 'healthz' is not a path (starting "
                "with '/', printable ASCII without spaces or '#')",
                "fulcrum.yaml:8:16: pools.api.health.timeout: 3s is longer than the interval "
                "(2s); a probe must end before the next",
                "fulcrum.yaml:9:7: pools.api.health.unhealthy_treshold: unknown key (did you "
                "mean 'unhealthy_threshold'?)",
                "fulcrum.yaml:10:26: pools.api.health.healthy_threshold: 0 is not a probe count "
                "(1-100)",
                "fulcrum.yaml:11:24: pools.api.health.expected_status: '399-200' is not a status "
                "or range (100-599, e.g. 200 or 200-399)",
                "fulcrum.yaml:12:31: pools.api.health.failure_statuses[1]: 600 is not a status or "
                "range (100-599, e.g. 200 or 200-399)",
                "fulcrum.yaml:12:36: pools.api.health.failure_statuses[2]: \"5xx\" is not a "
                "status or range (100-599, e.g. 200 or 200-399)",
                "fulcrum.yaml:12:43: pools.api.health.failure_statuses[3]: expected a status or "
                "range (100-599, e.g. 200 or 200-399), got a list",
            }));
  EXPECT_EQ(errors_of(api_pool("    backends: [\"127.0.0.1:9001\"]\n"
                               "    health: {interval: 0, expected_status: []}\n")),
            (Lines{
                "fulcrum.yaml:4:24: pools.api.health.interval: 0 is not a probe interval (more "
                "than 0)",
                "fulcrum.yaml:4:44: pools.api.health.expected_status: empty; at least one status "
                "is needed",
            }));
}

TEST(ConfigFilePools, TimeoutsAndPoolSizeDefaultToTheTopLevel) {
  Config c = load(
      "timeouts: {connect: 1s, backend: 20s, pool_idle: 40s}\n"
      "pool_size: 8\n"
      "pools:\n"
      "  api:\n"
      "    backends: [\"127.0.0.1:9001\"]\n"
      "    timeouts: {backend: 5s}\n"
      "    pool_size: 2\n"
      "    retries: 3\n"
      "    slow_start: 1m\n"
      "  web:\n"
      "    backends: [\"127.0.0.1:9002\"]\n"
      "default_pool: web\n");
  const PoolConfig& api = c.pools.at(0);
  EXPECT_EQ(api.timeouts.connect, milliseconds(1'000));
  EXPECT_EQ(api.timeouts.backend, milliseconds(5'000));
  EXPECT_EQ(api.timeouts.pool_idle, milliseconds(40'000));
  EXPECT_EQ(api.pool_size, 2u);
  EXPECT_EQ(api.retries, 3u);
  EXPECT_EQ(api.slow_start, milliseconds(60'000));
  const PoolConfig& web = c.pools.at(1);
  EXPECT_EQ(web.timeouts.backend, milliseconds(20'000));
  EXPECT_EQ(web.pool_size, 8u);
  EXPECT_EQ(web.retries, 2u);  // the default
  EXPECT_EQ(web.slow_start, milliseconds(0));
  EXPECT_EQ(c.default_pool_index, 1u);
  ASSERT_EQ(c.default_pool_config().backends.size(), 1u);
  EXPECT_EQ(c.default_pool_config().backends[0].port, 9002);
}

TEST(ConfigFilePools, RetriesSlowStartAndTimeoutErrors) {
  EXPECT_EQ(errors_of(api_pool("    backends: [\"127.0.0.1:9001\"]\n"
                               "    retries: 11\n"
                               "    slow_start: soon\n"
                               "    timeouts: {client_idle: 1s, connect: 1}\n"
                               "    pool_size: -2\n")),
            (Lines{
                "fulcrum.yaml:4:14: pools.api.retries: 11 is not a retry count (0-10)",
                "fulcrum.yaml:5:17: pools.api.slow_start: 'soon' is not a duration (e.g. 500ms, "
                "10s, 2m, 1h, or seconds)",
                "fulcrum.yaml:6:16: pools.api.timeouts.client_idle: unknown key (one of: connect, "
                "backend, pool_idle)",
                "fulcrum.yaml:7:16: pools.api.pool_size: -2 is not a pool size (0-65536)",
            }));
}

TEST(ConfigFilePools, TopLevelStrategyNeedsTopLevelBackends) {
  Config c = load("backends: [\"127.0.0.1:9001\"]\nstrategy: hash\nhash_key: \"cookie:s\"\n");
  EXPECT_EQ(c.pools.at(0).name, "default");
  EXPECT_EQ(c.pools[0].strategy, Strategy::kHash);
  EXPECT_EQ(c.default_pool_config().strategy, Strategy::kHash);
  EXPECT_EQ(c.default_pool_config().hash_key.name, "s");
  EXPECT_EQ(errors_of("pools:\n  api:\n    backends: [\"127.0.0.1:9001\"]\nstrategy: random\n"),
            Lines{"fulcrum.yaml:4:11: strategy: only with top-level backends; a pool in `pools` "
                  "sets its own strategy"});
}

}  // namespace
}  // namespace fulcrum::config

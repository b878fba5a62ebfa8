// The example files load into the expected model, and a JSON file with the same content loads
// into the same model.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/file.h"

namespace fulcrum::config {
namespace {

using Lines = std::vector<std::string>;
using std::chrono::milliseconds;

std::string example(const char* name) {
  return (std::filesystem::path(__FILE__).parent_path() / "../../../examples" / name).string();
}

Config load_file(const std::string& path) {
  Config config;
  Lines errors;
  EXPECT_TRUE(load_config_file(path, &config, &errors)) << path;
  EXPECT_EQ(errors, Lines{});
  return config;
}

// The whole model as text, so that two loads can be compared field by field.
std::string dump(const Config& c) {
  std::ostringstream o;
  auto edits = [&](const char* what, const HeaderEdits& e) {
    o << " " << what << "{";
    for (const auto& h : e.add) o << "add " << h.name << "=" << h.value << ";";
    for (const auto& h : e.set) o << "set " << h.name << "=" << h.value << ";";
    for (const auto& n : e.remove) o << "remove " << n << ";";
    o << "}";
  };
  auto rules = [&](const HeaderRules& r) {
    edits("request", r.request);
    edits("response", r.response);
    o << " request_id=" << r.request_id << " forwarded=" << r.forwarded << "\n";
  };
  auto ranges = [&](const std::vector<StatusRange>& rs) {
    for (const auto& r : rs) o << r.first << "-" << r.last << ",";
  };
  for (const auto& l : c.listeners)
    o << "listen " << l.host << " " << l.address.to_string() << "\n";
  o << "workers=" << c.workers << " mode=" << static_cast<int>(c.mode)
    << " io=" << static_cast<int>(c.io) << " log=" << static_cast<int>(c.log_level)
    << " pool_size=" << c.pool_size << "\n";
  const Timeouts& t = c.timeouts;
  o << "timeouts " << t.client_header.count() << " " << t.client_idle.count() << " "
    << t.connect.count() << " " << t.backend.count() << " " << t.pool_idle.count() << " "
    << t.drain.count() << " " << t.tunnel.count() << "\n";
  o << "limits " << c.limits.max_header_bytes << " " << c.limits.max_headers << " "
    << c.limits.max_request_line << "\n";
  for (const PoolConfig& p : c.pools) {
    o << "pool " << p.name << " " << strategy_name(p.strategy) << " hash "
      << static_cast<int>(p.hash_key.source) << ":" << p.hash_key.name << " retries " << p.retries
      << " slow_start " << p.slow_start.count() << " timeouts " << p.timeouts.connect.count() << "/"
      << p.timeouts.backend.count() << "/" << p.timeouts.pool_idle.count() << " pool_size "
      << p.pool_size << "\n";
    for (const auto& b : p.backends) {
      o << "  backend " << b.host << ":" << b.port << " " << b.address.to_string() << " w"
        << b.weight << "\n";
    }
    const HealthCheck& h = p.health;
    o << "  health " << h.enabled << " " << h.path << " " << h.interval.count() << " "
      << h.timeout.count() << " " << h.unhealthy_threshold << " " << h.healthy_threshold << " ";
    ranges(h.expected_status);
    o << " ";
    ranges(h.failure_statuses);
    o << "\n";
  }
  o << "default " << c.default_pool << " " << c.default_pool_index << "\n";
  o << "headers";
  rules(c.headers);
  for (const RouteConfig& r : c.routes) {
    o << "route " << r.host << " " << r.host_wildcard << " " << r.path_prefix << " ";
    for (const auto& m : r.methods) o << m << ",";
    o << " " << r.header_name << "=" << r.header_value << " -> " << r.pool << " " << r.pool_index;
    rules(r.headers);
  }
  return o.str();
}

TEST(ConfigFileExamples, SeedLoadsAsTheDefaultPool) {
  Config c = load_file(example("seed.yaml"));
  ASSERT_EQ(c.pools.size(), 1u);
  const PoolConfig& pool = c.pools[0];
  EXPECT_EQ(pool.name, "default");
  EXPECT_EQ(c.default_pool, "default");
  EXPECT_EQ(pool.strategy, Strategy::kRoundRobin);
  ASSERT_EQ(pool.backends.size(), 2u);
  EXPECT_EQ(pool.backends[0].host, "127.0.0.1");
  EXPECT_EQ(pool.backends[0].port, 9001);
  EXPECT_EQ(pool.backends[0].weight, 2u);
  EXPECT_EQ(pool.backends[0].address.to_string(), "127.0.0.1:9001");
  EXPECT_EQ(pool.backends[1].port, 9002);
  EXPECT_EQ(pool.backends[1].weight, 1u);
  EXPECT_TRUE(pool.health.enabled);  // probes are on by default
  EXPECT_TRUE(c.routes.empty());
  EXPECT_EQ(&c.default_pool_config(), &pool);
  EXPECT_EQ(pool.backends[1].address.to_string(), "127.0.0.1:9002");
  EXPECT_EQ(pool.strategy, Strategy::kRoundRobin);
  ASSERT_EQ(c.listeners.size(), 1u);
  EXPECT_EQ(c.listeners[0].address.to_string(), "0.0.0.0:8080");
  EXPECT_EQ(c.config_file, example("seed.yaml"));
}

TEST(ConfigFileExamples, MultiPoolLoadsEveryPart) {
  Config c = load_file(example("multi-pool.yaml"));
  ASSERT_EQ(c.listeners.size(), 2u);
  EXPECT_EQ(c.listeners[1].address.to_string(), "[::1]:8081");
  EXPECT_EQ(c.workers, 4u);
  EXPECT_EQ(c.mode, Mode::kSingleProcess);
  EXPECT_EQ(c.timeouts.client_idle, milliseconds(60'000));
  EXPECT_EQ(c.limits.max_request_line, 8192u);

  ASSERT_EQ(c.pools.size(), 3u);
  const PoolConfig& api = c.pools[0];
  EXPECT_EQ(api.name, "api");
  EXPECT_EQ(api.strategy, Strategy::kLeastConn);
  ASSERT_EQ(api.backends.size(), 3u);
  EXPECT_EQ(api.backends[0].weight, 3u);
  EXPECT_EQ(api.backends[1].host, "localhost");
  EXPECT_EQ(api.backends[2].port, 9003);
  EXPECT_TRUE(api.health.enabled);
  EXPECT_EQ(api.health.path, "/healthz");
  EXPECT_EQ(api.health.interval, milliseconds(2'000));
  EXPECT_EQ(api.health.timeout, milliseconds(500));
  ASSERT_EQ(api.health.expected_status.size(), 1u);
  EXPECT_EQ(api.health.expected_status[0].last, 299);
  EXPECT_EQ(api.health.failure_statuses.size(), 3u);
  EXPECT_EQ(api.retries, 2u);
  EXPECT_EQ(api.slow_start, milliseconds(30'000));
  EXPECT_EQ(api.timeouts.backend, milliseconds(10'000));
  EXPECT_EQ(api.timeouts.connect, milliseconds(3'000));
  EXPECT_EQ(api.pool_size, 128u);
  EXPECT_EQ(c.pools[1].strategy, Strategy::kHash);
  EXPECT_EQ(c.pools[1].hash_key.source, HashKey::Source::kPath);
  EXPECT_EQ(c.pools[2].name, "canary");

  EXPECT_EQ(c.default_pool, "api");
  EXPECT_EQ(c.default_pool_config().backends.size(), 3u);
  EXPECT_EQ(c.default_pool_config().strategy, Strategy::kLeastConn);
  EXPECT_TRUE(c.headers.request_id);

  ASSERT_EQ(c.routes.size(), 3u);
  EXPECT_EQ(c.routes[0].header_name, "X-Canary");
  EXPECT_EQ(c.routes[0].pool_index, 2u);
  EXPECT_TRUE(c.routes[0].headers.request_id);  // inherited
  EXPECT_EQ(c.routes[1].host, "static.example.com");
  EXPECT_FALSE(c.routes[1].headers.forwarded);
  EXPECT_FALSE(c.routes[1].headers.request_id);  // a route's own rules replace the top level's
  EXPECT_EQ(c.routes[1].headers.response.set.at(0).value, "public, max-age=3600");
  EXPECT_TRUE(c.routes[2].host_wildcard);
  EXPECT_EQ(c.routes[2].path_prefix, "/api/");
  EXPECT_EQ(c.routes[2].methods, (std::vector<std::string>{"GET", "POST"}));
  EXPECT_EQ(c.routes[2].headers.request.remove, (std::vector<std::string>{"X-Debug"}));
}

// examples/multi-pool.yaml, written as JSON.
constexpr const char* kMultiPoolJson = R"({
  "listen": ["0.0.0.0:8080", "[::1]:8081"],
  "workers": 4,
  "mode": "sp",
  "log": {"level": "info"},
  "limits": {"max_header_size": "32k", "max_headers": 100, "max_request_line": "8k"},
  "timeouts": {"client_header": "10s", "client_idle": "1m", "connect": "3s", "backend": "30s",
               "pool_idle": "30s", "drain": "10s"},
  "pools": {
    "api": {
      "strategy": "least_conn",
      "backends": [
        {"host": "127.0.0.1", "port": 9001, "weight": 3},
        {"host": "localhost", "port": 9002},
        "127.0.0.1:9003"
      ],
      "health": {"path": "/healthz", "interval": "2s", "timeout": "500ms",
                 "unhealthy_threshold": 3, "healthy_threshold": 2,
                 "expected_status": "200-299", "failure_statuses": [502, 503, 504]},
      "retries": 2,
      "slow_start": "30s",
      "timeouts": {"backend": "10s"},
      "pool_size": 128
    },
    "static": {
      "strategy": "hash",
      "hash_key": "path",
      "backends": [{"host": "127.0.0.1", "port": 9101}, {"host": "127.0.0.1", "port": 9102}]
    },
    "canary": {"backends": [{"host": "127.0.0.1", "port": 9201}]}
  },
  "default_pool": "api",
  "headers": {"request_id": true},
  "routes": [
    {"header": {"name": "X-Canary", "value": "1"}, "pool": "canary"},
    {"host": "static.example.com", "pool": "static",
     "headers": {"forwarded": false,
                 "response": {"set": {"Cache-Control": "public, max-age=3600"},
                              "remove": ["Server"]}}},
    {"host": "*.example.com", "path_prefix": "/api/", "method": ["GET", "POST"], "pool": "api",
     "headers": {"request_id": true,
                 "request": {"add": {"X-Via-Route": "api"}, "set": {"X-Env": "production"},
                             "remove": ["X-Debug"]}}}
  ]
}
)";

TEST(ConfigFileExamples, JsonLoadsTheSameModelAsYaml) {
  std::filesystem::path json = std::filesystem::path(testing::TempDir()) / "multi-pool.json";
  std::ofstream(json) << kMultiPoolJson;
  Config from_json = load_file(json.string());
  Config from_yaml = load_file(example("multi-pool.yaml"));
  EXPECT_EQ(dump(from_json), dump(from_yaml));
  EXPECT_EQ(from_json.routes.size(), 3u);
  std::filesystem::remove(json);
}

TEST(ConfigFileExamples, JsonErrorsHavePositionsToo) {
  Config c;
  Lines errors;
  EXPECT_FALSE(load_config_text("{\"backends\": [{\"host\": \"127.0.0.1\", \"port\": 70000}]}",
                                "fulcrum.json", &c, &errors));
  EXPECT_EQ(errors, Lines{"fulcrum.json:1:45: backends[0].port: 70000 is not a port (1-65535)"});
  errors.clear();
  EXPECT_FALSE(load_config_text("{\"backends\": [\"127.0.0.1:9001\"] \"workers\": 2}",
                                "fulcrum.json", &c, &errors));
  EXPECT_EQ(errors, Lines{"fulcrum.json:1:33: YAML syntax: end of map flow not found"});
}

}  // namespace
}  // namespace fulcrum::config

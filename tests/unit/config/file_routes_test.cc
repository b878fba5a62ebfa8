// Routes, default_pool and header rules in the configuration file.
#include <gtest/gtest.h>

#include "config/file.h"

namespace fulcrum::config {
namespace {

using Lines = std::vector<std::string>;

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

// Lines 1-5: pools "api" and "web", api the default.
const std::string kPools =
    "pools:\n"
    "  api: {backends: [\"127.0.0.1:9001\"]}\n"
    "  web: {backends: [\"127.0.0.1:9002\"]}\n"
    "  static: {backends: [\"127.0.0.1:9003\"]}\n"
    "default_pool: api\n";

TEST(ConfigFileRoutes, ConditionsAndPools) {
  Config c = load(kPools +
                  "routes:\n"
                  "  - host: API.Example.com\n"
                  "    path_prefix: /v1/\n"
                  "    method: GET\n"
                  "    pool: web\n"
                  "  - host: \"*.example.com\"\n"
                  "    method: [GET, POST, PURGE]\n"
                  "    header: {name: X-Canary, value: \"\"}\n"
                  "    pool: static\n");
  ASSERT_EQ(c.routes.size(), 2u);
  const RouteConfig& first = c.routes[0];
  EXPECT_EQ(first.host, "api.example.com");
  EXPECT_FALSE(first.host_wildcard);
  EXPECT_EQ(first.path_prefix, "/v1/");
  EXPECT_EQ(first.methods, (std::vector<std::string>{"GET"}));
  EXPECT_EQ(first.pool, "web");
  EXPECT_EQ(first.pool_index, 1u);
  const RouteConfig& second = c.routes[1];
  EXPECT_EQ(second.host, "example.com");
  EXPECT_TRUE(second.host_wildcard);
  EXPECT_EQ(second.methods, (std::vector<std::string>{"GET", "POST", "PURGE"}));
  EXPECT_EQ(second.header_name, "X-Canary");
  EXPECT_EQ(second.header_value, "");
  EXPECT_EQ(second.pool_index, 2u);
}

TEST(ConfigFileRoutes, UnknownPoolSuggestsANearName) {
  EXPECT_EQ(errors_of(kPools + "routes:\n  - path_prefix: /\n    pool: wbe\n"),
            Lines{"fulcrum.yaml:8:11: routes[0].pool: no pool named 'wbe' (did you mean 'web'?)"});
  EXPECT_EQ(errors_of(kPools + "routes:\n  - path_prefix: /\n    pool: images\n"),
            Lines{"fulcrum.yaml:8:11: routes[0].pool: no pool named 'images' (one of: api, web, "
                  "static)"});
}

TEST(ConfigFileRoutes, DefaultPool) {
  EXPECT_EQ(load(kPools).default_pool_index, 0u);
  EXPECT_EQ(load("backends: [\"127.0.0.1:9001\"]\n").default_pool, "default");
  EXPECT_EQ(load("pools:\n  only: {backends: [\"127.0.0.1:9001\"]}\n").default_pool, "only");
  EXPECT_EQ(errors_of("pools:\n  api: {backends: [\"127.0.0.1:9001\"]}\n"
                      "  web: {backends: [\"127.0.0.1:9002\"]}\n"),
            Lines{"fulcrum.yaml:2:3: default_pool: missing; with several pools, name the one for "
                  "requests that match no route (one of: api, web)"});
  EXPECT_EQ(errors_of("pools:\n  api: {backends: [\"127.0.0.1:9001\"]}\ndefault_pool: apii\n"),
            Lines{"fulcrum.yaml:3:15: default_pool: no pool named 'apii' (did you mean 'api'?)"});
}

TEST(ConfigFileRoutes, RouteErrors) {
  EXPECT_EQ(errors_of(kPools + "routes:\n"
                               "  - host: \"api.example.com:80\"\n"  // 7
                               "    pool: web\n"
                               "  - host: \"a*.example.com\"\n"  // 9
                               "    pool: web\n"
                               "  - path_prefix: api\n"  // 11
                               "    method: get\n"
                               "    pool: web\n"
                               "  - pool: web\n"                // 14
                               "  - header: {name: \"X Y\"}\n"  // 15
                               "  - method: []\n"               // 16
                               "    pool: web\n"
                               "    hots: a.com\n"  // 18
                               "  - [web]\n"),      // 19
            (Lines{
                "fulcrum.yaml:7:11: routes[0].host: \"api.example.com:80\" is not a host name "
                "(e.g. api.example.com or *.example.com, without a port)",
                "fulcrum.yaml:9:11: routes[1].host: \"a*.example.com\" is not a host name (e.g. "
                "api.example.com or *.example.com, without a port)",
                "fulcrum.yaml:11:18: routes[2].path_prefix: 'api' is not a path prefix (starting "
                "with '/', without spaces, '?' or '#')",
                "fulcrum.yaml:12:13: routes[2].method: 'get' is not a method: methods are "
                "case-sensitive (did you mean 'GET'?)",
                "fulcrum.yaml:14:5: routes[3]: matches every request; give it host, path_prefix, "
                "method, header or source (default_pool takes the requests that match no route)",
                "fulcrum.yaml:15:5: routes[4].pool: missing; a route needs the pool to send its "
                "requests to (or metrics: true)",
                "fulcrum.yaml:15:13: routes[4].header.value: missing (required)",
                "fulcrum.yaml:15:20: routes[4].header.name: \"X Y\" is not a header name "
                "(letters, digits and !#$%&'*+-.^_`|~)",
                "fulcrum.yaml:16:13: routes[5].method: empty; give a method or leave the key out",
                "fulcrum.yaml:18:5: routes[5].hots: unknown key (did you mean 'host'?)",
                "fulcrum.yaml:19:5: routes[6]: expected a route (a map of conditions and a pool), "
                "got a list",
            }));
  EXPECT_EQ(errors_of(kPools + "routes: {pool: web}\n"),
            Lines{"fulcrum.yaml:6:9: routes: expected a list of routes, got a map"});
}

TEST(ConfigFileRoutes, MetricsRoute) {
  Config c = load(kPools + "routes:\n  - {path_prefix: /fulcrum/metrics, metrics: true}\n");
  ASSERT_EQ(c.routes.size(), 1u);
  EXPECT_TRUE(c.routes[0].metrics);
  EXPECT_EQ(c.routes[0].path_prefix, "/fulcrum/metrics");
  EXPECT_FALSE(load(kPools + "routes:\n  - {path_prefix: /, pool: web}\n").routes[0].metrics);
  EXPECT_EQ(errors_of(kPools + "routes:\n"
                               "  - {path_prefix: /m, metrics: true, pool: web}\n"  // 7
                               "  - {path_prefix: /m, metrics: false}\n"            // 8
                               "  - {path_prefix: /m, metrics: yes}\n"),            // 9
            (Lines{
                "fulcrum.yaml:7:32: routes[0].metrics: a route sends its requests to a pool or "
                "answers them with the metrics, not both",
                "fulcrum.yaml:8:32: routes[1].metrics: false; a route needs the pool to send its "
                "requests to (or metrics: true)",
                "fulcrum.yaml:9:32: routes[2].metrics: 'yes' is not true or false",
            }));
}

TEST(ConfigFileRoutes, Source) {
  Config c = load(kPools +
                  "routes:\n"
                  "  - {source: 10.0.0.0/8, pool: web}\n"
                  "  - {source: [\"192.168.1.7\", \"fd00::/8\", \"::1\"], pool: static}\n");
  ASSERT_EQ(c.routes.size(), 2u);
  ASSERT_EQ(c.routes[0].sources.size(), 1u);
  EXPECT_EQ(c.routes[0].sources[0].prefix, 104);
  EXPECT_EQ(c.routes[1].sources.size(), 3u);
  EXPECT_EQ(errors_of(kPools + "routes:\n"
                               "  - {source: 10.0.0.1/8, pool: web}\n"     // 7
                               "  - {source: [10.0.0.0/33], pool: web}\n"  // 8
                               "  - {source: [], pool: web}\n"             // 9
                               "  - {source: example.com, pool: web}\n"),  // 10
            (Lines{
                "fulcrum.yaml:7:14: routes[0].source: '10.0.0.1/8' is not an IP address or block "
                "(e.g. 10.0.0.0/8, 192.168.1.7, fd00::/8, ::1)",
                "fulcrum.yaml:8:15: routes[1].source[0]: '10.0.0.0/33' is not an IP address or "
                "block (e.g. 10.0.0.0/8, 192.168.1.7, fd00::/8, ::1)",
                "fulcrum.yaml:9:14: routes[2].source: empty; give an address or leave the key out",
                "fulcrum.yaml:10:14: routes[3].source: 'example.com' is not an IP address or block "
                "(e.g. 10.0.0.0/8, 192.168.1.7, fd00::/8, ::1)",
            }));
}

TEST(ConfigFileRoutes, MisspeltKeyIsNotAlsoMissing) {
  EXPECT_EQ(errors_of(kPools + "routes:\n  - {path: /, pool: web}\n  - {host: a.com, pol: web}\n"
                               "  - {header: {nmae: X-A, value: b}, pool: web}\n"),
            (Lines{
                "fulcrum.yaml:7:6: routes[0].path: unknown key (did you mean 'path_prefix'?)",
                "fulcrum.yaml:8:19: routes[1].pol: unknown key (did you mean 'pool'?)",
                "fulcrum.yaml:9:15: routes[2].header.nmae: unknown key (did you mean 'name'?)",
            }));
}

TEST(ConfigFileHeaders, RulesAndInheritance) {
  Config c = load(kPools +
                  "headers:\n"
                  "  request_id: true\n"
                  "  request: {set: {X-Env: prod}}\n"
                  "routes:\n"
                  "  - path_prefix: /a\n"
                  "    pool: web\n"
                  "  - path_prefix: /b\n"
                  "    pool: web\n"
                  "    headers:\n"
                  "      forwarded: false\n"
                  "      request:\n"
                  "        add: {X-A: \"1\", X-Version: 2}\n"
                  "        remove: [X-Debug, Cookie]\n"
                  "      response:\n"
                  "        set: {Cache-Control: no-store}\n"
                  "        remove: Server\n");
  EXPECT_TRUE(c.headers.request_id);
  EXPECT_TRUE(c.headers.forwarded);
  ASSERT_EQ(c.headers.request.set.size(), 1u);
  EXPECT_EQ(c.headers.request.set[0].name, "X-Env");
  EXPECT_EQ(c.headers.request.set[0].value, "prod");
  ASSERT_EQ(c.routes.size(), 2u);
  // A route without `headers` has the top-level rules; one with them has only its own.
  EXPECT_TRUE(c.routes[0].headers.request_id);
  EXPECT_EQ(c.routes[0].headers.request.set.size(), 1u);
  const HeaderRules& b = c.routes[1].headers;
  EXPECT_FALSE(b.request_id);
  EXPECT_FALSE(b.forwarded);
  EXPECT_TRUE(b.request.set.empty());
  ASSERT_EQ(b.request.add.size(), 2u);
  EXPECT_EQ(b.request.add[1].name, "X-Version");
  EXPECT_EQ(b.request.add[1].value, "2");
  EXPECT_EQ(b.request.remove, (std::vector<std::string>{"X-Debug", "Cookie"}));
  ASSERT_EQ(b.response.set.size(), 1u);
  EXPECT_EQ(b.response.set[0].value, "no-store");
  EXPECT_EQ(b.response.remove, (std::vector<std::string>{"Server"}));
  Config defaults = load(kPools);
  EXPECT_FALSE(defaults.headers.request_id);
  EXPECT_TRUE(defaults.headers.forwarded);
}

TEST(ConfigFileHeaders, RuleErrors) {
  EXPECT_EQ(errors_of(kPools + "headers:\n"  // 6
                               "  request:\n"
                               "    add: {X-A: \"1\", x-a: \"2\", \"Bad Name\": x}\n"      // 8
                               "    set: {X-A: \"3\", Content-Length: \"5\", X-B: [1]}\n"  // 9
                               "    remove: [Host, X-C, X-C, Transfer-Encoding]\n"         // 10
                               "    replace: {}\n"                                         // 11
                               "  response:\n"
                               "    set: {X-Line: \"a\\r\\nb\"}\n"  // 13
                               "  request_id: 1\n"                  // 14
                               "  forwarded: no\n"                  // 15
                               "  forward: true\n"),                // 16
            (Lines{
                "fulcrum.yaml:8:21: headers.request.add.x-a: duplicate header (first at 8:11)",
                "fulcrum.yaml:8:31: headers.request.add.Bad Name: 'Bad Name' is not a header name "
                "(letters, digits and !#$%&'*+-.^_`|~)",
                "fulcrum.yaml:9:11: headers.request.set.X-A: 'X-A' is already changed at 8:11; a "
                "header may be added, set or removed, once",
                "fulcrum.yaml:9:21: headers.request.set.Content-Length: 'Content-Length' cannot "
                "be set: the proxy manages framing and connection fields itself",
                "fulcrum.yaml:9:47: headers.request.set.X-B: expected a header value, got a list",
                "fulcrum.yaml:10:14: headers.request.remove[0]: 'Host' cannot be removed: "
                "HTTP/1.1 requests need it",
                "fulcrum.yaml:10:25: headers.request.remove[2]: 'X-C' is already changed at "
                "10:20; a header may be added, set or removed, once",
                "fulcrum.yaml:10:30: headers.request.remove[3]: 'Transfer-Encoding' cannot be "
                "removed: the proxy manages framing and connection fields itself",
                "fulcrum.yaml:11:5: headers.request.replace: unknown key (one of: add, set, "
                "remove)",
                "fulcrum.yaml:13:19: headers.response.set.X-Line: a header value cannot hold "
                "control characters (line breaks, NUL)",
                "fulcrum.yaml:14:15: headers.request_id: 1 is not true or false",
                "fulcrum.yaml:15:14: headers.forwarded: 'no' is not true or false",
                "fulcrum.yaml:16:3: headers.forward: unknown key (did you mean 'forwarded'?)",
            }));
}

TEST(ConfigFileHeaders, RouteHeaderErrorsHaveTheRoutePath) {
  EXPECT_EQ(errors_of(kPools + "routes:\n  - path_prefix: /\n    pool: web\n"
                               "    headers: {response: {remove: [Connection]}}\n"),
            Lines{"fulcrum.yaml:9:35: routes[0].headers.response.remove[0]: 'Connection' cannot be "
                  "removed: the proxy manages framing and connection fields itself"});
}

}  // namespace
}  // namespace fulcrum::config

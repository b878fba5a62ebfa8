// The metrics in the Prometheus text format: every family with its help and type, a sample per
// configured backend (one that no worker used yet is up, at zero), label values escaped.
#include "upstream/stats.h"

#include <gtest/gtest.h>

namespace fulcrum::upstream {
namespace {

config::BackendConfig backend(const std::string& host, uint16_t port) {
  config::BackendConfig b;
  b.host = host;
  b.port = port;
  std::string error;
  EXPECT_TRUE(net::resolve(host, port, &b.address, &error)) << error;
  return b;
}

TEST(Metrics, CountersAndEachBackend) {
  config::Config config;
  config.pools.resize(2);
  config.pools[0].name = "web";
  config.pools[0].backends = {backend("127.0.0.1", 9001), backend("127.0.0.1", 9002)};
  config.pools[1].name = "a\"b\\c\nd";
  config.pools[1].backends = {backend("127.0.0.1", 9003)};
  SharedState shared(64);
  shared.instance().connections = 7;
  shared.instance().open_connections = 2;
  shared.instance().requests = 40;
  shared.instance().error_responses = 3;
  const io::TimePoint now = io::TimePoint{} + std::chrono::hours(1);
  SharedBackend* s =
      shared.find_or_claim(SharedState::key("web", "127.0.0.1:9002", "127.0.0.1:9002"), now);
  ASSERT_NE(s, nullptr);
  s->health.down = true;
  s->counters.requests = 30;
  s->counters.failures = 4;
  s->counters.in_flight = 1;

  std::string out;
  write_metrics(config, shared, out);
  EXPECT_EQ(
      out,
      "# HELP fulcrum_connections_total Client connections accepted.\n"
      "# TYPE fulcrum_connections_total counter\n"
      "fulcrum_connections_total 7\n"
      "# HELP fulcrum_connections_open Client connections open now.\n"
      "# TYPE fulcrum_connections_open gauge\n"
      "fulcrum_connections_open 2\n"
      "# HELP fulcrum_requests_total Request heads read.\n"
      "# TYPE fulcrum_requests_total counter\n"
      "fulcrum_requests_total 40\n"
      "# HELP fulcrum_error_responses_total Error responses fulcrum made itself (a "
      "backend's own are not counted).\n"
      "# TYPE fulcrum_error_responses_total counter\n"
      "fulcrum_error_responses_total 3\n"
      "# HELP fulcrum_backend_up 1 while the backend takes requests, 0 while it is down.\n"
      "# TYPE fulcrum_backend_up gauge\n"
      "fulcrum_backend_up{pool=\"web\",backend=\"127.0.0.1:9001\"} 1\n"
      "fulcrum_backend_up{pool=\"web\",backend=\"127.0.0.1:9002\"} 0\n"
      "fulcrum_backend_up{pool=\"a\\\"b\\\\c\\nd\",backend=\"127.0.0.1:9003\"} 1\n"
      "# HELP fulcrum_backend_requests_total Tries sent to the backend.\n"
      "# TYPE fulcrum_backend_requests_total counter\n"
      "fulcrum_backend_requests_total{pool=\"web\",backend=\"127.0.0.1:9001\"} 0\n"
      "fulcrum_backend_requests_total{pool=\"web\",backend=\"127.0.0.1:9002\"} 30\n"
      "fulcrum_backend_requests_total{pool=\"a\\\"b\\\\c\\nd\",backend=\"127.0.0.1:9003\"} 0\n"
      "# HELP fulcrum_backend_failures_total Failed tries and probes of the backend.\n"
      "# TYPE fulcrum_backend_failures_total counter\n"
      "fulcrum_backend_failures_total{pool=\"web\",backend=\"127.0.0.1:9001\"} 0\n"
      "fulcrum_backend_failures_total{pool=\"web\",backend=\"127.0.0.1:9002\"} 4\n"
      "fulcrum_backend_failures_total{pool=\"a\\\"b\\\\c\\nd\",backend=\"127.0.0.1:9003\"} 0\n"
      "# HELP fulcrum_backend_in_flight Tries at the backend under way now.\n"
      "# TYPE fulcrum_backend_in_flight gauge\n"
      "fulcrum_backend_in_flight{pool=\"web\",backend=\"127.0.0.1:9001\"} 0\n"
      "fulcrum_backend_in_flight{pool=\"web\",backend=\"127.0.0.1:9002\"} 1\n"
      "fulcrum_backend_in_flight{pool=\"a\\\"b\\\\c\\nd\",backend=\"127.0.0.1:9003\"} 0\n");
}

}  // namespace
}  // namespace fulcrum::upstream

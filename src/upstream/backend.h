#pragma once
// A backend as one loop knows it: one address in one pool, with its health and its idle
// connections. It lives in the loop's BackendTable, across configuration reloads that keep it.
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"
#include "net/address.h"
#include "upstream/connection_pool.h"
#include "upstream/health/backend_health.h"
#include "upstream/shared_state.h"

namespace fulcrum::upstream {

struct Backend {
  // shared: its slot in the instance's SharedState, or nullptr to keep one of its own.
  Backend(io::Loop& loop, std::string pool_name, const config::BackendConfig& b,
          const config::PoolConfig& pool, SharedBackend* shared);

  // Takes the settings of the pool as the newest configuration has them; health and idle
  // connections stay.
  void configure(const config::PoolConfig& pool);

  // Slow start: the share of its traffic that the backend may take now, from 10% just after it
  // came back up to 100% once slow_start has passed (100% when it never went down, or without
  // slow start). The proxy admits it to a pick when this exceeds a random draw, so that its load
  // grows linearly, as HAProxy's slowstart does with weights.
  double ramp(io::TimePoint now) const {
    if (slow_start <= io::Duration::zero()) return 1.0;
    io::Duration since = now - health.up_since();
    if (since >= slow_start || health.up_since() == io::TimePoint{}) return 1.0;
    double elapsed = since <= io::Duration::zero() ? 0.0
                                                   : static_cast<double>(since.count()) /
                                                         static_cast<double>(slow_start.count());
    return kSlowStartFloor + (1.0 - kSlowStartFloor) * elapsed;
  }
  static constexpr double kSlowStartFloor = 0.1;

  std::string pool;  // the pool's name
  std::string name;  // "host:port" as configured, for logs and as the Host of probes
  net::Address address;
  SharedBackend own_state;  // used when the shared region has no room
  SharedBackend& state;     // health and counters, as every worker of the instance sees them
  BackendHealth health;     // a view of state.health
  ConnectionPool idle;
  // Copied from the newest configuration that lists the backend, so that probes and requests
  // never read a configuration that a reload has freed.
  config::HealthCheck check;
  config::PoolTimeouts timeouts;
  io::Duration slow_start{};
  uint32_t users = 0;    // configurations (generations) that list it, and its prober
  bool listed = false;   // in the newest configuration
  bool probing = false;  // a prober runs for it
};

// Records the outcome of a request or probe on b; a change of state is logged once, at warn
// level, with its reason.
void record_outcome(Backend& b, bool ok, io::TimePoint now, std::string_view reason);

}  // namespace fulcrum::upstream

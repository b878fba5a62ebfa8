#include "server/stats.h"

#include <string>

#include "base/log.h"

namespace fulcrum::server {

void log_stats(const config::Config& config, const upstream::SharedState& shared) {
  auto load = [](const auto& counter) {
    return static_cast<long long>(counter.load(std::memory_order_relaxed));
  };
  const upstream::InstanceCounters& total = shared.instance();
  LOG_INFO("stats: %lld connections (%lld open), %lld requests, %lld error responses",
           load(total.connections), load(total.open_connections), load(total.requests),
           load(total.error_responses));
  for (const config::PoolConfig& pool : config.pools) {
    for (const config::BackendConfig& b : pool.backends) {
      const std::string name = b.host + ":" + std::to_string(b.port);
      const upstream::SharedBackend* slot =
          shared.find(upstream::SharedState::key(pool.name, name, b.address.to_string()));
      if (slot == nullptr) {
        LOG_INFO("stats: backend %s (pool %s): no traffic yet", name.c_str(), pool.name.c_str());
        continue;
      }
      LOG_INFO("stats: backend %s (pool %s): %s, %lld requests, %lld failures, %lld in flight",
               name.c_str(), pool.name.c_str(),
               slot->health.down.load(std::memory_order_relaxed) ? "down" : "up",
               load(slot->counters.requests), load(slot->counters.failures),
               load(slot->counters.in_flight));
    }
  }
}

}  // namespace fulcrum::server

#include "upstream/backend.h"

#include "base/log.h"

namespace fulcrum::upstream {

Backend::Backend(io::Loop& loop, std::string pool_name, const config::BackendConfig& b,
                 const config::PoolConfig& p, SharedBackend* shared)
    : pool(std::move(pool_name)),
      name(b.name()),
      address(b.address),
      state(shared ? *shared : own_state),
      health(state.health),
      idle(loop, p.pool_size, p.timeouts.pool_idle) {
  configure(p);
}

void Backend::configure(const config::PoolConfig& p) {
  check = p.health;
  timeouts = p.timeouts;
  slow_start = p.slow_start;
  health.configure(check.unhealthy_threshold, check.healthy_threshold, check.enabled);
  idle.configure(p.pool_size, p.timeouts.pool_idle);
}

void record_outcome(Backend& b, bool ok, io::TimePoint now, std::string_view reason) {
  if (!ok) b.state.counters.failures.fetch_add(1, std::memory_order_relaxed);
  bool changed = ok ? b.health.record_success(now) : b.health.record_failure(now);
  if (changed) {
    LOG_WARN("backend %s (pool %s): %s (%.*s)", b.name.c_str(), b.pool.c_str(),
             ok ? "down -> up" : "up -> down", static_cast<int>(reason.size()), reason.data());
  }
}

}  // namespace fulcrum::upstream

#pragma once
// The backends of one loop, across configuration reloads. A backend that a new configuration
// keeps (same pool, same host:port, same address) is the same object, with its health and its
// idle connections; one it drops is forgotten once no request of an older configuration uses it.
// Health states and counters live in the instance's SharedState, shared by every worker; one
// worker (the prober) runs the active health checks, one prober per backend whose pool has them.
#include <cstdint>
#include <memory>
#include <vector>

#include "base/task.h"
#include "config/config.h"
#include "io/loop.h"
#include "upstream/backend.h"
#include "upstream/balancer/fast_random.h"
#include "upstream/shared_state.h"

namespace fulcrum::upstream {

// The key of a configured backend's slot in the shared state: one function for the tables that
// claim slots and the reports that read them, which must agree.
uint64_t shared_key(const config::PoolConfig& pool, const config::BackendConfig& b);

class BackendTable {
 public:
  // Probers run in `tasks`, which must be destroyed before the table; only if `prober`.
  BackendTable(io::Loop& loop, SharedState& shared, bool prober, base::TaskGroup& tasks,
               uint64_t seed);
  ~BackendTable();
  BackendTable(const BackendTable&) = delete;
  BackendTable& operator=(const BackendTable&) = delete;

  // Before the backends of a new configuration are acquired: none is listed any more. limits:
  // the configuration's head limits, which the probes' answers are held to as real ones are.
  void begin_configuration(const http::Limits& limits);
  // The backend b of pool, kept or new, now listed and configured as pool says. Counts a user.
  Backend& acquire(const config::PoolConfig& pool, const config::BackendConfig& b);
  // The user is done with it; a backend with no users left is closed and forgotten.
  void release(Backend& backend);
  size_t size() const { return backends_.size(); }
  SharedState& shared() const { return shared_; }
  // A draining worker leaves health to its successor (after a binary upgrade, the new master's
  // prober, which writes the same states: two would count each run of failures twice as fast,
  // and the old one by the old configuration's checks). No probe starts or is counted after it.
  void stop_probing() { prober_ = false; }

 private:
  base::Task<void> probe_while_listed(Backend& backend);
  static void sweep(io::Timer* timer);

  io::Loop& loop_;
  SharedState& shared_;
  bool prober_;
  base::TaskGroup& tasks_;
  FastRandom random_;  // probe jitter
  http::Limits limits_;
  std::vector<std::unique_ptr<Backend>> backends_;
  io::Timer sweep_timer_;  // closes pooled connections idle past their timeout
};

}  // namespace fulcrum::upstream

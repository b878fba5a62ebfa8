#pragma once
// Active health checks for the backends of one loop: every interval (with up to 10% jitter, so
// that workers and backends do not fall into step) each backend gets "GET path" with its
// address as Host, and must answer with an expected status within the timeout. The results
// feed the same up/down state as real requests (upstream::record_outcome).
#include <cstddef>

#include "base/task.h"
#include "config/config.h"
#include "io/loop.h"
#include "upstream/backend.h"
#include "upstream/balancer/fast_random.h"

namespace fulcrum::upstream {

class Prober {
 public:
  Prober(io::Loop& loop, BackendSet& backends, const config::HealthCheck& check, uint64_t seed);

  // Starts one probing coroutine per backend in tasks; they run until the loop stops.
  void start(base::TaskGroup& tasks);

 private:
  base::Task<void> probe_forever(size_t backend);
  // Returns nullptr on success, or why the probe failed.
  base::Task<const char*> probe(Backend& backend);

  io::Loop& loop_;
  BackendSet& backends_;
  const config::HealthCheck& check_;
  FastRandom random_;
};

}  // namespace fulcrum::upstream

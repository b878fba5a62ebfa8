#include "proxy/context.h"

#include <vector>

namespace fulcrum::proxy {

ProxyContext::ProxyContext(io::Loop& l, const config::Config& c, upstream::BackendSet& b,
                           uint64_t seed)
    : loop(l), config(c), backends(b), pool(l, b.size(), c.pool_size, c.timeouts.pool_idle) {
  std::vector<upstream::WeightedBackend> weighted;
  for (size_t i = 0; i < b.size(); ++i) {
    // The id is the configured address, so a hash key maps to the same backend in every worker
    // and across restarts.
    weighted.push_back({upstream::hash_key(b[i].name), c.backends[i].weight});
  }
  balancer = upstream::make_balancer(c.strategy, weighted, seed);
}

}  // namespace fulcrum::proxy

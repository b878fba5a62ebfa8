#pragma once
// What the client sessions of one loop share: the loop, the backends, the configuration in
// force (a Generation) and the older ones still finishing requests, and the list of live
// sessions (for draining).
#include <cstddef>
#include <memory>
#include <vector>

#include "config/config.h"
#include "io/loop.h"
#include "proxy/generation.h"
#include "upstream/backend_table.h"
#include "upstream/balancer/fast_random.h"

namespace fulcrum::proxy {

class ClientSession;

class ProxyContext {
 public:
  // seed: for the balancers that draw at random and for request ids, different per loop.
  ProxyContext(io::Loop& l, upstream::BackendTable& table,
               std::shared_ptr<const config::Config> config, uint64_t seed);

  // Puts a new configuration in force for the requests that start from now on.
  void reload(std::shared_ptr<const config::Config> config);
  // The configuration in force, held until release() by a request that starts now.
  Generation& acquire() {
    ++current_->users;
    return *current_;
  }
  void release(Generation& g) {
    if (--g.users == 0 && &g != current_) retire(g);
  }
  const config::Config& config() const { return current_->config(); }

  io::Loop& loop;
  upstream::BackendTable& backends;
  upstream::InstanceCounters& counters;  // shared by the instance's workers
  upstream::FastRandom random;  // request ids

  // Set when the worker drains: sessions finish the request in flight with "Connection: close".
  bool draining = false;
  ClientSession* sessions = nullptr;  // intrusive list of live sessions
  size_t session_count = 0;
  // Called when the last session ends while draining.
  void (*on_drained)(void*) = nullptr;
  void* on_drained_arg = nullptr;

 private:
  void retire(Generation& g);

  uint64_t seed_;
  Generation* current_ = nullptr;
  std::vector<std::unique_ptr<Generation>> generations_;  // current_ and older ones in use
};

}  // namespace fulcrum::proxy

#pragma once
// What the client sessions of one loop share: the loop, the configuration, the backends with
// their balancer and connection pool, and the list of live sessions (for draining).
#include <cstddef>

#include "config/config.h"
#include "io/loop.h"
#include "upstream/backend.h"
#include "upstream/balancer/round_robin.h"
#include "upstream/connection_pool.h"

namespace fulcrum::proxy {

class ClientSession;

struct ProxyContext {
  ProxyContext(io::Loop& l, const config::Config& c, upstream::BackendSet& b)
      : loop(l),
        config(c),
        backends(b),
        pool(l, b.size(), c.pool_size, c.timeouts.pool_idle) {}

  io::Loop& loop;
  const config::Config& config;
  upstream::BackendSet& backends;
  upstream::RoundRobin balancer;
  upstream::ConnectionPool pool;

  // Set when the worker drains: sessions finish the request in flight with "Connection: close".
  bool draining = false;
  ClientSession* sessions = nullptr;  // intrusive list of live sessions
  size_t session_count = 0;
  // Called when the last session ends while draining.
  void (*on_drained)(void*) = nullptr;
  void* on_drained_arg = nullptr;
};

}  // namespace fulcrum::proxy

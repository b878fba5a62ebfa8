#pragma once
// What the client sessions of one loop share: the loop, the configuration, the backends with
// their balancer and connection pool, and the list of live sessions (for draining).
#include <cstddef>
#include <memory>

#include "config/config.h"
#include "io/loop.h"
#include "upstream/backend.h"
#include "upstream/balancer/balancer.h"
#include "upstream/connection_pool.h"

namespace fulcrum::proxy {

class ClientSession;

struct ProxyContext {
  // seed: for the balancers that draw at random, different per loop.
  ProxyContext(io::Loop& l, const config::Config& c, upstream::BackendSet& b, uint64_t seed);

  io::Loop& loop;
  const config::Config& config;
  upstream::BackendSet& backends;
  std::unique_ptr<upstream::Balancer> balancer;
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

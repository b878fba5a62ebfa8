#pragma once
// One loaded configuration as one loop serves it: its pools, each with its backends (from the
// loop's BackendTable) and its balancer, and its routes. A reload makes a new generation; a
// request keeps the generation it started with until it ends, and an old generation is freed
// when its last request ends.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "config/config.h"
#include "http/message.h"
#include "upstream/backend.h"
#include "upstream/backend_table.h"
#include "upstream/balancer/balancer.h"

namespace fulcrum::proxy {

struct Pool {
  const config::PoolConfig* config;
  std::vector<upstream::Backend*> backends;  // in the configuration's order
  std::unique_ptr<upstream::Balancer> balancer;
};

// Where a request goes: its pool, and the header rules of the route it matched.
struct Target {
  Pool* pool;  // nullptr: fulcrum answers with its metrics (RouteConfig::metrics)
  const config::HeaderRules* headers;
};

class Generation {
 public:
  // seed: for the balancers that draw at random, different per loop.
  Generation(std::shared_ptr<const config::Config> config, upstream::BackendTable& table,
             uint64_t seed);
  ~Generation();
  Generation(const Generation&) = delete;
  Generation& operator=(const Generation&) = delete;

  const config::Config& config() const { return *config_; }
  // The first route whose conditions all hold, or the default pool. base: the request's bytes;
  // client_ip: the client's address as text.
  Target route(const char* base, const http::RequestHead& req, std::string_view client_ip);

  uint32_t users = 0;  // requests in flight that started with this generation

 private:
  std::shared_ptr<const config::Config> config_;
  upstream::BackendTable& table_;
  std::vector<Pool> pools_;  // as config_->pools
};

// Whether the route's conditions hold for a request (exposed for tests).
bool route_matches(const config::RouteConfig& route, const char* base, const http::RequestHead& req,
                   std::string_view client_ip);

}  // namespace fulcrum::proxy

#pragma once
#include <string>
#include <vector>

#include "net/address.h"
#include "upstream/health/circuit_breaker.h"

namespace fulcrum::upstream {

struct Backend {
  std::string name;  // "host:port" as configured, for logs
  net::Address address;
  CircuitBreaker breaker;
};

using BackendSet = std::vector<Backend>;

}  // namespace fulcrum::upstream

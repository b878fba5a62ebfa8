#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "net/address.h"
#include "upstream/health/backend_health.h"

namespace fulcrum::upstream {

struct Backend {
  std::string name;  // "host:port" as configured, for logs
  net::Address address;
  BackendHealth health;
};

using BackendSet = std::vector<Backend>;

// Records the outcome of a request or probe on b; a change of state is logged once, at warn
// level, with its reason.
void record_outcome(Backend& b, bool ok, io::TimePoint now, std::string_view reason);

}  // namespace fulcrum::upstream

#pragma once
#include <cstddef>
#include <optional>

#include "upstream/backend.h"

namespace fulcrum::upstream {

// Plain round-robin: each pick starts after the previous one and skips backends whose breaker
// does not allow a request.
class RoundRobin {
 public:
  // Returns the index of the backend to use, or nullopt if none is usable (the proxy answers 503).
  std::optional<size_t> pick(BackendSet& backends, io::TimePoint now) {
    for (size_t tried = 0; tried < backends.size(); ++tried) {
      size_t i = next_++ % backends.size();
      if (backends[i].breaker.allow(now)) return i;
    }
    return std::nullopt;
  }

 private:
  size_t next_ = 0;
};

}  // namespace fulcrum::upstream

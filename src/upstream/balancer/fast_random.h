#pragma once
// The random source of the random and p2c strategies: splitmix64 (one add and a mix per number),
// small enough to sit in each balancer, and repeatable from a seed so that tests are exact.
// Not for anything secret.
#include <cstdint>

#include "upstream/balancer/key_hash.h"

namespace fulcrum::upstream {

class FastRandom {
 public:
  explicit FastRandom(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;  // a Weyl sequence: every seed walks all 2^64 states
    return mix64(state_);
  }
  // Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n); n must be at least 1.
  uint64_t below(uint64_t n) { return scale_to(next(), n); }

 private:
  uint64_t state_;
};

}  // namespace fulcrum::upstream

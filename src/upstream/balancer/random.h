#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "upstream/balancer/balancer.h"
#include "upstream/balancer/fast_random.h"

namespace fulcrum::upstream {

// Weighted random: backend i with probability weight_i / (sum of the eligible weights). It keeps
// no order between picks, so loops and processes that start together (after a reload) do not
// send their first requests to the same backend in step, as round-robin would.
// A pick draws among all backends and redraws if the one drawn is not eligible; after a few
// misses (most weight down or excluded) one pass over the eligible ones draws exactly. Either
// way the result follows the eligible backends' weights. O(log backends) per pick when healthy.
class WeightedRandom final : public Balancer {
 public:
  WeightedRandom(std::span<const WeightedBackend> backends, uint64_t seed);

  std::optional<size_t> pick(const PickContext& ctx, UsableFn usable) override;

 private:
  std::optional<size_t> pick_by_scan(const PickContext& ctx, const UsableFn& usable);

  std::vector<uint32_t> weights_;
  std::vector<uint64_t> ends_;  // ends_[i]: sum of weights 0..i; a draw r < total lands on the
                                // first i with r < ends_[i]
  FastRandom random_;
};

}  // namespace fulcrum::upstream

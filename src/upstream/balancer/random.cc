#include "upstream/balancer/random.h"

#include <algorithm>

namespace fulcrum::upstream {
namespace {
// Draws before the exact scan. A miss costs a draw and a usable() call; with a quarter of the
// weight down, four misses in a row happen once in 256 picks.
constexpr int kDraws = 4;
}  // namespace

WeightedRandom::WeightedRandom(std::span<const WeightedBackend> backends, uint64_t seed)
    : random_(seed) {
  weights_.reserve(backends.size());
  ends_.reserve(backends.size());
  uint64_t total = 0;
  for (const WeightedBackend& b : backends) {
    weights_.push_back(weight_or_one(b.weight));
    total += weights_.back();
    ends_.push_back(total);
  }
}

std::optional<size_t> WeightedRandom::pick(const PickContext& ctx, UsableFn usable) {
  if (ends_.empty()) return std::nullopt;
  for (int draw = 0; draw < kDraws; ++draw) {
    uint64_t r = random_.below(ends_.back());
    size_t i = static_cast<size_t>(std::upper_bound(ends_.begin(), ends_.end(), r) - ends_.begin());
    if (eligible(ctx, usable, i)) return i;
  }
  return pick_by_scan(ctx, usable);
}

// Weighted reservoir sampling in one pass: the k-th eligible backend replaces the choice with
// probability w_k / (w_1 + ... + w_k), which leaves each with probability w_i / total.
std::optional<size_t> WeightedRandom::pick_by_scan(const PickContext& ctx, const UsableFn& usable) {
  std::optional<size_t> chosen;
  uint64_t seen = 0;
  for (size_t i = 0; i < weights_.size(); ++i) {
    if (!eligible(ctx, usable, i)) continue;
    seen += weights_[i];
    if (random_.below(seen) < weights_[i]) chosen = i;
  }
  return chosen;
}

}  // namespace fulcrum::upstream

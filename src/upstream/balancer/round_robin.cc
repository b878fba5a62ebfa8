#include "upstream/balancer/round_robin.h"

namespace fulcrum::upstream {

WeightedRoundRobin::WeightedRoundRobin(std::span<const WeightedBackend> backends) {
  peers_.reserve(backends.size());
  for (const WeightedBackend& b : backends) peers_.push_back({weight_or_one(b.weight), 0});
}

std::optional<size_t> WeightedRoundRobin::pick(const PickContext& ctx, UsableFn usable) {
  size_t best = SIZE_MAX;
  int64_t added = 0;
  for (size_t i = 0; i < peers_.size(); ++i) {
    if (!eligible(ctx, usable, i)) continue;
    Peer& p = peers_[i];
    p.credit += p.weight;
    added += p.weight;
    // Strictly greater: on a tie the lower index wins, which makes the order exact and testable.
    if (best == SIZE_MAX || p.credit > peers_[best].credit) best = i;
  }
  if (best == SIZE_MAX) return std::nullopt;
  peers_[best].credit -= added;
  return best;
}

}  // namespace fulcrum::upstream

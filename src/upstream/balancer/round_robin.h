#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "upstream/balancer/balancer.h"

namespace fulcrum::upstream {

// Smooth weighted round-robin, as nginx does it: each pick, every eligible backend's credit grows
// by its weight, the one with the most credit is picked and pays back the sum of the weights that
// were added. Over any run of sum(weights) picks each backend gets exactly its weight, and the
// picks of a heavy backend are spread out: 5:1:1 gives a a b a c a a, not a a a a a b c, so a
// heavy backend never takes a burst. With equal weights it is plain rotation. A backend that is
// not eligible takes no credit that pick, so the others keep their proportions between them.
// The strategy "round_robin" (also named "weighted"). O(backends) per pick.
class WeightedRoundRobin final : public Balancer {
 public:
  explicit WeightedRoundRobin(std::span<const WeightedBackend> backends);

  std::optional<size_t> pick(const PickContext& ctx, UsableFn usable) override;

 private:
  struct Peer {
    int64_t weight;
    int64_t credit;  // nginx's current_weight; stays within +-(sum of weights)
  };
  std::vector<Peer> peers_;
};

}  // namespace fulcrum::upstream

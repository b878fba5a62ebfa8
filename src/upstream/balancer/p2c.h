#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "upstream/balancer/balancer.h"
#include "upstream/balancer/fast_random.h"

namespace fulcrum::upstream {

// Power of two choices: draw two distinct eligible backends uniformly at random and take the one
// with the lower score
//     score = (in_flight + 1) * latency / weight
// where latency is a moving average of the backend's recent latencies. It is the expected time
// to drain the backend's queue with this request added, per unit of weight. Two random choices
// instead of the global minimum keep loops that decide at once on stale numbers from all piling
// onto the same "best" backend, and cost O(1) per pick.
//
// The latency average, all in this class (no clock needed):
//  - each on_end moves it a quarter of the way to the new sample (about the last 4 requests);
//  - a failure counts as at least twice the current average, so a backend failing fast (refused
//    connections) does not look fast; a void try (Outcome::kVoid) is no sample at all;
//  - a backend with no sample yet is taken to be as fast as the measured ones on average, so a
//    new backend is neither flooded nor starved;
//  - a backend that loses a comparison sees its average shrink by 1/32: a slow backend stops
//    being chosen, so no new sample would ever show that it recovered; this way it is tried
//    again after some dozens of lost comparisons (a probe), and that request's sample corrects it;
//  - averages below 1 us count as 1 us, so that in-flight counts still decide between backends
//    whose measured latency is nil.
// Weights divide the score, so they shape the split as requests overlap (at 3:1 and equal
// latency the in-flight counts settle at 3:1). With requests one at a time, in-flight is 0 at
// every pick and a heavier backend wins every comparison with an equally fast lighter one, which
// then only gets the probes: weights act as a preference there, not a ratio.
class PowerOfTwoChoices final : public Balancer {
 public:
  PowerOfTwoChoices(std::span<const WeightedBackend> backends, uint64_t seed);

  std::optional<size_t> pick(const PickContext& ctx, UsableFn usable) override;
  void on_start(size_t backend) override;
  void on_end(size_t backend, std::chrono::nanoseconds latency, Outcome outcome) override;

 private:
  struct Peer {
    double weight;
    uint64_t in_flight = 0;
    double latency_ns = 0;  // the moving average; meaningful once measured
    bool measured = false;
  };

  // A uniformly drawn eligible backend other than `other` (SIZE_MAX: none), or nullopt.
  std::optional<size_t> draw(const PickContext& ctx, const UsableFn& usable, size_t other);
  double latency_of(const Peer& p) const;
  double score(const Peer& p) const;
  void set_latency(Peer& p, double latency_ns);

  std::vector<Peer> peers_;
  double measured_sum_ = 0;  // sum of latency_ns over measured peers, for the prior
  size_t measured_count_ = 0;
  FastRandom random_;
};

}  // namespace fulcrum::upstream

#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "upstream/balancer/balancer.h"

namespace fulcrum::upstream {

// Least connections, as nginx's least_conn: the eligible backend with the fewest requests in
// flight per unit of weight (in_flight / weight). Ties, which is every pick when requests come
// one at a time and all backends are idle, go by smooth weighted round-robin among the tied
// backends (see WeightedRoundRobin): idle traffic then follows the weights and equal backends
// take turns, instead of the lowest index or the heaviest backend taking everything. Under
// concurrency the in-flight counts follow the weights: at 5:1 the heavy backend holds five
// requests for each one the light one holds. In-flight counts come from on_start / on_end.
// Two passes over the backends per pick, usable() asked once for each.
class LeastConn final : public Balancer {
 public:
  explicit LeastConn(std::span<const WeightedBackend> backends);

  std::optional<size_t> pick(const PickContext& ctx, UsableFn usable) override;
  void on_start(size_t backend) override;
  void on_end(size_t backend, std::chrono::nanoseconds latency, Outcome outcome) override;

 private:
  struct Peer {
    uint64_t weight;
    uint64_t in_flight = 0;
    int64_t credit = 0;     // the round-robin credit for breaking ties
    bool eligible = false;  // this pick's answer, between the two passes
  };
  std::vector<Peer> peers_;
};

}  // namespace fulcrum::upstream

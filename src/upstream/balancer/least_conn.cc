#include "upstream/balancer/least_conn.h"

namespace fulcrum::upstream {
namespace {

// a.in_flight / a.weight compared with b's, without division. The products fit: in-flight counts
// are far below 2^32 and weights are 32-bit.
int compare_load(uint64_t a_in_flight, uint64_t a_weight, uint64_t b_in_flight, uint64_t b_weight) {
  const uint64_t a = a_in_flight * b_weight;
  const uint64_t b = b_in_flight * a_weight;
  return a < b ? -1 : a > b ? 1 : 0;
}

}  // namespace

LeastConn::LeastConn(std::span<const WeightedBackend> backends) {
  peers_.reserve(backends.size());
  for (const WeightedBackend& b : backends) {
    Peer p;
    p.weight = weight_or_one(b.weight);
    peers_.push_back(p);
  }
}

std::optional<size_t> LeastConn::pick(const PickContext& ctx, UsableFn usable) {
  // Pass 1: who is eligible, and the lowest load among them.
  size_t least = SIZE_MAX;
  for (size_t i = 0; i < peers_.size(); ++i) {
    Peer& p = peers_[i];
    p.eligible = eligible(ctx, usable, i);
    if (!p.eligible) continue;
    if (least == SIZE_MAX ||
        compare_load(p.in_flight, p.weight, peers_[least].in_flight, peers_[least].weight) < 0) {
      least = i;
    }
  }
  if (least == SIZE_MAX) return std::nullopt;
  // Pass 2: smooth weighted round-robin among those at that load.
  const Peer& low = peers_[least];
  size_t best = SIZE_MAX;
  int64_t added = 0;
  for (size_t i = 0; i < peers_.size(); ++i) {
    Peer& p = peers_[i];
    if (!p.eligible || compare_load(p.in_flight, p.weight, low.in_flight, low.weight) != 0) {
      continue;
    }
    p.credit += static_cast<int64_t>(p.weight);
    added += static_cast<int64_t>(p.weight);
    if (best == SIZE_MAX || p.credit > peers_[best].credit) best = i;
  }
  peers_[best].credit -= added;
  return best;
}

void LeastConn::on_start(size_t backend) {
  if (backend < peers_.size()) ++peers_[backend].in_flight;
}

void LeastConn::on_end(size_t backend, std::chrono::nanoseconds /*latency*/, Outcome /*outcome*/) {
  if (backend < peers_.size() && peers_[backend].in_flight > 0) --peers_[backend].in_flight;
}

}  // namespace fulcrum::upstream

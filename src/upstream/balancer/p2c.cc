#include "upstream/balancer/p2c.h"

#include <algorithm>

namespace fulcrum::upstream {
namespace {
constexpr double kSampleWeight = 0.25;       // share of a new sample in the moving average
constexpr double kPassedOver = 31.0 / 32.0;  // the average's factor after a lost comparison
constexpr double kFailureFactor = 2.0;       // a failure counts as at least this times the average
constexpr double kFloorNs = 1000.0;          // 1 us: no backend is faster than that over a network
// Random draws before the exact scan (see WeightedRandom: the same trade).
constexpr int kDraws = 4;
}  // namespace

PowerOfTwoChoices::PowerOfTwoChoices(std::span<const WeightedBackend> backends, uint64_t seed)
    : random_(seed) {
  peers_.reserve(backends.size());
  for (const WeightedBackend& b : backends) {
    Peer p;
    p.weight = weight_or_one(b.weight);
    peers_.push_back(p);
  }
}

std::optional<size_t> PowerOfTwoChoices::pick(const PickContext& ctx, UsableFn usable) {
  std::optional<size_t> first = draw(ctx, usable, SIZE_MAX);
  if (!first) return std::nullopt;
  std::optional<size_t> second = draw(ctx, usable, *first);
  if (!second) return first;  // the only eligible backend
  size_t winner = *first;
  size_t loser = *second;
  if (score(peers_[loser]) < score(peers_[winner])) std::swap(winner, loser);
  Peer& passed = peers_[loser];
  if (passed.measured) set_latency(passed, passed.latency_ns * kPassedOver);
  return winner;
}

std::optional<size_t> PowerOfTwoChoices::draw(const PickContext& ctx, const UsableFn& usable,
                                              size_t other) {
  const size_t n = peers_.size();
  const size_t choices = other == SIZE_MAX ? n : n - 1;
  if (choices == 0) return std::nullopt;
  for (int attempt = 0; attempt < kDraws; ++attempt) {
    size_t i = random_.below(choices);
    if (other != SIZE_MAX && i >= other) ++i;  // skip `other` without a redraw
    if (eligible(ctx, usable, i)) return i;
  }
  // Most backends are down: reservoir sampling, the k-th eligible one replaces the choice with
  // probability 1/k, which leaves each eligible one equally likely.
  std::optional<size_t> chosen;
  uint64_t seen = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i == other || !eligible(ctx, usable, i)) continue;
    if (random_.below(++seen) == 0) chosen = i;
  }
  return chosen;
}

double PowerOfTwoChoices::latency_of(const Peer& p) const {
  double latency = p.measured        ? p.latency_ns
                   : measured_count_ ? measured_sum_ / static_cast<double>(measured_count_)
                                     : kFloorNs;
  return std::max(latency, kFloorNs);
}

double PowerOfTwoChoices::score(const Peer& p) const {
  return static_cast<double>(p.in_flight + 1) * latency_of(p) / p.weight;
}

void PowerOfTwoChoices::set_latency(Peer& p, double latency_ns) {
  if (!p.measured) {
    p.measured = true;
    ++measured_count_;
    p.latency_ns = 0;
  }
  measured_sum_ += latency_ns - p.latency_ns;
  p.latency_ns = latency_ns;
}

void PowerOfTwoChoices::on_start(size_t backend) {
  if (backend < peers_.size()) ++peers_[backend].in_flight;
}

void PowerOfTwoChoices::on_end(size_t backend, std::chrono::nanoseconds latency, Outcome outcome) {
  if (backend >= peers_.size()) return;
  Peer& p = peers_[backend];
  if (p.in_flight > 0) --p.in_flight;
  if (outcome == Outcome::kVoid) return;
  double sample = std::max(0.0, static_cast<double>(latency.count()));
  if (outcome == Outcome::kFailed) sample = std::max(sample, kFailureFactor * latency_of(p));
  // The first sample is the average; later ones move it by kSampleWeight.
  set_latency(p, p.measured ? p.latency_ns + kSampleWeight * (sample - p.latency_ns) : sample);
}

}  // namespace fulcrum::upstream

#include "upstream/balancer/maglev.h"

#include <algorithm>
#include <iterator>

namespace fulcrum::upstream {
namespace {

constexpr uint32_t kFree = UINT32_MAX;
// Different constants for the offset and the step, so that the two are independent.
constexpr uint64_t kOffsetSalt = 0x6a09e667f3bcc908ULL;  // fractional digits of sqrt(2)
constexpr uint64_t kStepSalt = 0xbb67ae8584caa73bULL;    // and of sqrt(3)

constexpr bool is_prime(size_t n) {
  if (n < 2) return false;
  for (size_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) return false;
  }
  return true;
}

// {largest backend count, table size}; the sizes are primes, so every step is coprime with M.
constexpr struct {
  size_t backends;
  size_t slots;
} kSizeClasses[] = {{655, 65537}, {6553, 655373}, {SIZE_MAX, 6553621}};
static_assert(is_prime(65537) && is_prime(655373) && is_prime(6553621));

}  // namespace

size_t MaglevHash::table_size_for(size_t backends) {
  if (backends == 0) return 0;
  for (const auto& c : kSizeClasses) {
    if (backends <= c.backends) return c.slots;
  }
  return kSizeClasses[std::size(kSizeClasses) - 1].slots;  // not reached: the last class has all
}

MaglevHash::MaglevHash(std::span<const WeightedBackend> backends) : backends_(backends.size()) {
  const size_t m = table_size_for(backends_);
  table_.assign(m, kFree);
  if (m == 0) return;

  // Backend i visits slots offset_i, offset_i + step_i, offset_i + 2 step_i, ... (mod M). M is
  // prime and 1 <= step < M, so this visits every slot once: a permutation.
  struct Claimant {
    uint64_t slot;  // the next slot of its permutation to try
    uint64_t step;
    uint64_t weight;
    uint64_t credit = 0;
  };
  std::vector<Claimant> claimants;
  claimants.reserve(backends_);
  uint64_t max_weight = 1;
  for (const WeightedBackend& b : backends) {
    claimants.push_back({scale_to(mix64(b.id ^ kOffsetSalt), m),
                         scale_to(mix64(b.id ^ kStepSalt), m - 1) + 1, weight_or_one(b.weight)});
    max_weight = std::max(max_weight, claimants.back().weight);
  }

  size_t filled = 0;
  for (;;) {
    for (size_t i = 0; i < claimants.size(); ++i) {
      Claimant& c = claimants[i];
      c.credit += c.weight;
      if (c.credit < max_weight) continue;
      c.credit -= max_weight;
      // A free slot is found before the permutation runs out, since at least one is free.
      while (table_[c.slot] != kFree) {
        c.slot = c.slot + c.step >= m ? c.slot + c.step - m : c.slot + c.step;
      }
      table_[c.slot] = static_cast<uint32_t>(i);
      if (++filled == m) return;
    }
  }
}

// The key is mixed once more, at the cost of a few cycles, so that a caller passing a raw integer
// (an IPv4 address, a user id) instead of hash_key's output still spreads over the table.
size_t MaglevHash::slot_of(uint64_t key) const { return scale_to(mix64(key), table_.size()); }

std::optional<size_t> MaglevHash::owner(uint64_t key) const {
  if (table_.empty()) return std::nullopt;
  return table_[slot_of(key)];
}

std::optional<size_t> MaglevHash::pick(const PickContext& ctx, UsableFn usable) {
  if (table_.empty()) return std::nullopt;
  const size_t m = table_.size();
  size_t slot = slot_of(ctx.key);
  // Long enough that with one backend in k eligible the walk misses it about once in e^4 = 55
  // picks, short enough that a pick with every backend down stays O(backends), not O(M).
  const size_t walk = std::min(m, 4 * backends_ + 32);
  for (size_t step = 0; step < walk; ++step) {
    const size_t b = table_[slot];
    if (eligible(ctx, usable, b)) return b;
    if (++slot == m) slot = 0;
  }
  size_t b = slot_of(ctx.key) % backends_;  // where the scan starts depends on the key
  for (size_t scanned = 0; scanned < backends_; ++scanned) {
    if (eligible(ctx, usable, b)) return b;
    if (++b == backends_) b = 0;
  }
  return std::nullopt;
}

}  // namespace fulcrum::upstream

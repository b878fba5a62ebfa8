#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "upstream/balancer/balancer.h"

namespace fulcrum::upstream {

// Consistent hashing with a Maglev lookup table (Eisenbud et al., "Maglev: A Fast and Reliable
// Software Network Load Balancer", NSDI 2016, section 3.4). The table has M slots, M prime; each
// backend has its own permutation of the slots (an offset and a step, both from its id), and the
// backends take turns claiming the next free slot of their permutation until all are taken. A
// key goes to the backend in slot mix64(key) * M / 2^64.
//  - Balance: with equal weights each backend owns M / N slots, give or take one; with weights,
//    close to M * weight / sum(weights).
//  - Stability: a backend's claims depend on its id, not its index, so when one of N backends
//    leaves (a new table without it), about 1/N of the keys move: those it held, and a few more.
//  - Health: the table is not rebuilt when a backend goes down. A key whose backend is not
//    eligible goes to the next slots of the table in order until one holds an eligible backend,
//    so only the keys of the down backend move, each to a backend that depends on the key, and
//    they come back when it does. After a bounded walk (most backends down) a scan of the
//    backends from a place chosen by the key ends it: O(backends) at worst.
// Weights: in each turn a backend adds its weight to a credit and claims a slot when the credit
// reaches the largest weight, so the heaviest claims every turn and a backend of weight w one
// turn in max/w. Building takes O(M * max weight / mean weight); keep weights in a small range.
// Table size: M must not change when a backend comes or goes, or every key would move (a key's
// slot is mix64(key) * M / 2^64). So M is fixed per size class, at least 100 slots per backend (the
// paper's rule for disruption close to the ideal 1/N): 65537 up to 655 backends, 655373 up to
// 6553, 6553621 above (where it falls below 100 per backend). Only crossing a class boundary
// moves all keys. 4 bytes a slot: 256 KB per balancer (per loop) in the first class; the table
// is immutable after construction, so loops could share one.
// The seed of make_balancer is not used: every loop and process builds the same table.
class MaglevHash final : public Balancer {
 public:
  explicit MaglevHash(std::span<const WeightedBackend> backends);

  std::optional<size_t> pick(const PickContext& ctx, UsableFn usable) override;

  // The backend whose slot holds key, health aside (nullopt for an empty set).
  std::optional<size_t> owner(uint64_t key) const;
  // The table itself (slot -> backend index), for tests and diagnostics.
  std::span<const uint32_t> table() const { return table_; }
  static size_t table_size_for(size_t backends);

 private:
  size_t slot_of(uint64_t key) const;

  std::vector<uint32_t> table_;  // slot -> backend index
  size_t backends_;
};

}  // namespace fulcrum::upstream

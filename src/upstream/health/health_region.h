#pragma once
// The backends' health states of one fulcrum instance, in memory shared by all its workers:
// mapped shared and anonymous before the master forks (mp), plain process memory that the
// threads share (mt). A backend's state is found by a key made from its pool and address, so
// that every worker, a restarted worker and a reloaded configuration find the same one.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "upstream/health/backend_health.h"

namespace fulcrum::upstream {

class HealthRegion {
 public:
  static constexpr size_t kDefaultCapacity = 16 * 1024;  // 1 MiB of address space; pages on use

  explicit HealthRegion(size_t capacity = kDefaultCapacity);
  ~HealthRegion();
  HealthRegion(const HealthRegion&) = delete;
  HealthRegion& operator=(const HealthRegion&) = delete;

  // The key of the backend `name` (host:port as configured) at `address` in `pool`; never 0.
  static uint64_t key(std::string_view pool, std::string_view name, std::string_view address);
  // The state with this key, claimed from a free slot if there is none yet; nullptr when the
  // region is full (slots are never freed: a slot per backend ever configured).
  HealthState* find_or_claim(uint64_t key);

 private:
  HealthState* slots_;
  size_t capacity_;
};

}  // namespace fulcrum::upstream

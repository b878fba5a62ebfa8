#include "upstream/health/health_region.h"

#include <sys/mman.h>

#include <new>
#include <string>

#include "upstream/balancer/key_hash.h"

namespace fulcrum::upstream {

HealthRegion::HealthRegion(size_t capacity) : capacity_(capacity) {
  void* memory = ::mmap(nullptr, capacity * sizeof(HealthState), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw std::bad_alloc();
  slots_ = new (memory) HealthState[capacity];
}

HealthRegion::~HealthRegion() {
  // HealthState is trivially destructible in effect (atomics of integers); only the mapping goes.
  ::munmap(slots_, capacity_ * sizeof(HealthState));
}

uint64_t HealthRegion::key(std::string_view pool, std::string_view name,
                           std::string_view address) {
  std::string bytes;
  bytes.append(pool).append(1, '\0').append(name).append(1, '\0').append(address);
  uint64_t k = hash_key(bytes);
  return k ? k : 1;
}

HealthState* HealthRegion::find_or_claim(uint64_t key) {
  for (size_t probe = 0; probe < capacity_; ++probe) {
    HealthState& slot = slots_[(key + probe) % capacity_];
    uint64_t seen = slot.key.load(std::memory_order_acquire);
    if (seen == key) return &slot;
    if (seen == 0) {
      // Another worker may claim this slot at the same moment, for this key or another.
      if (slot.key.compare_exchange_strong(seen, key, std::memory_order_acq_rel)) return &slot;
      if (seen == key) return &slot;
    }
  }
  return nullptr;
}

}  // namespace fulcrum::upstream

#include "upstream/shared_state.h"

#include <sys/mman.h>

#include <new>
#include <string>

#include "upstream/balancer/key_hash.h"

namespace fulcrum::upstream {

SharedState::SharedState(size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {
  memory_ = ::mmap(nullptr, bytes(), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory_ == MAP_FAILED) throw std::bad_alloc();
  // Constructed in place before any fork; every field starts at zero.
  instance_ = new (memory_) InstanceCounters;
  backends_ = new (static_cast<char*>(memory_) + kBackendsOffset) SharedBackend[capacity_];
}

SharedState::~SharedState() { ::munmap(memory_, bytes()); }

uint64_t SharedState::key(std::string_view pool, std::string_view name, std::string_view address) {
  std::string bytes;
  bytes.append(pool).append(1, '\0').append(name).append(1, '\0').append(address);
  uint64_t k = hash_key(bytes);
  return k ? k : 1;
}

SharedBackend* SharedState::find_or_claim(uint64_t key) {
  for (size_t probe = 0; probe < capacity_; ++probe) {
    SharedBackend& slot = backends_[(key + probe) % capacity_];
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

const SharedBackend* SharedState::find(uint64_t key) const {
  for (size_t probe = 0; probe < capacity_; ++probe) {
    const SharedBackend& slot = backends_[(key + probe) % capacity_];
    uint64_t seen = slot.key.load(std::memory_order_acquire);
    if (seen == key) return &slot;
    if (seen == 0) return nullptr;
  }
  return nullptr;
}

}  // namespace fulcrum::upstream

#pragma once
// What the workers of one fulcrum instance share: each backend's health and traffic counters,
// and the instance's counters. Mapped shared and anonymous before the master forks (mp), plain
// process memory that the threads share (mt). Only plain data and lock-free atomics live here,
// all valid when zero, so that a worker that dies mid-update leaves nothing inconsistent. A
// backend's slot is found by a key made from its pool and address, so that every worker, a
// restarted worker and a reloaded configuration find the same one.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "upstream/health/backend_health.h"

namespace fulcrum::upstream {

struct BackendCounters {
  std::atomic<uint64_t> requests{0};  // tries sent to it
  std::atomic<uint64_t> failures{0};  // failed tries and probes
  std::atomic<int64_t> in_flight{0};
};

struct SharedBackend {
  std::atomic<uint64_t> key{0};  // the backend it belongs to; 0: a free slot
  HealthState health;
  BackendCounters counters;
};

struct InstanceCounters {
  std::atomic<uint64_t> connections{0};  // accepted
  std::atomic<int64_t> open_connections{0};
  std::atomic<uint64_t> requests{0};         // request heads read
  std::atomic<uint64_t> error_responses{0};  // answered by fulcrum itself (4xx, 5xx)
};

class SharedState {
 public:
  static constexpr size_t kDefaultCapacity = 8 * 1024;  // 1 MiB of address space; pages on use

  explicit SharedState(size_t capacity = kDefaultCapacity);
  ~SharedState();
  SharedState(const SharedState&) = delete;
  SharedState& operator=(const SharedState&) = delete;

  // The key of the backend `name` (host:port as configured) at `address` in `pool`; never 0.
  static uint64_t key(std::string_view pool, std::string_view name, std::string_view address);
  // The slot with this key, claimed from a free one if there is none yet; nullptr when the
  // region is full (slots are never freed: one per backend ever configured).
  SharedBackend* find_or_claim(uint64_t key);
  // The slot with this key, or nullptr; claims nothing (for readers such as the stats report).
  const SharedBackend* find(uint64_t key) const;
  InstanceCounters& instance() { return *instance_; }
  const InstanceCounters& instance() const { return *instance_; }

 private:
  // The mapping: the instance's counters, then capacity_ backend slots.
  static constexpr size_t kBackendsOffset =
      (sizeof(InstanceCounters) + alignof(SharedBackend) - 1) / alignof(SharedBackend) *
      alignof(SharedBackend);
  size_t bytes() const { return kBackendsOffset + capacity_ * sizeof(SharedBackend); }

  size_t capacity_;
  void* memory_;
  InstanceCounters* instance_;
  SharedBackend* backends_;
};

}  // namespace fulcrum::upstream

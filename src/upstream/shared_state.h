#pragma once
// What the workers of one fulcrum instance share: each backend's health and traffic counters,
// and the instance's counters. Mapped shared before the master forks (mp), plain process memory
// that the threads share (mt). Only plain data and lock-free atomics live here, all valid when
// zero, so that a worker that dies mid-update leaves nothing inconsistent. A backend's slot is
// found by a key made from its pool and address, so that every worker, a restarted worker and a
// reloaded configuration find the same one.
//
// The region is a memfd, so that a binary upgrade can hand it to the new master
// (server/upgrade.h): the new generation's workers then find the same slots, and the health and
// counters go on from where the old generation left them, while the old workers drain on the
// same atomics. A header at its start stamps the layout; a new build that lays the region out
// differently starts with a fresh one rather than misread the old.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
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
  // Steady clock, ns: when a process that uses the slot last said so (claiming or finding it,
  // then each sweep of its backend table, every second or less).
  std::atomic<int64_t> touched{0};
  HealthState health;
  BackendCounters counters;

  void touch(io::TimePoint now) { touched.store(steady_ns(now), std::memory_order_relaxed); }
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
  // Far longer than a sweep's period: a process that uses a slot touches it much more often,
  // unless it is stopped (then its backend may come to share a slot with another).
  static constexpr io::Duration kStaleAfter = std::chrono::minutes(5);
  // Bumped whenever what the region's bytes mean changes without a size changing: the key
  // function, a field's unit or clock, the meaning of a flag. (The sizes are stamped apart.)
  static constexpr uint32_t kLayoutVersion = 1;

  // A fresh region, every field zero. Throws std::bad_alloc if it cannot be mapped.
  explicit SharedState(size_t capacity = kDefaultCapacity) : SharedState(capacity, -1) {}
  // The region behind `inherited`, a descriptor that an upgrading master handed down (-1: none),
  // when it is a region that SharedState made with this build's layout and capacity: the
  // states and counters in it go on. Otherwise a fresh region, and a warning saying why. Takes
  // `inherited` either way (closes it when not taken). Throws std::bad_alloc as above.
  SharedState(size_t capacity, int inherited);
  ~SharedState();
  SharedState(const SharedState&) = delete;
  SharedState& operator=(const SharedState&) = delete;

  // The descriptor of the region, to hand to a successor; close-on-exec. -1 when the region
  // could not be made a memfd (anonymous memory then: it cannot be handed down).
  int descriptor() const { return fd_; }
  // Whether the region is one inherited from a previous master.
  bool inherited() const { return inherited_; }

  // The key of the backend `name` (host:port as configured) at `address` in `pool`; never 0.
  static uint64_t key(std::string_view pool, std::string_view name, std::string_view address);
  // The slot with this key, claimed if there is none yet: a free one, or when none is left one
  // that no process touched for kStaleAfter, whose backend no configuration in force lists any
  // more (backend addresses that churn, deploy after deploy, would fill the region otherwise).
  // Such a slot starts afresh (up, counters at zero). nullptr when every slot is in use.
  SharedBackend* find_or_claim(uint64_t key, io::TimePoint now);
  // The slot with this key, or nullptr; claims nothing (for readers such as the stats report).
  const SharedBackend* find(uint64_t key) const;
  InstanceCounters& instance() { return *instance_; }
  const InstanceCounters& instance() const { return *instance_; }

  // The start of the region: written once when it is made, before any worker or successor can
  // read it; compared whole by a successor before it takes the region.
  struct Header {
    uint64_t magic;
    uint32_t version;  // kLayoutVersion
    uint32_t header_size;
    uint32_t instance_size;  // sizeof(InstanceCounters)
    uint32_t backend_size;   // sizeof(SharedBackend)
    uint64_t capacity;       // backend slots
  };

 private:
  // The mapping: the header, the instance's counters, then capacity_ backend slots.
  static constexpr size_t kInstanceOffset = (sizeof(Header) + alignof(InstanceCounters) - 1) /
                                            alignof(InstanceCounters) * alignof(InstanceCounters);
  static constexpr size_t kBackendsOffset =
      (kInstanceOffset + sizeof(InstanceCounters) + alignof(SharedBackend) - 1) /
      alignof(SharedBackend) * alignof(SharedBackend);
  size_t bytes() const { return kBackendsOffset + capacity_ * sizeof(SharedBackend); }
  Header expected_header() const;
  void create();
  // Maps fd when it holds a region this build can read; else returns why not (and maps nothing).
  std::string adopt(int fd);
  void place(void* memory);

  size_t capacity_;
  int fd_ = -1;
  bool inherited_ = false;
  void* memory_ = nullptr;
  InstanceCounters* instance_ = nullptr;
  SharedBackend* backends_ = nullptr;
};

}  // namespace fulcrum::upstream

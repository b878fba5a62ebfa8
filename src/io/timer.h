#pragma once
// Timers of one loop, in two structures. Most deadlines are "now plus a configured timeout", so
// the timers armed with one timeout come in the order they are due: each such timeout gets a run,
// a list in deadline order where arming appends and disarming unlinks, both O(1) and without
// touching other timers. A timer armed without a timeout (periodic ones, sleeps), or with one
// that has no run while all runs are taken, goes into a binary min-heap. Neither allocates once
// the heap's vector has reached its high-water mark.
//
// The loop passes deadline - now as the timeout. A deadline reused as time passes (the whole of a
// request head, read in pieces) thus comes with a timeout no other timer has, and takes a free run
// for itself until it is disarmed: many at once (slow clients) leave the common timeouts to the
// heap, which is what every timer had before runs, and no worse.
#include <array>
#include <chrono>
#include <cstdint>
#include <vector>

namespace fulcrum::io {

using Clock = std::chrono::steady_clock;
using Duration = Clock::duration;
using TimePoint = Clock::time_point;

struct Timer {
  static constexpr uint32_t kDisarmed = UINT32_MAX;
  static constexpr uint32_t kInRun = 1u << 31;  // slot: kInRun | the run's index
  TimePoint when{};
  void (*fire)(Timer*) = nullptr;
  void* owner = nullptr;  // what fire() acts on
  Timer* prev = nullptr;  // in a run; both null otherwise
  Timer* next = nullptr;
  uint32_t slot = kDisarmed;  // the heap index, or kInRun | the run's index
  bool armed() const { return slot != kDisarmed; }
};

class Timers {
 public:
  // Re-arms if already armed. timeout: when - now for a deadline that is now plus a timeout; a
  // timer armed otherwise passes none and goes into the heap.
  void arm(Timer& t, TimePoint when, Duration timeout = Duration::zero());
  void disarm(Timer& t);  // no-op if not armed
  bool empty() const { return armed_ == 0; }
  // The earliest deadline; not empty().
  TimePoint next() const;
  // Fires, in order, every timer due at or before now. A fired timer is disarmed first, so its
  // callback may re-arm it.
  void fire_due(TimePoint now);

 private:
  // Enough for the timeouts on a request's path (client idle and header, backend, connect) and
  // some to spare.
  static constexpr size_t kRuns = 8;
  struct Run {
    Duration timeout{};
    Timer* head = nullptr;
    Timer* tail = nullptr;
  };
  bool append_to_run(Timer& t, Duration timeout);
  void unlink(Timer& t);
  Timer* earliest() const;
  void heap_remove(Timer& t);
  void sift_up(uint32_t i);
  void sift_down(uint32_t i);
  void place(uint32_t i, Timer* t) {
    heap_[i] = t;
    t->slot = i;
  }
  std::array<Run, kRuns> runs_{};
  std::vector<Timer*> heap_;
  size_t armed_ = 0;
};

}  // namespace fulcrum::io

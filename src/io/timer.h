#pragma once
// Timers of one loop: a binary min-heap of intrusive Timer nodes. Arming and disarming do not
// allocate once the heap's vector has reached its high-water mark.
#include <chrono>
#include <cstdint>
#include <vector>

namespace fulcrum::io {

using Clock = std::chrono::steady_clock;
using Duration = Clock::duration;
using TimePoint = Clock::time_point;

struct Timer {
  static constexpr uint32_t kDisarmed = UINT32_MAX;
  TimePoint when{};
  uint32_t heap_index = kDisarmed;
  void (*fire)(Timer*) = nullptr;
  void* owner = nullptr;  // what fire() acts on
  bool armed() const { return heap_index != kDisarmed; }
};

class TimerHeap {
 public:
  void arm(Timer& t, TimePoint when);  // re-arms if already armed
  void disarm(Timer& t);               // no-op if not armed
  bool empty() const { return heap_.empty(); }
  TimePoint next() const { return heap_.front()->when; }
  // Fires, in order, every timer due at or before now. A fired timer is disarmed first, so its
  // callback may re-arm it.
  void fire_due(TimePoint now);

 private:
  void sift_up(uint32_t i);
  void sift_down(uint32_t i);
  void place(uint32_t i, Timer* t) {
    heap_[i] = t;
    t->heap_index = i;
  }
  std::vector<Timer*> heap_;
};

}  // namespace fulcrum::io

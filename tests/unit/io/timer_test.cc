#include "io/timer.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace fulcrum::io {
namespace {

TEST(TimerHeap, FiresDueTimersInOrderAndSkipsDisarmed) {
  TimerHeap heap;
  std::vector<Timer> timers(200);
  std::vector<int> ids(200);
  std::mt19937 rng(7);
  TimePoint base{};
  for (size_t i = 0; i < timers.size(); ++i) {
    ids[i] = static_cast<int>(i);
    timers[i].owner = &ids[i];
    timers[i].fire = [](Timer* t) { (void)t; };
    heap.arm(timers[i], base + std::chrono::milliseconds(rng() % 1000));
  }
  // Disarm every third; re-arm every fifth later.
  for (size_t i = 0; i < timers.size(); i += 3) heap.disarm(timers[i]);
  for (size_t i = 0; i < timers.size(); i += 5) {
    heap.arm(timers[i], base + std::chrono::milliseconds(2000 + i));
  }
  TimePoint last{};
  size_t count = 0;
  while (!heap.empty()) {
    TimePoint next = heap.next();
    EXPECT_GE(next, last);
    last = next;
    heap.fire_due(next);
    ++count;
    if (count > 1000) break;
  }
  for (auto& t : timers) EXPECT_FALSE(t.armed());
}

TEST(TimerHeap, CallbackMayRearmItself) {
  TimerHeap heap;
  Timer t;
  int fired = 0;
  t.owner = &fired;
  t.fire = [](Timer* self) { ++*static_cast<int*>(self->owner); };
  TimePoint base{};
  heap.arm(t, base + std::chrono::milliseconds(1));
  heap.fire_due(base + std::chrono::milliseconds(5));
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(t.armed());
  heap.arm(t, base + std::chrono::milliseconds(10));
  heap.fire_due(base + std::chrono::milliseconds(9));
  EXPECT_EQ(fired, 1);
  heap.fire_due(base + std::chrono::milliseconds(10));
  EXPECT_EQ(fired, 2);
}

}  // namespace
}  // namespace fulcrum::io

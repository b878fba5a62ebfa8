#include "io/timer.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

namespace fulcrum::io {
namespace {

TEST(Timers, FiresDueTimersInOrderAndSkipsDisarmed) {
  Timers heap;
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

TEST(Timers, CallbackMayRearmItself) {
  Timers heap;
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

// Deadlines armed as now plus a timeout go into runs, others into the heap; whatever the mix,
// timers fire in deadline order, exactly when due, and disarmed ones never. A model (the armed
// deadlines by timer) checks every step of a random schedule: more timeouts than runs, a
// deadline reused as time passes, arms without a timeout, disarms and re-arms anywhere in a run.
TEST(Timers, RunsAndHeapFireInDeadlineOrderAsAModelDoes) {
  constexpr size_t kCount = 300;
  Timers timers;
  std::vector<Timer> ts(kCount);
  std::map<size_t, TimePoint> model;  // armed timer -> its deadline
  std::vector<size_t> fired;
  struct Ctx {
    std::vector<Timer>* ts;
    std::vector<size_t>* fired;
  } ctx{&ts, &fired};
  for (auto& t : ts) {
    t.owner = &ctx;
    t.fire = [](Timer* self) {
      auto* c = static_cast<Ctx*>(self->owner);
      c->fired->push_back(static_cast<size_t>(self - c->ts->data()));
    };
  }
  std::mt19937 rng(11);
  TimePoint now{};
  for (int step = 0; step < 20000; ++step) {
    const size_t i = rng() % kCount;
    switch (rng() % 8) {
      case 0:
      case 1:
      case 2: {  // now plus one of 12 timeouts: more than there are runs
        const Duration timeout = std::chrono::milliseconds(1 + rng() % 12 * 7);
        timers.arm(ts[i], now + timeout, timeout);
        model[i] = now + timeout;
        break;
      }
      case 3: {  // a timeout that is not when - now (a deadline set earlier, armed again)
        const TimePoint when = now + std::chrono::microseconds(rng() % 90000);
        timers.arm(ts[i], when, std::chrono::milliseconds(1 + rng() % 12 * 7));
        model[i] = when;
        break;
      }
      case 4: {  // no timeout: the heap
        const TimePoint when = now + std::chrono::microseconds(rng() % 50000);
        timers.arm(ts[i], when);
        model[i] = when;
        break;
      }
      case 5:
        timers.disarm(ts[i]);
        model.erase(i);
        break;
      default: {
        now += std::chrono::microseconds(rng() % 3000);
        fired.clear();
        timers.fire_due(now);
        TimePoint last{};
        for (size_t f : fired) {
          ASSERT_TRUE(model.count(f)) << "fired a timer that was not armed";
          EXPECT_LE(model[f], now);
          EXPECT_GE(model[f], last) << "out of order";
          last = model[f];
          model.erase(f);
        }
        for (auto& [id, when] : model) ASSERT_GT(when, now) << "timer " << id << " was due";
        break;
      }
    }
    ASSERT_EQ(timers.empty(), model.empty());
    if (!model.empty()) {
      TimePoint first = model.begin()->second;
      for (auto& [id, when] : model) first = std::min(first, when);
      ASSERT_EQ(timers.next(), first);
    }
    for (size_t k = 0; k < kCount; ++k) ASSERT_EQ(ts[k].armed(), model.count(k) == 1);
  }
}

}  // namespace
}  // namespace fulcrum::io

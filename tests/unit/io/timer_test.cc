#include "io/timer.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

namespace fulcrum::io {
namespace {

TEST(Timers, FiresDueTimersInOrderAndSkipsDisarmed) {
  Timers queue;
  std::vector<Timer> timers(200);
  std::vector<int> ids(200);
  std::mt19937 rng(7);
  TimePoint base{};
  for (size_t i = 0; i < timers.size(); ++i) {
    ids[i] = static_cast<int>(i);
    timers[i].owner = &ids[i];
    timers[i].fire = [](Timer* t) { (void)t; };
    queue.arm(timers[i], base + std::chrono::milliseconds(rng() % 1000));
  }
  // Disarm every third; re-arm every fifth later.
  for (size_t i = 0; i < timers.size(); i += 3) queue.disarm(timers[i]);
  for (size_t i = 0; i < timers.size(); i += 5) {
    queue.arm(timers[i], base + std::chrono::milliseconds(2000 + i));
  }
  TimePoint last{};
  size_t count = 0;
  while (!queue.empty()) {
    TimePoint next = queue.next();
    EXPECT_GE(next, last);
    last = next;
    queue.fire_due(next);
    ++count;
    if (count > 1000) break;
  }
  for (auto& t : timers) EXPECT_FALSE(t.armed());
}

TEST(Timers, CallbackMayRearmItself) {
  Timers timers;
  Timer t;
  int fired = 0;
  t.owner = &fired;
  t.fire = [](Timer* self) { ++*static_cast<int*>(self->owner); };
  TimePoint base{};
  timers.arm(t, base + std::chrono::milliseconds(1));
  timers.fire_due(base + std::chrono::milliseconds(5));
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(t.armed());
  timers.arm(t, base + std::chrono::milliseconds(10));
  timers.fire_due(base + std::chrono::milliseconds(9));
  EXPECT_EQ(fired, 1);
  timers.fire_due(base + std::chrono::milliseconds(10));
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

// A deadline that is now plus a timeout goes into that timeout's run; one without a timeout, or
// whose timeout has no run while all are taken, goes into the heap.
TEST(Timers, TimeoutsGetRunsWhileThereAreRunsFree) {
  Timers timers;
  std::vector<Timer> with_timeouts(9);
  TimePoint now{};
  for (size_t i = 0; i < with_timeouts.size(); ++i) {
    const Duration timeout = std::chrono::seconds(1 + i);
    timers.arm(with_timeouts[i], now + timeout, timeout);
  }
  for (size_t i = 0; i < 8; ++i) EXPECT_TRUE(with_timeouts[i].slot & Timer::kInRun) << i;
  EXPECT_FALSE(with_timeouts[8].slot & Timer::kInRun);  // a ninth timeout: the heap
  Timer again;
  now += std::chrono::milliseconds(5);
  timers.arm(again, now + std::chrono::seconds(1), std::chrono::seconds(1));
  EXPECT_EQ(again.slot, with_timeouts[0].slot);  // the same run, behind the first
  Timer periodic;
  timers.arm(periodic, now + std::chrono::seconds(5));
  EXPECT_FALSE(periodic.slot & Timer::kInRun);
  // A run left empty is free for another timeout.
  timers.disarm(with_timeouts[1]);
  Timer other;
  timers.arm(other, now + std::chrono::seconds(42), std::chrono::seconds(42));
  EXPECT_EQ(other.slot, Timer::kInRun | 1u);
}

// A callback may change its own run: disarm the timer after it and re-arm itself at the tail.
TEST(Timers, CallbackMayDisarmItsNeighbourAndRearmIntoItsRun) {
  static constexpr Duration kTimeout = std::chrono::milliseconds(10);
  struct Ctx {
    Timers timers;
    std::vector<Timer> ts = std::vector<Timer>(4);
    std::vector<size_t> fired;
    TimePoint now{};
  } c;
  for (Timer& t : c.ts) {
    t.owner = &c;
    t.fire = [](Timer* self) {
      auto* x = static_cast<Ctx*>(self->owner);
      const size_t id = static_cast<size_t>(self - x->ts.data());
      x->fired.push_back(id);
      if (id == 0) {
        x->timers.disarm(x->ts[1]);
        x->timers.arm(*self, x->now + kTimeout, kTimeout);
      }
    };
  }
  TimePoint now{};
  for (Timer& t : c.ts) {
    c.timers.arm(t, now + kTimeout, kTimeout);
    now += std::chrono::milliseconds(1);
  }
  c.now = now + std::chrono::milliseconds(20);
  c.timers.fire_due(c.now);
  EXPECT_EQ(c.fired, (std::vector<size_t>{0, 2, 3}));
  EXPECT_TRUE(c.ts[0].slot & Timer::kInRun);
  EXPECT_FALSE(c.ts[1].armed());
  EXPECT_EQ(c.timers.next(), c.now + kTimeout);
  c.fired.clear();
  c.now += kTimeout;
  c.timers.fire_due(c.now);
  EXPECT_EQ(c.fired, (std::vector<size_t>{0}));
  EXPECT_EQ(c.timers.next(), c.now + kTimeout);
}

}  // namespace
}  // namespace fulcrum::io

#include <gtest/gtest.h>

#include <vector>

#include "upstream/balancer/p2c.h"

namespace fulcrum::upstream {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

std::vector<WeightedBackend> backends(std::initializer_list<uint32_t> weights) {
  std::vector<WeightedBackend> out;
  for (uint32_t w : weights) out.push_back({out.size(), w});
  return out;
}

constexpr auto all = [](size_t) { return true; };

// Sequential requests: each is picked, started and ended before the next, with the latency (and
// outcome) that latency_of gives for the backend picked. Returns the picks per backend.
template <typename Latency>
std::vector<int> run(PowerOfTwoChoices& p2c, size_t n, int requests, Latency latency_of,
                     bool ok = true) {
  std::vector<int> counts(n);
  for (int r = 0; r < requests; ++r) {
    size_t i = *p2c.pick({}, all);
    ++counts[i];
    p2c.on_start(i);
    p2c.on_end(i, latency_of(i), ok || i != 0 ? Outcome::kAnswered : Outcome::kFailed);
  }
  return counts;
}

TEST(BalancerP2C, SlowBackendGetsMarkedlyFewerPicks) {
  PowerOfTwoChoices p2c(backends({1, 1, 1}), 42);
  auto counts = run(p2c, 3, 30000, [](size_t i) -> nanoseconds {
    return i == 0 ? milliseconds(20) : milliseconds(1);
  });
  // A fair share would be 10000. The slow one still gets some: the probes that would notice it
  // had recovered.
  EXPECT_LT(counts[0], 1500);
  EXPECT_GT(counts[0], 0);
  EXPECT_NEAR(counts[1], counts[2], 2000);
}

TEST(BalancerP2C, RecoveredBackendGetsItsShareBack) {
  PowerOfTwoChoices p2c(backends({1, 1, 1}), 7);
  run(p2c, 3, 10000,
      [](size_t i) -> nanoseconds { return i == 0 ? milliseconds(50) : milliseconds(1); });
  run(p2c, 3, 5000, [](size_t) -> nanoseconds { return milliseconds(1); });
  auto counts = run(p2c, 3, 30000, [](size_t) -> nanoseconds { return milliseconds(1); });
  EXPECT_GT(counts[0], 8000);  // a fair share is 10000
}

TEST(BalancerP2C, FastFailuresDoNotAttractRequests) {
  PowerOfTwoChoices p2c(backends({1, 1, 1}), 3);
  // Backend 0 fails in 50 us (say, connection refused); the others answer in 1 ms.
  auto counts = run(
      p2c, 3, 30000,
      [](size_t i) -> nanoseconds { return i == 0 ? microseconds(50) : milliseconds(1); },
      /*ok=*/false);
  EXPECT_LT(counts[0], 4000);  // a fair share is 10000; counted as fast it would take most
}

TEST(BalancerP2C, VoidTriesTeachNothing) {
  PowerOfTwoChoices p2c(backends({1, 1, 1}), 11);
  run(p2c, 3, 3000, [](size_t) -> nanoseconds { return milliseconds(1); });
  // Then every try at backend 0 is cut short after 50 ms by its client: as answers that slow it
  // would get under 1500 picks (SlowBackendGetsMarkedlyFewerPicks).
  std::vector<int> counts(3);
  for (int r = 0; r < 30000; ++r) {
    size_t i = *p2c.pick({}, all);
    ++counts[i];
    p2c.on_start(i);
    p2c.on_end(i, i == 0 ? milliseconds(50) : milliseconds(1),
               i == 0 ? Outcome::kVoid : Outcome::kAnswered);
  }
  EXPECT_GT(counts[0], 8000);  // a fair share is 10000
}

TEST(BalancerP2C, InFlightCountsRelativeToWeight) {
  PowerOfTwoChoices p2c(backends({3, 1}), 5);
  std::vector<int> counts(2);
  // 400 concurrent requests, none ending, no latency known: in-flight over weight decides.
  for (int r = 0; r < 400; ++r) {
    size_t i = *p2c.pick({}, all);
    ++counts[i];
    p2c.on_start(i);
  }
  EXPECT_NEAR(counts[0], 300, 2);
  EXPECT_NEAR(counts[1], 100, 2);
}

TEST(BalancerP2C, BusyBackendIsAvoided) {
  PowerOfTwoChoices p2c(backends({1, 1, 1, 1}), 9);
  run(p2c, 4, 100, [](size_t) -> nanoseconds { return milliseconds(2); });
  for (int r = 0; r < 30; ++r) p2c.on_start(2);  // 30 slow requests stuck on backend 2
  auto counts = run(p2c, 4, 8000, [](size_t) -> nanoseconds { return milliseconds(2); });
  EXPECT_LT(counts[2], 200);  // a fair share is 2000
}

TEST(BalancerP2C, OnlyEligibleBackendsAndBothChoicesDistinct) {
  PowerOfTwoChoices p2c(backends({1, 1, 1, 1, 1}), 11);
  std::vector<int> counts(5);
  for (int r = 0; r < 10000; ++r) {
    auto i = p2c.pick({.exclude = 4}, [](size_t b) { return b == 1 || b == 3 || b == 4; });
    ASSERT_TRUE(i == 1u || i == 3u) << *i;
    ++counts[*i];
    p2c.on_start(*i);
    p2c.on_end(*i, milliseconds(1), Outcome::kAnswered);
  }
  // Two eligible: each pick compares both, equal latencies, so in-flight (zero) ties and the
  // first drawn wins: about half each.
  EXPECT_NEAR(counts[1], 5000, 400);
}

}  // namespace
}  // namespace fulcrum::upstream

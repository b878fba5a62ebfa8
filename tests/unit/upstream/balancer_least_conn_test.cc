#include <gtest/gtest.h>

#include <vector>

#include "upstream/balancer/least_conn.h"

namespace fulcrum::upstream {
namespace {

using std::chrono::milliseconds;

std::vector<WeightedBackend> backends(std::initializer_list<uint32_t> weights) {
  std::vector<WeightedBackend> out;
  for (uint32_t w : weights) out.push_back({out.size(), w});
  return out;
}

constexpr auto all = [](size_t) { return true; };

TEST(BalancerLeastConn, PicksTheFewestInFlight) {
  LeastConn lc(backends({1, 1, 1}));
  lc.on_start(0);
  lc.on_start(0);
  lc.on_start(1);
  EXPECT_EQ(lc.pick({}, all), 2u);
  EXPECT_EQ(lc.pick({}, all), 2u);  // still the least: picking alone does not count
  lc.on_start(2);
  lc.on_start(2);
  EXPECT_EQ(lc.pick({}, all), 1u);  // 2, 1, 2 in flight
}

TEST(BalancerLeastConn, OnEndLowersTheCount) {
  LeastConn lc(backends({1, 1}));
  lc.on_start(0);
  lc.on_start(0);
  lc.on_start(1);
  EXPECT_EQ(lc.pick({}, all), 1u);
  lc.on_end(0, milliseconds(3), Outcome::kAnswered);
  lc.on_end(0, milliseconds(3), Outcome::kFailed);  // a failure ends the request all the same
  EXPECT_EQ(lc.pick({}, all), 0u);
  lc.on_end(1, milliseconds(3), Outcome::kAnswered);
  lc.on_end(1, milliseconds(3), Outcome::kAnswered);  // unmatched: the count stays at zero
  lc.on_start(0);
  EXPECT_EQ(lc.pick({}, all), 1u);
}

TEST(BalancerLeastConn, TiesRotate) {
  LeastConn lc(backends({1, 1, 1}));
  std::vector<size_t> order;
  for (int n = 0; n < 9; ++n) {
    size_t i = *lc.pick({}, all);
    order.push_back(i);
    lc.on_start(i);
    // Sequential requests: all idle at every pick.
    lc.on_end(i, milliseconds(1), Outcome::kAnswered);
  }
  EXPECT_EQ(order, (std::vector<size_t>{0, 1, 2, 0, 1, 2, 0, 1, 2}));
}

TEST(BalancerLeastConn, InFlightIsRelativeToWeight) {
  LeastConn lc(backends({5, 1}));
  std::vector<int> counts(2);
  // 60 concurrent requests, none ending: they spread 5:1.
  for (int n = 0; n < 60; ++n) {
    size_t i = *lc.pick({}, all);
    ++counts[i];
    lc.on_start(i);
  }
  EXPECT_EQ(counts[0], 50);
  EXPECT_EQ(counts[1], 10);
}

TEST(BalancerLeastConn, IdleBackendsShareByWeight) {
  // Requests one at a time: every backend is idle at every pick, so all tie, and the tie goes
  // by weighted round-robin rather than to one backend.
  LeastConn lc(backends({2, 1, 3}));
  std::vector<int> counts(3);
  for (int n = 0; n < 600; ++n) {
    size_t i = *lc.pick({}, all);
    ++counts[i];
    lc.on_start(i);
    lc.on_end(i, milliseconds(1), Outcome::kAnswered);
  }
  EXPECT_EQ(counts, (std::vector<int>{200, 100, 300}));
}

TEST(BalancerLeastConn, LoadIsInFlightOverWeight) {
  LeastConn lc(backends({2, 1}));
  lc.on_start(1);
  EXPECT_EQ(lc.pick({}, all), 0u);  // 0/2 < 1/1
  lc.on_start(0);
  EXPECT_EQ(lc.pick({}, all), 0u);  // 1/2 < 1/1
  lc.on_start(0);
  // 2/2 = 1/1: a tie, by weighted round-robin between the two (2:1, starting with the heavy).
  EXPECT_EQ(lc.pick({}, all), 0u);
  EXPECT_EQ(lc.pick({}, all), 1u);
  lc.on_start(0);
  EXPECT_EQ(lc.pick({}, all), 1u);  // 3/2 > 1/1
}

TEST(BalancerLeastConn, SkipsUnusableEvenIfLeastLoaded) {
  LeastConn lc(backends({1, 1, 1}));
  lc.on_start(0);
  lc.on_start(1);
  lc.on_start(1);
  EXPECT_EQ(lc.pick({}, [](size_t i) { return i != 2; }), 0u);
  EXPECT_EQ(lc.pick({.exclude = 0}, [](size_t i) { return i != 2; }), 1u);
}

}  // namespace
}  // namespace fulcrum::upstream

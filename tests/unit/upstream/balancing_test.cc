#include <gtest/gtest.h>

#include "upstream/balancer/round_robin.h"
#include "upstream/health/circuit_breaker.h"

namespace fulcrum::upstream {
namespace {

BackendSet three() {
  BackendSet set(3);
  for (size_t i = 0; i < set.size(); ++i) set[i].name = "b" + std::to_string(i);
  return set;
}

TEST(RoundRobin, CyclesExactly) {
  BackendSet set = three();
  RoundRobin rr;
  io::TimePoint now{};
  for (int round = 0; round < 4; ++round) {
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(rr.pick(set, now), i);
  }
}

TEST(RoundRobin, SkipsDownBackendsAndReportsNoneWhenAllDown) {
  BackendSet set = three();
  RoundRobin rr;
  io::TimePoint now{};
  for (int i = 0; i < CircuitBreaker::kFailuresToOpen; ++i) set[1].breaker.record_failure(now);
  for (int i = 0; i < 6; ++i) EXPECT_NE(rr.pick(set, now), 1u);
  for (auto& b : set) {
    for (int i = 0; i < CircuitBreaker::kFailuresToOpen; ++i) b.breaker.record_failure(now);
  }
  EXPECT_FALSE(rr.pick(set, now).has_value());
}

TEST(CircuitBreaker, OpensAfterThresholdAndAllowsOneTrialPerCoolDown) {
  CircuitBreaker b;
  io::TimePoint t0{};
  EXPECT_FALSE(b.record_failure(t0));
  EXPECT_FALSE(b.record_failure(t0));
  EXPECT_TRUE(b.record_failure(t0));  // third consecutive failure opens it
  EXPECT_TRUE(b.down());
  EXPECT_FALSE(b.allow(t0));
  io::TimePoint later = t0 + CircuitBreaker::kCoolDown;
  EXPECT_TRUE(b.allow(later));   // the trial
  EXPECT_FALSE(b.allow(later));  // only one
  b.record_success();
  EXPECT_FALSE(b.down());
  EXPECT_TRUE(b.allow(later));
}

TEST(CircuitBreaker, SuccessResetsTheCount) {
  CircuitBreaker b;
  io::TimePoint t0{};
  b.record_failure(t0);
  b.record_failure(t0);
  b.record_success();
  EXPECT_FALSE(b.record_failure(t0));
  EXPECT_FALSE(b.down());
}

}  // namespace
}  // namespace fulcrum::upstream

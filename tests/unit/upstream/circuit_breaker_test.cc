#include <gtest/gtest.h>

#include "upstream/health/circuit_breaker.h"

namespace fulcrum::upstream {
namespace {

TEST(CircuitBreaker, OpensAfterThresholdAndAllowsOneTrialPerCoolDown) {
  CircuitBreaker b;
  io::TimePoint t0{};
  EXPECT_FALSE(b.record_failure(t0));
  EXPECT_FALSE(b.record_failure(t0));
  EXPECT_TRUE(b.record_failure(t0));  // third consecutive failure opens it
  EXPECT_TRUE(b.down());
  EXPECT_FALSE(b.available(t0));
  io::TimePoint later = t0 + CircuitBreaker::kCoolDown;
  EXPECT_TRUE(b.available(later));  // the trial is due
  EXPECT_TRUE(b.available(later));  // asking uses nothing up
  b.on_picked(later);               // the trial was sent
  EXPECT_FALSE(b.available(later));
  b.record_success();
  EXPECT_FALSE(b.down());
  EXPECT_TRUE(b.available(later));
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

TEST(CircuitBreaker, PickingAnUpBackendChangesNothing) {
  CircuitBreaker b;
  io::TimePoint t0{};
  b.on_picked(t0);
  b.record_failure(t0);
  EXPECT_TRUE(b.available(t0));
}

}  // namespace
}  // namespace fulcrum::upstream

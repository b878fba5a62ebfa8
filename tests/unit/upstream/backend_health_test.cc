#include "upstream/health/backend_health.h"

#include <gtest/gtest.h>

namespace fulcrum::upstream {
namespace {

using std::chrono::seconds;

TEST(BackendHealth, FallConsecutiveFailuresTakeItDown) {
  HealthState state;
  BackendHealth h(state);
  io::TimePoint t0{};
  EXPECT_FALSE(h.record_failure(t0));
  EXPECT_FALSE(h.record_failure(t0));
  EXPECT_TRUE(h.record_failure(t0));  // the third: down
  EXPECT_FALSE(h.up());
  EXPECT_FALSE(h.available(t0));
}

TEST(BackendHealth, ASuccessBetweenFailuresResetsTheCount) {
  HealthState state;
  BackendHealth h(state);
  io::TimePoint t0{};
  h.record_failure(t0);
  h.record_failure(t0);
  h.record_success(t0);
  EXPECT_FALSE(h.record_failure(t0));
  EXPECT_TRUE(h.up());
}

TEST(BackendHealth, WithoutProbesOneTrialPerCoolDownAndRiseSuccessesBringItBack) {
  HealthState state;
  BackendHealth h(state);
  io::TimePoint t0{};
  for (int i = 0; i < 3; ++i) h.record_failure(t0);
  io::TimePoint t1 = t0 + BackendHealth::kCoolDown;
  EXPECT_FALSE(h.available(t1 - seconds(1)));
  EXPECT_TRUE(h.available(t1));
  EXPECT_TRUE(h.available(t1));  // asking uses nothing up
  h.on_picked(t1);
  EXPECT_FALSE(h.available(t1));  // one trial per cool-down
  EXPECT_FALSE(h.record_success(t1));
  EXPECT_TRUE(h.available(t1));       // the next trial need not wait
  EXPECT_TRUE(h.record_success(t1));  // the second success: up
  EXPECT_TRUE(h.up());
}

TEST(BackendHealth, CoolDownDoublesWhileTrialsFail) {
  HealthState state;
  BackendHealth h(state);
  io::TimePoint t0{};
  for (int i = 0; i < 3; ++i) h.record_failure(t0);
  io::TimePoint t1 = t0 + seconds(10);
  h.on_picked(t1);
  h.record_failure(t1);  // trial failed: 20 s now
  EXPECT_FALSE(h.available(t1 + seconds(19)));
  EXPECT_TRUE(h.available(t1 + seconds(20)));
}

TEST(BackendHealth, WithProbesADownBackendGetsNoTrialRequests) {
  HealthState state;
  BackendHealth h(state);
  h.configure(2, 3, true);
  io::TimePoint t0{};
  h.record_failure(t0);
  EXPECT_TRUE(h.record_failure(t0));
  EXPECT_FALSE(h.available(t0 + seconds(3600)));
  EXPECT_FALSE(h.record_success(t0));
  EXPECT_FALSE(h.record_success(t0));
  EXPECT_TRUE(h.record_success(t0));  // rise 3
  EXPECT_TRUE(h.available(t0));
}

TEST(BackendHealth, WorkersSharingAStateSeeOneStateAndOneTransition) {
  HealthState state;
  BackendHealth worker_a(state), worker_b(state);
  io::TimePoint t0{};
  // Failures seen by different workers add up.
  EXPECT_FALSE(worker_a.record_failure(t0));
  EXPECT_FALSE(worker_b.record_failure(t0));
  EXPECT_TRUE(worker_a.record_failure(t0));
  EXPECT_FALSE(worker_b.up());
  EXPECT_FALSE(worker_b.record_failure(t0));  // already down: no second transition
  EXPECT_FALSE(worker_b.record_success(t0));
  EXPECT_TRUE(worker_a.record_success(t0 + seconds(1)));
  EXPECT_TRUE(worker_b.up());
  EXPECT_EQ(worker_b.up_since(), t0 + seconds(1));
}

}  // namespace
}  // namespace fulcrum::upstream

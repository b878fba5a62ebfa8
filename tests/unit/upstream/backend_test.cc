// A backend as a loop knows it: slow start's ramp after a recovery; its shared slot kept in use.
#include "upstream/backend.h"

#include <gtest/gtest.h>

#include "upstream/backend_table.h"

namespace fulcrum::upstream {
namespace {

using std::chrono::seconds;

class BackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    loop_ = io::Loop::create(io::Backend::kEpoll, &error);
    ASSERT_TRUE(loop_) << error;
    ASSERT_TRUE(net::resolve("127.0.0.1", 9, &address_.address, &error)) << error;
    address_.host = "127.0.0.1";
    address_.port = 9;
    pool_.name = "web";
    pool_.health.unhealthy_threshold = 1;
    pool_.health.healthy_threshold = 1;
  }
  std::unique_ptr<io::Loop> loop_;
  base::TaskGroup tasks_;  // a table's probers: none here
  config::BackendConfig address_;
  config::PoolConfig pool_;
};

TEST_F(BackendTest, WithoutSlowStartARecoveredBackendTakesItsFullShare) {
  Backend b(*loop_, "web", address_, pool_, nullptr);
  io::TimePoint t0 = io::TimePoint{} + seconds(100);
  b.health.record_failure(t0);
  b.health.record_success(t0 + seconds(1));
  EXPECT_EQ(b.ramp(t0 + seconds(1)), 1.0);
}

TEST_F(BackendTest, SlowStartRampsLinearlyFromTenPercentAtItsRecovery) {
  pool_.slow_start = std::chrono::milliseconds(10'000);
  Backend b(*loop_, "web", address_, pool_, nullptr);
  io::TimePoint t0 = io::TimePoint{} + seconds(100);
  EXPECT_EQ(b.ramp(t0), 1.0);  // never down: no ramp
  b.health.record_failure(t0);
  io::TimePoint up = t0 + seconds(1);
  ASSERT_TRUE(b.health.record_success(up));
  EXPECT_DOUBLE_EQ(b.ramp(up), 0.1);
  EXPECT_DOUBLE_EQ(b.ramp(up + seconds(2)), 0.1 + 0.9 * 0.2);
  EXPECT_DOUBLE_EQ(b.ramp(up + seconds(5)), 0.1 + 0.9 * 0.5);
  EXPECT_EQ(b.ramp(up + seconds(10)), 1.0);
  EXPECT_EQ(b.ramp(up + seconds(60)), 1.0);
}

// A slot that a backend table uses is touched at each sweep, so that no other backend can take it
// for one nobody uses (SharedState::kStaleAfter).
TEST_F(BackendTest, TheTableTouchesTheSlotsOfItsBackends) {
  SharedState region(4);
  BackendTable table(*loop_, region, false, tasks_, 1);
  table.begin_configuration(http::Limits{});
  Backend& b = table.acquire(pool_, address_);
  ASSERT_NE(b.state.touched.load(), 0) << "touched when claimed";
  b.state.touched.store(0);
  auto watch = [&]() -> base::Task<void> {
    for (int i = 0; i < 100 && b.state.touched.load() == 0; ++i) {
      co_await loop_->sleep(std::chrono::milliseconds(50));
    }
    loop_->stop();
  };
  base::spawn(watch());
  loop_->run();
  EXPECT_NE(b.state.touched.load(), 0);
  table.release(b);
}

}  // namespace
}  // namespace fulcrum::upstream

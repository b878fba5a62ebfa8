#include "upstream/connection_pool.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/task.h"

namespace fulcrum::upstream {
namespace {

using namespace std::chrono_literals;

class ConnectionPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    loop_ = io::Loop::create(io::Backend::kEpoll, &error);
    ASSERT_TRUE(loop_) << error;
  }
  // A connected pair: [0] goes into the pool, [1] plays the backend.
  std::pair<int, int> pair() {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    return {sv[0], sv[1]};
  }
  // Runs the loop for at least d; returns whether it did.
  bool run_for(std::chrono::milliseconds d) {
    bool done = false;
    auto waiter = [&]() -> base::Task<void> {
      co_await loop_->sleep(d);
      done = true;
      loop_->stop();
    };
    base::spawn(waiter());
    loop_->run();
    return done;
  }
  std::unique_ptr<io::Loop> loop_;
};

TEST_F(ConnectionPoolTest, TakesMostRecentlyReturnedFirst) {
  ConnectionPool pool(*loop_, 4, 30s);
  auto [a, peer_a] = pair();
  auto [b, peer_b] = pair();
  pool.put(a);
  pool.put(b);
  EXPECT_EQ(pool.take(30s), b);
  EXPECT_EQ(pool.take(30s), a);
  EXPECT_EQ(pool.take(30s), -1);
  for (int fd : {a, b, peer_a, peer_b}) ::close(fd);
}

TEST_F(ConnectionPoolTest, NeverHandsOutAConnectionTheBackendClosed) {
  ConnectionPool pool(*loop_, 4, 30s);
  auto [open_fd, open_peer] = pair();
  auto [closed_fd, closed_peer] = pair();
  auto [noisy_fd, noisy_peer] = pair();
  pool.put(open_fd);
  pool.put(closed_fd);
  pool.put(noisy_fd);
  ::close(closed_peer);                       // backend closed while idle
  ASSERT_EQ(::write(noisy_peer, "x", 1), 1);  // unsolicited bytes: not clean either
  EXPECT_EQ(pool.take(30s), open_fd);
  EXPECT_EQ(pool.take(30s), -1);
  for (int fd : {open_fd, open_peer, noisy_peer}) ::close(fd);
}

TEST_F(ConnectionPoolTest, Bounded) {
  ConnectionPool pool(*loop_, 1, 30s);
  auto [a, peer_a] = pair();
  auto [b, peer_b] = pair();
  pool.put(a);
  pool.put(b);  // over the bound: closed
  EXPECT_EQ(pool.idle_count(), 1u);
  char c;
  EXPECT_EQ(::read(peer_b, &c, 1), 0);  // the pool closed b
  EXPECT_EQ(pool.take(30s), a);
  for (int fd : {a, peer_a, peer_b}) ::close(fd);
}

TEST_F(ConnectionPoolTest, ASmallerBoundClosesTheOldestConnections) {
  ConnectionPool pool(*loop_, 4, 30s);
  auto [a, peer_a] = pair();
  auto [b, peer_b] = pair();
  pool.put(a);
  pool.put(b);
  pool.configure(1, 30s);
  EXPECT_EQ(pool.idle_count(), 1u);
  char c;
  EXPECT_EQ(::read(peer_a, &c, 1), 0);  // a, the oldest, was closed
  EXPECT_EQ(pool.take(30s), b);
  for (int fd : {b, peer_a, peer_b}) ::close(fd);
}

TEST_F(ConnectionPoolTest, TakesOnlyAConnectionIdleForLessThanAsked) {
  ConnectionPool pool(*loop_, 4, 30s);
  auto [a, peer_a] = pair();
  pool.put(a);
  ASSERT_TRUE(run_for(100ms));
  EXPECT_EQ(pool.take(50ms), -1);  // idle for too long: left in the pool
  EXPECT_EQ(pool.idle_count(), 1u);
  EXPECT_EQ(pool.take(30s), a);
  for (int fd : {a, peer_a}) ::close(fd);
}

TEST_F(ConnectionPoolTest, SweepClosesExpiredConnections) {
  ConnectionPool pool(*loop_, 4, 50ms);
  auto [a, peer_a] = pair();
  pool.put(a);
  ASSERT_TRUE(run_for(300ms));
  pool.sweep();
  EXPECT_EQ(pool.idle_count(), 0u);
  char c;
  EXPECT_EQ(::read(peer_a, &c, 1), 0);
  ::close(peer_a);
}

}  // namespace
}  // namespace fulcrum::upstream

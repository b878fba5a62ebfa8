// The state every worker of an instance shares: one slot per backend key, across processes.
#include "upstream/shared_state.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>

namespace fulcrum::upstream {
namespace {

TEST(SharedState, OneSlotPerKeyAcrossProcesses) {
  SharedState region(64);
  uint64_t key = SharedState::key("web", "127.0.0.1:9001", "127.0.0.1:9001");
  EXPECT_NE(key, SharedState::key("api", "127.0.0.1:9001", "127.0.0.1:9001"));
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Another worker process claims the slot and takes the backend down.
    SharedBackend* s = region.find_or_claim(key);
    if (s == nullptr) ::_exit(1);
    BackendHealth h(s->health);
    h.configure(1, 1, true);
    s->counters.requests.fetch_add(3);
    region.instance().requests.fetch_add(5);
    ::_exit(h.record_failure(io::TimePoint{}) ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(region.find(key + 1), nullptr);
  const SharedBackend* seen = region.find(key);
  ASSERT_NE(seen, nullptr);
  SharedBackend* mine = region.find_or_claim(key);
  EXPECT_EQ(mine, seen);
  EXPECT_FALSE(BackendHealth(mine->health).up());
  EXPECT_EQ(mine->counters.requests.load(), 3u);
  EXPECT_EQ(region.instance().requests.load(), 5u);
  EXPECT_NE(region.find_or_claim(key + 1), mine);
}

TEST(SharedState, FullRegionSaysSo) {
  SharedState region(2);
  EXPECT_NE(region.find_or_claim(10), nullptr);
  EXPECT_NE(region.find_or_claim(11), nullptr);
  EXPECT_EQ(region.find_or_claim(12), nullptr);
  EXPECT_NE(region.find_or_claim(10), nullptr);
}

// What a binary upgrade does with the region: the new master gets a copy of the old one's
// descriptor (without close-on-exec, across the exec).
int hand_down(const SharedState& region) {
  int fd = ::dup(region.descriptor());
  ::fcntl(fd, F_SETFD, 0);
  return fd;
}

TEST(SharedState, ASuccessorTakesTheRegionAndItsStatesGoOn) {
  SharedState old(64);
  ASSERT_GE(old.descriptor(), 0);
  EXPECT_FALSE(old.inherited());
  EXPECT_TRUE(::fcntl(old.descriptor(), F_GETFD) & FD_CLOEXEC);
  uint64_t sick = SharedState::key("web", "a:1", "127.0.0.1:1");
  uint64_t wobbly = SharedState::key("web", "b:1", "127.0.0.1:2");
  BackendHealth down(old.find_or_claim(sick)->health);
  down.configure(1, 2, true);
  ASSERT_TRUE(down.record_failure(io::TimePoint{}));
  BackendHealth up(old.find_or_claim(wobbly)->health);
  up.configure(3, 2, true);
  ASSERT_FALSE(up.record_failure(io::TimePoint{}));  // one failure of three: still up
  old.instance().open_connections.fetch_add(2);

  SharedState successor(64, hand_down(old));
  EXPECT_TRUE(successor.inherited());
  EXPECT_TRUE(::fcntl(successor.descriptor(), F_GETFD) & FD_CLOEXEC);
  ASSERT_NE(successor.find(sick), nullptr);
  EXPECT_FALSE(BackendHealth(successor.find_or_claim(sick)->health).up());
  SharedBackend* w = successor.find_or_claim(wobbly);
  EXPECT_TRUE(BackendHealth(w->health).up());
  EXPECT_EQ(w->health.failures.load(), 1u);
  // One region, not a copy: the old generation's workers, draining, update what the new one
  // reads, and the other way round.
  old.instance().open_connections.fetch_sub(1);
  EXPECT_EQ(successor.instance().open_connections.load(), 1);
  BackendHealth next(w->health);
  next.configure(3, 2, true);
  next.record_failure(io::TimePoint{});
  EXPECT_TRUE(next.record_failure(io::TimePoint{}));
  EXPECT_FALSE(BackendHealth(old.find_or_claim(wobbly)->health).up());
  // And it is handed on at the next upgrade.
  SharedState third(64, hand_down(successor));
  EXPECT_TRUE(third.inherited());
  EXPECT_FALSE(BackendHealth(third.find_or_claim(sick)->health).up());
}

TEST(SharedState, ARegionOfAnotherLayoutIsNotReadAndTheSuccessorStartsAfresh) {
  SharedState old(64);
  uint64_t sick = SharedState::key("web", "a:1", "127.0.0.1:1");
  BackendHealth down(old.find_or_claim(sick)->health);
  down.configure(1, 2, true);
  ASSERT_TRUE(down.record_failure(io::TimePoint{}));

  // As a build with another layout version would have stamped it.
  uint32_t other = SharedState::kLayoutVersion + 1;
  int fd = hand_down(old);
  ASSERT_EQ(::pwrite(fd, &other, sizeof other, offsetof(SharedState::Header, version)),
            static_cast<ssize_t>(sizeof other));
  SharedState newer(64, fd);
  EXPECT_FALSE(newer.inherited());
  EXPECT_EQ(newer.find(sick), nullptr);
  ASSERT_NE(newer.find_or_claim(sick), nullptr);
  EXPECT_TRUE(BackendHealth(newer.find_or_claim(sick)->health).up());
  // The old region is left as it was (but its stamp) for the old generation.
  EXPECT_FALSE(BackendHealth(old.find_or_claim(sick)->health).up());

  // Another number of slots: another layout too.
  SharedState restamped(64);
  SharedState smaller(32, hand_down(restamped));
  EXPECT_FALSE(smaller.inherited());
}

TEST(SharedState, ADescriptorThatIsNoRegionIsNotMapped) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  ::close(pipe_fds[1]);
  SharedState from_pipe(64, pipe_fds[0]);
  EXPECT_FALSE(from_pipe.inherited());
  EXPECT_NE(from_pipe.find_or_claim(10), nullptr);

  // A memfd that is not sealed at its size might shrink under the mapping.
  int unsealed = ::memfd_create("not-fulcrum", 0);
  ASSERT_GE(unsealed, 0);
  ASSERT_EQ(::ftruncate(unsealed, 1 << 20), 0);
  SharedState from_memfd(64, unsealed);
  EXPECT_FALSE(from_memfd.inherited());
}

}  // namespace
}  // namespace fulcrum::upstream

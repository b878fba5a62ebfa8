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

const io::TimePoint kNow = io::TimePoint{} + std::chrono::hours(1);

TEST(SharedState, OneSlotPerKeyAcrossProcesses) {
  SharedState region(64);
  uint64_t key = SharedState::key("web", "127.0.0.1:9001", "127.0.0.1:9001");
  EXPECT_NE(key, SharedState::key("api", "127.0.0.1:9001", "127.0.0.1:9001"));
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Another worker process claims the slot and takes the backend down.
    SharedBackend* s = region.find_or_claim(key, kNow);
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
  SharedBackend* mine = region.find_or_claim(key, kNow);
  EXPECT_EQ(mine, seen);
  EXPECT_FALSE(BackendHealth(mine->health).up());
  EXPECT_EQ(mine->counters.requests.load(), 3u);
  EXPECT_EQ(region.instance().requests.load(), 5u);
  EXPECT_NE(region.find_or_claim(key + 1, kNow), mine);
}

TEST(SharedState, FullRegionSaysSo) {
  SharedState region(2);
  EXPECT_NE(region.find_or_claim(10, kNow), nullptr);
  EXPECT_NE(region.find_or_claim(11, kNow), nullptr);
  EXPECT_EQ(region.find_or_claim(12, kNow), nullptr);
  EXPECT_NE(region.find_or_claim(10, kNow), nullptr);
}

// Backends that a deploy replaced leave their slots behind: once nobody has touched one for
// kStaleAfter, a new backend takes it, afresh, when no slot is free.
TEST(SharedState, AFullRegionGivesASlotNobodyTouchedToANewBackend) {
  SharedState region(2);
  SharedBackend* gone = region.find_or_claim(10, kNow);
  SharedBackend* kept = region.find_or_claim(11, kNow);
  ASSERT_TRUE(gone && kept);
  BackendHealth h(gone->health);
  h.configure(1, 1, true);
  h.record_failure(kNow);
  gone->counters.requests.store(7);
  gone->counters.failures.store(3);
  const io::TimePoint later = kNow + SharedState::kStaleAfter + std::chrono::seconds(1);
  kept->touch(later - std::chrono::seconds(1));
  EXPECT_EQ(region.find_or_claim(12, later - std::chrono::seconds(2)), nullptr);  // not stale yet

  SharedBackend* taken = region.find_or_claim(12, later);
  EXPECT_EQ(taken, gone);
  EXPECT_EQ(region.find(10), nullptr);
  EXPECT_EQ(region.find(12), taken);
  EXPECT_TRUE(BackendHealth(taken->health).up());
  EXPECT_EQ(taken->health.failures.load(), 0u);
  EXPECT_EQ(taken->counters.requests.load(), 0u);
  EXPECT_EQ(taken->counters.failures.load(), 0u);
  EXPECT_EQ(region.find(11), kept);
  // Both slots are in use now: the one just taken counts as touched.
  EXPECT_EQ(region.find_or_claim(13, later), nullptr);
  EXPECT_EQ(region.find_or_claim(12, later), taken);
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
  BackendHealth down(old.find_or_claim(sick, kNow)->health);
  down.configure(1, 2, true);
  ASSERT_TRUE(down.record_failure(io::TimePoint{}));
  BackendHealth up(old.find_or_claim(wobbly, kNow)->health);
  up.configure(3, 2, true);
  ASSERT_FALSE(up.record_failure(io::TimePoint{}));  // one failure of three: still up
  old.instance().open_connections.fetch_add(2);

  SharedState successor(64, hand_down(old));
  EXPECT_TRUE(successor.inherited());
  EXPECT_TRUE(::fcntl(successor.descriptor(), F_GETFD) & FD_CLOEXEC);
  ASSERT_NE(successor.find(sick), nullptr);
  EXPECT_FALSE(BackendHealth(successor.find_or_claim(sick, kNow)->health).up());
  SharedBackend* w = successor.find_or_claim(wobbly, kNow);
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
  EXPECT_FALSE(BackendHealth(old.find_or_claim(wobbly, kNow)->health).up());
  // And it is handed on at the next upgrade.
  SharedState third(64, hand_down(successor));
  EXPECT_TRUE(third.inherited());
  EXPECT_FALSE(BackendHealth(third.find_or_claim(sick, kNow)->health).up());
}

TEST(SharedState, ARegionOfAnotherLayoutIsNotReadAndTheSuccessorStartsAfresh) {
  SharedState old(64);
  uint64_t sick = SharedState::key("web", "a:1", "127.0.0.1:1");
  BackendHealth down(old.find_or_claim(sick, kNow)->health);
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
  ASSERT_NE(newer.find_or_claim(sick, kNow), nullptr);
  EXPECT_TRUE(BackendHealth(newer.find_or_claim(sick, kNow)->health).up());
  // The old region is left as it was (but its stamp) for the old generation.
  EXPECT_FALSE(BackendHealth(old.find_or_claim(sick, kNow)->health).up());

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
  EXPECT_NE(from_pipe.find_or_claim(10, kNow), nullptr);

  // A memfd that is not sealed at its size might shrink under the mapping.
  int unsealed = ::memfd_create("not-fulcrum", 0);
  ASSERT_GE(unsealed, 0);
  ASSERT_EQ(::ftruncate(unsealed, 1 << 20), 0);
  SharedState from_memfd(64, unsealed);
  EXPECT_FALSE(from_memfd.inherited());
}

}  // namespace
}  // namespace fulcrum::upstream

// The state every worker of an instance shares: one slot per backend key, across processes.
#include "upstream/shared_state.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

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

}  // namespace
}  // namespace fulcrum::upstream

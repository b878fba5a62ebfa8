// proxy::relay_body on every I/O backend: a large Content-Length body goes through a pipe
// (spliced), exactly its length and no more, and the pipe is kept for the next body; a small one
// is copied; a source that ends early fails the relay and its pipe is not kept; a send to a sink
// that takes nothing goes on while the sink is active otherwise, and only so. The cache's trim
// closes the pipes that stayed spare.
#include "proxy/relay.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "base/task.h"

namespace fulcrum::proxy {
namespace {

using namespace std::chrono_literals;

std::string pattern(size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7) % 26);
  return s;
}

class RelayTest : public ::testing::TestWithParam<io::Backend> {
 protected:
  void SetUp() override {
    std::string error;
    loop_ = io::Loop::create(GetParam(), &error);
    if (!loop_) GTEST_SKIP() << "backend unavailable here: " << error;
    for (int* pair : {from_, to_}) {
      ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair), 0);
    }
  }
  void TearDown() override {
    for (int fd : {from_[0], from_[1], to_[0], to_[1]}) {
      if (loop_) loop_->close(fd);
    }
  }

  // Sends `source` into the source socket (then its end, if end_source), relays a body of
  // `length` from it to the sink, whose peer reads what arrives until the sink is shut down.
  RelayResult relay(const std::string& source, bool end_source, uint64_t length) {
    RelayResult result = RelayResult::kSinkFailed;
    int finished = 0;
    auto producer = [&]() -> base::Task<void> {
      co_await loop_->send(from_[1], source.data(), source.size());
      if (end_source) ::shutdown(from_[1], SHUT_WR);
      ++finished;
    };
    auto relayer = [&]() -> base::Task<void> {
      result = co_await relay_body({*loop_, from_[0], to_[0], buf_, 10s, 10s, nullptr, &pipes_},
                                   http::Framing::kContentLength, length, false);
      ::shutdown(to_[0], SHUT_WR);
      ++finished;
    };
    auto consumer = [&]() -> base::Task<void> {
      std::vector<char> chunk(16 * 1024);
      for (;;) {
        const int n = co_await loop_->recv(to_[1], chunk.data(), chunk.size(), loop_->now() + 10s);
        if (n <= 0) break;
        sunk_.append(chunk.data(), static_cast<size_t>(n));
      }
      ++finished;
      loop_->stop();
    };
    base::spawn(producer());
    base::spawn(relayer());
    base::spawn(consumer());
    if (finished < 3) loop_->run();  // with epoll, all of it may have been done at once
    EXPECT_EQ(finished, 3);
    return result;
  }

  // What came after the body: left in the buffer, or still in the source socket.
  std::string after_body() {
    char rest[64];
    const ssize_t n = ::recv(from_[0], rest, sizeof rest, MSG_DONTWAIT);
    return std::string(buf_.view()) + (n > 0 ? std::string(rest, static_cast<size_t>(n)) : "");
  }

  std::unique_ptr<io::Loop> loop_;
  int from_[2] = {-1, -1};
  int to_[2] = {-1, -1};
  base::Buffer buf_;
  PipeCache pipes_;
  std::string sunk_;
};

TEST_P(RelayTest, LargeBodyIsSplicedExactlyAndItsPipeKept) {
  const std::string body = pattern(1 << 20);
  buf_.append(body.data(), 1000);  // read with the head
  const std::string rest = body.substr(1000);
  EXPECT_EQ(relay(rest + "NEXT", false, body.size()), RelayResult::kDone);
  EXPECT_EQ(sunk_.size(), body.size());
  EXPECT_TRUE(sunk_ == body);
  EXPECT_EQ(after_body(), "NEXT");
  EXPECT_EQ(pipes_.kept(), 1u);
}

TEST_P(RelayTest, SmallBodyIsCopiedWithoutAPipe) {
  const std::string body = pattern(4096);
  EXPECT_EQ(relay(body + "NEXT", false, body.size()), RelayResult::kDone);
  EXPECT_TRUE(sunk_ == body);
  EXPECT_EQ(after_body(), "NEXT");
  EXPECT_EQ(pipes_.kept(), 0u);
}

TEST_P(RelayTest, SourceEndingEarlyFailsAndItsPipeIsClosed) {
  const std::string part = pattern(100 * 1024);
  EXPECT_EQ(relay(part, true, 1 << 20), RelayResult::kSourceFailed);
  EXPECT_TRUE(sunk_ == part);
  EXPECT_EQ(pipes_.kept(), 0u);
}

// The sink reads nothing for 300 ms, six times its timeout, while its activity is noted every
// 20 ms (or not at all): the relay's send waits for it (or gives up).
RelayResult relay_to_a_sink_that_waits(io::Loop& loop, int from[2], int to[2], bool active,
                                       std::string* sunk) {
  const std::string body = pattern(1 << 20);  // more than the socket buffers hold
  base::Buffer buf;
  Activity activity;
  RelayResult result = RelayResult::kSinkFailed;
  int finished = 0;
  auto finish = [&] {
    if (++finished == 3) loop.stop();
  };
  auto producer = [&]() -> base::Task<void> {
    co_await loop.send(from[1], body.data(), body.size(), loop.now() + 10s);
    finish();
  };
  auto relayer = [&]() -> base::Task<void> {
    RelayEnds ends{loop, from[0], to[0], buf, 10s, 50ms};
    ends.to_activity = &activity;
    result = co_await relay_body(ends, http::Framing::kContentLength, body.size(), false);
    ::shutdown(from[0], SHUT_RDWR);  // a producer left waiting fails
    ::shutdown(to[0], SHUT_WR);
    finish();
  };
  auto consumer = [&]() -> base::Task<void> {
    for (int i = 0; i < 15; ++i) {
      co_await loop.sleep(20ms);
      if (active) activity.last = loop.now();
    }
    std::vector<char> chunk(16 * 1024);
    for (;;) {
      const int n = co_await loop.recv(to[1], chunk.data(), chunk.size(), loop.now() + 10s);
      if (n <= 0) break;
      sunk->append(chunk.data(), static_cast<size_t>(n));
    }
    finish();
  };
  base::spawn(producer());
  base::spawn(relayer());
  base::spawn(consumer());
  loop.run();
  EXPECT_EQ(finished, 3);
  EXPECT_TRUE(body.starts_with(*sunk));
  return result;
}

TEST_P(RelayTest, SendToASinkThatTakesNothingGoesOnWhileTheSinkIsActive) {
  std::string sunk;
  EXPECT_EQ(relay_to_a_sink_that_waits(*loop_, from_, to_, true, &sunk), RelayResult::kDone);
  EXPECT_EQ(sunk.size(), size_t{1} << 20);
}

TEST_P(RelayTest, SendToASinkThatTakesNothingAndIsInactiveTimesOut) {
  std::string sunk;
  EXPECT_EQ(relay_to_a_sink_that_waits(*loop_, from_, to_, false, &sunk), RelayResult::kSinkFailed);
  EXPECT_LT(sunk.size(), size_t{1} << 20);
}

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(PipeCacheTest, TrimClosesThePipesNoBodyNeededSinceTheTrimBefore) {
  PipeCache pipes;
  std::vector<PipeCache::Pipe> burst;
  for (int i = 0; i < 3; ++i) burst.push_back(pipes.take());
  for (PipeCache::Pipe p : burst) pipes.give(p);
  pipes.trim();  // all three were in use since the cache began
  EXPECT_EQ(pipes.kept(), 3u);
  pipes.give(pipes.take());  // one body since: two stayed spare
  pipes.trim();
  ASSERT_EQ(pipes.kept(), 1u);
  EXPECT_FALSE(is_open(burst[0].read) || is_open(burst[0].write));  // the oldest went first
  EXPECT_FALSE(is_open(burst[1].read) || is_open(burst[1].write));
  EXPECT_TRUE(is_open(burst[2].read) && is_open(burst[2].write));
  pipes.trim();  // a quiet period
  EXPECT_EQ(pipes.kept(), 0u);
  EXPECT_FALSE(is_open(burst[2].read) || is_open(burst[2].write));
}

INSTANTIATE_TEST_SUITE_P(Backends, RelayTest,
                         ::testing::Values(io::Backend::kUring, io::Backend::kEpoll),
                         [](const auto& param_info) {
                           return param_info.param == io::Backend::kUring ? "uring" : "epoll";
                         });

}  // namespace
}  // namespace fulcrum::proxy

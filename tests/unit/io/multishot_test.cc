// io::Acceptor and io::RecvStream on every I/O backend (DESIGN principle 7), and, for io_uring,
// that they are multishot: the kernel's own count of submissions (the ring's SQ tail in
// /proc/self/fdinfo) grows by about one per acceptor or stream, not by one per completion.
#include "io/multishot.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "base/task.h"
#include "net/socket.h"

namespace fulcrum::io {
namespace {

using base::spawn;
using base::Task;
using namespace std::chrono_literals;

class MultishotTest : public ::testing::TestWithParam<Backend> {
 public:
  Loop& loop() { return *loop_; }
  void SetUp() override {
    std::string error;
    loop_ = Loop::create(GetParam(), &error);
    if (!loop_) GTEST_SKIP() << "backend unavailable here: " << error;
  }
  void TearDown() override {
    for (int fd : fds_) ::close(fd);
  }
  // A connected pair of stream sockets, non-blocking; [0] for the loop, [1] for the test.
  std::pair<int, int> socket_pair() {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    fds_.push_back(sv[0]);
    fds_.push_back(sv[1]);
    return {sv[0], sv[1]};
  }
  // Runs the loop until `done` holds, for at most 10 s.
  template <typename F>
  bool run_until(F done) {
    if (done()) return true;
    auto watcher = [&]() -> Task<void> {
      const TimePoint end = loop_->now() + 10s;
      while (!done() && loop_->now() < end) co_await loop_->sleep(1ms);
      loop_->stop();
    };
    spawn(watcher());
    loop_->run();
    return done();
  }

 protected:
  std::unique_ptr<Loop> loop_;
  std::vector<int> fds_;
};

void send_all(int fd, const std::string& s) {
  size_t sent = 0;
  while (sent < s.size()) {
    ssize_t n = ::send(fd, s.data() + sent, s.size() - sent, MSG_NOSIGNAL);
    if (n > 0) sent += static_cast<size_t>(n);
  }
}

// Submissions this process made to its io_uring so far: the SQ tail the kernel shows in
// fdinfo. -1 if there is no ring.
long ring_submissions() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return -1;
  long tail = -1;
  while (dirent* e = ::readdir(dir)) {
    char target[64] = {};
    std::string link = std::string("/proc/self/fd/") + e->d_name;
    if (::readlink(link.c_str(), target, sizeof target - 1) <= 0) continue;
    if (std::string(target) != "anon_inode:[io_uring]") continue;
    std::ifstream info(std::string("/proc/self/fdinfo/") + e->d_name);
    std::string key;
    while (info >> key) {
      if (key == "SqTail:") info >> tail;
    }
  }
  ::closedir(dir);
  return tail;
}

TEST_P(MultishotTest, AcceptorTakesEveryConnectionAndStops) {
  std::string error;
  net::Address any;
  ASSERT_TRUE(net::resolve("127.0.0.1", 0, &any, &error)) << error;
  int lfd = net::listen_on(any, 64, &error);
  ASSERT_GE(lfd, 0) << error;
  fds_.push_back(lfd);
  net::Address addr;
  addr.len = sizeof addr.storage;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr.storage), &addr.len);

  constexpr int kConnections = 40;
  std::vector<int> accepted;
  int last = 0;
  Acceptor acceptor(*loop_, lfd);
  auto accept_loop = [&]() -> Task<void> {
    Acceptor& a = acceptor;  // GCC 12 copies a captured awaitable it awaits
    for (;;) {
      int fd = co_await a;
      if (fd < 0) {
        last = fd;
        break;
      }
      accepted.push_back(fd);
      fds_.push_back(fd);
    }
  };
  spawn(accept_loop());
  const long before = ring_submissions();
  for (int i = 0; i < kConnections; ++i) {
    int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_EQ(::connect(c, addr.sa(), addr.len), 0);
    fds_.push_back(c);
    // Half of them one at a time, so that the acceptor waits between connections.
    if (i % 2 == 0) {
      ASSERT_TRUE(run_until([&] { return accepted.size() == size_t(i) + 1; }));
    }
  }
  ASSERT_TRUE(run_until([&] { return accepted.size() == kConnections; }));
  if (GetParam() == Backend::kUring) {
    // One multishot accept (and the watcher's timers, which are not submissions).
    EXPECT_LE(ring_submissions() - before, 2) << "accepts are not multishot";
  }
  acceptor.stop();
  ASSERT_TRUE(run_until([&] { return last != 0; }));
  EXPECT_EQ(last, -ECANCELED);
  for (int fd : accepted) EXPECT_GE(fd, 0);
}

TEST_P(MultishotTest, StreamReceivesEachMessageWithoutResubmitting) {
  auto [fd, peer] = socket_pair();
  RecvStream stream(*loop_, fd);
  base::Buffer buf;
  std::string got;
  bool closed = false;
  int reads = 0;
  auto reader = [&]() -> Task<void> {
    for (;;) {
      int n = co_await stream.read(buf, Loop::kNoDeadline, 4096);
      if (n <= 0) break;
      ++reads;
      got.append(buf.data(), buf.size());
      buf.clear();
    }
    co_await stream.close();
    closed = true;
  };
  spawn(reader());
  int turns = 0;
  ASSERT_TRUE(run_until([&] { return ++turns > 3; }));  // the reader waits now
  const long before = ring_submissions();
  std::string expected;
  for (int i = 0; i < 50; ++i) {
    std::string message = "message " + std::to_string(i) + "\n";
    expected += message;
    send_all(peer, message);
    ASSERT_TRUE(run_until([&] { return got.size() == expected.size(); }));
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(reads, 50);
  if (GetParam() == Backend::kUring) {
    EXPECT_LE(ring_submissions() - before, 1) << "receives are not multishot";
  }
  ::shutdown(peer, SHUT_WR);
  ASSERT_TRUE(run_until([&] { return closed; }));
}

TEST_P(MultishotTest, WaitingReaderHoldsNoBuffer) {
  auto [fd, peer] = socket_pair();
  RecvStream stream(*loop_, fd);
  base::Buffer buf;
  int result = -1;
  bool closed = false;
  auto reader = [&]() -> Task<void> {
    result = co_await stream.read(buf, Loop::kNoDeadline, 4096);
    co_await stream.close();
    closed = true;  // the stream may go only after its close completed
  };
  spawn(reader());
  int turns = 0;
  ASSERT_TRUE(run_until([&] { return ++turns > 5; }));
  EXPECT_EQ(result, -1);
  EXPECT_EQ(buf.capacity(), 0u) << "a waiting reader holds a buffer";
  send_all(peer, "hello");
  ASSERT_TRUE(run_until([&] { return closed; }));
  EXPECT_EQ(result, 5);
  EXPECT_EQ(buf.view(), "hello");
}

// Bytes the socket still holds, not yet taken by a receive.
int unread(int fd) {
  int n = 0;
  ::ioctl(fd, FIONREAD, &n);
  return n;
}

// Reads "first", then stops reading while `later` arrives (then the end of the stream, if
// `then_end`), then reads `reads` times more. Returns every read's result; buf gets the bytes.
std::vector<int> read_pause_read(MultishotTest& t, int fd, int peer, base::Buffer& buf,
                                 std::string_view later, bool then_end, int reads) {
  RecvStream stream(t.loop(), fd);
  std::vector<int> results;
  bool go_on = false;
  bool closed = false;
  auto reader = [&]() -> Task<void> {
    results.push_back(co_await stream.read(buf, Loop::kNoDeadline, 4096));
    while (!go_on) co_await t.loop().sleep(1ms);  // not reading while more arrives
    for (int i = 0; i < reads; ++i) {
      results.push_back(co_await stream.read(buf, Loop::kNoDeadline, 4096));
    }
    co_await stream.close();
    closed = true;
  };
  spawn(reader());
  send_all(peer, "first");
  EXPECT_TRUE(t.run_until([&] { return results.size() == 1; }));
  send_all(peer, std::string(later));
  if (then_end) ::shutdown(peer, SHUT_WR);
  if (t.GetParam() == Backend::kUring) {
    // The multishot receive takes the bytes though nobody reads.
    EXPECT_TRUE(t.run_until([&] { return unread(fd) == 0; }));
  }
  go_on = true;
  EXPECT_TRUE(t.run_until([&] { return closed; }));
  return results;
}

TEST_P(MultishotTest, BytesThatArriveBetweenReadsAreKeptThenTheEnd) {
  auto [fd, peer] = socket_pair();
  base::Buffer buf;
  EXPECT_EQ(read_pause_read(*this, fd, peer, buf, "second", true, 2), (std::vector<int>{5, 6, 0}));
  EXPECT_EQ(buf.view(), "firstsecond");
}

// A read that finds bytes waiting reports how many it appended, one byte included.
TEST_P(MultishotTest, ReadOfOneWaitingByteReturnsOne) {
  auto [fd, peer] = socket_pair();
  base::Buffer buf;
  EXPECT_EQ(read_pause_read(*this, fd, peer, buf, "x", false, 1), (std::vector<int>{5, 1}));
  EXPECT_EQ(buf.view(), "firstx");
}

TEST_P(MultishotTest, DeadlinePassesThenBytesStillArrive) {
  auto [fd, peer] = socket_pair();
  RecvStream stream(*loop_, fd);
  base::Buffer buf;
  std::vector<int> results;
  bool closed = false;
  auto reader = [&]() -> Task<void> {
    results.push_back(co_await stream.read(buf, loop_->now() + 20ms, 4096));
    results.push_back(co_await stream.read(buf, loop_->now() + 10s, 4096));
    co_await stream.close();
    closed = true;
  };
  spawn(reader());
  ASSERT_TRUE(run_until([&] { return results.size() == 1; }));
  send_all(peer, "late");
  ASSERT_TRUE(run_until([&] { return closed; }));
  EXPECT_EQ(results, (std::vector<int>{-ETIMEDOUT, 4}));
  EXPECT_EQ(buf.view(), "late");
}

std::string pattern(size_t size, size_t seed) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
  return s;
}

// A reader slower than its peer: the stream stops taking bytes once it holds kPendingMax and
// takes them again at the next read; nothing is lost or reordered.
TEST_P(MultishotTest, SlowReaderGetsEveryByteInOrder) {
  auto [fd, peer] = socket_pair();
  RecvStream stream(*loop_, fd);
  const std::string payload = pattern(4 << 20, 1);
  std::string got;
  bool done = false;
  auto reader = [&]() -> Task<void> {
    base::Buffer buf;
    for (;;) {
      int n = co_await stream.read(buf, Loop::kNoDeadline, 32 * 1024);
      if (n <= 0) break;
      got.append(buf.data(), buf.size());
      buf.clear();
      co_await loop_->sleep(1ms);  // meanwhile the peer fills the socket and the stream
    }
    co_await stream.close();
    done = true;
  };
  spawn(reader());
  size_t sent = 0;
  ASSERT_TRUE(run_until([&] {
    while (sent < payload.size()) {
      ssize_t n = ::send(peer, payload.data() + sent, payload.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    ::shutdown(peer, SHUT_WR);
    return true;
  }));
  ASSERT_TRUE(run_until([&] { return done; }));
  EXPECT_EQ(got.size(), payload.size());
  EXPECT_TRUE(got == payload);
}

// What RecvStream::watch calls when the stream is ready: a function and its argument.
struct Ready {
  std::function<void()> fn;
  static void call(void* self) { static_cast<Ready*>(self)->fn(); }
};

// A watched stream needs no reader: ready() comes once, when bytes come, and the read after it
// returns them at once, as it returns the end of the stream after a second watch.
TEST_P(MultishotTest, WatchCallsReadyOnceWhenBytesComeThenTheEnd) {
  auto [fd, peer] = socket_pair();
  RecvStream stream(*loop_, fd);
  int calls = 0;
  Ready ready{[&] { ++calls; }};
  ASSERT_TRUE(stream.watch(Loop::kNoDeadline, 4096, &Ready::call, &ready));
  int turns = 0;
  ASSERT_TRUE(run_until([&] { return ++turns > 3; }));
  EXPECT_EQ(calls, 0);
  send_all(peer, "hello");
  ASSERT_TRUE(run_until([&] { return calls == 1; }));
  std::vector<int> results;
  base::Buffer buf;
  auto reader = [&]() -> Task<void> {
    RecvStream::ReadAwaiter first = stream.read(buf, Loop::kNoDeadline, 4096);
    results.push_back(first.await_ready() ? first.await_resume() : -1);  // no wait
    if (!stream.watch(Loop::kNoDeadline, 4096, &Ready::call, &ready)) co_return;
    results.push_back(-2);
  };
  spawn(reader());
  EXPECT_EQ(results, (std::vector<int>{5, -2}));
  EXPECT_EQ(buf.view(), "hello");
  ::shutdown(peer, SHUT_WR);
  ASSERT_TRUE(run_until([&] { return calls == 2; }));
  auto closer = [&]() -> Task<void> {
    results.push_back(co_await stream.read(buf, Loop::kNoDeadline, 4096));
    co_await stream.close();
    results.push_back(-3);
  };
  spawn(closer());
  ASSERT_TRUE(run_until([&] { return results.size() == 4; }));
  EXPECT_EQ(results, (std::vector<int>{5, -2, 0, -3}));
  EXPECT_EQ(calls, 2);
}

// A watch whose deadline passes calls ready(), and the read then returns -ETIMEDOUT.
TEST_P(MultishotTest, WatchDeadlinePasses) {
  auto [fd, peer] = socket_pair();
  RecvStream stream(*loop_, fd);
  int calls = 0;
  Ready ready{[&] { ++calls; }};
  ASSERT_TRUE(stream.watch(loop_->now() + 20ms, 4096, &Ready::call, &ready));
  ASSERT_TRUE(run_until([&] { return calls == 1; }));
  std::vector<int> results;
  base::Buffer buf;
  auto closer = [&]() -> Task<void> {
    results.push_back(co_await stream.read(buf, Loop::kNoDeadline, 4096));
    co_await stream.close();
    results.push_back(0);
  };
  spawn(closer());
  ASSERT_TRUE(run_until([&] { return results.size() == 2; }));
  EXPECT_EQ(results, (std::vector<int>{-ETIMEDOUT, 0}));
  EXPECT_EQ(calls, 1);
}

// Bytes that are there already: watch() says so instead of waiting, and they are not lost.
TEST_P(MultishotTest, WatchReturnsFalseWhenBytesAreThere) {
  auto [fd, peer] = socket_pair();
  RecvStream stream(*loop_, fd);
  base::Buffer buf;
  std::vector<int> results;
  int calls = 0;
  Ready ready{[&] { ++calls; }};
  bool more_there = false;
  auto reader = [&]() -> Task<void> {
    results.push_back(co_await stream.read(buf, Loop::kNoDeadline, 4096));
    // Until "more" is there. (A fixed 50 ms sleep was not enough when the thread was preempted
    // for 50 ms just after the first read: the sleep then ended in the turn that stopped the
    // loop, and the watch came before "more".)
    while (!more_there) co_await loop_->sleep(1ms);
    results.push_back(stream.watch(Loop::kNoDeadline, 4096, &Ready::call, &ready) ? 1 : 0);
    results.push_back(co_await stream.read(buf, Loop::kNoDeadline, 4096));
    co_await stream.close();
    results.push_back(-3);  // the stream may go only after its close completed
  };
  spawn(reader());
  send_all(peer, "first");
  ASSERT_TRUE(run_until([&] { return results.size() == 1; }));
  send_all(peer, "more");
  if (GetParam() == Backend::kUring) {
    // The multishot receive takes the bytes into the stream, where the watch finds them.
    ASSERT_TRUE(run_until([&] { return unread(fd) == 0; }));
  }
  more_there = true;
  ASSERT_TRUE(run_until([&] { return results.size() == 4; }));
  EXPECT_EQ(results, (std::vector<int>{5, 0, 4, -3}));
  EXPECT_EQ(buf.view(), "firstmore");
  EXPECT_EQ(calls, 0);
}

// More connections receive at once than the ring has buffers: a receive that finds the ring
// empty is submitted again, and every stream gets all of its bytes. Half of the streams start
// with a watch (idle connections, that wake when bytes come).
TEST_P(MultishotTest, ManyStreamsAtOnceShareTheRing) {
  constexpr int kStreams = 300;
  constexpr size_t kSize = 40 * 1024;
  std::vector<std::unique_ptr<RecvStream>> streams;
  std::vector<int> peers;
  std::vector<std::string> got(kStreams);
  int finished = 0;
  auto reader = [&](int i) -> Task<void> {
    base::Buffer buf;
    for (;;) {
      int n = co_await streams[i]->read(buf, Loop::kNoDeadline, 16 * 1024);
      if (n <= 0) break;
      got[i].append(buf.data(), buf.size());
      buf.clear();
    }
    co_await streams[i]->close();
    ++finished;
  };
  for (int i = 0; i < kStreams; ++i) {
    auto [fd, peer] = socket_pair();
    streams.push_back(std::make_unique<RecvStream>(*loop_, fd));
    peers.push_back(peer);
  }
  std::vector<Ready> watches(kStreams);
  for (int i = 0; i < kStreams; ++i) {
    if (i % 2 == 0) {
      spawn(reader(i));
      continue;
    }
    watches[i].fn = [&reader, i] { spawn(reader(i)); };
    ASSERT_TRUE(streams[i]->watch(Loop::kNoDeadline, 16 * 1024, &Ready::call, &watches[i]));
  }
  int turns = 0;
  ASSERT_TRUE(run_until([&] { return ++turns > 3; }));  // every receive is in the kernel
  for (int i = 0; i < kStreams; ++i) {
    send_all(peers[i], pattern(kSize, i));
    ::shutdown(peers[i], SHUT_WR);
  }
  ASSERT_TRUE(run_until([&] { return finished == kStreams; }));
  for (int i = 0; i < kStreams; ++i) {
    EXPECT_EQ(got[i].size(), kSize) << "stream " << i;
    EXPECT_TRUE(got[i] == pattern(kSize, i)) << "stream " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, MultishotTest,
                         ::testing::Values(Backend::kUring, Backend::kEpoll),
                         [](const auto& param_info) {
                           return param_info.param == Backend::kUring ? "uring" : "epoll";
                         });

}  // namespace
}  // namespace fulcrum::io

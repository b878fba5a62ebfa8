// The same tests run on every I/O backend (DESIGN principle 7).
#include "io/loop.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "base/task.h"
#include "io/multishot.h"
#include "net/socket.h"

namespace fulcrum::io {
namespace {

using base::spawn;
using base::Task;
using namespace std::chrono_literals;

class LoopTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::string error;
    loop_ = Loop::create(GetParam(), &error);
    if (!loop_) GTEST_SKIP() << "backend unavailable here: " << error;
  }
  std::unique_ptr<Loop> loop_;
};

net::Address loopback(uint16_t port) {
  net::Address a;
  std::string error;
  EXPECT_TRUE(net::resolve("127.0.0.1", port, &a, &error)) << error;
  return a;
}

uint16_t bound_port(int fd) {
  net::Address a;
  a.len = sizeof a.storage;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a.storage), &a.len);
  return a.port();
}

TEST_P(LoopTest, AcceptConnectSendRecvLargePayload) {
  std::string error;
  int lfd = net::listen_on(loopback(0), 16, &error);
  ASSERT_GE(lfd, 0) << error;
  net::Address addr = loopback(bound_port(lfd));
  constexpr size_t kSize = 8 << 20;  // far more than a socket buffer: forces partial sends
  std::string payload(kSize, 'x');
  for (size_t i = 0; i < kSize; ++i) payload[i] = static_cast<char>('a' + i % 26);
  std::string received;
  bool sent_all = false;

  auto server = [&]() -> Task<void> {
    Acceptor acceptor(*loop_, lfd);
    int fd = co_await acceptor;
    EXPECT_GE(fd, 0);
    acceptor.stop();
    EXPECT_EQ(co_await acceptor, -ECANCELED);
    std::vector<char> buf(65536);
    for (;;) {
      int n = co_await loop_->recv(fd, buf.data(), buf.size());
      if (n <= 0) break;
      received.append(buf.data(), static_cast<size_t>(n));
    }
    loop_->close(fd);
    loop_->stop();
  };
  auto client = [&]() -> Task<void> {
    int fd = net::connecting_socket(addr);
    int rc = co_await loop_->connect(fd, addr.sa(), addr.len);
    EXPECT_EQ(rc, 0);
    int n = co_await loop_->send(fd, payload.data(), payload.size());
    sent_all = n == static_cast<int>(kSize);
    loop_->close(fd);
  };
  spawn(server());
  spawn(client());
  loop_->run();
  EXPECT_TRUE(sent_all);
  EXPECT_EQ(received.size(), kSize);
  EXPECT_TRUE(received == payload);
  loop_->close(lfd);
}

TEST_P(LoopTest, ConnectRefusedReportsError) {
  std::string error;
  int lfd = net::listen_on(loopback(0), 1, &error);
  ASSERT_GE(lfd, 0);
  net::Address addr = loopback(bound_port(lfd));
  ::close(lfd);  // nothing listens there any more
  int result = 1;
  auto client = [&]() -> Task<void> {
    int fd = net::connecting_socket(addr);
    result = co_await loop_->connect(fd, addr.sa(), addr.len);
    loop_->close(fd);
    loop_->stop();
  };
  spawn(client());
  loop_->run();
  EXPECT_EQ(result, -ECONNREFUSED);
}

TEST_P(LoopTest, RecvDeadlineTimesOut) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  int result = 0;
  auto reader = [&]() -> Task<void> {
    char c;
    result = co_await loop_->recv(sv[0], &c, 1, loop_->now() + 50ms);
    loop_->stop();
  };
  auto start = loop_->now();  // what the deadline counts from
  spawn(reader());
  loop_->run();
  EXPECT_EQ(result, -ETIMEDOUT);
  EXPECT_GE(Clock::now() - start, 45ms);
  loop_->close(sv[0]);
  loop_->close(sv[1]);
}

TEST_P(LoopTest, SendThatTimedOutTellsWhatWentAndGoesOnWithTheRest) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  std::string payload(1 << 20, '\0');  // more than the socket buffers: the send waits for a reader
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
  int first = 0;
  int rest = -1;
  size_t sent_before = 0;
  std::string received;
  auto reader = [&]() -> Task<void> {
    std::vector<char> buf(65536);
    for (;;) {
      int n = co_await loop_->recv(sv[1], buf.data(), buf.size(), loop_->now() + 10s);
      if (n <= 0) break;
      received.append(buf.data(), static_cast<size_t>(n));
    }
    loop_->stop();
  };
  auto sender = [&]() -> Task<void> {
    OpAwaiter send = loop_->send(sv[0], payload.data(), payload.size(), loop_->now() + 50ms);
    first = co_await send;
    sent_before = send.sent();
    spawn(reader());
    send.go_on_until(loop_->now() + 10s);
    rest = co_await send;
    ::shutdown(sv[0], SHUT_WR);
  };
  spawn(sender());
  loop_->run();
  EXPECT_EQ(first, -ETIMEDOUT);
  EXPECT_GT(sent_before, 0u);
  EXPECT_LT(sent_before, payload.size());
  EXPECT_EQ(rest, static_cast<int>(payload.size()));
  EXPECT_EQ(received.size(), payload.size());
  EXPECT_TRUE(received == payload);
  loop_->close(sv[0]);
  loop_->close(sv[1]);
}

TEST_P(LoopTest, ShutdownWakesPendingRecv) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  int result = -1;
  auto reader = [&]() -> Task<void> {
    char c;
    result = co_await loop_->recv(sv[0], &c, 1);
    loop_->stop();
  };
  auto waker = [&]() -> Task<void> {
    co_await loop_->sleep(10ms);
    ::shutdown(sv[0], SHUT_RDWR);
  };
  spawn(reader());
  spawn(waker());
  loop_->run();
  EXPECT_EQ(result, 0);
  loop_->close(sv[0]);
  loop_->close(sv[1]);
}

TEST_P(LoopTest, SleepsWakeInDeadlineOrder) {
  std::vector<int> order;
  auto sleeper = [&](int id, Duration d) -> Task<void> {
    co_await loop_->sleep(d);
    order.push_back(id);
    if (order.size() == 3) loop_->stop();
  };
  spawn(sleeper(3, 30ms));
  spawn(sleeper(1, 10ms));
  spawn(sleeper(2, 20ms));
  loop_->run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST_P(LoopTest, NestedTasksReturnValues) {
  int sum = 0;
  auto leaf = [&](int v) -> Task<int> {
    co_await loop_->sleep(1ms);
    co_return v * 2;
  };
  auto root = [&]() -> Task<void> {
    for (int i = 1; i <= 3; ++i) sum += co_await leaf(i);
    loop_->stop();
  };
  spawn(root());
  loop_->run();
  EXPECT_EQ(sum, 12);
}

// A connected pair of non-blocking TCP sockets on loopback: [0] for the loop, [1] the peer.
std::pair<int, int> tcp_pair() {
  std::string error;
  int listener = net::listen_on(loopback(0), 1, &error);
  EXPECT_GE(listener, 0) << error;
  const net::Address addr = loopback(bound_port(listener));
  int a = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_EQ(::connect(a, addr.sa(), addr.len), 0);
  int b = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  ::close(listener);
  EXPECT_GE(b, 0);
  ::fcntl(a, F_SETFL, ::fcntl(a, F_GETFL) | O_NONBLOCK);
  return {b, a};
}

// A body relayed as the proxy splices it: 4 MiB from one socket into a pipe and on to another,
// read by a slow peer, so that moving bytes out has to wait for room; every byte arrives, in
// order, and the end of the source is reported.
TEST_P(LoopTest, SpliceMovesBytesFromSocketToSocketThroughAPipe) {
  auto [from, from_peer] = tcp_pair();
  auto [to, to_peer] = tcp_pair();
  // Small socket buffers, so that both splices find their socket not ready now and then.
  const int small = 32 * 1024;
  for (int fd : {from_peer, to}) ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  for (int fd : {from, to_peer}) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC), 0);
  std::string payload(4 << 20, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i * 7 % 26);
  std::string got;
  size_t moved = 0;
  int end = -1;
  int finished = 0;
  auto producer = [&]() -> Task<void> {
    co_await loop_->send(from_peer, payload.data(), payload.size());
    ::shutdown(from_peer, SHUT_WR);
    ++finished;
  };
  auto relay = [&]() -> Task<void> {
    for (;;) {
      const int n = co_await loop_->splice_in(from, pipe_fds[1], 64 * 1024, loop_->now() + 10s);
      if (n <= 0) {
        end = n;
        break;
      }
      const int out =
          co_await loop_->splice_out(pipe_fds[0], to, static_cast<size_t>(n), loop_->now() + 10s);
      if (out != n) break;
      moved += static_cast<size_t>(n);
    }
    ::shutdown(to, SHUT_WR);
    ++finished;
  };
  auto consumer = [&]() -> Task<void> {
    std::vector<char> buf(16 * 1024);
    for (int reads = 0;; ++reads) {
      if (reads % 16 == 0) co_await loop_->sleep(1ms);  // slower than the relay
      const int n = co_await loop_->recv(to_peer, buf.data(), buf.size(), loop_->now() + 10s);
      if (n <= 0) break;
      got.append(buf.data(), static_cast<size_t>(n));
    }
    ++finished;
    loop_->stop();
  };
  spawn(producer());
  spawn(relay());
  spawn(consumer());
  loop_->run();
  EXPECT_EQ(finished, 3);
  EXPECT_EQ(end, 0);
  EXPECT_EQ(moved, payload.size());
  EXPECT_EQ(got.size(), payload.size());
  EXPECT_TRUE(got == payload);
  for (int fd : {from, from_peer, to, to_peer}) loop_->close(fd);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

TEST_P(LoopTest, SpliceInDeadlineTimesOut) {
  auto [from, from_peer] = tcp_pair();
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC), 0);
  int result = 0;
  auto relay = [&]() -> Task<void> {
    result = co_await loop_->splice_in(from, pipe_fds[1], 4096, loop_->now() + 50ms);
    loop_->stop();
  };
  spawn(relay());
  loop_->run();
  EXPECT_EQ(result, -ETIMEDOUT);
  loop_->close(from);
  loop_->close(from_peer);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

INSTANTIATE_TEST_SUITE_P(Backends, LoopTest, ::testing::Values(Backend::kUring, Backend::kEpoll),
                         [](const auto& param_info) {
                           return param_info.param == Backend::kUring ? "uring" : "epoll";
                         });

}  // namespace
}  // namespace fulcrum::io

// The idle connections to a backend, on every I/O backend: the most recent first, bounded, swept
// when idle too long, and never one the backend closed or sent bytes on while it was idle. A
// taken connection's receive, pending since it went idle, is the first read of the next answer.
#include "upstream/connection_pool.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/task.h"

namespace fulcrum::upstream {
namespace {

using namespace std::chrono_literals;

class ConnectionPoolTest : public ::testing::TestWithParam<io::Backend> {
 protected:
  void SetUp() override {
    std::string error;
    loop_ = io::Loop::create(GetParam(), &error);
    if (!loop_) GTEST_SKIP() << "backend unavailable here: " << error;
    connections_.emplace(*loop_);
  }
  void TearDown() override {
    if (!loop_) return;
    // Closing ends a pending receive first: the sockets close once the loop has seen it end.
    EXPECT_TRUE(run_until([&] { return connections_->count() == 0; }));
    for (int fd : peers_) ::close(fd);
  }
  // A connection whose socket's peer plays the backend.
  Connection* connection(int* peer) {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    peers_.push_back(sv[1]);
    *peer = sv[1];
    return connections_->open(sv[0]);
  }
  // Whether the pool has closed the connection this is the peer of.
  static bool closed(int peer) {
    char c;
    return ::recv(peer, &c, 1, MSG_DONTWAIT) == 0;
  }
  template <typename F>
  bool run_until(F done) {
    if (done()) return true;
    auto watcher = [&]() -> base::Task<void> {
      const io::TimePoint end = loop_->now() + 10s;
      while (!done() && loop_->now() < end) co_await loop_->sleep(1ms);
      loop_->stop();
    };
    base::spawn(watcher());
    loop_->run();
    return done();
  }
  std::unique_ptr<io::Loop> loop_;
  std::optional<Connections> connections_;
  std::vector<int> peers_;
};

TEST_P(ConnectionPoolTest, TakesMostRecentlyReturnedFirst) {
  ConnectionPool pool(*connections_, 4, 30s);
  int peer;
  Connection* a = connection(&peer);
  Connection* b = connection(&peer);
  pool.put(a);
  pool.put(b);
  EXPECT_EQ(pool.take(), b);
  EXPECT_EQ(pool.take(), a);
  EXPECT_EQ(pool.take(), nullptr);
  connections_->close(a);
  connections_->close(b);
}

TEST_P(ConnectionPoolTest, NeverHandsOutAConnectionTheBackendClosedOrSpokeOn) {
  ConnectionPool pool(*connections_, 4, 30s);
  int open_peer, closed_peer, noisy_peer;
  Connection* open = connection(&open_peer);
  Connection* closed_by_backend = connection(&closed_peer);
  Connection* noisy = connection(&noisy_peer);
  pool.put(open);
  pool.put(closed_by_backend);
  pool.put(noisy);
  ::shutdown(closed_peer, SHUT_WR);           // the backend closed while idle
  ASSERT_EQ(::write(noisy_peer, "x", 1), 1);  // unsolicited bytes: not clean either
  // Each leaves the pool as it happens, not only when it would be taken.
  ASSERT_TRUE(run_until([&] { return pool.idle_count() == 1; }));
  EXPECT_TRUE(run_until([&] { return closed(noisy_peer) && closed(closed_peer); }));
  EXPECT_EQ(pool.take(), open);
  EXPECT_EQ(pool.take(), nullptr);
  connections_->close(open);
}

TEST_P(ConnectionPoolTest, BytesAlreadyThereSpoilAConnectionAsItIsGivenBack) {
  ConnectionPool pool(*connections_, 4, 30s);
  int peer;
  Connection* c = connection(&peer);
  ASSERT_EQ(::write(peer, "HTTP/1.1 408", 12), 12);
  // With io_uring the bytes are seen once the loop runs; with epoll at once.
  pool.put(c);
  EXPECT_TRUE(run_until([&] { return pool.idle_count() == 0 && closed(peer); }));
  EXPECT_EQ(pool.take(), nullptr);
}

// Given back and taken in the same round of the loop, a connection's receive has not reached the
// kernel (io_uring): a close that is there already is found by a peek.
TEST_P(ConnectionPoolTest, AConnectionGivenBackInThisRoundIsCheckedAtOnce) {
  ConnectionPool pool(*connections_, 4, 30s);
  int peer;
  Connection* c = connection(&peer);
  ::shutdown(peer, SHUT_WR);
  pool.put(c);  // with epoll the close is seen here already
  EXPECT_EQ(pool.take(), nullptr);
  EXPECT_TRUE(run_until([&] { return closed(peer); }));
}

TEST_P(ConnectionPoolTest, ATakenConnectionsPendingReceiveReadsTheAnswer) {
  ConnectionPool pool(*connections_, 4, 30s);
  int peer;
  pool.put(connection(&peer));
  // Idle for a while: with io_uring its receive is in the kernel.
  bool idled = false;
  auto idle = [&]() -> base::Task<void> {
    co_await loop_->sleep(10ms);
    idled = true;
  };
  base::spawn(idle());
  ASSERT_TRUE(run_until([&] { return idled; }));
  Connection* c = pool.take();
  ASSERT_NE(c, nullptr);
  // The answer comes before anyone reads: it waits in the stream.
  ASSERT_EQ(::write(peer, "HTTP/1.1 200 OK\r\n", 17), 17);
  base::Buffer in;
  int n = 0;
  bool done = false;
  auto reader = [&]() -> base::Task<void> {
    while (in.size() < 17) {
      n = co_await c->rx.read(in, loop_->now() + 10s, 4096);
      if (n <= 0) break;
    }
    done = true;
  };
  base::spawn(reader());
  ASSERT_TRUE(run_until([&] { return done; }));
  EXPECT_EQ(in.view(), "HTTP/1.1 200 OK\r\n");
  connections_->close(c);
}

// Bytes the backend sent on a connection just given back come before the requests of many
// clients: however many news the loop finds at once, none of the clients gets that connection.
TEST_P(ConnectionPoolTest, BytesBeforeManyRequestsSpoilAConnectionForAllOfThem) {
  ConnectionPool pool(*connections_, 4, 30s);
  constexpr int kClients = 64;
  struct Client {
    ConnectionPool* pool;
    std::unique_ptr<io::RecvStream> rx;
    int fd = -1;
    int peer = -1;
    bool called = false;
    Connection* got = nullptr;
    static void on_request(void* self) {
      auto* client = static_cast<Client*>(self);
      client->called = true;
      client->got = client->pool->take();
    }
  };
  std::vector<Client> clients(kClients);
  for (Client& client : clients) {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    peers_.push_back(sv[1]);
    client.pool = &pool;
    client.fd = sv[0];
    client.peer = sv[1];
    client.rx = std::make_unique<io::RecvStream>(*loop_, sv[0]);
    ASSERT_TRUE(client.rx->watch(io::Loop::kNoDeadline, 4096, &Client::on_request, &client));
  }
  int turns = 0;
  ASSERT_TRUE(run_until([&] { return ++turns > 3; }));  // the clients' receives in the kernel
  int peer;
  Connection* c = connection(&peer);
  pool.put(c);  // its receive reaches the kernel with the loop's next wait, after these bytes
  ASSERT_EQ(::write(peer, "HTTP/1.1 408", 12), 12);  // then the requests
  for (Client& client : clients) ASSERT_EQ(::write(client.peer, "GET", 3), 3);
  ASSERT_TRUE(run_until([&] {
    for (const Client& client : clients) {
      if (!client.called) return false;
    }
    return true;
  }));
  int taken = 0;
  for (Client& client : clients) {
    if (client.got) {
      ++taken;
      connections_->close(client.got);
    }
  }
  EXPECT_EQ(taken, 0);
  bool closed_all = false;
  auto closer = [&]() -> base::Task<void> {
    for (Client& client : clients) co_await client.rx->close();
    closed_all = true;
  };
  base::spawn(closer());
  ASSERT_TRUE(run_until([&] { return closed_all; }));
  for (Client& client : clients) ::close(client.fd);
}

TEST_P(ConnectionPoolTest, Bounded) {
  ConnectionPool pool(*connections_, 1, 30s);
  int peer_a, peer_b;
  Connection* a = connection(&peer_a);
  Connection* b = connection(&peer_b);
  pool.put(a);
  pool.put(b);  // over the bound: closed
  EXPECT_EQ(pool.idle_count(), 1u);
  EXPECT_TRUE(run_until([&] { return closed(peer_b); }));
  EXPECT_EQ(pool.take(), a);
  connections_->close(a);
}

TEST_P(ConnectionPoolTest, ASmallerBoundClosesTheOldestConnections) {
  ConnectionPool pool(*connections_, 4, 30s);
  int peer_a, peer_b;
  Connection* a = connection(&peer_a);
  Connection* b = connection(&peer_b);
  pool.put(a);
  pool.put(b);
  pool.configure(1, 30s);
  EXPECT_EQ(pool.idle_count(), 1u);
  EXPECT_TRUE(run_until([&] { return closed(peer_a); }));  // a, the oldest
  EXPECT_EQ(pool.take(), b);
  connections_->close(b);
}

TEST_P(ConnectionPoolTest, SweepClosesExpiredConnections) {
  ConnectionPool pool(*connections_, 4, 50ms);
  int peer;
  pool.put(connection(&peer));
  bool swept = false;
  auto sweeper = [&]() -> base::Task<void> {
    co_await loop_->sleep(300ms);
    pool.sweep();
    swept = true;
  };
  base::spawn(sweeper());
  ASSERT_TRUE(run_until([&] { return swept; }));
  EXPECT_EQ(pool.idle_count(), 0u);
  EXPECT_TRUE(run_until([&] { return closed(peer); }));
}

TEST_P(ConnectionPoolTest, ThePoolsConnectionsCloseWhenItGoes) {
  int peer;
  {
    ConnectionPool pool(*connections_, 4, 30s);
    pool.put(connection(&peer));
  }
  EXPECT_TRUE(run_until([&] { return connections_->count() == 0 && closed(peer); }));
}

INSTANTIATE_TEST_SUITE_P(Backends, ConnectionPoolTest,
                         ::testing::Values(io::Backend::kUring, io::Backend::kEpoll),
                         [](const auto& param_info) {
                           return param_info.param == io::Backend::kUring ? "uring" : "epoll";
                         });

}  // namespace
}  // namespace fulcrum::upstream

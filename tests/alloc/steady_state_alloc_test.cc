// DESIGN principle 3: no heap allocation per request in steady state. A proxy worker and a
// backend run in this process on one loop; a client sends keep-alive requests through the
// proxy; after a warm-up, every operator new in the process is counted.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string_view>
#include <vector>

#include "base/buffer.h"
#include "base/task.h"
#include "config/config.h"
#include "io/loop.h"
#include "net/socket.h"
#include "proxy/context.h"
#include "server.h"  // tools/backend
#include "server/worker.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<size_t> g_allocations{0};
}  // namespace

void* operator new(size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace fulcrum {
namespace {

using base::Task;

int listen_any(uint16_t* port) {
  net::Address addr;
  std::string error;
  EXPECT_TRUE(net::resolve("127.0.0.1", 0, &addr, &error));
  int fd = net::listen_on(addr, 64, &error);
  EXPECT_GE(fd, 0) << error;
  net::Address bound;
  bound.len = sizeof bound.storage;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound.storage), &bound.len);
  *port = bound.port();
  return fd;
}

// A configuration whose default pool has one backend, on 127.0.0.1:port.
std::shared_ptr<config::Config> one_pool_config(uint16_t port) {
  auto config = std::make_shared<config::Config>();
  config::BackendConfig b;
  b.host = "127.0.0.1";
  b.port = port;
  std::string error;
  EXPECT_TRUE(net::resolve(b.host, b.port, &b.address, &error)) << error;
  config->pools.emplace_back();
  config->pools[0].name = "default";
  config->pools[0].backends.push_back(b);
  return config;
}

// Reads one response whose head ends with the blank line and whose body is Content-Length
// bytes; returns its status or -1. Uses only the caller's fixed buffer.
Task<int> read_response(io::Loop& loop, int fd, char* buf, size_t cap) {
  size_t have = 0;
  for (;;) {
    std::string_view seen(buf, have);
    size_t end = seen.find("\r\n\r\n");
    if (end != std::string_view::npos) {
      size_t cl = seen.find("Content-Length: ");
      size_t body = cl == std::string_view::npos ? 0 : std::strtoul(buf + cl + 16, nullptr, 10);
      if (have >= end + 4 + body) co_return std::atoi(buf + 9);
    }
    int n = co_await loop.recv(fd, buf + have, cap - have);
    if (n <= 0) co_return -1;
    have += static_cast<size_t>(n);
  }
}

// Clients send keep-alive requests through a proxy worker to the backend, all on one loop, in
// rounds: each round starts when every client has finished the one before, all in the same turn
// of the loop, so that all of them are at work at once. The first rounds warm up: connections are
// made, the caches fill up to what all clients at once need (a first round is not enough: its
// requests overlap less while its connections are made). Then every operator new is counted
// through the measured round, until the first client is done.
void run_clients(io::Backend backend, int clients, int per_round, int warm_up_rounds) {
  std::string error;
  auto loop = io::Loop::create(backend, &error);
  if (!loop) GTEST_SKIP() << "backend unavailable here: " << error;

  uint16_t backend_port = 0;
  int backend_fd = listen_any(&backend_port);
  backend::ServerConfig backend_config;
  backend_config.id = "b";
  backend_config.id_json = "\"b\"";
  backend::Stats stats;
  base::TaskGroup backend_accepts;  // destroyed before the loop
  backend_accepts.start(backend::accept_connections(*loop, backend_fd, backend_config, stats));

  // A route with header rules and request ids, so that routing and edits are measured too.
  auto config = one_pool_config(backend_port);
  config::RouteConfig route;
  route.path_prefix = "/";
  route.methods = {"GET", "POST"};
  route.headers.request_id = true;
  route.headers.request.set.push_back({"X-Env", "test"});
  route.headers.request.remove.push_back("X-Debug");
  route.headers.response.add.push_back({"X-Served-By", "fulcrum"});
  config->routes.push_back(route);
  uint16_t proxy_port = 0;
  int proxy_fd = listen_any(&proxy_port);
  upstream::SharedState shared;
  std::optional<server::Worker> worker;
  worker.emplace(*loop, shared, true, config, std::vector<int>{proxy_fd});
  worker->start();

  // Resumes every client waiting at it once the last one comes, in the last one's turn.
  struct Barrier {
    int expected;
    int expected_passes;  // warm-up rounds: counting starts as the next one does
    int arrived = 0;
    int passed = 0;  // times every client came
    std::vector<std::coroutine_handle<>> waiting;
    bool await_ready() {
      if (++arrived < expected) return false;
      arrived = 0;
      if (++passed == expected_passes) g_counting = true;
      for (std::coroutine_handle<> h : waiting) h.resume();
      waiting.clear();
      return true;
    }
    void await_suspend(std::coroutine_handle<> h) { waiting.push_back(h); }
    void await_resume() {}
  } barrier{clients, warm_up_rounds, 0, 0, {}};
  barrier.waiting.reserve(static_cast<size_t>(clients));

  int ok = 0;
  int running = clients;
  size_t allocations = 0;
  std::vector<std::vector<char>> bufs(static_cast<size_t>(clients), std::vector<char>(1 << 16));
  auto client = [&](char* buf, size_t cap) -> Task<void> {
    net::Address addr;
    std::string e;
    net::resolve("127.0.0.1", proxy_port, &addr, &e);
    int fd = net::connecting_socket(addr);
    co_await loop->connect(fd, addr.sa(), addr.len);
    constexpr std::string_view kGet = "GET /bytes/512 HTTP/1.1\r\nHost: t\r\n\r\n";
    constexpr std::string_view kPost =
        "POST /echo?q=1 HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world";
    Barrier& next_round = barrier;  // GCC 12 miscompiles co_await on a captured awaitable
    for (int round = 0; round <= warm_up_rounds; ++round) {
      if (round > 0) co_await next_round;
      for (int i = 0; i < per_round; ++i) {
        std::string_view req = i % 2 ? kPost : kGet;
        int sent = co_await loop->send(fd, req.data(), req.size());
        if (sent < 0) break;
        int status = co_await read_response(*loop, fd, buf, cap);
        if (status != 200) break;
        ++ok;
      }
    }
    if (g_counting.exchange(false)) allocations = g_allocations.exchange(0);
    loop->close(fd);
    if (--running == 0) worker->drain();
  };
  for (auto& buf : bufs) base::spawn(client(buf.data(), buf.size()));
  loop->run();
  EXPECT_EQ(ok, clients * per_round * (warm_up_rounds + 1));
  EXPECT_EQ(allocations, 0u) << "operator new calls while " << clients << " clients sent requests";
  // The proxy reused its backend connections.
  EXPECT_LE(stats.connections, static_cast<uint64_t>(clients) + 1);

  // Nothing may be left suspended (LeakSanitizer would report it): the worker closes its pooled
  // connections to the backend, and the backend's sessions for them end when the loop runs again.
  worker.reset();
  auto backend_sessions_end = [&]() -> Task<void> {
    while (stats.open > 0) co_await loop->sleep(std::chrono::milliseconds(1));
    loop->stop();
  };
  base::spawn(backend_sessions_end());
  loop->run();
}

class SteadyStateAllocTest : public ::testing::TestWithParam<io::Backend> {};

TEST_P(SteadyStateAllocTest, KeepAliveRequestsDoNotAllocate) {
  run_clients(GetParam(), 1, 1000, 2);
}

// More requests in progress at once than a cache with a fixed bound of 128 blocks a class kept:
// the surplus of every quiet moment went back to malloc and was taken again at the next busy one.
TEST_P(SteadyStateAllocTest, TwoHundredConnectionsAtOnceDoNotAllocate) {
  run_clients(GetParam(), 200, 10, 5);
}

// The other side of keeping memory without a bound: what a burst left goes back once two trims
// have passed (the first sees it taken in its period, the second sees it unused all along), so a
// second burst must make it anew. Buffer blocks and coroutine frames are the loop's to trim,
// request states a proxy's.
TEST(Trim, ABurstsMemoryGoesBackWithinTwoTrims) {
  std::string error;
  auto loop = io::Loop::create(io::Backend::kAuto, &error);
  ASSERT_TRUE(loop) << error;
  auto config = one_pool_config(9);
  upstream::SharedState shared;
  base::TaskGroup probes;
  upstream::BackendTable table(*loop, shared, false, probes, 1);
  proxy::ProxyContext ctx(*loop, table, config, 1);

  constexpr size_t kBurst = 64;
  std::vector<base::Buffer> buffers(kBurst);
  std::vector<std::unique_ptr<proxy::RequestState>> states(kBurst);
  int running = 0;
  auto suspended = [&]() -> Task<void> {
    ++running;
    co_await loop->sleep(std::chrono::milliseconds(1));
    --running;
  };
  auto burst = [&] {
    for (base::Buffer& buf : buffers) buf.reserve(4096);
    for (base::Buffer& buf : buffers) buf.release();
    for (auto& st : states) st = ctx.take_state();
    for (auto& st : states) ctx.give_state(std::move(st));
  };
  // The frames of kBurst coroutines suspended at once, freed as each returns.
  auto frames = [&] {
    for (size_t i = 0; i < kBurst; ++i) base::spawn(suspended());
  };
  burst();
  frames();
  auto two_trims = [&]() -> Task<void> {
    // The trims come at 5 s and 10 s, each a period after the previous one fired, so a late
    // wake-up delays the next: 10.5 s left 0.5 s for the lateness of two wake-ups on a busy
    // machine. 12.5 s leaves 2.5 s, still before a third trim could come (15 s at the earliest).
    co_await loop->sleep(std::chrono::milliseconds(12'500));
    loop->stop();
  };
  base::spawn(two_trims());
  loop->run();
  ASSERT_EQ(running, 0);
  EXPECT_EQ(ctx.kept_states(), 0u);

  auto made_by = [](auto&& f) {
    g_allocations = 0;
    g_counting = true;
    f();
    g_counting = false;
    return g_allocations.exchange(0);
  };
  EXPECT_EQ(made_by([&] {
              for (base::Buffer& buf : buffers) buf.reserve(4096);
            }),
            kBurst)
      << "buffer blocks still kept after two trims";
  EXPECT_EQ(made_by([&] {
              for (auto& st : states) st = ctx.take_state();
            }),
            kBurst)
      << "request states still kept after two trims";
  // Two frames each (the task's and spawn()'s), less the two that two_trims left.
  EXPECT_GE(made_by(frames), kBurst) << "coroutine frames still kept after two trims";
  auto finish = [&]() -> Task<void> {
    while (running > 0) co_await loop->sleep(std::chrono::milliseconds(1));
    loop->stop();
  };
  base::spawn(finish());
  loop->run();
}

INSTANTIATE_TEST_SUITE_P(Backends, SteadyStateAllocTest,
                         ::testing::Values(io::Backend::kUring, io::Backend::kEpoll),
                         [](const auto& param_info) {
                           return param_info.param == io::Backend::kUring ? "uring" : "epoll";
                         });

}  // namespace
}  // namespace fulcrum

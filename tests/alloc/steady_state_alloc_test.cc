// DESIGN principle 3: no heap allocation per request in steady state. A proxy worker and a
// backend run in this process on one loop; a client sends keep-alive requests through the
// proxy; after a warm-up, every operator new in the process is counted.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <string_view>

#include "server.h"  // tools/backend
#include "base/task.h"
#include "config/config.h"
#include "io/loop.h"
#include "net/socket.h"
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

class SteadyStateAllocTest : public ::testing::TestWithParam<io::Backend> {};

TEST_P(SteadyStateAllocTest, KeepAliveRequestsDoNotAllocate) {
  std::string error;
  auto loop = io::Loop::create(GetParam(), &error);
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
  auto config = std::make_shared<config::Config>();
  config::BackendConfig b;
  b.host = "127.0.0.1";
  b.port = backend_port;
  ASSERT_TRUE(net::resolve(b.host, b.port, &b.address, &error));
  config->pools.emplace_back();
  config->pools[0].name = "default";
  config->pools[0].backends.push_back(b);
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

  constexpr int kWarmUp = 200;
  constexpr int kMeasured = 2000;
  int ok = 0;
  size_t allocations = 0;
  auto client = [&]() -> Task<void> {
    net::Address addr;
    std::string e;
    net::resolve("127.0.0.1", proxy_port, &addr, &e);
    int fd = net::connecting_socket(addr);
    co_await loop->connect(fd, addr.sa(), addr.len);
    static char buf[1 << 16];
    constexpr std::string_view kGet = "GET /bytes/512 HTTP/1.1\r\nHost: t\r\n\r\n";
    constexpr std::string_view kPost =
        "POST /echo?q=1 HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world";
    for (int i = 0; i < kWarmUp + kMeasured; ++i) {
      if (i == kWarmUp) g_counting = true;
      std::string_view req = i % 2 ? kPost : kGet;
      int sent = co_await loop->send(fd, req.data(), req.size());
      if (sent < 0) break;
      int status = co_await read_response(*loop, fd, buf, sizeof buf);
      if (status != 200) break;
      ++ok;
    }
    g_counting = false;
    allocations = g_allocations.exchange(0);
    loop->close(fd);
    worker->drain();
  };
  base::spawn(client());
  loop->run();
  EXPECT_EQ(ok, kWarmUp + kMeasured);
  EXPECT_EQ(allocations, 0u) << "operator new calls during " << kMeasured << " requests";
  EXPECT_LE(stats.connections, 2u);  // the proxy reused its backend connection

  // Nothing may be left suspended (LeakSanitizer would report it): the worker closes its pooled
  // connection to the backend, and the backend's session for it ends when the loop runs again.
  worker.reset();
  auto backend_sessions_end = [&]() -> Task<void> {
    while (stats.open > 0) co_await loop->sleep(std::chrono::milliseconds(1));
    loop->stop();
  };
  base::spawn(backend_sessions_end());
  loop->run();
}

INSTANTIATE_TEST_SUITE_P(Backends, SteadyStateAllocTest,
                         ::testing::Values(io::Backend::kUring, io::Backend::kEpoll),
                         [](const auto& param_info) {
                           return param_info.param == io::Backend::kUring ? "uring" : "epoll";
                         });

}  // namespace
}  // namespace fulcrum

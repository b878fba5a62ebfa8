#include "server.h"

#include <cerrno>
#include <chrono>
#include <cstdio>

#include "connection.h"
#include "io/multishot.h"
#include "net/address.h"
#include "net/socket.h"

namespace fulcrum::backend {

namespace {

base::Task<void> serve_connection(io::Loop& loop, int fd, const ServerConfig& config,
                                  Stats& stats) {
  ++stats.open;
  {
    Connection connection(loop, fd, config, stats);
    co_await connection.serve();
  }
  --stats.open;
}

}  // namespace

base::Task<void> accept_connections(io::Loop& loop, int listen_fd, const ServerConfig& config,
                                    Stats& stats) {
  using namespace std::chrono_literals;
  io::Acceptor acceptor(loop, listen_fd);
  for (;;) {
    int fd = co_await acceptor;
    if (fd < 0) {
      // A client that gave up before we took it is routine; anything else (EMFILE, ENOBUFS)
      // would fail again at once, so wait for connections to go away rather than spin.
      if (fd != -ECONNABORTED && fd != -EINTR && fd != -EAGAIN) co_await loop.sleep(50ms);
      continue;
    }
    net::set_nodelay(fd);
    ++stats.connections;
    if (config.verbose) {
      net::Address peer;
      if (net::peer_address(fd, &peer)) {
        std::fprintf(stderr, "fulcrum-backend %s: connection from %s\n", config.id.c_str(),
                     peer.to_string().c_str());
      }
    }
    base::spawn(serve_connection(loop, fd, config, stats));
  }
}

}  // namespace fulcrum::backend

// The cheapest possible proxy, for bench/compare.sh's "relay" row: each client connection is
// paired with a connection of its own to a backend (round-robin), and bytes go through both ways
// as they come, with no HTTP at all. A request then costs what the kernel does for any proxy on
// loopback (two receives, two sends, the TCP work of the peers they wake, epoll) and almost
// nothing else, so its CPU per request is the floor under every contender's.
//
//   relay_floor PORT BACKEND_PORT [BACKEND_PORT...]   (all on 127.0.0.1)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

int tcp_socket() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

void watch(int ep, int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: relay_floor PORT BACKEND_PORT [BACKEND_PORT...]\n");
    return 2;
  }
  const int listener = tcp_socket();
  const int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const sockaddr_in at = loopback(std::atoi(argv[1]));
  if (::bind(listener, reinterpret_cast<const sockaddr*>(&at), sizeof at) != 0 ||
      ::listen(listener, 4096) != 0) {
    std::perror("relay_floor: listen");
    return 1;
  }
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  watch(ep, listener);
  std::vector<int> peer(1 << 16, -1);
  std::vector<char> buf(64 * 1024);
  epoll_event events[256];
  for (unsigned next = 0;;) {
    const int n = ::epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listener) {
        const int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) continue;
        ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        const int backend = tcp_socket();
        const sockaddr_in to = loopback(std::atoi(argv[2 + next++ % (argc - 2)]));
        if (static_cast<size_t>(client) >= peer.size() ||
            static_cast<size_t>(backend) >= peer.size() ||
            ::connect(backend, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
          ::close(client);
          ::close(backend);
          continue;
        }
        peer[client] = backend;
        peer[backend] = client;
        watch(ep, client);
        watch(ep, backend);
        continue;
      }
      const ssize_t got = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (got < 0 && errno == EAGAIN) continue;
      if (got <= 0) {
        ::close(peer[fd]);
        ::close(fd);
        continue;
      }
      // Blocking sends: the peer's reader drains its socket on its own, so a send only waits.
      for (ssize_t sent = 0; sent < got;) {
        const ssize_t s =
            ::send(peer[fd], buf.data() + sent, static_cast<size_t>(got - sent), MSG_NOSIGNAL);
        if (s <= 0) break;
        sent += s;
      }
    }
  }
}

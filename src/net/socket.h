#pragma once
#include <string>

#include "net/address.h"

namespace fulcrum::net {

enum class PortSharing {
  kReusePort,  // SO_REUSEPORT: workers and an upgraded binary each own a socket on the port
  kExclusive,  // a second listener on the port fails instead of silently sharing it
};

// A non-blocking listening TCP socket with SO_REUSEADDR. Returns the fd, or -1 with *error set
// (naming the address, e.g. "127.0.0.1:8080: Address already in use").
int listen_on(const Address& addr, int backlog, std::string* error,
              PortSharing sharing = PortSharing::kReusePort);

// A non-blocking, close-on-exec TCP socket for connecting to addr, with TCP_NODELAY (the proxy
// writes whole heads and body runs; Nagle would only add latency). Returns the fd or -errno.
int connecting_socket(const Address& addr);

// True when result (-errno from making or accepting a socket) says the process or the system has
// no descriptor or socket memory left: a shortage here, not something the peer did, so it is held
// against no backend and met by waiting (accepts pause, requests get 503, probes are not run).
bool out_of_sockets(int result);

// Sets TCP_NODELAY on an accepted socket.
void set_nodelay(int fd);

// The peer's address of a connected socket; false if the socket has none.
bool peer_address(int fd, Address* out);

}  // namespace fulcrum::net

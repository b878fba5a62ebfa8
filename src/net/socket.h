#pragma once
#include <string>

#include "net/address.h"

namespace fulcrum::net {

// A non-blocking listening TCP socket with SO_REUSEADDR and SO_REUSEPORT (so that workers and an
// upgraded binary can each own one on the same port). Returns the fd, or -1 with *error set
// (naming the address, e.g. "127.0.0.1:8080: Address already in use").
int listen_on(const Address& addr, int backlog, std::string* error);

// A non-blocking, close-on-exec TCP socket for connecting to addr, with TCP_NODELAY (the proxy
// writes whole heads and body runs; Nagle would only add latency). Returns the fd or -errno.
int connecting_socket(const Address& addr);

// Sets TCP_NODELAY on an accepted socket.
void set_nodelay(int fd);

// The peer's address of a connected socket; false if the socket has none.
bool peer_address(int fd, Address* out);

}  // namespace fulcrum::net

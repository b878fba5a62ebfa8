#pragma once
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace fulcrum::net {

// A resolved socket address (IPv4 or IPv6), copyable plain data.
struct Address {
  sockaddr_storage storage{};
  socklen_t len = 0;

  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
  uint16_t port() const;
  // "127.0.0.1:9001" or "[::1]:9001".
  std::string to_string() const;
  // The IP alone, for X-Forwarded-For. Writes into buf (at least 46 bytes) and returns a view.
  std::string_view ip(char* buf, size_t size) const;
};

// Splits "HOST:PORT" or "[V6]:PORT". Returns false with *error set if the text is malformed or
// the port is not 1-65535.
bool split_host_port(std::string_view text, std::string* host, uint16_t* port, std::string* error);

// Resolves host (a literal or a name, looked up now) and port to the first usable address.
// Returns false with *error set when the name does not resolve.
bool resolve(const std::string& host, uint16_t port, Address* out, std::string* error);

}  // namespace fulcrum::net

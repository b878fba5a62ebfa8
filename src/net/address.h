#pragma once
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
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

// An IP address as 16 bytes: IPv6, or IPv4 mapped into it (::ffff:a.b.c.d), so that one compare
// serves both families, and a dual-stack listener's IPv4 clients (which it sees mapped) too.
using IpBytes = std::array<uint8_t, 16>;
// The bytes of an IP address written as text ("10.1.2.3", "::1"); nullopt if it is none.
std::optional<IpBytes> ip_bytes(std::string_view text);

// A block of addresses: a CIDR prefix ("10.0.0.0/8", "fd00::/8") or one address.
struct IpBlock {
  IpBytes bytes{};
  uint8_t prefix = 128;  // leading bits that must be equal, of the 16 bytes
  bool contains(const IpBytes& ip) const;
};
// Reads "ADDRESS" or "ADDRESS/BITS" (0-32 for IPv4, 0-128 for IPv6); nullopt if text is neither.
// Bits set past the prefix are an error, as a likely typo ("10.0.0.1/8").
std::optional<IpBlock> parse_ip_block(std::string_view text);

// Splits "HOST:PORT" or "[V6]:PORT". Returns false with *error set if the text is malformed or
// the port is not 1-65535.
bool split_host_port(std::string_view text, std::string* host, uint16_t* port, std::string* error);

// Resolves host (a literal or a name, looked up now) and port to the first usable address.
// Returns false with *error set when the name does not resolve.
bool resolve(const std::string& host, uint16_t port, Address* out, std::string* error);

}  // namespace fulcrum::net

#include "net/address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace fulcrum::net {

uint16_t Address::port() const {
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
}

std::string_view Address::ip(char* buf, size_t size) const {
  const void* src =
      family() == AF_INET6
          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr)
          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr);
  if (!inet_ntop(family(), src, buf, static_cast<socklen_t>(size))) return {};
  return buf;
}

std::optional<IpBytes> ip_bytes(std::string_view text) {
  char buf[INET6_ADDRSTRLEN];
  if (text.size() >= sizeof buf) return std::nullopt;
  text.copy(buf, text.size());
  buf[text.size()] = '\0';
  IpBytes out{};
  if (inet_pton(AF_INET6, buf, out.data()) == 1) return out;
  if (inet_pton(AF_INET, buf, out.data() + 12) != 1) return std::nullopt;
  out[10] = out[11] = 0xff;
  return out;
}

bool IpBlock::contains(const IpBytes& ip) const {
  const size_t whole = prefix / 8;
  if (std::memcmp(ip.data(), bytes.data(), whole) != 0) return false;
  const unsigned rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (ip[whole] & mask) == bytes[whole];
}

std::optional<IpBlock> parse_ip_block(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string_view address = text.substr(0, slash);
  const auto ip = ip_bytes(address);
  if (!ip) return std::nullopt;
  const bool v4 = address.find(':') == std::string_view::npos;
  IpBlock block{*ip, 128};
  if (slash != std::string_view::npos) {
    const std::string_view bits = text.substr(slash + 1);
    unsigned n = 0;
    const auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
    if (bits.empty() || ec != std::errc() || end != bits.data() + bits.size() ||
        n > (v4 ? 32u : 128u)) {
      return std::nullopt;
    }
    block.prefix = static_cast<uint8_t>(v4 ? n + 96 : n);
  }
  // No bit may be set past the prefix.
  IpBlock masked = block;
  for (size_t i = 0; i < masked.bytes.size(); ++i) {
    const int kept = std::clamp(static_cast<int>(block.prefix) - static_cast<int>(i) * 8, 0, 8);
    masked.bytes[i] &= static_cast<uint8_t>(0xff00 >> kept);
  }
  if (masked.bytes != block.bytes) return std::nullopt;
  return block;
}

std::string Address::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  std::string ip_text(ip(buf, sizeof buf));
  std::string out = family() == AF_INET6 ? "[" + ip_text + "]" : ip_text;
  return out + ":" + std::to_string(port());
}

bool split_host_port(std::string_view text, std::string* host, uint16_t* port, std::string* error) {
  size_t colon;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      *error = "'" + std::string(text) + "' is not [IPv6]:PORT";
      return false;
    }
    *host = std::string(text.substr(1, close - 1));
    colon = close + 1;
  } else {
    colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      *error = "'" + std::string(text) + "' is not HOST:PORT";
      return false;
    }
    *host = std::string(text.substr(0, colon));
  }
  std::string_view digits = text.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || value == 0 ||
      value > 65535) {
    *error = "'" + std::string(digits) + "' is not a port (1-65535) in '" + std::string(text) + "'";
    return false;
  }
  *port = static_cast<uint16_t>(value);
  return true;
}

bool resolve(const std::string& host, uint16_t port, Address* out, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0 || !res) {
    *error = "cannot resolve '" + host + "': " + gai_strerror(rc);
    return false;
  }
  std::memcpy(&out->storage, res->ai_addr, res->ai_addrlen);
  out->len = res->ai_addrlen;
  freeaddrinfo(res);
  return true;
}

}  // namespace fulcrum::net

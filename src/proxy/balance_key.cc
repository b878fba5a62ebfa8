#include "proxy/balance_key.h"

#include "upstream/balancer/key_hash.h"

namespace fulcrum::proxy {
namespace {

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or empty.
std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    size_t end = header.find(';');
    std::string_view pair = header.substr(0, end);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
    if (end == std::string_view::npos) break;
    header.remove_prefix(end + 1);
  }
  return {};
}

}  // namespace

uint64_t balance_key(const config::HashKey& key, const char* base, const http::RequestHead& req,
                     std::string_view client_ip) {
  std::string_view bytes;
  switch (key.source) {
    case config::HashKey::Source::kClientIp:
      bytes = client_ip;
      break;
    case config::HashKey::Source::kPath:
      bytes = req.target.in(base);
      bytes = bytes.substr(0, bytes.find('?'));
      break;
    case config::HashKey::Source::kHeader:
    case config::HashKey::Source::kCookie: {
      bool cookie = key.source == config::HashKey::Source::kCookie;
      const http::HeaderField* h =
          http::find_header(base, req.headers, cookie ? "cookie" : key.name);
      if (h) bytes = cookie ? cookie_value(h->value.in(base), key.name) : h->value.in(base);
      break;
    }
  }
  return upstream::hash_key(bytes);
}

}  // namespace fulcrum::proxy

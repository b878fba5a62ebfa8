#include "proxy/balance_key.h"

#include <optional>

#include "upstream/balancer/key_hash.h"

namespace fulcrum::proxy {
namespace {

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or nullopt if it has none.
std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name) {
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
  return std::nullopt;
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
      // As routing reads it: the same path in absolute form hashes the same.
      bytes = http::target_path(req.target.in(base));
      bytes = bytes.substr(0, bytes.find_first_of("?#"));
      break;
    case config::HashKey::Source::kHeader: {
      const http::HeaderField* h = http::find_header(base, req.headers, key.name);
      if (h) bytes = h->value.in(base);
      break;
    }
    case config::HashKey::Source::kCookie:
      // A client may send several Cookie lines (HTTP/2 splits them, and a gateway to HTTP/1
      // may pass them on so rather than join them): the first that has the cookie counts.
      for (const http::HeaderField& field : req.headers) {
        if (!http::equals_ignore_case(field.name.in(base), "cookie")) continue;
        if (auto value = cookie_value(field.value.in(base), key.name)) {
          bytes = *value;
          break;
        }
      }
      break;
  }
  return upstream::hash_key(bytes);
}

}  // namespace fulcrum::proxy

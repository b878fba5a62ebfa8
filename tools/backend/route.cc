#include "route.h"

namespace fulcrum::backend {

namespace {

constexpr uint64_t kMaxDelayMs = 24ull * 60 * 60 * 1000;

std::string_view path_of(std::string_view target) {
  if (size_t q = target.find_first_of("?#"); q != std::string_view::npos) {
    target = target.substr(0, q);
  }
  if (!target.starts_with('/')) {
    // Absolute form: the path starts at the first '/' after "scheme://".
    if (size_t scheme = target.find("://"); scheme != std::string_view::npos) {
      size_t slash = target.find('/', scheme + 3);
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
  }
  return target;
}

// Plain decimal digits only (no sign, no spaces), without overflow.
bool parse_number(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;  // 19 digits always fit in 64 bits
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

Route numbered(RouteKind kind, std::string_view digits, uint64_t min, uint64_t max) {
  Route r{kind, 0};
  if (!parse_number(digits, &r.number) || r.number < min || r.number > max) {
    return {RouteKind::kInvalid, 0};
  }
  return r;
}

}  // namespace

Route route_for(std::string_view target) {
  std::string_view path = path_of(target);
  struct Prefix {
    std::string_view text;
    RouteKind kind;
    uint64_t min, max;
  };
  static constexpr Prefix kPrefixes[] = {
      {"/status/", RouteKind::kStatus, 200, 599},
      {"/delay/", RouteKind::kDelay, 0, kMaxDelayMs},
      {"/bytes/", RouteKind::kBytes, 0, UINT64_MAX},
      {"/chunked/", RouteKind::kChunked, 0, UINT64_MAX},
  };
  for (const Prefix& p : kPrefixes) {
    if (path.starts_with(p.text)) return numbered(p.kind, path.substr(p.text.size()), p.min, p.max);
  }
  struct Exact {
    std::string_view text;
    RouteKind kind;
  };
  static constexpr Exact kExact[] = {
      {"/close", RouteKind::kClose},   {"/reset", RouteKind::kReset}, {"/hang", RouteKind::kHang},
      {"/health", RouteKind::kHealth}, {"/stats", RouteKind::kStats},
  };
  for (const Exact& e : kExact) {
    if (path == e.text) return {e.kind, 0};
  }
  return {RouteKind::kEcho, 0};
}

}  // namespace fulcrum::backend

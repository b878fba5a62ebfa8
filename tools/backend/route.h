#pragma once
// Which behaviour a request target asks for. Pure: the connection acts on the answer.
#include <cstdint>
#include <string_view>

namespace fulcrum::backend {

enum class RouteKind : uint8_t {
  kEcho,     // anything not listed below: 200 and the JSON echo
  kStatus,   // /status/NNN: the echo with status NNN (200-599)
  kDelay,    // /delay/MS: the echo after MS milliseconds (at most a day)
  kBytes,    // /bytes/N: N pattern bytes with Content-Length
  kChunked,  // /chunked/N: N pattern bytes, chunked
  kClose,    // /close: the echo with Connection: close, then close
  kReset,    // /reset: no answer, a TCP reset
  kHang,     // /hang: no answer, ever
  kHealth,   // /health: 200 "ok"
  kStats,    // /stats: counters as JSON
  kInvalid,  // a steering path with a bad number: 400 and the echo
};

struct Route {
  RouteKind kind = RouteKind::kEcho;
  uint64_t number = 0;  // the status, milliseconds or byte count
};

// target is the request target as received; its query string does not steer, and an
// absolute-form target ("http://host/path") steers by its path.
Route route_for(std::string_view target);

}  // namespace fulcrum::backend

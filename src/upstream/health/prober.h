#pragma once
// An active health check: "GET path" with the backend's host:port as Host, which must answer
// with an expected status within the timeout (the backend's check). The BackendTable runs one
// every interval, with up to 10% jitter so that workers and backends do not fall into step, and
// feeds the results to the same up/down state as real requests (upstream::record_outcome).
#include "base/task.h"
#include "http/message.h"
#include "io/loop.h"
#include "upstream/backend.h"

namespace fulcrum::upstream {

// What probe() returns when it could not even start for want of a local resource (no descriptor
// or socket memory left): that says nothing about the backend, whose state is left as it is, as
// a request that cannot have a socket is not held against it either.
inline constexpr const char* kProbeNotRun = "probe: not run (no socket)";

// Returns nullptr on success, kProbeNotRun, or why the probe failed. The answer's head is held
// to limits, as a real response's is.
base::Task<const char*> probe(io::Loop& loop, const Backend& backend, const http::Limits& limits);

}  // namespace fulcrum::upstream

#pragma once
// The backend's accept loop and what all its connections share.
#include <cstdint>
#include <string>

#include "base/task.h"
#include "io/loop.h"

namespace fulcrum::backend {

// Counters that /stats reports: tests compare them to prove that a proxy reuses connections.
struct Stats {
  uint64_t connections = 0;  // accepted
  uint64_t requests = 0;     // heads parsed, /stats included
  uint64_t open = 0;         // connections being served now
};

struct ServerConfig {
  std::string id;
  std::string id_json;    // id as a JSON string literal, escaped once at startup
  int forced_status = 0;  // non-zero: the status of every answer but /stats
  bool verbose = false;   // one log line per accepted connection
};

// Accepts connections on listen_fd until the process ends, serving each in a coroutine of its
// own. loop, config and stats must outlive the loop's run. Accept failures are not fatal: a
// shortage of descriptors pauses accepting briefly instead of spinning.
base::Task<void> accept_connections(io::Loop& loop, int listen_fd, const ServerConfig& config,
                                    Stats& stats);

}  // namespace fulcrum::backend

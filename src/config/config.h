#pragma once
// The one configuration model. The command line and the configuration file (config/file.h) fill
// the same structure; a reload builds a new one. Workers hold it immutable once loaded.
//
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.h"
#include "http/forward.h"
#include "http/message.h"
#include "io/loop.h"
#include "net/address.h"
#include "upstream/balancer/balancer.h"

namespace fulcrum::config {

using std::chrono::milliseconds;

struct BackendConfig {
  std::string host;  // as written, for logs
  uint16_t port = 0;
  net::Address address;  // resolved at load
  uint32_t weight = 1;   // 1-1000

  // HOST:PORT as written: what logs, metrics and the shared state's keys call it.
  std::string name() const { return host + ":" + std::to_string(port); }
};

// An address to accept clients on.
struct ListenConfig {
  std::string host;  // as written
  uint16_t port = 0;
  net::Address address;  // resolved at load
};

struct Timeouts {
  milliseconds client_header{10'000};  // whole request head, from its first byte
  // Keep-alive wait for the next request; also each read and write of a body.
  milliseconds client_idle{60'000};
  milliseconds connect{3'000};
  milliseconds backend{30'000};  // response head, and each read of the response body
  milliseconds pool_idle{30'000};
  milliseconds drain{10'000};
  // A tunnel after an upgrade (WebSocket) closes when neither way moved a byte for this long.
  milliseconds tunnel{3'600'000};
};

enum class Mode { kSingleProcess, kMultiProcess, kMultiThread };

// Balancing strategies (their names, parse_strategy and strategy_name) are the balancer's:
// upstream/balancer/balancer.h.
using upstream::Strategy;

// What the hash strategy hashes: the client's IP, the request path, or a header or cookie value.
struct HashKey {
  enum class Source { kClientIp, kPath, kHeader, kCookie };
  Source source = Source::kClientIp;
  std::string name;  // the header or cookie name; empty for kClientIp and kPath
};
inline constexpr std::string_view kHashKeyForms = "ip, path, header:NAME or cookie:NAME";
// Reads "ip", "path", "header:NAME" or "cookie:NAME"; nullopt if text is none of them.
std::optional<HashKey> parse_hash_key(std::string_view text);

// An inclusive range of response statuses; a single status is first == last.
struct StatusRange {
  uint16_t first = 200;
  uint16_t last = 399;
  bool contains(unsigned status) const { return status >= first && status <= last; }
};

// Reads "200" or "200-399" (statuses 100-599); nullopt if text is neither.
std::optional<StatusRange> parse_status_range(std::string_view text);
// Writes a range as parse_status_range reads it.
std::string format_status_range(const StatusRange& range);
bool in_ranges(const std::vector<StatusRange>& ranges, unsigned status);

inline constexpr milliseconds kDefaultHealthTimeout{2'000};

// Active health checks: a GET of `path` on each backend every `interval`.
struct HealthCheck {
  bool enabled = true;               // active probes; passive checks (real requests) are always on
  uint32_t unhealthy_threshold = 3;  // consecutive failed probes that take a backend down
  uint32_t healthy_threshold = 2;    // consecutive good probes that bring it back
  milliseconds interval{5'000};
  milliseconds timeout{kDefaultHealthTimeout};  // per probe; never more than interval once loaded
  // Whether the file or a flag gave the timeout: a given one is held to the interval, the default
  // yields to it (fit_health_timeout).
  bool timeout_given = false;
  std::string path = "/";
  // A probe's good statuses. By default any answer below 500: probes GET `/` unless told
  // otherwise, and a backend that answers 404 there (an API without a root page) is up; taking
  // it down would refuse every request, where HAProxy and nginx, which probe nothing unless
  // asked, would serve them.
  std::vector<StatusRange> expected_status{StatusRange{200, 499}};
  // Statuses of real responses that count as a backend failure (passive checks).
  std::vector<StatusRange> failure_statuses{StatusRange{502, 504}};
};

// Whether text can be the path a probe GETs: an origin-form target (RFC 9112 §3.2.1) the request
// parser would take.
bool is_probe_path(std::string_view text);
inline constexpr std::string_view kProbePathForm =
    "a path (starting with '/', printable ASCII without spaces or '#')";

// A probe must end before the next one starts. A timeout that was not given is the default, cut
// to the interval when that is shorter; so it follows the interval wherever that comes from (the
// file, or a flag over the file). Returns false, changing nothing, when a timeout that was given
// is longer than the interval: the caller reports it where the timeout or interval was written.
bool fit_health_timeout(HealthCheck* h);

// Whether the access log file can be opened for appending (it is created if missing), so that a
// path that cannot be is an error of the configuration, where it is written; false with *error.
bool check_access_log(const std::string& path, std::string* error);

struct PoolTimeouts {
  milliseconds connect{3'000};
  milliseconds backend{30'000};
  milliseconds pool_idle{30'000};
};

struct PoolConfig {
  std::string name;
  std::vector<BackendConfig> backends;        // never empty
  Strategy strategy = Strategy::kRoundRobin;  // weighted round-robin
  HashKey hash_key;                           // meaningful with Strategy::kHash
  HealthCheck health;
  uint32_t retries = 2;        // further backends a failed request may be tried on
  milliseconds slow_start{0};  // a recovered backend's weight ramps up over this; 0: at once
  PoolTimeouts timeouts;       // the top-level timeouts unless the pool sets its own
  uint32_t pool_size = 1024;   // idle connections kept per backend and loop
};

// Header edits (add, set, remove) are applied as heads are forwarded: http/forward.h.
using http::HeaderEdit;
using http::HeaderEdits;

struct HeaderRules {
  HeaderEdits request;      // applied to the request sent to the backend
  HeaderEdits response;     // applied to the response sent to the client
  bool request_id = false;  // add X-Request-ID to requests that come without one
  bool forwarded = true;    // add X-Forwarded-For, -Proto and -Host
};

// A request matches a route when every condition the route sets holds; routes are tried in order.
struct RouteConfig {
  std::string host;                   // lower-case; empty: any host
  bool host_wildcard = false;         // host came as "*.<host>": any name ending in ".<host>"
  std::string path_prefix;            // empty: any path
  std::vector<std::string> methods;   // empty: any method
  std::string header_name;            // empty: no header condition
  std::string header_value;           // the exact value header_name must have
  std::vector<net::IpBlock> sources;  // the client's address is in one of them; empty: any
  std::string pool;
  size_t pool_index = 0;  // into Config::pools
  // Instead of a pool: fulcrum answers with its metrics (upstream/stats.h), as HAProxy's stats
  // page and nginx's stub_status answer from a path of their own.
  bool metrics = false;
  HeaderRules headers;  // the top-level headers unless the route sets its own
};

// Where fulcrum listens when neither the command line nor the file says.
inline constexpr std::string_view kDefaultListenHost = "0.0.0.0";
inline constexpr uint16_t kDefaultPort = 8080;

struct Config {
  std::vector<ListenConfig> listeners;  // never empty once loaded
  Mode mode = Mode::kMultiProcess;
  unsigned workers = 0;     // 0: one per CPU
  bool pin_workers = true;  // each worker on its own CPU
  std::string pid_file;
  std::string config_file;
  bool watch = false;  // reload when config_file changes
  base::LogLevel log_level = base::LogLevel::kInfo;
  std::string access_log;  // a file that gets a line per request (proxy/access_log.h); empty: none
  io::Backend io = io::Backend::kAuto;
  Timeouts timeouts;
  http::Limits limits;
  uint32_t pool_size = 1024;  // idle connections kept per backend and loop; pools' default

  // The command line makes one pool, "default", from its -b flags; a file may make several.
  std::vector<PoolConfig> pools;  // never empty once loaded
  std::vector<RouteConfig> routes;
  std::string default_pool;       // where requests that match no route go
  size_t default_pool_index = 0;  // into pools
  HeaderRules headers;            // for requests that match no route, and routes without their own

  PoolConfig& default_pool_config() { return pools.at(default_pool_index); }
  const PoolConfig& default_pool_config() const { return pools.at(default_pool_index); }
};

}  // namespace fulcrum::config

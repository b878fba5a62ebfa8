#pragma once
// The one configuration model. The command line fills it today; the YAML file and reloads will
// fill the same structure. Workers hold it immutable once loaded.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/log.h"
#include "http/message.h"
#include "io/loop.h"
#include "net/address.h"

namespace fulcrum::config {

using std::chrono::milliseconds;

struct BackendConfig {
  std::string host;  // as written, for logs
  uint16_t port = 0;
  net::Address address;  // resolved at load
};

struct Timeouts {
  milliseconds client_header{10'000};  // whole request head, from its first byte
  milliseconds client_idle{60'000};    // keep-alive wait for the next request; also per body read/write
  milliseconds connect{3'000};
  milliseconds backend{30'000};  // response head, and each read of the response body
  milliseconds pool_idle{30'000};
  milliseconds drain{10'000};
};

enum class Mode { kSingleProcess, kMultiProcess, kMultiThread };

struct Config {
  std::string listen_host = "0.0.0.0";
  uint16_t port = 8080;
  std::vector<BackendConfig> backends;
  Mode mode = Mode::kSingleProcess;
  unsigned workers = 0;  // 0: one per CPU
  std::string strategy = "round_robin";
  std::string config_file;
  base::LogLevel log_level = base::LogLevel::kInfo;
  io::Backend io = io::Backend::kAuto;
  Timeouts timeouts;
  http::Limits limits;
  uint32_t pool_size = 64;  // idle connections kept per backend and loop
};

}  // namespace fulcrum::config

#pragma once
// The listening sockets of one worker: one per configured listen address, each SO_REUSEPORT so
// that every worker has its own queue for every address.
#include <string>
#include <vector>

#include "config/config.h"

namespace fulcrum::server {

inline constexpr int kListenBacklog = 4096;

// Appends one socket per listener of config to *fds, in its order: one taken from *inherited
// (sockets handed down by an upgrading master) when one is bound to that address, else a new
// one. On failure closes what it opened and returns false with *error naming the address.
bool open_listeners(const config::Config& config, std::vector<int>* fds, std::string* error,
                    std::vector<int>* inherited = nullptr);

// "0.0.0.0:8080, [::1]:8081", for logs.
std::string listeners_text(const config::Config& config);

// Whether two configurations listen on the same addresses, in the same order.
bool same_listeners(const config::Config& a, const config::Config& b);

}  // namespace fulcrum::server

#pragma once
// SIGUSR1: the instance's counters and each backend's state, written to the log. They come from
// the memory every worker shares, so they add up across worker processes and threads.
#include "config/config.h"
#include "upstream/shared_state.h"

namespace fulcrum::server {

void log_stats(const config::Config& config, const upstream::SharedState& shared);

}  // namespace fulcrum::server

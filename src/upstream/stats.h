#pragma once
// The instance's counters and each backend's state, for SIGUSR1 (written to the log) and for a
// metrics route (the Prometheus text format). They come from the memory every worker shares, so
// they add up across worker processes and threads.
#include <string>

#include "config/config.h"
#include "upstream/shared_state.h"

namespace fulcrum::upstream {

void log_stats(const config::Config& config, const SharedState& shared);

// Appends the metrics to out, in the Prometheus text exposition format (version 0.0.4).
void write_metrics(const config::Config& config, const SharedState& shared, std::string& out);

}  // namespace fulcrum::upstream

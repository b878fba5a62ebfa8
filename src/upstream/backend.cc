#include "upstream/backend.h"

#include "base/log.h"

namespace fulcrum::upstream {

void record_outcome(Backend& b, bool ok, io::TimePoint now, std::string_view reason) {
  bool changed = ok ? b.health.record_success(now) : b.health.record_failure(now);
  if (changed) {
    LOG_WARN("backend %s: %s (%.*s)", b.name.c_str(), ok ? "down -> up" : "up -> down",
             static_cast<int>(reason.size()), reason.data());
  }
}

}  // namespace fulcrum::upstream

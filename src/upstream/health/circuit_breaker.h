#pragma once
// Passive health of one backend, fed by the outcome of real requests. After kFailuresToOpen
// consecutive failures the backend is down; after a cool-down it gets one trial request, whose
// success brings it back and whose failure starts another cool-down.
#include "io/timer.h"

namespace fulcrum::upstream {

class CircuitBreaker {
 public:
  static constexpr int kFailuresToOpen = 3;
  static constexpr auto kCoolDown = std::chrono::seconds(10);

  // True if a request may be sent now. While down, true once per cool-down (the trial).
  bool allow(io::TimePoint now) {
    if (failures_ < kFailuresToOpen) return true;
    if (now < retry_at_) return false;
    retry_at_ = now + kCoolDown;  // one trial per cool-down
    return true;
  }
  bool down() const { return failures_ >= kFailuresToOpen; }

  void record_success() { failures_ = 0; }
  // Returns true if this failure took the backend down.
  bool record_failure(io::TimePoint now) {
    if (++failures_ == kFailuresToOpen) {
      retry_at_ = now + kCoolDown;
      return true;
    }
    if (failures_ > kFailuresToOpen) retry_at_ = now + kCoolDown;
    return false;
  }

 private:
  int failures_ = 0;
  io::TimePoint retry_at_{};
};

}  // namespace fulcrum::upstream

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

  // True if a request may be sent now: the backend is up, or down with its trial due. Has no
  // effect, so a balancer may ask about backends it does not pick.
  bool available(io::TimePoint now) const {
    return failures_ < kFailuresToOpen || now >= retry_at_;
  }
  // Told that a request was sent: while down, that was the trial of this cool-down.
  void on_picked(io::TimePoint now) {
    if (down()) retry_at_ = now + kCoolDown;
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

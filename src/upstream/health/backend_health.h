#pragma once
// Up or down, for one backend, from the outcomes of real requests (passive checks) and of probes
// (active checks), as HAProxy's fall and rise: `fall` consecutive failures take it down, `rise`
// consecutive successes bring it back. Without probes, a down backend gets one trial request per
// cool-down (10 s, doubling while it keeps failing, at most 5 min), and the successes of trials
// count toward `rise`.
#include <algorithm>
#include <cstdint>

#include "io/timer.h"

namespace fulcrum::upstream {

class BackendHealth {
 public:
  static constexpr auto kCoolDown = std::chrono::seconds(10);
  static constexpr auto kMaxCoolDown = std::chrono::seconds(300);

  void configure(uint32_t fall, uint32_t rise, bool probes) {
    fall_ = std::max<uint32_t>(fall, 1);
    rise_ = std::max<uint32_t>(rise, 1);
    probes_ = probes;
  }

  bool up() const { return up_; }
  // Whether a request may be sent now: up, or down with a trial due. Has no effect, so that a
  // balancer may ask about backends it does not pick.
  bool available(io::TimePoint now) const { return up_ || (!probes_ && now >= trial_at_); }
  // Told that a request was sent: while down, that was the trial of this cool-down.
  void on_picked(io::TimePoint now) {
    if (!up_) trial_at_ = now + cool_down_;
  }

  // Each returns true when the outcome changed the state (the caller logs it, once).
  bool record_failure(io::TimePoint now) {
    successes_ = 0;
    if (!up_) {
      cool_down_ = std::min<io::Duration>(cool_down_ * 2, kMaxCoolDown);
      trial_at_ = now + cool_down_;
      return false;
    }
    if (++failures_ < fall_) return false;
    up_ = false;
    cool_down_ = kCoolDown;
    trial_at_ = now + cool_down_;
    return true;
  }
  bool record_success(io::TimePoint now) {
    failures_ = 0;
    if (up_) return false;
    if (++successes_ < rise_) {
      trial_at_ = now;  // the next trial need not wait
      return false;
    }
    up_ = true;
    successes_ = 0;
    return true;
  }

 private:
  uint32_t fall_ = 3;
  uint32_t rise_ = 2;
  bool probes_ = false;
  bool up_ = true;
  uint32_t failures_ = 0;
  uint32_t successes_ = 0;
  io::Duration cool_down_ = kCoolDown;
  io::TimePoint trial_at_{};
};

}  // namespace fulcrum::upstream

#pragma once
// Up or down, for one backend, from the outcomes of real requests (passive checks) and of probes
// (active checks), as HAProxy's fall and rise: `fall` consecutive failures take it down, `rise`
// consecutive successes bring it back. Without probes, a down backend gets one trial request per
// cool-down (10 s, doubling while it keeps failing, at most 5 min), and the successes of trials
// count toward `rise`.
//
// The state is a HealthState, which may live in memory that every worker process or thread of
// the instance shares (upstream/shared_state.h): then they all see one state, whichever of them
// saw the outcomes. Each transition is reported to exactly one of them, so that it is logged once.
#include <algorithm>
#include <atomic>
#include <cstdint>

#include "io/timer.h"

namespace fulcrum::upstream {

// A time as the shared states keep it: steady clock (system-wide, so the same in every process of
// the instance), in ns.
inline int64_t steady_ns(io::TimePoint t) { return t.time_since_epoch() / io::Duration(1); }

// Plain data and lock-free atomics only, valid when all zero (up, no failures), so that it can be
// placed in shared memory and a worker that dies mid-update leaves nothing inconsistent.
struct HealthState {
  std::atomic<uint32_t> down{0};
  std::atomic<uint32_t> failures{0};   // consecutive
  std::atomic<uint32_t> successes{0};  // consecutive, while down
  std::atomic<int64_t> trial_at{0};    // steady clock, ns: when a down backend may get a trial
  std::atomic<int64_t> cool_down{0};   // ns; 0: the first cool-down
  std::atomic<int64_t> up_since{0};    // steady clock, ns, of the last recovery; 0: never down
};
static_assert(std::atomic<uint64_t>::is_always_lock_free &&
                  std::atomic<int64_t>::is_always_lock_free,
              "shared between processes, the atomics must not hide a lock");

class BackendHealth {
 public:
  static constexpr auto kCoolDown = std::chrono::seconds(10);
  static constexpr auto kMaxCoolDown = std::chrono::seconds(300);

  explicit BackendHealth(HealthState& state) : s_(&state) {}

  void configure(uint32_t fall, uint32_t rise, bool probes) {
    fall_ = std::max<uint32_t>(fall, 1);
    rise_ = std::max<uint32_t>(rise, 1);
    probes_ = probes;
  }

  bool up() const { return s_->down.load(std::memory_order_relaxed) == 0; }
  // Whether a request may be sent now: up, or down with a trial due. Has no effect, so that a
  // balancer may ask about backends it does not pick.
  bool available(io::TimePoint now) const {
    return up() || (!probes_ && steady_ns(now) >= s_->trial_at.load(std::memory_order_relaxed));
  }
  // Told that a request was sent: while down, that was the trial of this cool-down.
  void on_picked(io::TimePoint now) {
    if (!up()) s_->trial_at.store(steady_ns(now) + cool_down(), std::memory_order_relaxed);
  }
  // When the backend last came back up; the epoch if it never went down.
  io::TimePoint up_since() const {
    return io::TimePoint(io::Duration(s_->up_since.load(std::memory_order_relaxed)));
  }

  // Each returns true when the outcome changed the state (the caller logs it, once).
  bool record_failure(io::TimePoint now) {
    s_->successes.store(0, std::memory_order_relaxed);
    if (!up()) {
      int64_t longer = std::min<int64_t>(cool_down() * 2, kMaxCoolDown / io::Duration(1));
      s_->cool_down.store(longer, std::memory_order_relaxed);
      s_->trial_at.store(steady_ns(now) + longer, std::memory_order_relaxed);
      return false;
    }
    if (s_->failures.fetch_add(1, std::memory_order_relaxed) + 1 < fall_) return false;
    uint32_t was_up = 0;
    if (!s_->down.compare_exchange_strong(was_up, 1, std::memory_order_relaxed)) return false;
    s_->failures.store(0, std::memory_order_relaxed);
    s_->cool_down.store(kCoolDown / io::Duration(1), std::memory_order_relaxed);
    s_->trial_at.store(steady_ns(now) + kCoolDown / io::Duration(1), std::memory_order_relaxed);
    return true;
  }
  bool record_success(io::TimePoint now) {
    s_->failures.store(0, std::memory_order_relaxed);
    if (up()) return false;
    if (s_->successes.fetch_add(1, std::memory_order_relaxed) + 1 < rise_) {
      s_->trial_at.store(steady_ns(now),
                         std::memory_order_relaxed);  // the next trial need not wait
      return false;
    }
    uint32_t was_down = 1;
    if (!s_->down.compare_exchange_strong(was_down, 0, std::memory_order_relaxed)) return false;
    s_->successes.store(0, std::memory_order_relaxed);
    s_->up_since.store(std::max<int64_t>(steady_ns(now), 1), std::memory_order_relaxed);
    return true;
  }

 private:
  int64_t cool_down() const {
    int64_t c = s_->cool_down.load(std::memory_order_relaxed);
    return c ? c : kCoolDown / io::Duration(1);
  }

  HealthState* s_;
  uint32_t fall_ = 3;
  uint32_t rise_ = 2;
  bool probes_ = false;
};

}  // namespace fulcrum::upstream

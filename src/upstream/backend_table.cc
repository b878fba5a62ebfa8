#include "upstream/backend_table.h"

#include <algorithm>
#include <cstring>

#include "base/log.h"
#include "upstream/health/prober.h"

namespace fulcrum::upstream {
namespace {

constexpr io::Duration kMaxSweepPeriod = std::chrono::seconds(1);

bool same_address(const net::Address& a, const net::Address& b) {
  return a.len == b.len && std::memcmp(&a.storage, &b.storage, a.len) == 0;
}

}  // namespace

BackendTable::BackendTable(io::Loop& loop, SharedState& shared, bool prober, base::TaskGroup& tasks,
                           uint64_t seed)
    : loop_(loop), shared_(shared), prober_(prober), tasks_(tasks), random_(seed) {
  sweep_timer_.owner = this;
  sweep_timer_.fire = &BackendTable::sweep;
  loop_.timers().arm(sweep_timer_, loop_.now() + kMaxSweepPeriod);
}

BackendTable::~BackendTable() { loop_.timers().disarm(sweep_timer_); }

void BackendTable::begin_configuration(const http::Limits& limits) {
  limits_ = limits;
  for (auto& b : backends_) b->listed = false;
}

uint64_t shared_key(const config::PoolConfig& pool, const config::BackendConfig& b) {
  return SharedState::key(pool.name, b.name(), b.address.to_string());
}

Backend& BackendTable::acquire(const config::PoolConfig& pool, const config::BackendConfig& b) {
  const std::string name = b.name();
  auto it = std::find_if(backends_.begin(), backends_.end(), [&](const auto& known) {
    return known->pool == pool.name && known->name == name &&
           same_address(known->address, b.address);
  });
  Backend* backend;
  if (it != backends_.end()) {
    backend = it->get();
    backend->configure(pool);
  } else {
    SharedBackend* shared = shared_.find_or_claim(shared_key(pool, b), loop_.now());
    if (shared == nullptr) {
      LOG_WARN("backend %s (pool %s): no room left to share its state between workers",
               name.c_str(), pool.name.c_str());
    }
    backends_.push_back(std::make_unique<Backend>(loop_, pool.name, b, pool, shared));
    backend = backends_.back().get();
  }
  ++backend->users;
  backend->listed = true;
  if (prober_ && backend->check.enabled && !backend->probing) {
    backend->probing = true;
    ++backend->users;
    tasks_.start(probe_while_listed(*backend));
  }
  return *backend;
}

void BackendTable::release(Backend& backend) {
  if (--backend.users > 0) return;
  std::erase_if(backends_, [&](const auto& b) { return b.get() == &backend; });
}

base::Task<void> BackendTable::probe_while_listed(Backend& backend) {
  // Releases the prober's hold on the backend however the task ends (also when its frame is
  // destroyed with the loop).
  struct Hold {
    BackendTable& table;
    Backend& backend;
    ~Hold() {
      backend.probing = false;
      table.release(backend);
    }
  } hold{*this, backend};
  for (;;) {
    auto interval = std::chrono::duration_cast<io::Duration>(backend.check.interval);
    auto jitter = interval / 10;
    auto wait = interval - jitter / 2 +
                io::Duration(static_cast<io::Duration::rep>(
                    random_.below(static_cast<uint64_t>(jitter.count()) + 1)));
    co_await loop_.sleep(wait);
    if (!prober_ || !backend.listed || !backend.check.enabled) co_return;
    const char* failure = co_await probe(loop_, backend, limits_);
    if (!prober_ || !backend.listed) co_return;
    if (failure == kProbeNotRun) continue;  // a shortage here, not a verdict on the backend
    record_outcome(backend, failure == nullptr, loop_.now(), failure ? failure : "probe passed");
  }
}

void BackendTable::sweep(io::Timer* timer) {
  auto* self = static_cast<BackendTable*>(timer->owner);
  io::Duration period = kMaxSweepPeriod;
  const io::TimePoint now = self->loop_.now();
  for (auto& b : self->backends_) {
    b->idle.sweep();
    // The slot is still in use: no other backend may take it (SharedState::kStaleAfter).
    b->state.touch(now);
    period = std::min(period, b->idle.idle_timeout());
  }
  self->loop_.timers().arm(*timer, now + period);
}

}  // namespace fulcrum::upstream

#include "proxy/context.h"

#include "base/log.h"

namespace fulcrum::proxy {

ProxyContext::ProxyContext(io::Loop& l, upstream::BackendTable& table,
                           std::shared_ptr<const config::Config> config, uint64_t seed)
    : loop(l),
      backends(table),
      counters(table.shared().instance()),
      random(seed),
      access_log(l),
      seed_(seed) {
  reload(std::move(config));
  trim_timer_.fire = &ProxyContext::on_trim;
  trim_timer_.owner = this;
  loop.timers().arm(trim_timer_, loop.now() + io::Loop::kTrimPeriod);
}

ProxyContext::~ProxyContext() { loop.timers().disarm(trim_timer_); }

void ProxyContext::on_trim(io::Timer* t) {
  auto* self = static_cast<ProxyContext*>(t->owner);
  self->free_states_.trim();
  self->pipes.trim();
  self->loop.timers().arm(*t, self->loop.now() + io::Loop::kTrimPeriod);
}

void ProxyContext::reload(std::shared_ptr<const config::Config> config) {
  // Opened again at each reload, as a log rotation wants (logrotate's postrotate sends SIGHUP).
  if (std::string error; !access_log.open(config->access_log, &error)) {
    LOG_ERROR("access log: %s; it goes on where it went", error.c_str());
  }
  Generation* previous = current_;
  generations_.push_back(std::make_unique<Generation>(std::move(config), backends, seed_));
  current_ = generations_.back().get();
  if (previous && previous->users == 0) retire(*previous);
}

void ProxyContext::retire(Generation& g) {
  std::erase_if(generations_, [&](const auto& p) { return p.get() == &g; });
}

std::unique_ptr<RequestState> ProxyContext::take_state() {
  const http::Limits& limits = config().limits;
  if (free_states_.empty()) return std::make_unique<RequestState>(limits);
  std::unique_ptr<RequestState> s = free_states_.take();
  // Limits changed by a reload apply from the next request on.
  if (s->limits != limits) *s = RequestState(limits);
  return s;
}

void ProxyContext::give_state(std::unique_ptr<RequestState> s) {
  // Their blocks go back to the thread's cache, where any connection takes them next.
  s->out.release();
  s->backend_in.release();
  free_states_.put(std::move(s));
}

}  // namespace fulcrum::proxy

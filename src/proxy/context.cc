#include "proxy/context.h"

#include <algorithm>

namespace fulcrum::proxy {

ProxyContext::ProxyContext(io::Loop& l, upstream::BackendTable& table,
                           std::shared_ptr<const config::Config> config, uint64_t seed)
    : loop(l), backends(table), counters(table.shared().instance()), random(seed), seed_(seed) {
  reload(std::move(config));
}

void ProxyContext::reload(std::shared_ptr<const config::Config> config) {
  Generation* previous = current_;
  generations_.push_back(std::make_unique<Generation>(std::move(config), backends, seed_));
  current_ = generations_.back().get();
  if (previous && previous->users == 0) retire(*previous);
}

void ProxyContext::retire(Generation& g) {
  std::erase_if(generations_, [&](const auto& p) { return p.get() == &g; });
}

RequestState& ProxyContext::take_state() {
  const http::Limits& limits = config().limits;
  if (free_states_.empty()) {
    states_.push_back(std::make_unique<RequestState>(limits));
    return *states_.back();
  }
  RequestState& s = *free_states_.back();
  free_states_.pop_back();
  // Limits changed by a reload apply from the next request on.
  if (s.limits != limits) s = RequestState(limits);
  return s;
}

void ProxyContext::give_state(RequestState& s) {
  // Their blocks go back to the thread's cache, where any connection takes them next.
  s.out.release();
  s.backend_in.release();
  free_states_.push_back(&s);
}

}  // namespace fulcrum::proxy

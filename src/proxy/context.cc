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

}  // namespace fulcrum::proxy

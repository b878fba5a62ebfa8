#include "proxy/generation.h"

#include <algorithm>

namespace fulcrum::proxy {
namespace {

// The host a request names, without its port: the Host field (an absolute-form target's
// authority has been checked against it by the parser).
std::string_view host_of(const char* base, const http::RequestHead& req) {
  return http::split_authority(req.host.in(base)).first;
}

bool host_matches(const config::RouteConfig& route, std::string_view host) {
  if (route.host_wildcard) {
    // "*.example.com" matches "a.example.com" and "a.b.example.com", not "example.com".
    return host.size() > route.host.size() + 1 &&
           http::equals_ignore_case(host.substr(host.size() - route.host.size()), route.host) &&
           host[host.size() - route.host.size() - 1] == '.';
  }
  return http::equals_ignore_case(host, route.host);
}

}  // namespace

bool route_matches(const config::RouteConfig& route, const char* base, const http::RequestHead& req,
                   std::string_view client_ip) {
  if (!route.host.empty() && !host_matches(route, host_of(base, req))) return false;
  if (!route.path_prefix.empty() &&
      !http::target_path(req.target.in(base)).starts_with(route.path_prefix)) {
    return false;
  }
  if (!route.methods.empty() && std::find(route.methods.begin(), route.methods.end(),
                                          req.method_name.in(base)) == route.methods.end()) {
    return false;
  }
  if (!route.sources.empty()) {
    const auto ip = net::ip_bytes(client_ip);
    if (!ip || std::none_of(route.sources.begin(), route.sources.end(),
                            [&](const net::IpBlock& b) { return b.contains(*ip); })) {
      return false;
    }
  }
  if (!route.header_name.empty()) {
    const http::HeaderField* h = http::find_header(base, req.headers, route.header_name);
    if (h == nullptr || h->value.in(base) != route.header_value) return false;
  }
  return true;
}

Generation::Generation(std::shared_ptr<const config::Config> config, upstream::BackendTable& table,
                       uint64_t seed)
    : config_(std::move(config)), table_(table) {
  table_.begin_configuration(config_->limits);
  pools_.reserve(config_->pools.size());
  for (const config::PoolConfig& p : config_->pools) {
    Pool pool{&p, {}, nullptr};
    std::vector<upstream::WeightedBackend> weighted;
    for (const config::BackendConfig& b : p.backends) {
      upstream::Backend& backend = table_.acquire(p, b);
      pool.backends.push_back(&backend);
      // The id is the configured address, so a hash key maps to the same backend in every
      // worker and across restarts and reloads.
      weighted.push_back({upstream::hash_key(backend.name), b.weight});
    }
    pool.balancer = upstream::make_balancer(p.strategy, weighted, seed);
    pools_.push_back(std::move(pool));
  }
}

Generation::~Generation() {
  for (Pool& pool : pools_) {
    for (upstream::Backend* b : pool.backends) table_.release(*b);
  }
}

Target Generation::route(const char* base, const http::RequestHead& req,
                         std::string_view client_ip) {
  for (const config::RouteConfig& r : config_->routes) {
    if (route_matches(r, base, req, client_ip)) {
      return {r.metrics ? nullptr : &pools_[r.pool_index], &r.headers};
    }
  }
  return {&pools_[config_->default_pool_index], &config_->headers};
}

}  // namespace fulcrum::proxy

#include "proxy/generation.h"

#include <algorithm>

namespace fulcrum::proxy {
namespace {

// The host a request names, without its port: the Host field (an absolute-form target's
// authority has been checked against it by the parser).
std::string_view host_of(const char* base, const http::RequestHead& req) {
  return http::split_authority(req.host.in(base)).first;
}

// The path of the target: origin-form as it is, absolute-form from the end of
// "scheme://authority" on, which is the first '/', '?' or '#' after "://" (RFC 3986 §3.2). A
// path that is empty there ("http://h?q=/admin/") is "/" (RFC 9112 §3.2.1), as the backend reads
// it: the '/' of a query is not where a path starts.
std::string_view path_of(const char* base, const http::RequestHead& req) {
  std::string_view target = req.target.in(base);
  if (target.starts_with('/')) return target;
  size_t scheme_end = target.find("://");
  if (scheme_end == std::string_view::npos) return target;  // "*" or an authority (CONNECT)
  size_t path = target.find_first_of("/?#", scheme_end + 3);
  return path == std::string_view::npos || target[path] != '/' ? std::string_view("/")
                                                               : target.substr(path);
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

bool route_matches(const config::RouteConfig& route, const char* base,
                   const http::RequestHead& req) {
  if (!route.host.empty() && !host_matches(route, host_of(base, req))) return false;
  if (!route.path_prefix.empty() && !path_of(base, req).starts_with(route.path_prefix)) {
    return false;
  }
  if (!route.methods.empty() && std::find(route.methods.begin(), route.methods.end(),
                                          req.method_name.in(base)) == route.methods.end()) {
    return false;
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

Target Generation::route(const char* base, const http::RequestHead& req) {
  for (const config::RouteConfig& r : config_->routes) {
    if (route_matches(r, base, req)) return {&pools_[r.pool_index], &r.headers};
  }
  return {&pools_[config_->default_pool_index], &config_->headers};
}

}  // namespace fulcrum::proxy

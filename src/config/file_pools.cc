#include "config/file_pools.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "config/file_headers.h"
#include "config/units.h"
#include "net/address.h"

namespace fulcrum::config {
namespace {

constexpr uint64_t kMaxWeight = 1000;
constexpr uint64_t kMaxRetries = 10;
constexpr uint64_t kMaxPoolSize = 65536;
constexpr uint64_t kMaxThreshold = 100;
constexpr std::string_view kBackendWhat = "a backend (HOST:PORT or a map of host, port, weight)";

const std::vector<std::string_view> kStrategies = {"round_robin", "weighted", "random",
                                                   "least_conn",  "p2c",      "hash"};

bool is_pool_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

}  // namespace

const std::vector<std::string_view>& pool_keys() {
  static const std::vector<std::string_view> keys = {"backends", "strategy", "hash_key",
                                                     "health",   "retries",  "slow_start",
                                                     "timeouts", "pool_size"};
  return keys;
}

std::optional<std::vector<StatusRange>> read_status_ranges(YamlReader& reader, const Field& f) {
  static constexpr std::string_view kAllowed = "a status or range (100-599, e.g. 200 or 200-399)";
  std::vector<StatusRange> out;
  bool ok = true;
  auto one = [&](const Field& item) {
    if (item.node.IsSequence() || item.node.IsMap() || !item.node.IsScalar()) {
      reader.error(item, "expected " + std::string(kAllowed) + ", got " + describe(item.node));
      ok = false;
      return;
    }
    auto range = parse_status_range(item.node.Scalar());
    if (!range) {
      reader.error(item, describe(item.node) + " is not " + std::string(kAllowed));
      ok = false;
      return;
    }
    out.push_back(*range);
  };
  if (f.node.IsSequence()) {
    reader.each_item(f, "a list of statuses", [&](size_t, const Field& item) { one(item); });
  } else {
    one(f);
  }
  if (!ok) return std::nullopt;
  return out;
}

PoolReader::PoolReader(YamlReader& reader, const Config& defaults, std::string name)
    : reader_(reader) {
  pool_.name = std::move(name);
  pool_.timeouts = {defaults.timeouts.connect, defaults.timeouts.backend,
                    defaults.timeouts.pool_idle};
  pool_.pool_size = defaults.pool_size;
}

void PoolReader::read(std::string_view key, const Field& value) {
  if (key == "backends") {
    read_backends(value);
  } else if (key == "strategy") {
    if (auto i = reader_.choice(value, "a strategy", kStrategies)) {
      pool_.strategy = *upstream::parse_strategy(kStrategies[*i]);
    }
  } else if (key == "hash_key") {
    read_hash_key(value);
  } else if (key == "health") {
    read_health(value);
  } else if (key == "retries") {
    if (auto n = reader_.number(value, "a retry count", 0, kMaxRetries)) {
      pool_.retries = static_cast<uint32_t>(*n);
    }
  } else if (key == "slow_start") {
    if (auto d = reader_.duration(value)) pool_.slow_start = *d;
  } else if (key == "timeouts") {
    read_timeouts(value);
  } else if (key == "pool_size") {
    if (auto n = reader_.number(value, "a pool size", 0, kMaxPoolSize)) {
      pool_.pool_size = static_cast<uint32_t>(*n);
    }
  }
}

void PoolReader::read_backends(const Field& list) {
  has_backends_ = true;
  bool is_list = reader_.each_item(list, "a list of backends",
                                   [&](size_t, const Field& item) { read_backend(item); });
  if (is_list && list.node.size() == 0) {
    reader_.error(list, "empty; a pool needs at least one backend");
  }
}

// Reads {host, port, weight} into *b; false if the backend cannot be used. *host_field is set
// to where the host was written, the place to report it if it does not resolve.
bool PoolReader::read_backend_map(const Field& item, BackendConfig* b, Field* host_field) {
  bool has_host = false, has_port = false, ok = true;
  auto visit = [&](std::string_view key, const Field& v) {
    if (key == "host") {
      has_host = true;
      *host_field = v;
      auto host = reader_.text(v, "a host name or address");
      if (host) b->host = *host;
      ok = ok && host;
    } else if (key == "port") {
      has_port = true;
      auto port = reader_.number(v, "a port", 1, 65535);
      if (port) b->port = static_cast<uint16_t>(*port);
      ok = ok && port;
    } else if (auto w = reader_.number(v, "a weight", 1, kMaxWeight)) {
      b->weight = static_cast<uint32_t>(*w);
    }
  };
  if (!reader_.each_field(item, kBackendWhat, {"host", "port", "weight"}, visit)) return false;
  // A misspelt key has been reported already: it is not missing as well.
  if (!has_host && !reader_.suggested(item.path + ".host")) {
    reader_.error({item.node, item.path + ".host", item.at}, "missing (required)");
  }
  if (!has_port && !reader_.suggested(item.path + ".port")) {
    reader_.error({item.node, item.path + ".port", item.at}, "missing (required; 1-65535)");
  }
  if (b->host.size() > 2 && b->host.front() == '[' && b->host.back() == ']') {
    b->host = b->host.substr(1, b->host.size() - 2);
  }
  return ok && has_host && has_port;
}

void PoolReader::read_backend(const Field& item) {
  BackendConfig b;
  Field host_field = item;
  if (item.node.IsScalar()) {  // "HOST:PORT"
    auto text = reader_.text(item, kBackendWhat);
    std::string error;
    if (!text) return;
    if (!net::split_host_port(*text, &b.host, &b.port, &error)) return reader_.error(item, error);
  } else if (!read_backend_map(item, &b, &host_field)) {
    return;
  }
  for (size_t i = 0; i < pool_.backends.size(); ++i) {
    if (pool_.backends[i].host == b.host && pool_.backends[i].port == b.port) {
      return reader_.error(item, "duplicate backend " + b.name() + " (first at " +
                                     position_text(backend_positions_[i]) + ")");
    }
  }
  std::string error;
  if (!net::resolve(b.host, b.port, &b.address, &error)) return reader_.error(host_field, error);
  pool_.backends.push_back(std::move(b));
  backend_positions_.push_back(item.at);
}

void PoolReader::read_hash_key(const Field& f) {
  const std::string allowed = "a hash key (" + std::string(kHashKeyForms) + ")";
  auto text = reader_.text(f, allowed);
  if (!text) return;
  std::optional<HashKey> key = parse_hash_key(*text);
  if (!key) {
    reader_.error(f, describe(f.node) + " is not " + allowed);
    return;
  }
  pool_.hash_key = *key;
  hash_key_field_ = f;
}

void PoolReader::read_health(const Field& f) {
  HealthCheck& h = pool_.health;
  reader_.each_field(
      f, "a map of health check settings",
      {"enabled", "path", "interval", "timeout", "unhealthy_threshold", "healthy_threshold",
       "expected_status", "failure_statuses"},
      [&](std::string_view key, const Field& v) {
        if (key == "enabled") {
          if (auto b = reader_.flag(v)) h.enabled = *b;
        } else if (key == "path") {
          auto p = reader_.text(v, kProbePathForm);
          if (p && !is_probe_path(*p)) {
            reader_.error(v, describe(v.node) + " is not " + std::string(kProbePathForm));
          } else if (p) {
            h.path = *p;
          }
        } else if (key == "interval" || key == "timeout") {
          if (auto d = reader_.duration(v)) {
            if (d->count() == 0) {
              reader_.error(v, "0 is not a probe " + std::string(key) + " (more than 0)");
            } else if (key == "interval") {
              h.interval = *d;
            } else {
              h.timeout = *d;
              h.timeout_given = true;
              health_timeout_field_ = v;
            }
          }
        } else if (key == "unhealthy_threshold" || key == "healthy_threshold") {
          if (auto n = reader_.number(v, "a probe count", 1, kMaxThreshold)) {
            (key == "healthy_threshold" ? h.healthy_threshold : h.unhealthy_threshold) =
                static_cast<uint32_t>(*n);
          }
        } else if (auto ranges = read_status_ranges(reader_, v)) {
          if (key == "expected_status" && ranges->empty()) {
            reader_.error(v, "empty; at least one status is needed");
          } else {
            (key == "expected_status" ? h.expected_status : h.failure_statuses) = *ranges;
          }
        }
      });
}

void PoolReader::read_timeouts(const Field& f) {
  reader_.each_field(f, "a map of pool timeouts", {"connect", "backend", "pool_idle"},
                     [&](std::string_view key, const Field& v) {
                       auto d = reader_.duration(v);
                       if (!d) return;
                       if (key == "connect")
                         pool_.timeouts.connect = *d;
                       else if (key == "backend")
                         pool_.timeouts.backend = *d;
                       else
                         pool_.timeouts.pool_idle = *d;
                     });
}

PoolConfig PoolReader::finish(Position pool, const std::string& prefix) {
  if (!has_backends_ && !reader_.suggested(prefix + "backends")) {
    reader_.error({YAML::Node(), prefix + "backends", pool},
                  "missing; a pool needs at least one backend");
  }
  if (hash_key_field_ && pool_.strategy != Strategy::kHash) {
    reader_.error(*hash_key_field_, "only used with strategy: hash (this pool's is " +
                                        std::string(strategy_name(pool_.strategy)) + ")");
  }
  if (!fit_health_timeout(&pool_.health)) {  // only a timeout that was given can fail
    reader_.error(*health_timeout_field_,
                  duration_text(pool_.health.timeout) + " is longer than the interval (" +
                      duration_text(pool_.health.interval) + "); a probe must end before the next");
  }
  return std::move(pool_);
}

void read_pools(YamlReader& reader, const Field& pools, const Config& defaults,
                std::vector<PoolConfig>* out, std::vector<std::string>* names) {
  reader.each_named(
      pools, "a map of pools by name", "pool name", false,
      [&](const std::string& name, Position key_at, const Field& value) {
        if (std::find(names->begin(), names->end(), name) != names->end()) {
          reader.error({value.node, value.path, key_at},
                       "duplicate pool name (the top-level backends are pool '" + name + "')");
          return;
        }
        names->push_back(name);
        if (!is_pool_name(name)) {
          reader.error({value.node, value.path, key_at},
                       "'" + name + "' is not a pool name (letters, digits, '-' and '_')");
          return;
        }
        PoolReader pool(reader, defaults, name);
        bool is_map =
            reader.each_field(value, "a map of pool settings", pool_keys(),
                              [&](std::string_view key, const Field& v) { pool.read(key, v); });
        if (!is_map) return;
        out->push_back(pool.finish(value.at, value.path + "."));
      });
}

}  // namespace fulcrum::config

#include "upstream/stats.h"

#include "base/log.h"
#include "upstream/backend_table.h"

namespace fulcrum::upstream {
namespace {

template <class Counter>
long long load(const Counter& counter) {
  return static_cast<long long>(counter.load(std::memory_order_relaxed));
}

// Calls f(pool, name, slot) for each configured backend, in the configuration's order; slot is
// nullptr for a backend that no worker has used yet.
template <class F>
void each_backend(const config::Config& config, const SharedState& shared, F f) {
  for (const config::PoolConfig& pool : config.pools) {
    for (const config::BackendConfig& b : pool.backends) {
      f(pool.name, b.name(), shared.find(shared_key(pool, b)));
    }
  }
}

// A label value as the text format has it: backslash, quote and newline escaped.
void append_label(std::string_view v, std::string& out) {
  for (const char c : v) {
    if (c == '\\' || c == '"' || c == '\n') out += '\\';
    out += c == '\n' ? 'n' : c;
  }
}

}  // namespace

void log_stats(const config::Config& config, const SharedState& shared) {
  const InstanceCounters& total = shared.instance();
  LOG_INFO("stats: %lld connections (%lld open), %lld requests, %lld error responses",
           load(total.connections), load(total.open_connections), load(total.requests),
           load(total.error_responses));
  each_backend(config, shared,
               [](const std::string& pool, const std::string& name, const SharedBackend* slot) {
                 if (slot == nullptr) {
                   LOG_INFO("stats: backend %s (pool %s): no traffic yet", name.c_str(),
                            pool.c_str());
                   return;
                 }
                 LOG_INFO(
                     "stats: backend %s (pool %s): %s, %lld requests, %lld failures, %lld in "
                     "flight",
                     name.c_str(), pool.c_str(),
                     slot->health.down.load(std::memory_order_relaxed) ? "down" : "up",
                     load(slot->counters.requests), load(slot->counters.failures),
                     load(slot->counters.in_flight));
               });
}

void write_metrics(const config::Config& config, const SharedState& shared, std::string& out) {
  auto metric = [&out](const char* name, const char* type, const char* help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
  };
  auto value = [&out](long long v) {
    out += ' ';
    out += std::to_string(v);
    out += '\n';
  };
  const InstanceCounters& total = shared.instance();
  metric("fulcrum_connections_total", "counter", "Client connections accepted.");
  out += "fulcrum_connections_total";
  value(load(total.connections));
  metric("fulcrum_connections_open", "gauge", "Client connections open now.");
  out += "fulcrum_connections_open";
  value(load(total.open_connections));
  metric("fulcrum_requests_total", "counter", "Request heads read.");
  out += "fulcrum_requests_total";
  value(load(total.requests));
  metric("fulcrum_error_responses_total", "counter",
         "Error responses fulcrum made itself (a backend's own are not counted).");
  out += "fulcrum_error_responses_total";
  value(load(total.error_responses));

  // One family at a time, each with a line per backend, as the format wants a family's lines
  // together.
  struct Family {
    const char* name;
    const char* type;
    const char* help;
    long long (*read)(const SharedBackend* slot);
  };
  static constexpr Family kFamilies[] = {
      {"fulcrum_backend_up", "gauge", "1 while the backend takes requests, 0 while it is down.",
       [](const SharedBackend* s) -> long long {
         return s == nullptr || !s->health.down.load(std::memory_order_relaxed);
       }},
      {"fulcrum_backend_requests_total", "counter", "Tries sent to the backend.",
       [](const SharedBackend* s) { return s ? load(s->counters.requests) : 0; }},
      {"fulcrum_backend_failures_total", "counter", "Failed tries and probes of the backend.",
       [](const SharedBackend* s) { return s ? load(s->counters.failures) : 0; }},
      {"fulcrum_backend_in_flight", "gauge", "Tries at the backend under way now.",
       [](const SharedBackend* s) { return s ? load(s->counters.in_flight) : 0; }},
  };
  for (const Family& family : kFamilies) {
    metric(family.name, family.type, family.help);
    each_backend(config, shared,
                 [&](const std::string& pool, const std::string& name, const SharedBackend* slot) {
                   out += family.name;
                   out += "{pool=\"";
                   append_label(pool, out);
                   out += "\",backend=\"";
                   append_label(name, out);
                   out += "\"}";
                   value(family.read(slot));
                 });
  }
}

}  // namespace fulcrum::upstream

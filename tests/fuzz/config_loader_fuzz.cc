// Fuzz target: the configuration loader (config/file.h), fed arbitrary text as YAML or JSON.
//
// load_config_text must never crash, hang, leak or throw, whatever the text. It either
//  - succeeds: no error reported, and the model holds together (at least one listener and one
//    pool, every pool with backends, the default pool and every route's pool naming a pool that
//    exists, the single-pool fields mirroring the default pool, every address resolved); or
//  - fails: at least one error, every line naming the file, and the caller's Config untouched.
// Loading the same text again, from a fresh copy, gives the same answer.
#include <dlfcn.h>
#include <netdb.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/file.h"
#include "fuzz_target.h"

// The loader resolves host names as it reads them. Here only IP literals and "localhost" resolve,
// without asking anyone: the fuzzer's made-up names must not go out to DNS, and each input must
// take the same path however the network answers. (A definition in the executable comes before
// the C library's, and before a sanitizer's interceptor, which is weak.)
extern "C" int getaddrinfo(const char* node, const char* service, const addrinfo* hints,
                           addrinfo** res) {
  using Resolve = int (*)(const char*, const char*, const addrinfo*, addrinfo**);
  static const auto libc_getaddrinfo = reinterpret_cast<Resolve>(dlsym(RTLD_NEXT, "getaddrinfo"));
  addrinfo numeric = hints ? *hints : addrinfo{};
  numeric.ai_flags |= AI_NUMERICHOST;
  if (node != nullptr && std::strcmp(node, "localhost") == 0) node = "127.0.0.1";
  return libc_getaddrinfo(node, service, &numeric, res);
}

namespace fulcrum::config {
namespace {

constexpr const char* kName = "fuzz.yaml";
constexpr const char* kUntouched = "untouched by a failed load";

struct Loaded {
  bool ok = false;
  Config config;
  std::vector<std::string> errors;
};

Loaded load(std::string_view input) {
  fuzz::FreshCopy copy(input, input.size());
  Loaded out;
  out.config.config_file = kUntouched;
  out.ok =
      load_config_text(std::string_view(copy.data(), copy.size()), kName, &out.config, &out.errors);
  return out;
}

bool resolved(const net::Address& a) {
  return a.len > 0 && (a.family() == AF_INET || a.family() == AF_INET6);
}

void check_backends(const std::vector<BackendConfig>& backends) {
  FUZZ_CHECK(!backends.empty());
  for (const BackendConfig& b : backends) {
    FUZZ_CHECK(!b.host.empty() && b.port != 0 && resolved(b.address));
    FUZZ_CHECK(b.address.port() == b.port);
    FUZZ_CHECK(b.weight >= 1 && b.weight <= 1000);
  }
}

void check_loaded(const Config& c) {
  FUZZ_CHECK(c.config_file == kName);

  FUZZ_CHECK(!c.listeners.empty());
  for (const ListenConfig& l : c.listeners) {
    FUZZ_CHECK(l.port != 0 && resolved(l.address) && l.address.port() == l.port);
  }

  FUZZ_CHECK(!c.pools.empty());
  std::set<std::string> names;
  for (const PoolConfig& p : c.pools) {
    FUZZ_CHECK(names.insert(p.name).second);
    check_backends(p.backends);
    FUZZ_CHECK(p.health.timeout <= p.health.interval);
    FUZZ_CHECK(p.health.unhealthy_threshold >= 1 && p.health.healthy_threshold >= 1);
  }
  FUZZ_CHECK(c.default_pool_index < c.pools.size());
  const PoolConfig& fallback = c.pools[c.default_pool_index];
  FUZZ_CHECK(c.default_pool == fallback.name);
  FUZZ_CHECK(&c.default_pool_config() == &fallback);

  for (const RouteConfig& r : c.routes) {
    FUZZ_CHECK(r.pool_index < c.pools.size() && c.pools[r.pool_index].name == r.pool);
  }
  FUZZ_CHECK(c.limits.max_headers >= 1);
}

void check_failed(const Loaded& l) {
  FUZZ_CHECK(!l.errors.empty());
  const std::string prefix = std::string(kName) + ":";
  for (const std::string& line : l.errors) {
    FUZZ_CHECK(line.size() > prefix.size() && line.compare(0, prefix.size(), prefix) == 0);
  }
  FUZZ_CHECK(l.config.config_file == kUntouched && l.config.pools.empty());
}

}  // namespace
}  // namespace fulcrum::config

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fulcrum::config;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const Loaded first = load(input);
  if (first.ok) {
    FUZZ_CHECK(first.errors.empty());
    check_loaded(first.config);
  } else {
    check_failed(first);
  }
  const Loaded again = load(input);
  if (again.ok != first.ok || again.errors != first.errors) {
    std::fprintf(stderr, "config loader: a second load of the same text differs (ok %d, then %d)\n",
                 first.ok, again.ok);
    for (const std::string& line : first.errors)
      std::fprintf(stderr, "  first:  %s\n", line.c_str());
    for (const std::string& line : again.errors)
      std::fprintf(stderr, "  again:  %s\n", line.c_str());
    FUZZ_CHECK(again.ok == first.ok && again.errors == first.errors);
  }
  return 0;
}

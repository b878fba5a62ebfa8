#pragma once
// The interface every balancing strategy implements, and the factory that builds one from the
// backends' weights. A balancer belongs to one loop (no locks, no atomics) and is built from an
// immutable snapshot of the backends: when the set or a weight changes, build a new one. Its
// tables are built in the constructor; pick, on_start and on_end never allocate.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

#include "upstream/balancer/key_hash.h"

namespace fulcrum::upstream {

enum class Strategy { kRoundRobin, kRandom, kLeastConn, kP2C, kHash };

// "round_robin" (and its other name "weighted"), "random", "least_conn", "p2c", "hash".
// Returns nullopt for any other name; the caller reports it with the configuration's position.
std::optional<Strategy> parse_strategy(std::string_view name);
// The canonical name, for logs and error messages.
std::string_view strategy_name(Strategy s);

// One backend as a balancer sees it. `id` identifies the backend across rebuilds (use
// hash_key(backend.name)): the hash strategy derives each backend's place in its table from it,
// so that a backend keeps its keys when others come or go. Other strategies ignore it.
struct WeightedBackend {
  uint64_t id = 0;
  uint32_t weight = 1;  // >= 1; a 0 is taken as 1 (the configuration rejects it first)
};

struct PickContext {
  uint64_t key = 0;           // hash strategy only: the request's key, from hash_key()
  size_t exclude = SIZE_MAX;  // a backend not to pick: the one that just failed (retries)
};

class UsableFn;

// What UsableFn can refer to: an object callable as bool(size_t), other than a UsableFn itself
// (copying one copies the reference; it does not wrap it).
template <typename F>
concept UsableCallable = !std::is_same_v<std::remove_cvref_t<F>, UsableFn> &&
                         std::is_object_v<std::remove_reference_t<F>> &&
                         std::is_invocable_r_v<bool, std::remove_reference_t<F>&, size_t>;

// A non-owning reference to a callable `bool(size_t backend)`, two pointers wide. pick takes one
// instead of std::function because std::function may allocate, and instead of a template because
// pick is virtual. Bind it to a callable that outlives the call (a lambda argument does).
class UsableFn {
 public:
  // Implicit, so that a lambda can be passed straight to pick(ctx, [&](size_t i) { ... }).
  template <UsableCallable F>
  UsableFn(F&& f) noexcept  // NOLINT(google-explicit-constructor)
      : object_(static_cast<const void*>(std::addressof(f))),
        call_([](const void* object, size_t backend) -> bool {
          using Callable = std::remove_reference_t<F>;
          return (*static_cast<Callable*>(const_cast<void*>(object)))(backend);
        }) {}

  bool operator()(size_t backend) const { return call_(object_, backend); }

 private:
  const void* object_;
  bool (*call_)(const void*, size_t);
};

// How a try at a backend ended, for the strategies that learn from it.
enum class Outcome : uint8_t {
  kAnswered,  // its response head came
  kFailed,    // refused, reset, timed out or answered garbage
  // Cut short for a reason that is not the backend's (the client left, no local socket, a drain
  // that timed out): it tells nothing of the backend, and a client must not be able to steer
  // the balancing by leaving.
  kVoid,
};

class Balancer {
 public:
  virtual ~Balancer() = default;

  // Returns the index of the backend for this request, or nullopt when no backend other than
  // ctx.exclude is usable (the proxy then answers 503, or with the error of the failed attempt).
  // usable(i) says whether backend i may take a request now. It must be a pure query: strategies
  // that compare backends (least_conn, p2c) and the hash fallback ask it about several backends,
  // and may ask twice about one. A check that consumes something (a breaker's half-open trial)
  // belongs after the pick, on the backend picked.
  virtual std::optional<size_t> pick(const PickContext& ctx, UsableFn usable) = 0;

  // A request started on / ended at `backend`; each on_start is matched by one on_end. latency is
  // how long the backend took (to the response head, or to the failure). least_conn and p2c use
  // these; indices out of range are ignored, and an on_end without its on_start (a request that
  // began on the balancer this one replaced) is harmless.
  virtual void on_start(size_t /*backend*/) {}
  virtual void on_end(size_t /*backend*/, std::chrono::nanoseconds /*latency*/,
                      Outcome /*outcome*/) {}
};

// Builds the balancer of strategy s for these backends (index i in picks is backends[i]).
// seed feeds the random strategies (random, p2c): give each loop its own so that loops do not
// choose in lockstep; tests pass a fixed one. The hash strategy ignores it on purpose, so that
// every loop and process sends a key to the same backend.
std::unique_ptr<Balancer> make_balancer(Strategy s, std::span<const WeightedBackend> backends,
                                        uint64_t seed);

// Whether backend i may take this request: usable, and not the one to avoid.
inline bool eligible(const PickContext& ctx, const UsableFn& usable, size_t backend) {
  return backend != ctx.exclude && usable(backend);
}

inline uint32_t weight_or_one(uint32_t weight) { return weight == 0 ? 1 : weight; }

}  // namespace fulcrum::upstream

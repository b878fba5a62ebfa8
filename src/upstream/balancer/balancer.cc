#include "upstream/balancer/balancer.h"

#include "upstream/balancer/least_conn.h"
#include "upstream/balancer/maglev.h"
#include "upstream/balancer/p2c.h"
#include "upstream/balancer/random.h"
#include "upstream/balancer/round_robin.h"

namespace fulcrum::upstream {

std::optional<Strategy> parse_strategy(std::string_view name) {
  if (name == "round_robin" || name == "weighted") return Strategy::kRoundRobin;
  if (name == "random") return Strategy::kRandom;
  if (name == "least_conn") return Strategy::kLeastConn;
  if (name == "p2c") return Strategy::kP2C;
  if (name == "hash") return Strategy::kHash;
  return std::nullopt;
}

std::string_view strategy_name(Strategy s) {
  switch (s) {
    case Strategy::kRoundRobin:
      return "round_robin";
    case Strategy::kRandom:
      return "random";
    case Strategy::kLeastConn:
      return "least_conn";
    case Strategy::kP2C:
      return "p2c";
    case Strategy::kHash:
      return "hash";
  }
  return "?";
}

std::unique_ptr<Balancer> make_balancer(Strategy s, std::span<const WeightedBackend> backends,
                                        uint64_t seed) {
  switch (s) {
    case Strategy::kRoundRobin:
      return std::make_unique<WeightedRoundRobin>(backends);
    case Strategy::kRandom:
      return std::make_unique<WeightedRandom>(backends, seed);
    case Strategy::kLeastConn:
      return std::make_unique<LeastConn>(backends);
    case Strategy::kP2C:
      return std::make_unique<PowerOfTwoChoices>(backends, seed);
    case Strategy::kHash:
      return std::make_unique<MaglevHash>(backends);
  }
  return nullptr;  // not reached: every Strategy is handled above
}

}  // namespace fulcrum::upstream

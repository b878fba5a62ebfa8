// What every strategy promises: parsing of the names, nullopt when nothing is usable, the
// excluded backend never picked, and the UsableFn reference.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "upstream/balancer/balancer.h"

namespace fulcrum::upstream {
namespace {

constexpr Strategy kAll[] = {Strategy::kRoundRobin, Strategy::kRandom, Strategy::kLeastConn,
                             Strategy::kP2C, Strategy::kHash};

std::vector<WeightedBackend> backends(std::initializer_list<uint32_t> weights) {
  std::vector<WeightedBackend> out;
  for (uint32_t w : weights) {
    out.push_back({hash_key("10.0.0." + std::to_string(out.size()) + ":80"), w});
  }
  return out;
}

TEST(BalancerStrategy, ParsesEveryNameAndRejectsOthers) {
  EXPECT_EQ(parse_strategy("round_robin"), Strategy::kRoundRobin);
  EXPECT_EQ(parse_strategy("weighted"), Strategy::kRoundRobin);
  EXPECT_EQ(parse_strategy("random"), Strategy::kRandom);
  EXPECT_EQ(parse_strategy("least_conn"), Strategy::kLeastConn);
  EXPECT_EQ(parse_strategy("p2c"), Strategy::kP2C);
  EXPECT_EQ(parse_strategy("hash"), Strategy::kHash);
  for (std::string_view wrong :
       {"", "Round_Robin", "round-robin", "least-conn", "maglev", "p2c ", "roundrobin"}) {
    EXPECT_FALSE(parse_strategy(wrong).has_value()) << "'" << wrong << "'";
  }
  EXPECT_FALSE(parse_strategy(std::string_view("hash\0", 5)).has_value());
  for (Strategy s : kAll) EXPECT_EQ(parse_strategy(strategy_name(s)), s);
}

TEST(Balancer, NulloptWhenNoneIsUsable) {
  auto set = backends({1, 2, 3});
  for (Strategy s : kAll) {
    auto b = make_balancer(s, set, 7);
    for (uint64_t key = 0; key < 100; ++key) {
      EXPECT_FALSE(b->pick({.key = hash_key(std::to_string(key))}, [](size_t) { return false; }))
          << strategy_name(s);
    }
  }
}

TEST(Balancer, NulloptForAnEmptySet) {
  for (Strategy s : kAll) {
    auto b = make_balancer(s, {}, 7);
    EXPECT_FALSE(b->pick({}, [](size_t) { return true; })) << strategy_name(s);
    b->on_start(0);  // out of range: ignored
    b->on_end(0, std::chrono::milliseconds(1), Outcome::kAnswered);
  }
}

TEST(Balancer, SingleBackendIsAlwaysPicked) {
  auto set = backends({4});
  for (Strategy s : kAll) {
    auto b = make_balancer(s, set, 7);
    for (uint64_t key = 0; key < 100; ++key) {
      EXPECT_EQ(b->pick({.key = key * 0x9e3779b97f4a7c15ULL}, [](size_t) { return true; }), 0u)
          << strategy_name(s);
    }
  }
}

TEST(Balancer, NeverPicksTheExcludedBackend) {
  auto set = backends({5, 1, 1, 3});
  for (Strategy s : kAll) {
    auto b = make_balancer(s, set, 7);
    std::vector<int> picked(set.size());
    for (uint64_t n = 0; n < 4000; ++n) {
      PickContext ctx{.key = hash_key(std::to_string(n)), .exclude = n % set.size()};
      auto i = b->pick(ctx, [](size_t) { return true; });
      ASSERT_TRUE(i.has_value()) << strategy_name(s);
      EXPECT_NE(*i, ctx.exclude) << strategy_name(s);
      ++picked[*i];
      b->on_start(*i);
      b->on_end(*i, std::chrono::milliseconds(1), Outcome::kAnswered);
    }
    for (int count : picked) EXPECT_GT(count, 0) << strategy_name(s);
  }
}

TEST(Balancer, NulloptWhenTheExcludedIsTheOnlyUsable) {
  auto set = backends({1, 1, 1});
  for (Strategy s : kAll) {
    auto b = make_balancer(s, set, 7);
    for (uint64_t key = 0; key < 100; ++key) {
      EXPECT_FALSE(b->pick({.key = hash_key(std::to_string(key)), .exclude = 1}, [](size_t i) {
        return i == 1;
      })) << strategy_name(s);
      // The same backend is picked when it is not excluded: a retry elsewhere is what failed.
      EXPECT_EQ(b->pick({.key = hash_key(std::to_string(key))}, [](size_t i) { return i == 1; }),
                1u)
          << strategy_name(s);
    }
  }
}

TEST(Balancer, NeverPicksAnUnusableBackend) {
  auto set = backends({2, 7, 1, 1, 3});
  for (Strategy s : kAll) {
    auto b = make_balancer(s, set, 11);
    for (uint64_t n = 0; n < 5000; ++n) {
      // Which backends are down changes from pick to pick; 3 never comes up.
      auto usable = [n](size_t i) { return i != 3 && (n + i) % 3 != 0; };
      auto i = b->pick({.key = hash_key(std::to_string(n))}, usable);
      ASSERT_TRUE(i.has_value()) << strategy_name(s);
      EXPECT_TRUE(usable(*i)) << strategy_name(s) << " picked " << *i;
    }
  }
}

TEST(Balancer, ZeroWeightCountsAsOne) {
  auto b = make_balancer(Strategy::kRoundRobin, backends({0, 1}), 0);
  std::vector<int> picked(2);
  for (int n = 0; n < 10; ++n) ++picked[*b->pick({}, [](size_t) { return true; })];
  EXPECT_EQ(picked[0], 5);
  EXPECT_EQ(picked[1], 5);
}

TEST(BalancerUsableFn, CallsLambdasFunctionObjectsAndMutableState) {
  int calls = 0;
  auto counting = [&calls](size_t i) {
    ++calls;
    return i == 2;
  };
  UsableFn f = counting;
  EXPECT_FALSE(f(1));
  EXPECT_TRUE(f(2));
  EXPECT_EQ(calls, 2);

  struct Odd {
    bool operator()(size_t i) const { return i % 2 == 1; }
  };
  const Odd odd;
  UsableFn g = odd;
  EXPECT_TRUE(g(3));
  EXPECT_FALSE(g(4));

  size_t seen = 0;
  auto remember = [seen](size_t i) mutable {
    seen += i;
    return seen > 3;
  };
  UsableFn h = remember;
  EXPECT_FALSE(h(2));
  EXPECT_TRUE(h(2));  // state kept in the referenced lambda, not a copy
  UsableFn copy = h;  // copying the reference, not wrapping it
  EXPECT_TRUE(copy(0));
  static_assert(sizeof(UsableFn) == 2 * sizeof(void*));
}

}  // namespace
}  // namespace fulcrum::upstream

#include <gtest/gtest.h>

#include <vector>

#include "upstream/balancer/random.h"

namespace fulcrum::upstream {
namespace {

std::vector<WeightedBackend> backends(std::initializer_list<uint32_t> weights) {
  std::vector<WeightedBackend> out;
  for (uint32_t w : weights) out.push_back({out.size(), w});
  return out;
}

constexpr auto all = [](size_t) { return true; };

std::vector<int> count_picks(Balancer& b, int picks, UsableFn usable, PickContext ctx = {}) {
  std::vector<int> counts;
  for (int n = 0; n < picks; ++n) {
    auto i = b.pick(ctx, usable);
    if (!i) {
      ADD_FAILURE() << "no pick";
      break;
    }
    if (counts.size() <= *i) counts.resize(*i + 1);
    ++counts[*i];
  }
  return counts;
}

// 100k picks: a share's standard deviation is below 0.0016, so +-0.01 is over 6 sigma.
constexpr int kPicks = 100000;

TEST(BalancerRandom, FollowsTheWeights) {
  WeightedRandom r(backends({3, 1}), 42);
  auto counts = count_picks(r, kPicks, all);
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_NEAR(counts[0] / double(kPicks), 0.75, 0.01);
  EXPECT_NEAR(counts[1] / double(kPicks), 0.25, 0.01);
}

TEST(BalancerRandom, RenormalisesOverTheUsableOnes) {
  WeightedRandom r(backends({3, 5, 1}), 1);
  auto counts = count_picks(r, kPicks, [](size_t i) { return i != 1; });
  counts.resize(3);
  EXPECT_EQ(counts[1], 0);
  EXPECT_NEAR(counts[0] / double(kPicks), 0.75, 0.01);
  EXPECT_NEAR(counts[2] / double(kPicks), 0.25, 0.01);
}

TEST(BalancerRandom, MostWeightDownStillFollowsTheRest) {
  // The heavy backend is excluded: nearly every draw misses, and the exact scan decides.
  WeightedRandom r(backends({1000, 1, 2}), 9);
  auto counts = count_picks(r, kPicks, all, {.exclude = 0});
  counts.resize(3);
  EXPECT_EQ(counts[0], 0);
  EXPECT_NEAR(counts[1] / double(kPicks), 1.0 / 3, 0.01);
  EXPECT_NEAR(counts[2] / double(kPicks), 2.0 / 3, 0.01);
}

TEST(BalancerRandom, OneUsableAmongManyIsFound) {
  std::vector<WeightedBackend> set(50, WeightedBackend{0, 1});
  WeightedRandom r(set, 3);
  for (int n = 0; n < 1000; ++n) EXPECT_EQ(r.pick({}, [](size_t i) { return i == 37; }), 37u);
}

TEST(BalancerRandom, SameSeedSameSequenceOtherSeedNot) {
  WeightedRandom a(backends({1, 1, 1, 1}), 5), b(backends({1, 1, 1, 1}), 5),
      c(backends({1, 1, 1, 1}), 6);
  int differ = 0;
  for (int n = 0; n < 100; ++n) {
    auto x = a.pick({}, all);
    EXPECT_EQ(x, b.pick({}, all));
    differ += x != c.pick({}, all);
  }
  EXPECT_GT(differ, 50);
}

}  // namespace
}  // namespace fulcrum::upstream

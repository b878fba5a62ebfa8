#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "upstream/balancer/round_robin.h"

namespace fulcrum::upstream {
namespace {

std::vector<WeightedBackend> backends(std::initializer_list<uint32_t> weights) {
  std::vector<WeightedBackend> out;
  for (uint32_t w : weights) out.push_back({out.size(), w});
  return out;
}

constexpr auto all = [](size_t) { return true; };

// The picks as letters: backend 0 is 'a'.
std::string sequence(Balancer& b, int picks, UsableFn usable) {
  std::string out;
  for (int n = 0; n < picks; ++n) {
    auto i = b.pick({}, usable);
    out += i ? static_cast<char>('a' + *i) : '-';
  }
  return out;
}

TEST(BalancerRoundRobin, SmoothOrderForFiveOneOne) {
  WeightedRoundRobin rr(backends({5, 1, 1}));
  // Interleaved, and the same every period of 7: never five of a in a row.
  EXPECT_EQ(sequence(rr, 21, all),
            "aabacaa"
            "aabacaa"
            "aabacaa");
}

TEST(BalancerRoundRobin, EqualWeightsRotateInOrder) {
  WeightedRoundRobin rr(backends({1, 1, 1, 1}));
  EXPECT_EQ(sequence(rr, 12, all), "abcdabcdabcd");
  WeightedRoundRobin heavy(backends({3, 3, 3}));  // the same when all weights are equal
  EXPECT_EQ(sequence(heavy, 9, all), "abcabcabc");
}

TEST(BalancerRoundRobin, ProportionsAreExactInEveryWindow) {
  WeightedRoundRobin rr(backends({5, 1, 1}));
  std::string seq = sequence(rr, 7000, all);
  EXPECT_EQ(std::count(seq.begin(), seq.end(), 'a'), 5000);
  EXPECT_EQ(std::count(seq.begin(), seq.end(), 'b'), 1000);
  EXPECT_EQ(std::count(seq.begin(), seq.end(), 'c'), 1000);
  // Smoothness: any 7 consecutive picks hold exactly 5 a, 1 b, 1 c.
  for (size_t start = 0; start + 7 <= seq.size(); ++start) {
    std::string_view window(seq.data() + start, 7);
    ASSERT_EQ(std::count(window.begin(), window.end(), 'a'), 5) << "at " << start;
  }

  WeightedRoundRobin uneven(backends({3, 2, 1, 4}));
  seq = sequence(uneven, 10 * 1000, all);
  EXPECT_EQ(std::count(seq.begin(), seq.end(), 'a'), 3000);
  EXPECT_EQ(std::count(seq.begin(), seq.end(), 'b'), 2000);
  EXPECT_EQ(std::count(seq.begin(), seq.end(), 'c'), 1000);
  EXPECT_EQ(std::count(seq.begin(), seq.end(), 'd'), 4000);
}

TEST(BalancerRoundRobin, SkippingAnUnusableBackendKeepsTheOthersProportions) {
  WeightedRoundRobin rr(backends({5, 1, 1}));
  auto no_b = [](size_t i) { return i != 1; };
  std::string seq = sequence(rr, 6000, no_b);
  EXPECT_EQ(std::count(seq.begin(), seq.end(), 'a'), 5000);
  EXPECT_EQ(std::count(seq.begin(), seq.end(), 'b'), 0);
  EXPECT_EQ(std::count(seq.begin(), seq.end(), 'c'), 1000);
  // Still smooth between the two left: c once in every 6.
  for (size_t start = 0; start + 6 <= seq.size(); ++start) {
    std::string_view window(seq.data() + start, 6);
    ASSERT_EQ(std::count(window.begin(), window.end(), 'c'), 1) << "at " << start;
  }
}

TEST(BalancerRoundRobin, BackendComingBackRejoinsAtItsWeight) {
  WeightedRoundRobin rr(backends({2, 1, 1}));
  bool b_up = false;
  auto usable = [&b_up](size_t i) { return i != 1 || b_up; };
  sequence(rr, 101, usable);  // a and c only, ending mid-period
  b_up = true;
  std::string seq = sequence(rr, 4000, usable);
  // Within a few picks of its return, b is back to 1 in 4: its credit was frozen, not lost.
  EXPECT_NEAR(std::count(seq.begin(), seq.end(), 'a'), 2000, 2);
  EXPECT_NEAR(std::count(seq.begin(), seq.end(), 'b'), 1000, 2);
  EXPECT_NEAR(std::count(seq.begin(), seq.end(), 'c'), 1000, 2);
}

TEST(BalancerRoundRobin, ExcludeSkipsForOnePickOnly) {
  WeightedRoundRobin rr(backends({1, 1, 1}));
  EXPECT_EQ(rr.pick({}, all), 0u);
  EXPECT_EQ(rr.pick({.exclude = 1}, all), 2u);  // the retry of a request that failed on 1
  EXPECT_EQ(rr.pick({}, all), 1u);              // 1 is next again: it gave up no turn
}

}  // namespace
}  // namespace fulcrum::upstream

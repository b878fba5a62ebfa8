#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "upstream/balancer/key_hash.h"
#include "upstream/balancer/maglev.h"

namespace fulcrum::upstream {
namespace {

std::vector<WeightedBackend> backends(size_t n, uint32_t weight = 1) {
  std::vector<WeightedBackend> out;
  for (size_t i = 0; i < n; ++i)
    out.push_back({hash_key("10.1.0." + std::to_string(i) + ":8080"), weight});
  return out;
}

constexpr auto all = [](size_t) { return true; };
constexpr int kKeys = 100000;

uint64_t key(int n) { return hash_key("client-" + std::to_string(n)); }

TEST(MaglevHash, TableSizeIsFixedPerSizeClass) {
  EXPECT_EQ(MaglevHash::table_size_for(0), 0u);
  EXPECT_EQ(MaglevHash::table_size_for(1), 65537u);
  EXPECT_EQ(MaglevHash::table_size_for(5), 65537u);
  EXPECT_EQ(MaglevHash::table_size_for(655), 65537u);  // >= 100 slots per backend
  EXPECT_EQ(MaglevHash::table_size_for(656), 655373u);
  EXPECT_EQ(MaglevHash::table_size_for(6553), 655373u);
  EXPECT_EQ(MaglevHash::table_size_for(6554), 6553621u);
  EXPECT_EQ(MaglevHash(backends(5)).table().size(), 65537u);
  EXPECT_TRUE(MaglevHash({}).table().empty());
}

TEST(MaglevHash, EqualWeightsOwnEqualSlots) {
  for (size_t n : {1u, 2u, 3u, 5u, 17u, 100u}) {
    MaglevHash m(backends(n));
    std::vector<size_t> owned(n);
    for (uint32_t b : m.table()) ++owned[b];
    auto [lo, hi] = std::minmax_element(owned.begin(), owned.end());
    EXPECT_LE(*hi - *lo, 1u) << n << " backends";
  }
}

TEST(MaglevHash, WeightsSetTheShareOfSlots) {
  std::vector<WeightedBackend> set = backends(3);
  set[0].weight = 5;
  MaglevHash m(set);
  std::vector<double> owned(3);
  for (uint32_t b : m.table()) ++owned[b];
  const double size = static_cast<double>(m.table().size());
  EXPECT_NEAR(owned[0] / size, 5.0 / 7, 0.01);
  EXPECT_NEAR(owned[1] / size, 1.0 / 7, 0.01);
  EXPECT_NEAR(owned[2] / size, 1.0 / 7, 0.01);
}

TEST(MaglevHash, SameKeySameBackendInEveryLoop) {
  MaglevHash a(backends(7));
  auto b = make_balancer(Strategy::kHash, backends(7), 12345);  // the seed does not matter
  for (int n = 0; n < 10000; ++n) {
    auto first = a.pick({.key = key(n)}, all);
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(a.pick({.key = key(n)}, all), first);
    EXPECT_EQ(b->pick({.key = key(n)}, all), first);
    EXPECT_EQ(a.owner(key(n)), first);
  }
}

TEST(MaglevHash, KeysSpreadEvenly) {
  MaglevHash m(backends(5));
  std::vector<int> counts(5);
  for (int n = 0; n < kKeys; ++n) ++counts[*m.pick({.key = key(n)}, all)];
  for (int c : counts) EXPECT_NEAR(c, kKeys / 5, kKeys / 5 / 10);  // within 10% of even
}

TEST(MaglevHash, RawIntegerKeysSpreadToo) {
  // A caller passing small integers (an IPv4 address as a number) rather than hash_key output.
  MaglevHash m(backends(5));
  std::vector<int> counts(5);
  for (int n = 0; n < kKeys; ++n) ++counts[*m.pick({.key = static_cast<uint64_t>(n)}, all)];
  for (int c : counts) EXPECT_NEAR(c, kKeys / 5, kKeys / 5 / 10);
}

// Keys that change backend when backend `removed` (of `n`) leaves and the table is rebuilt.
int moved_by_removal(size_t n, size_t removed) {
  std::vector<WeightedBackend> before = backends(n);
  std::vector<WeightedBackend> after = before;
  after.erase(after.begin() + static_cast<ptrdiff_t>(removed));
  MaglevHash old_table(before), new_table(after);
  int moved = 0;
  for (int k = 0; k < kKeys; ++k) {
    size_t was = *old_table.owner(key(k));
    size_t now = *new_table.owner(key(k));
    moved += before[was].id != after[now].id;  // compare identities: the indices shifted
  }
  return moved;
}

TEST(MaglevHash, RemovingOneOfNMovesAboutOneNthOfTheKeys) {
  for (size_t n : {5u, 10u, 30u}) {
    for (size_t removed : {size_t{0}, n / 2, n - 1}) {
      int moved = moved_by_removal(n, removed);
      EXPECT_GE(moved, kKeys / static_cast<int>(n) * 9 / 10) << n << " backends, " << removed;
      EXPECT_LT(moved, kKeys * 3 / 2 / static_cast<int>(n)) << n << " backends, " << removed;
    }
  }
}

TEST(MaglevHash, AddingOneMovesAboutOneNthOfTheKeys) {
  std::vector<WeightedBackend> before = backends(6);
  before.pop_back();
  MaglevHash old_table(before), new_table(backends(6));
  int moved = 0;
  for (int k = 0; k < kKeys; ++k) moved += *old_table.owner(key(k)) != *new_table.owner(key(k));
  EXPECT_LT(moved, kKeys * 3 / 2 / 6);
}

TEST(MaglevHash, UnusableBackendMovesOnlyItsOwnKeys) {
  MaglevHash m(backends(5));
  std::vector<int> gained(5);
  int own = 0;
  for (int k = 0; k < kKeys; ++k) {
    size_t home = *m.pick({.key = key(k)}, all);
    size_t now = *m.pick({.key = key(k)}, [](size_t b) { return b != 2; });
    if (home != 2) {
      ASSERT_EQ(now, home) << "key " << k;  // exactly: no key of a usable backend moves
    } else {
      ++own;
      ASSERT_NE(now, 2u);
      ++gained[now];
      // Deterministic: the same key goes to the same stand-in every time.
      ASSERT_EQ(m.pick({.key = key(k)}, [](size_t b) { return b != 2; }), now);
    }
  }
  // The down backend's keys are shared among the others, not piled onto one.
  for (size_t b : {0u, 1u, 3u, 4u}) EXPECT_NEAR(gained[b], own / 4, own / 4 / 4) << b;
}

TEST(MaglevHash, ExcludedBackendSendsTheKeyToTheNextInTheTable) {
  MaglevHash m(backends(5));
  for (int k = 0; k < 1000; ++k) {
    size_t home = *m.pick({.key = key(k)}, all);
    auto retry = m.pick({.key = key(k), .exclude = home}, all);
    ASSERT_TRUE(retry.has_value());
    EXPECT_NE(*retry, home);
    // Where the key goes when its backend is down, too.
    EXPECT_EQ(retry, m.pick({.key = key(k)}, [home](size_t b) { return b != home; }));
  }
}

TEST(MaglevHash, OneUsableAmongManyIsFound) {
  MaglevHash m(backends(40));
  for (int k = 0; k < 2000; ++k) {
    EXPECT_EQ(m.pick({.key = key(k)}, [](size_t b) { return b == 17; }), 17u);
  }
}

TEST(HashKey, IsDeterministicAndSeesEveryByteAtEveryLength) {
  EXPECT_EQ(hash_key("10.0.0.1"), hash_key(std::string("10.0.0.1")));
  EXPECT_NE(hash_key(""), hash_key(std::string_view("\0", 1)));
  EXPECT_NE(hash_key("a"), hash_key(std::string_view("a\0", 2)));
  // Every length across two 8-byte words and a tail, and a change at every position: the tail
  // handling is where a hash loses bytes.
  std::string s;
  for (size_t len = 0; len <= 40; ++len) {
    uint64_t h = hash_key(s);
    for (size_t pos = 0; pos < len; ++pos) {
      std::string t = s;
      t[pos] ^= 0x01;
      EXPECT_NE(hash_key(t), h) << "len " << len << " pos " << pos;
      t[pos] ^= static_cast<char>(0x81);  // the high bit alone
      EXPECT_NE(hash_key(t), h) << "len " << len << " pos " << pos;
    }
    s += static_cast<char>('a' + len % 26);
  }
}

TEST(HashKey, EveryOutputBitIsFair) {
  // Keys that differ little (sequential client addresses) still give bits set half the time:
  // the hash strategy uses the high bits, a table index might use the low ones.
  constexpr int kSamples = 20000;
  std::vector<int> ones(64);
  for (int n = 0; n < kSamples; ++n) {
    uint64_t h = hash_key("192.168." + std::to_string(n / 256) + "." + std::to_string(n % 256));
    for (int bit = 0; bit < 64; ++bit) ones[bit] += (h >> bit) & 1;
  }
  for (int bit = 0; bit < 64; ++bit) EXPECT_NEAR(ones[bit], kSamples / 2, kSamples / 40) << bit;
}

TEST(HashKey, OneBitChangesAboutHalfTheOutput) {
  // Avalanche: flipping one input bit flips each output bit with probability near 1/2.
  double total = 0;
  int trials = 0;
  for (int n = 0; n < 500; ++n) {
    std::string s = "session=" + std::to_string(n * 7919);
    uint64_t h = hash_key(s);
    for (size_t pos = 0; pos < s.size(); ++pos) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string t = s;
        t[pos] ^= static_cast<char>(1 << bit);
        total += __builtin_popcountll(h ^ hash_key(t));
        ++trials;
      }
    }
  }
  EXPECT_NEAR(total / trials, 32.0, 0.5);
}

}  // namespace
}  // namespace fulcrum::upstream

// "Did you mean" suggestions for misspelt keys and names.
#include <gtest/gtest.h>

#include "config/suggest.h"

namespace fulcrum::config {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsSubstitutionsAndSwaps) {
  EXPECT_EQ(edit_distance("weight", "weight"), 0u);
  EXPECT_EQ(edit_distance("wieght", "weight"), 1u);  // a swap of neighbours is one edit
  EXPECT_EQ(edit_distance("weigt", "weight"), 1u);
  EXPECT_EQ(edit_distance("weightt", "weight"), 1u);
  EXPECT_EQ(edit_distance("waight", "weight"), 1u);
  EXPECT_EQ(edit_distance("Weight", "weight"), 0u);  // ASCII case is ignored
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(ClosestName, SuggestsOnlyLikelyTypos) {
  std::vector<std::string_view> keys = {"host", "port", "weight"};
  EXPECT_EQ(closest_name("wieght", keys), "weight");
  EXPECT_EQ(closest_name("prot", keys), "port");
  EXPECT_EQ(closest_name("hots", keys), "host");
  EXPECT_EQ(closest_name("address", keys), std::nullopt);
  EXPECT_EQ(closest_name("io", {"ip"}), std::nullopt);  // one edit in two letters is too many
  EXPECT_EQ(closest_name("ap", {"api"}), "api");
  // The nearest wins, and the first of equally near ones.
  EXPECT_EQ(closest_name("pool_sise", {"pool_idle", "pool_size"}), "pool_size");
  EXPECT_EQ(closest_name("ab", {"abc", "abd"}), "abc");
  // A name cut short.
  EXPECT_EQ(closest_name("path", {"host", "path_prefix"}), "path_prefix");
  EXPECT_EQ(closest_name("pa", {"path_prefix"}), std::nullopt);
}

TEST(SuggestionOrChoices, EndsAnErrorMessage) {
  EXPECT_EQ(suggestion_or_choices("strategi", {"strategy", "hash_key"}),
            " (did you mean 'strategy'?)");
  EXPECT_EQ(suggestion_or_choices("colour", {"strategy", "hash_key"}),
            " (one of: strategy, hash_key)");
}

}  // namespace
}  // namespace fulcrum::config

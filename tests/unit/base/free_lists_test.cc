#include "base/free_lists.h"

#include <gtest/gtest.h>

namespace fulcrum::base {
namespace {

TEST(FreeLists, AGivenBlockIsTakenAgainFromItsOwnClassLastGivenFirst) {
  FreeLists<4> lists;
  void* a = lists.take(1, 128);
  void* b = lists.take(1, 128);
  void* c = lists.take(2, 256);
  lists.give(1, a);
  lists.give(1, b);
  lists.give(2, c);
  EXPECT_EQ(lists.kept(1), 2u);
  EXPECT_EQ(lists.take(2, 256), c);
  EXPECT_EQ(lists.take(1, 128), b);
  EXPECT_EQ(lists.take(1, 128), a);
  EXPECT_EQ(lists.kept(1), 0u);
  EXPECT_EQ(lists.kept(2), 0u);
  for (void* p : {a, b}) lists.give(1, p);
  lists.give(2, c);  // the destructor gives them all back to operator delete (no leak)
}

TEST(FreeLists, TrimGivesBackWhatAClassKeptAllAlongSinceTheLastTrim) {
  FreeLists<2> lists;
  void* blocks[5];
  for (void*& p : blocks) p = lists.take(0, 64);
  for (void* p : blocks) lists.give(0, p);  // a burst of five, over
  lists.trim();  // the first period: the list was empty at its start (the five are new)
  EXPECT_EQ(lists.kept(0), 5u);
  // The next period needs two at most at once: the other three were kept all along.
  void* a = lists.take(0, 64);
  void* b = lists.take(0, 64);
  lists.give(0, a);
  lists.give(0, b);
  lists.trim();
  EXPECT_EQ(lists.kept(0), 2u);
  EXPECT_EQ(lists.kept(1), 0u);
  // A steady need of two takes them from the list, without operator new, and the next trim
  // leaves them: none was idle all along.
  a = lists.take(0, 64);
  b = lists.take(0, 64);
  EXPECT_EQ(lists.kept(0), 0u);
  lists.give(0, a);
  lists.give(0, b);
  lists.trim();
  EXPECT_EQ(lists.kept(0), 2u);
  // A quiet period, and they go too.
  lists.trim();
  EXPECT_EQ(lists.kept(0), 0u);
}

}  // namespace
}  // namespace fulcrum::base

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

TEST(FreeLists, ABoundedClassKeepsNoMoreThanItsBound) {
  FreeLists<2, 3> lists;
  void* blocks[5];
  for (void*& p : blocks) p = lists.take(0, 64);
  for (void* p : blocks) lists.give(0, p);  // the last two go back to operator delete
  EXPECT_EQ(lists.kept(0), 3u);
  EXPECT_EQ(lists.kept(1), 0u);
  EXPECT_EQ(lists.take(0, 64), blocks[2]);
  EXPECT_EQ(lists.kept(0), 2u);
  lists.give(0, blocks[2]);
  EXPECT_EQ(lists.kept(0), 3u);
}

}  // namespace
}  // namespace fulcrum::base

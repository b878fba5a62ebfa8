#include "base/buffer.h"

#include <gtest/gtest.h>

namespace fulcrum::base {
namespace {

TEST(Buffer, ConsumingEverythingRewindsWithoutMoving) {
  Buffer b(64);
  b.append("hello");
  const char* start = b.data();
  b.consume(5);
  EXPECT_TRUE(b.empty());
  b.append("x");
  EXPECT_EQ(b.data(), start);
}

TEST(Buffer, ReserveCompactsBeforeGrowing) {
  Buffer b(256);
  std::string s(200, 'a');
  b.append(s);
  b.consume(150);
  size_t cap = b.capacity();
  b.reserve(150);  // 50 readable + 150 fits after compaction
  EXPECT_EQ(b.capacity(), cap);
  EXPECT_EQ(b.view(), std::string(50, 'a'));
  b.reserve(1000);
  EXPECT_GE(b.writable(), 1000u);
  EXPECT_EQ(b.view(), std::string(50, 'a'));
}

TEST(Buffer, PrependFillsTheRoomThatConsumeLeft) {
  Buffer b(64);
  b.append("HEAD:body");
  b.consume(5);
  EXPECT_FALSE(b.prepend("LONGER", 6));  // more than the room: nothing written
  EXPECT_EQ(b.view(), "body");
  EXPECT_TRUE(b.prepend("H:", 2));
  EXPECT_EQ(b.view(), "H:body");
  EXPECT_TRUE(b.prepend("<>", 2));
  EXPECT_EQ(b.view(), "<>H:body");
  EXPECT_FALSE(b.prepend("xy", 2));  // one byte of room is left
  b.consume(8);                      // everything: rewinds, so no room is left
  EXPECT_FALSE(b.prepend("x", 1));
}

TEST(Buffer, AppendDecimal) {
  Buffer b;
  b.append_decimal(0);
  b.append(' ');
  b.append_decimal(18446744073709551615ull);
  EXPECT_EQ(b.view(), "0 18446744073709551615");
}

}  // namespace
}  // namespace fulcrum::base

#include "../../../tools/backend/json.h"

#include <gtest/gtest.h>

#include <string>

namespace fulcrum::backend {
namespace {

std::string quoted(std::string_view s, bool lower = false) {
  base::Buffer out;
  append_json_string(out, s, lower);
  return std::string(out.view());
}

TEST(JsonTest, EscapesQuoteBackslashAndControlBytes) {
  EXPECT_EQ(quoted("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(quoted(std::string_view("\n\t\x01\x1f\0", 5)), R"("\u000a\u0009\u0001\u001f\u0000")");
  EXPECT_EQ(quoted(""), R"("")");
}

TEST(JsonTest, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(quoted("caf\xc3\xa9 \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
  EXPECT_EQ(quoted("a\xff"
                   "b"),
            R"("a\ufffdb")");
  EXPECT_EQ(quoted("\xc3"), R"("\ufffd")");  // truncated sequence
}

TEST(JsonTest, LowerCasesOnRequest) { EXPECT_EQ(quoted("X-Trace-ID", true), R"("x-trace-id")"); }

TEST(JsonTest, ValidatesUtf8StrictlyPerRfc3629) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("\xe2\x82\xac"));       // U+20AC
  EXPECT_TRUE(is_valid_utf8("\xf4\x8f\xbf\xbf"));   // U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\x80"));              // lone continuation byte
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));          // truncated
}

}  // namespace
}  // namespace fulcrum::backend

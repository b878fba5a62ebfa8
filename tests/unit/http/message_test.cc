#include "http/message.h"

#include <gtest/gtest.h>

#include <string>

namespace fulcrum::http {
namespace {

TEST(Message, SliceReadsFromAnyBase) {
  const Slice s{3, 4};
  EXPECT_EQ(s.in("abcdefgh"), "defg");
  // The same slice names the same bytes after the buffer has moved.
  std::string moved = "abcdefgh";
  EXPECT_EQ(s.in(moved.data()), "defg");
  EXPECT_EQ(Slice{}.in("x"), "");
}

TEST(Message, EqualsIgnoreCase) {
  EXPECT_TRUE(equals_ignore_case("Content-Length", "content-length"));
  EXPECT_TRUE(equals_ignore_case("HOST", "host"));
  EXPECT_TRUE(equals_ignore_case("", ""));
  EXPECT_FALSE(equals_ignore_case("host", "hos"));
  EXPECT_FALSE(equals_ignore_case("host", "hosT "));
  // Only ASCII letters fold: '-' (0x2D) is not CR (0x0D) in another case, nor '@' '`'.
  EXPECT_FALSE(equals_ignore_case("a-b", "a\rb"));
  EXPECT_FALSE(equals_ignore_case("@", "`"));
  EXPECT_FALSE(equals_ignore_case("\xc4", "\xe4"));
}

// equals_lower agrees with equals_ignore_case on every byte that a token or field value may hold,
// compared with the bytes of its lower-case literals, at every position of short and long strings.
TEST(Message, EqualsLowerAgreesOnTokensAndFieldValues) {
  // Of every length around the words it compares: under 4, 4 to 7, 8, 9 to 16, over 16.
  for (std::string_view lower :
       {"x", "te", "host", "close", "expect", "upgrade", "x-custom", "keep-alive", "content-length",
        "100-continue", "x-forwarded-host", "transfer-encoding"}) {
    EXPECT_TRUE(equals_lower(std::string(lower), lower));
    for (size_t pos = 0; pos < lower.size(); ++pos) {
      for (int c = 0; c < 256; ++c) {
        if (c != '\t' && (c < 0x20 || c == 0x7F)) continue;  // not in a field value
        std::string s(lower);
        s[pos] = static_cast<char>(c);
        ASSERT_EQ(equals_lower(s, lower), equals_ignore_case(s, lower)) << s;
      }
    }
  }
  EXPECT_FALSE(equals_lower("hos", "host"));
  EXPECT_FALSE(equals_lower("CONTENT-LENGTHS", "content-length"));
}

TEST(Message, FindHeader) {
  const char* base = "Host: a\r\nX-Y: 1\r\nx-y: 2\r\n";
  const std::vector<HeaderField> headers = {
      {{0, 4}, {6, 1}}, {{9, 3}, {14, 1}}, {{17, 3}, {22, 1}}};
  const HeaderField* f = find_header(base, headers, "X-y");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->value.in(base), "1");  // the first one
  EXPECT_EQ(find_header(base, headers, "host")->value.in(base), "a");
  EXPECT_EQ(find_header(base, headers, "hostx"), nullptr);
  EXPECT_EQ(find_header(base, {}, "host"), nullptr);
}

}  // namespace
}  // namespace fulcrum::http

#include "http/header_values.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fulcrum::http {
namespace {

std::vector<std::string> elements(std::string_view list) {
  std::vector<std::string> out;
  for_each_list_element(list, [&](std::string_view e) { out.emplace_back(e); });
  return out;
}

TEST(HeaderValues, ListElementsAreTrimmedAndEmptiesKept) {
  using V = std::vector<std::string>;
  EXPECT_EQ(elements("a"), V{"a"});
  EXPECT_EQ(elements(" a ,\tb\t, c"), (V{"a", "b", "c"}));
  EXPECT_EQ(elements("a,,b"), (V{"a", "", "b"}));
  EXPECT_EQ(elements(""), V{""});
  EXPECT_EQ(elements(","), (V{"", ""}));
  EXPECT_EQ(elements("a b"), V{"a b"});
}

TEST(HeaderValues, ListHasToken) {
  EXPECT_TRUE(list_has_token("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(list_has_token("CLOSE", "close"));
  EXPECT_FALSE(list_has_token("closed", "close"));
  EXPECT_FALSE(list_has_token("", "close"));
  EXPECT_FALSE(list_has_token("x-close", "close"));
}

TEST(HeaderValues, FramingField) {
  EXPECT_EQ(framing_field("Host"), FramingField::kHost);
  EXPECT_EQ(framing_field("EXPECT"), FramingField::kExpect);
  EXPECT_EQ(framing_field("upgrade"), FramingField::kUpgrade);
  EXPECT_EQ(framing_field("Connection"), FramingField::kConnection);
  EXPECT_EQ(framing_field("content-Length"), FramingField::kContentLength);
  EXPECT_EQ(framing_field("Transfer-Encoding"), FramingField::kTransferEncoding);
  // Same length, same first letter, or both, but another name.
  for (std::string_view other :
       {"Hosts", "Hist", "Accept", "Cookie", "Referer", "Keep-Alive", "Cache-Control",
        "Content-Type", "Content-Lengtx", "Connectiox", "Transfer-Encodinh", "Content_Length", "x",
        "", "Upgrade-Insecure-Requests"}) {
    EXPECT_EQ(framing_field(other), FramingField::kOther) << other;
  }
}

ContentLength content_length(std::initializer_list<std::string_view> fields) {
  ContentLength cl;
  for (std::string_view f : fields) cl.add(f);
  return cl;
}

TEST(HeaderValues, ContentLength) {
  EXPECT_FALSE(ContentLength().present());
  EXPECT_TRUE(ContentLength().valid());
  for (auto fields : std::vector<std::vector<std::string_view>>{
           {"0"}, {"42"}, {"42", "42"}, {"42, 42"}, {"042", "42"}, {" 42 "}}) {
    ContentLength cl;
    for (std::string_view f : fields) cl.add(f);
    EXPECT_TRUE(cl.present());
    EXPECT_TRUE(cl.valid()) << fields[0];
  }
  EXPECT_EQ(content_length({"42, 42"}).value(), 42u);
  EXPECT_EQ(content_length({"9223372036854775807"}).value(), 9223372036854775807u);
  for (std::string_view bad :
       {"", " ", "4 2", "+1", "-1", "0x1", "1.0", "1e3", "a", "9223372036854775808",
        "99999999999999999999", "1,", ",1", "1,2", "1;", "\xd9\xa1"}) {
    EXPECT_FALSE(content_length({bad}).valid()) << bad;
  }
  EXPECT_FALSE(content_length({"1", "2"}).valid());
  EXPECT_FALSE(content_length({"1", "x"}).valid());
}

TransferEncoding transfer_encoding(std::initializer_list<std::string_view> fields) {
  TransferEncoding te;
  for (std::string_view f : fields) te.add(f);
  return te;
}

TEST(HeaderValues, TransferEncoding) {
  EXPECT_FALSE(TransferEncoding().present());
  for (auto fields : std::vector<std::vector<std::string_view>>{
           {"chunked"}, {"CHUNKED"}, {"gzip, chunked"}, {"gzip", "chunked"}, {" chunked "}}) {
    TransferEncoding te;
    for (std::string_view f : fields) te.add(f);
    EXPECT_TRUE(te.present());
    EXPECT_TRUE(te.valid()) << fields[0];
    EXPECT_TRUE(te.chunked()) << fields[0];
  }
  EXPECT_TRUE(transfer_encoding({"gzip"}).valid());
  EXPECT_FALSE(transfer_encoding({"gzip"}).chunked());
  EXPECT_TRUE(transfer_encoding({"gzip"}).coded());
  EXPECT_TRUE(transfer_encoding({"gzip", "chunked"}).coded());
  EXPECT_TRUE(transfer_encoding({"gzip, chunked"}).coded());
  EXPECT_FALSE(transfer_encoding({"chunked"}).coded());
  EXPECT_FALSE(transfer_encoding({"CHUNKED"}).coded());
  EXPECT_TRUE(transfer_encoding({"identity"}).valid());
  for (auto fields : std::vector<std::vector<std::string_view>>{{"chunked, chunked"},
                                                                {"chunked", "chunked"},
                                                                {"chunked, gzip"},
                                                                {"chunked", "gzip"},
                                                                {"chunked,"},
                                                                {""},
                                                                {"gzip,,chunked"},
                                                                {"chunked;q=1"},
                                                                {"\"chunked\""},
                                                                {"chun ked"}}) {
    TransferEncoding te;
    for (std::string_view f : fields) te.add(f);
    EXPECT_FALSE(te.valid()) << fields[0];
  }
  EXPECT_FALSE(transfer_encoding({"xchunked"}).chunked());
}

TEST(HeaderValues, ValidHost) {
  for (std::string_view host : {"example.com", "Example.COM:8080", "a", "", "a:", "127.0.0.1:80",
                                "[::1]", "[::1]:443", "[v1.fe80::a+en1]", "my_host-1.example~",
                                "a%2Eb", "!$&'()*+,;=", "xn--bcher-kva.example"}) {
    EXPECT_TRUE(valid_host(host)) << host;
  }
  for (std::string_view host :
       {"a b",     "a\tb", "a/b",  "a\\b", "a@b", "a?b",    "a#b",
        "a:80:90", "a:8o", ":80:", "[::1", "[]",  "[::1]x", "[::1]:8a",
        "::1",     "a\"b", "a<b",  "a%",   "a%2", "a%zz",   "\xc3\xa4.example",
        "a,b c",   "a\x7f"}) {
    EXPECT_FALSE(valid_host(host)) << host;
  }
}

}  // namespace
}  // namespace fulcrum::http

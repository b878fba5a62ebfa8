#include "../../../tools/backend/echo.h"

#include <gtest/gtest.h>

#include <string>

#include "http/request_parser.h"

namespace fulcrum::backend {
namespace {

std::string echo(std::string_view raw, uint64_t body_length, std::optional<std::string_view> body) {
  http::RequestParser parser;
  http::RequestHead head;
  EXPECT_EQ(parser.parse(raw.data(), raw.size(), head), http::ParseStatus::kComplete);
  base::Buffer out;
  begin_echo(out, R"("b1")", head, raw.data());
  finish_echo(out, body_length, body);
  return std::string(out.view());
}

TEST(EchoTest, JoinsRepeatedHeadersAndLowerCasesNames) {
  EXPECT_EQ(
      echo("GET /a?b=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nAccept: */*\r\nx-a: 2\r\n\r\n", 0, ""),
      R"({"server": "b1", "method": "GET", "uri": "/a?b=1", )"
      R"("headers": {"host": "h", "x-a": "1, 2", "accept": "*/*"}, )"
      R"("body_length": 0, "body": ""})");
}

TEST(EchoTest, BodyIsNullWhenNotKeptOrNotUtf8) {
  const std::string_view raw = "POST / HTTP/1.1\r\nHost: h\r\n\r\n";
  EXPECT_NE(echo(raw, 70000, std::nullopt).find(R"("body_length": 70000, "body": null})"),
            std::string::npos);
  EXPECT_NE(echo(raw, 2, "\xff\xfe").find(R"("body": null})"), std::string::npos);
  EXPECT_NE(echo(raw, 3, "a\"\n").find(R"("body": "a\"\u000a"})"), std::string::npos);
}

}  // namespace
}  // namespace fulcrum::backend

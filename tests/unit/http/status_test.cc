#include "http/status.h"

#include <gtest/gtest.h>

namespace fulcrum::http {
namespace {

TEST(Status, CommonReasonPhrases) {
  EXPECT_EQ(reason_phrase(100), "Continue");
  EXPECT_EQ(reason_phrase(101), "Switching Protocols");
  EXPECT_EQ(reason_phrase(200), "OK");
  EXPECT_EQ(reason_phrase(204), "No Content");
  EXPECT_EQ(reason_phrase(206), "Partial Content");
  EXPECT_EQ(reason_phrase(301), "Moved Permanently");
  EXPECT_EQ(reason_phrase(304), "Not Modified");
  EXPECT_EQ(reason_phrase(308), "Permanent Redirect");
  EXPECT_EQ(reason_phrase(400), "Bad Request");
  EXPECT_EQ(reason_phrase(413), "Content Too Large");
  EXPECT_EQ(reason_phrase(414), "URI Too Long");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(500), "Internal Server Error");
  EXPECT_EQ(reason_phrase(502), "Bad Gateway");
  EXPECT_EQ(reason_phrase(503), "Service Unavailable");
  EXPECT_EQ(reason_phrase(504), "Gateway Timeout");
  EXPECT_EQ(reason_phrase(505), "HTTP Version Not Supported");
}

TEST(Status, EveryCodeInTheListedRangesHasAPhrase) {
  // 306 is unused and 418-420, 423-425, 427, 430 are not in RFC 9110.
  for (int s : {100, 101, 200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304, 305, 307,
                308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414,
                415, 416, 417, 421, 422, 426, 428, 429, 431, 500, 501, 502, 503, 504, 505}) {
    EXPECT_NE(reason_phrase(s), "Unknown") << s;
  }
}

TEST(Status, UnknownCodes) {
  for (int s : {0, 99, 102, 299, 306, 418, 499, 506, 599, 600, -1}) {
    EXPECT_EQ(reason_phrase(s), "Unknown") << s;
  }
}

}  // namespace
}  // namespace fulcrum::http

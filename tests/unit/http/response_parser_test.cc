#include "http/response_parser.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

#include "feed.h"

namespace fulcrum::http {
namespace {

using namespace std::string_view_literals;
using testing::Outcome;
using testing::ResponseHarness;

struct Parsed {
  std::string data;
  ParseStatus status = ParseStatus::kIncomplete;
  std::string error_reason;
  ResponseHead head;

  std::string_view str(Slice s) const { return s.in(data.data()); }
};

// Parses `input` with every scanner in every split, expects them to agree, and returns a whole
// parse to look at.
Parsed parse_response(std::string_view input, bool head_request = false,
                      const Limits& limits = {}) {
  std::optional<Outcome> first;
  for (const Scanner* scan : testing::all_scanners()) {
    SCOPED_TRACE(isa_name(scan->isa));
    Outcome outcome =
        testing::parse_in_every_split(ResponseHarness{limits, scan, head_request}, input);
    if (first) {
      EXPECT_EQ(outcome, *first) << "scanners disagree";
    } else {
      first = outcome;
    }
  }
  Parsed p;
  p.data = std::string(input);
  ResponseParser parser(limits);
  p.status = parser.parse(p.data.data(), p.data.size(), p.head, head_request);
  p.error_reason = std::string(parser.error_reason());
  return p;
}

TEST(ResponseParser, ContentLength) {
  constexpr std::string_view kHead = "HTTP/1.1 200 OK\r\nServer: test\r\nContent-Length: 5\r\n\r\n";
  Parsed p = parse_response(std::string(kHead) + "hello");
  ASSERT_EQ(p.status, ParseStatus::kComplete) << p.error_reason;
  EXPECT_EQ(p.head.status, 200);
  EXPECT_EQ(p.str(p.head.reason), "OK");
  EXPECT_EQ(p.head.version_minor, 1);
  EXPECT_EQ(p.head.framing, Framing::kContentLength);
  EXPECT_EQ(p.head.content_length, 5u);
  EXPECT_TRUE(p.head.keep_alive);
  EXPECT_EQ(p.head.head_size, kHead.size());
  ASSERT_EQ(p.head.headers.size(), 2u);
  EXPECT_EQ(p.str(p.head.headers[0].value), "test");
}

TEST(ResponseParser, Chunked) {
  Parsed p = parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n");
  ASSERT_EQ(p.status, ParseStatus::kComplete) << p.error_reason;
  EXPECT_EQ(p.head.framing, Framing::kChunked);
  EXPECT_TRUE(p.head.keep_alive);
  EXPECT_TRUE(p.head.transfer_coded);
  Parsed q = parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_EQ(q.status, ParseStatus::kComplete) << q.error_reason;
  EXPECT_FALSE(q.head.transfer_coded);
}

TEST(ResponseParser, WithoutFramingTheBodyEndsWithTheConnection) {
  Parsed p = parse_response("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
  ASSERT_EQ(p.status, ParseStatus::kComplete);
  EXPECT_EQ(p.head.framing, Framing::kUntilClose);
  EXPECT_FALSE(p.head.keep_alive);

  // A final coding other than chunked, known or not, also ends with the connection.
  for (std::string_view te : {"gzip", "xchunked", "identity"}) {
    Parsed q =
        parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: " + std::string(te) + "\r\n\r\n");
    ASSERT_EQ(q.status, ParseStatus::kComplete) << te;
    EXPECT_EQ(q.head.framing, Framing::kUntilClose) << te;
    EXPECT_FALSE(q.head.keep_alive);
    EXPECT_TRUE(q.head.transfer_coded);
  }
}

TEST(ResponseParser, StatusesWithoutBody) {
  for (std::string_view line : {"HTTP/1.1 100 Continue", "HTTP/1.1 103 Early Hints",
                                "HTTP/1.1 204 No Content", "HTTP/1.1 304 Not Modified"}) {
    Parsed p = parse_response(std::string(line) + "\r\nContent-Length: 42\r\n\r\n");
    ASSERT_EQ(p.status, ParseStatus::kComplete) << line;
    EXPECT_EQ(p.head.framing, Framing::kNone) << line;
    EXPECT_EQ(p.head.content_length, 42u) << line;  // the field's, though it frames nothing
    EXPECT_TRUE(p.head.keep_alive) << line;
  }
  Parsed no_fields = parse_response("HTTP/1.1 204 No Content\r\n\r\n");
  ASSERT_EQ(no_fields.status, ParseStatus::kComplete);
  EXPECT_EQ(no_fields.head.framing, Framing::kNone);
  EXPECT_EQ(no_fields.head.content_length, 0u);
  EXPECT_TRUE(no_fields.head.keep_alive);
}

TEST(ResponseParser, SwitchingProtocolsIsNotKept) {
  Parsed p = parse_response(
      "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
  ASSERT_EQ(p.status, ParseStatus::kComplete);
  EXPECT_EQ(p.head.framing, Framing::kNone);
  EXPECT_FALSE(p.head.keep_alive);
}

TEST(ResponseParser, ResponseToHeadHasNoBody) {
  for (std::string_view fields :
       {"Content-Length: 100\r\n", "Transfer-Encoding: chunked\r\n", ""}) {
    Parsed p = parse_response("HTTP/1.1 200 OK\r\n" + std::string(fields) + "\r\n",
                              /*head_request=*/true);
    ASSERT_EQ(p.status, ParseStatus::kComplete) << fields;
    EXPECT_EQ(p.head.framing, Framing::kNone) << fields;
    EXPECT_TRUE(p.head.keep_alive) << fields;
  }
}

TEST(ResponseParser, Persistence) {
  Parsed close =
      parse_response("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(close.status, ParseStatus::kComplete);
  EXPECT_FALSE(close.head.keep_alive);

  Parsed old = parse_response("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(old.status, ParseStatus::kComplete);
  EXPECT_EQ(old.head.version_minor, 0);
  EXPECT_FALSE(old.head.keep_alive);

  Parsed old_kept =
      parse_response("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(old_kept.status, ParseStatus::kComplete);
  EXPECT_TRUE(old_kept.head.keep_alive);

  Parsed old_unframed = parse_response("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_EQ(old_unframed.status, ParseStatus::kComplete);
  EXPECT_EQ(old_unframed.head.framing, Framing::kUntilClose);
  EXPECT_FALSE(old_unframed.head.keep_alive);

  Parsed later = parse_response("HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(later.status, ParseStatus::kComplete);
  EXPECT_EQ(later.head.version_minor, 1);
}

TEST(ResponseParser, LenientStatusLines) {
  const struct {
    std::string_view line;
    uint16_t status;
    std::string_view reason;
  } kCases[] = {{"HTTP/1.1 200 OK", 200, "OK"},
                {"HTTP/1.1 200 ", 200, ""},
                {"HTTP/1.1 200", 200, ""},
                {"HTTP/1.1 404 Not Found", 404, "Not Found"},
                {"HTTP/1.1 599 Custom  Reason\t!", 599, "Custom  Reason\t!"},
                {"HTTP/1.1 999 X", 999, "X"},
                {"HTTP/1.1 200 D\xc3\xa9j\xc3\xa0 vu", 200, "D\xc3\xa9j\xc3\xa0 vu"}};
  for (const auto& c : kCases) {
    Parsed p = parse_response(std::string(c.line) + "\r\nContent-Length: 0\r\n\r\n");
    ASSERT_EQ(p.status, ParseStatus::kComplete) << c.line << ": " << p.error_reason;
    EXPECT_EQ(p.head.status, c.status);
    EXPECT_EQ(p.str(p.head.reason), c.reason);
  }
}

TEST(ResponseParser, IdenticalContentLengths) {
  Parsed p =
      parse_response("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc");
  ASSERT_EQ(p.status, ParseStatus::kComplete);
  EXPECT_EQ(p.head.content_length, 3u);
}

TEST(ResponseParser, InterimThenFinalResponse) {
  const std::string stream =
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
  ResponseParser parser;
  ResponseHead head;
  ASSERT_EQ(parser.parse(stream.data(), stream.size(), head, false), ParseStatus::kComplete);
  EXPECT_EQ(head.status, 100);
  const size_t next = head.head_size;
  parser.reset();
  const char* final_response = stream.data() + next;
  ASSERT_EQ(parser.parse(final_response, stream.size() - next, head, false),
            ParseStatus::kComplete);
  EXPECT_EQ(head.status, 201);
  EXPECT_EQ(head.framing, Framing::kContentLength);
  EXPECT_EQ(head.content_length, 2u);
  EXPECT_EQ(head.headers.size(), 1u);
}

struct Rejection {
  const char* name;
  std::string_view input;
  std::string_view reason;
  Limits limits = {};
};

std::ostream& operator<<(std::ostream& os, const Rejection& r) { return os << r.name; }

const Rejection kRejections[] = {
    {"ContentLengthAndTransferEncoding",
     "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
     "both Content-Length and Transfer-Encoding"},
    {"ContentLengthAndTransferEncodingOn204",
     "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n",
     "both Content-Length and Transfer-Encoding"},
    {"DifferingContentLengths",
     "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\n",
     "invalid Content-Length"},
    {"ContentLengthList", "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
     "invalid Content-Length"},
    {"ContentLengthSigned", "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n",
     "invalid Content-Length"},
    {"ContentLengthHex", "HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n",
     "invalid Content-Length"},
    {"ContentLengthEmpty", "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", "invalid Content-Length"},
    {"ContentLengthOverflow", "HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775808\r\n\r\n",
     "invalid Content-Length"},
    {"ContentLengthInvalidOn304", "HTTP/1.1 304 Not Modified\r\nContent-Length: x\r\n\r\n",
     "invalid Content-Length"},
    {"TransferEncodingChunkedTwice",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
     "invalid Transfer-Encoding"},
    {"TransferEncodingChunkedNotLast",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "invalid Transfer-Encoding"},
    {"TransferEncodingEmpty", "HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\n\r\n",
     "invalid Transfer-Encoding"},
    {"TransferEncodingInHttp10", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
     "Transfer-Encoding in HTTP/1.0"},
    {"StatusTwoDigits", "HTTP/1.1 20 OK\r\n\r\n", "malformed status line"},
    {"StatusFourDigits", "HTTP/1.1 2000 OK\r\n\r\n", "malformed status line"},
    {"StatusLetters", "HTTP/1.1 abc OK\r\n\r\n", "malformed status line"},
    {"StatusBelow100", "HTTP/1.1 099 Odd\r\n\r\n", "malformed status code"},
    {"StatusGluedToReason", "HTTP/1.1 200OK\r\n\r\n", "malformed status line"},
    {"DoubleSpaceBeforeStatus", "HTTP/1.1  200 OK\r\n\r\n", "malformed status line"},
    {"VersionLowerCase", "http/1.1 200 OK\r\n\r\n", "malformed status line"},
    {"VersionLetterMinor", "HTTP/1.x 200 OK\r\n\r\n", "malformed status line"},
    {"NotHttp", "ICY 200 OK\r\n\r\n", "malformed status line"},
    {"Http09Body", "<html>hello</html>\r\n\r\n", "malformed status line"},
    {"Http2", "HTTP/2.0 200 OK\r\n\r\n", "unsupported HTTP version"},
    {"ControlInReason", "HTTP/1.1 200 O\x01K\r\n\r\n", "control byte in reason phrase"},
    {"BareCrInReason", "HTTP/1.1 200 O\rK\r\n\r\n", "control byte in reason phrase"},
    {"NulInReason", "HTTP/1.1 200 O\0K\r\n\r\n"sv, "control byte in reason phrase"},
    {"BareLf", "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", "bare LF"},
    {"BareLfEndingHead", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\n", "bare LF"},
    {"ObsFold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", "malformed header field"},
    {"SpaceBeforeColon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", "malformed header field"},
    {"NulInValue", "HTTP/1.1 200 OK\r\nX: a\0\r\n\r\n"sv, "malformed header field"},
    {"EmptyLineFirst", "\r\nHTTP/1.1 200 OK\r\n\r\n", "empty line before start line"},
    {"HeadTooLarge",
     "HTTP/1.1 200 OK\r\nX: 0123456789012345678901234567890123456789012345678901234567890123456789"
     "\r\n\r\n",
     "head too large",
     {.max_request_line = 8, .max_header_bytes = 64, .max_headers = 4}},
    {"HeadTooLargeUnterminated",
     "HTTP/1.1 200 OK\r\nX: 0123456789012345678901234567890123456789012345678901234567890123456789",
     "head too large",
     {.max_request_line = 8, .max_header_bytes = 64, .max_headers = 4}},
    {"TooManyFields",
     "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
     "too many header fields",
     {.max_request_line = 8, .max_header_bytes = 1024, .max_headers = 2}},
};

class ResponseRejection : public ::testing::TestWithParam<Rejection> {};

TEST_P(ResponseRejection, RefusedInEverySplit) {
  const Rejection& r = GetParam();
  for (bool head_request : {false, true}) {
    Parsed p = parse_response(r.input, head_request, r.limits);
    EXPECT_EQ(p.status, ParseStatus::kError) << "head_request " << head_request;
    EXPECT_EQ(p.error_reason, r.reason);
  }
}

INSTANTIATE_TEST_SUITE_P(All, ResponseRejection, ::testing::ValuesIn(kRejections),
                         [](const auto& param) { return std::string(param.param.name); });

}  // namespace
}  // namespace fulcrum::http

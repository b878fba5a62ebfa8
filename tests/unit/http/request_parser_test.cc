#include "http/request_parser.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

#include "feed.h"

namespace fulcrum::http {
namespace {

using namespace std::string_view_literals;
using testing::Outcome;
using testing::RequestHarness;

// A parse result with the input kept alive, so that its slices can be read.
struct Parsed {
  std::string data;
  ParseStatus status = ParseStatus::kIncomplete;
  uint16_t error_status = 0;
  std::string error_reason;
  RequestHead head;

  std::string_view str(Slice s) const { return s.in(data.data()); }
  std::string_view field(std::string_view name) const {
    const HeaderField* f = find_header(data.data(), head.headers, name);
    return f ? str(f->value) : "<absent>"sv;
  }
};

// Parses `input` with every scanner, in every split when every_split (whole only otherwise, for
// inputs too large to split at every byte in reasonable time), expects all of them to agree, and
// returns a whole parse for the test to look at.
Parsed parse_request(std::string_view input, const Limits& limits = {}, bool every_split = true) {
  std::optional<Outcome> first;
  for (const Scanner* scan : testing::all_scanners()) {
    SCOPED_TRACE(isa_name(scan->isa));
    RequestHarness harness{limits, scan};
    Outcome outcome;
    if (every_split) {
      outcome = testing::parse_in_every_split(harness, input);
    } else {
      RequestParser parser = harness.make();
      RequestHead head;
      ParseStatus status = parser.parse(input.data(), input.size(), head);
      outcome = {status, harness.describe(parser, status, input.data(), head)};
    }
    if (first) {
      EXPECT_EQ(outcome, *first) << "scanners disagree";
    } else {
      first = outcome;
    }
  }
  Parsed p;
  p.data = std::string(input);
  RequestParser parser(limits);
  p.status = parser.parse(p.data.data(), p.data.size(), p.head);
  p.error_status = parser.error_status();
  p.error_reason = std::string(parser.error_reason());
  return p;
}

// ---- Accepted requests ----

TEST(RequestParser, SimpleGet) {
  constexpr std::string_view kInput =
      "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\n"
      "User-Agent: test\r\nAccept: */*\r\n\r\n";
  Parsed p = parse_request(kInput);
  ASSERT_EQ(p.status, ParseStatus::kComplete) << p.error_reason;
  EXPECT_EQ(p.head.method, Method::kGet);
  EXPECT_EQ(p.str(p.head.method_name), "GET");
  EXPECT_EQ(p.str(p.head.target), "/index.html?q=1");
  EXPECT_EQ(p.head.version_minor, 1);
  ASSERT_EQ(p.head.headers.size(), 3u);
  EXPECT_EQ(p.str(p.head.headers[1].name), "User-Agent");
  EXPECT_EQ(p.str(p.head.headers[1].value), "test");
  EXPECT_EQ(p.head.framing, Framing::kNone);
  EXPECT_TRUE(p.head.keep_alive);
  EXPECT_FALSE(p.head.expect_continue);
  EXPECT_FALSE(p.head.upgrade);
  EXPECT_EQ(p.str(p.head.host), "example.com");
  EXPECT_EQ(p.head.head_size, kInput.size());
}

TEST(RequestParser, HeadSizeStopsBeforeBody) {
  constexpr std::string_view kHead =
      "POST /submit HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n";
  Parsed p = parse_request(std::string(kHead) + "hello world");
  ASSERT_EQ(p.status, ParseStatus::kComplete);
  EXPECT_EQ(p.head.method, Method::kPost);
  EXPECT_EQ(p.head.framing, Framing::kContentLength);
  EXPECT_EQ(p.head.content_length, 11u);
  EXPECT_EQ(p.head.head_size, kHead.size());
}

TEST(RequestParser, Chunked) {
  for (std::string_view te : {"chunked", "Chunked", "CHUNKED", "gzip, chunked", "gzip,chunked",
                              "deflate , gzip,  chunked"}) {
    SCOPED_TRACE(te);
    Parsed p = parse_request("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " + std::string(te) +
                             "\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    ASSERT_EQ(p.status, ParseStatus::kComplete) << p.error_reason;
    EXPECT_EQ(p.head.framing, Framing::kChunked);
  }
}

TEST(RequestParser, ChunkedAfterOtherCodingsInSeparateFields) {
  Parsed p = parse_request(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: "
      "chunked\r\n\r\n");
  ASSERT_EQ(p.status, ParseStatus::kComplete) << p.error_reason;
  EXPECT_EQ(p.head.framing, Framing::kChunked);
}

TEST(RequestParser, IdenticalContentLengthsAreOne) {
  for (std::string_view fields :
       {"Content-Length: 5\r\nContent-Length: 5\r\n", "Content-Length: 5, 5\r\n",
        "Content-Length: 5,5, 5\r\n", "Content-Length: 005\r\nContent-Length: 5\r\n"}) {
    SCOPED_TRACE(fields);
    Parsed p = parse_request("PUT /x HTTP/1.1\r\nHost: a\r\n" + std::string(fields) + "\r\n");
    ASSERT_EQ(p.status, ParseStatus::kComplete) << p.error_reason;
    EXPECT_EQ(p.head.method, Method::kPut);
    EXPECT_EQ(p.head.framing, Framing::kContentLength);
    EXPECT_EQ(p.head.content_length, 5u);
  }
}

TEST(RequestParser, ContentLengthBounds) {
  Parsed zero = parse_request("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(zero.status, ParseStatus::kComplete);
  EXPECT_EQ(zero.head.framing, Framing::kContentLength);
  EXPECT_EQ(zero.head.content_length, 0u);

  Parsed max =
      parse_request("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775807\r\n\r\n");
  ASSERT_EQ(max.status, ParseStatus::kComplete);
  EXPECT_EQ(max.head.content_length, 9223372036854775807u);
}

TEST(RequestParser, Http10) {
  Parsed p = parse_request("GET / HTTP/1.0\r\nUser-Agent: old\r\n\r\n");
  ASSERT_EQ(p.status, ParseStatus::kComplete);
  EXPECT_EQ(p.head.version_minor, 0);
  EXPECT_FALSE(p.head.keep_alive);
  EXPECT_EQ(p.head.host.len, 0u);

  Parsed kept = parse_request("GET / HTTP/1.0\r\nHost: a\r\nConnection: Keep-Alive\r\n\r\n");
  ASSERT_EQ(kept.status, ParseStatus::kComplete);
  EXPECT_TRUE(kept.head.keep_alive);
  EXPECT_EQ(kept.str(kept.head.host), "a");

  Parsed both = parse_request("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n");
  ASSERT_EQ(both.status, ParseStatus::kComplete);
  EXPECT_FALSE(both.head.keep_alive);
}

TEST(RequestParser, Http11Persistence) {
  Parsed close = parse_request("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(close.status, ParseStatus::kComplete);
  EXPECT_FALSE(close.head.keep_alive);

  Parsed listed =
      parse_request("GET / HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive, CLOSE\r\n\r\n");
  ASSERT_EQ(listed.status, ParseStatus::kComplete);
  EXPECT_FALSE(listed.head.keep_alive);

  Parsed two_fields =
      parse_request("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(two_fields.status, ParseStatus::kComplete);
  EXPECT_FALSE(two_fields.head.keep_alive);

  Parsed other = parse_request("GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n");
  ASSERT_EQ(other.status, ParseStatus::kComplete);
  EXPECT_TRUE(other.head.keep_alive);
}

TEST(RequestParser, LaterMinorVersionsReadAsHttp11) {
  for (std::string_view version : {"HTTP/1.2", "HTTP/1.9"}) {
    Parsed p = parse_request("GET / " + std::string(version) + "\r\nHost: a\r\n\r\n");
    ASSERT_EQ(p.status, ParseStatus::kComplete) << version;
    EXPECT_EQ(p.head.version_minor, 1);
    EXPECT_TRUE(p.head.keep_alive);
  }
}

TEST(RequestParser, ExpectContinue) {
  Parsed p = parse_request(
      "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n");
  ASSERT_EQ(p.status, ParseStatus::kComplete);
  EXPECT_TRUE(p.head.expect_continue);

  Parsed other = parse_request("POST / HTTP/1.1\r\nHost: a\r\nExpect: something\r\n\r\n");
  ASSERT_EQ(other.status, ParseStatus::kComplete);
  EXPECT_FALSE(other.head.expect_continue);

  // HTTP/1.0 has no interim responses (RFC 9110 §10.1.1).
  Parsed old = parse_request("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_EQ(old.status, ParseStatus::kComplete);
  EXPECT_FALSE(old.head.expect_continue);
}

TEST(RequestParser, Upgrade) {
  Parsed p = parse_request(
      "GET /chat HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: "
      "websocket\r\n\r\n");
  ASSERT_EQ(p.status, ParseStatus::kComplete);
  EXPECT_TRUE(p.head.upgrade);
  EXPECT_TRUE(p.head.keep_alive);

  Parsed no_option = parse_request("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n");
  ASSERT_EQ(no_option.status, ParseStatus::kComplete);
  EXPECT_FALSE(no_option.head.upgrade);

  Parsed no_field = parse_request("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n");
  ASSERT_EQ(no_field.status, ParseStatus::kComplete);
  EXPECT_FALSE(no_field.head.upgrade);
}

// An upgrade to h2c is never one to tunnel: HTTP/2 in the tunnel would bypass routing.
TEST(RequestParser, NoUpgradeToH2c) {
  for (std::string_view upgrade : {"h2c", "H2C", "websocket, h2c", "h2c, websocket"}) {
    Parsed p = parse_request(
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: " +
        std::string(upgrade) + "\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
    ASSERT_EQ(p.status, ParseStatus::kComplete) << upgrade;
    EXPECT_FALSE(p.head.upgrade) << upgrade;
  }
  Parsed two_fields = parse_request(
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nUpgrade: "
      "h2c\r\n\r\n");
  ASSERT_EQ(two_fields.status, ParseStatus::kComplete);
  EXPECT_FALSE(two_fields.head.upgrade);
}

TEST(RequestParser, Methods) {
  const struct {
    std::string_view name;
    Method method;
  } kCases[] = {
      {"GET", Method::kGet},         {"HEAD", Method::kHead},     {"POST", Method::kPost},
      {"PUT", Method::kPut},         {"DELETE", Method::kDelete}, {"CONNECT", Method::kConnect},
      {"OPTIONS", Method::kOptions}, {"TRACE", Method::kTrace},   {"PATCH", Method::kPatch},
      {"PROPFIND", Method::kOther},  {"get", Method::kOther},     {"M-SEARCH", Method::kOther},
      {"X", Method::kOther},         {"POSTS", Method::kOther},   {"post", Method::kOther},
      {"GETS", Method::kOther}};
  for (const auto& c : kCases) {
    Parsed p = parse_request(std::string(c.name) + " / HTTP/1.1\r\nHost: a\r\n\r\n");
    ASSERT_EQ(p.status, ParseStatus::kComplete) << c.name;
    EXPECT_EQ(p.head.method, c.method) << c.name;
    EXPECT_EQ(p.str(p.head.method_name), c.name);
  }
}

TEST(RequestParser, TargetForms) {
  for (std::string_view line :
       {"GET http://example.com:8080/a?b=c HTTP/1.1", "OPTIONS * HTTP/1.1",
        "CONNECT example.com:443 HTTP/1.1", "GET /%7Euser/~a!$&'()*+,;=:@[] HTTP/1.1"}) {
    Parsed p = parse_request(std::string(line) + "\r\nHost: example.com:8080\r\n\r\n");
    ASSERT_EQ(p.status, ParseStatus::kComplete) << line;
    std::string_view expected = line.substr(line.find(' ') + 1);
    expected = expected.substr(0, expected.find(' '));
    EXPECT_EQ(p.str(p.head.target), expected);
  }
}

// "*" only with OPTIONS, authority form only with CONNECT, and nothing that is none of the forms.
TEST(RequestParser, TargetInNoFormTheMethodAllowsIsRefused) {
  for (std::string_view line :
       {"GET foo HTTP/1.1", "GET * HTTP/1.1", "OPTIONS foo HTTP/1.1",
        "GET example.com:443 HTTP/1.1", "POST ?q HTTP/1.1", "GET ://x/ HTTP/1.1"}) {
    Parsed p = parse_request(std::string(line) + "\r\nHost: example.com\r\n\r\n");
    EXPECT_EQ(p.status, ParseStatus::kError) << line;
    EXPECT_EQ(p.error_status, 400) << line;
  }
}

TEST(RequestParser, AbsoluteFormAuthorityMatchesHostIgnoringCase) {
  for (std::string_view line :
       {"GET http://Example.COM/a HTTP/1.1", "GET https://example.com HTTP/1.1",
        "GET http://example.com?q HTTP/1.0"}) {
    Parsed p = parse_request(std::string(line) + "\r\nHost: example.com\r\n\r\n");
    EXPECT_EQ(p.status, ParseStatus::kComplete) << line;
  }
}

// A port that is empty or the scheme's default is the same as none (RFC 3986 §6.2.3), on either
// side.
TEST(RequestParser, AbsoluteFormAuthorityMatchesHostUpToTheDefaultPort) {
  const struct {
    std::string_view line, host;
  } kCases[] = {{"GET http://example.com:80/x HTTP/1.1", "example.com"},
                {"GET http://example.com/x HTTP/1.1", "example.com:80"},
                {"GET HTTP://Example.COM:80/x HTTP/1.1", "example.com"},
                {"GET https://example.com:443/x HTTP/1.1", "example.com"},
                {"GET https://example.com/x HTTP/1.1", "example.com:443"},
                {"GET http://example.com:/x HTTP/1.1", "example.com"},
                {"GET http://example.com:80/x HTTP/1.1", "example.com:"},
                {"GET http://[::1]:80/x HTTP/1.1", "[::1]"},
                {"GET http://[::1]/x HTTP/1.1", "[::1]:80"},
                {"GET http://example.com:8080/x HTTP/1.1", "Example.com:8080"}};
  for (const auto& c : kCases) {
    Parsed p = parse_request(std::string(c.line) + "\r\nHost: " + std::string(c.host) + "\r\n\r\n");
    EXPECT_EQ(p.status, ParseStatus::kComplete)
        << c.line << " / " << c.host << ": " << p.error_reason;
  }
}

TEST(RequestParser, FieldValuesLoseSurroundingWhitespaceOnly) {
  Parsed p = parse_request(
      "GET / HTTP/1.1\r\nHost:a\r\nX-A:   spaced  out \t\r\nX-B:\r\nX-C: \t \r\n"
      "X-D: tab\there\r\nX-E: obs\x80text\xff\r\n\r\n");
  ASSERT_EQ(p.status, ParseStatus::kComplete) << p.error_reason;
  EXPECT_EQ(p.field("host"), "a");
  EXPECT_EQ(p.field("x-a"), "spaced  out");
  EXPECT_EQ(p.field("x-b"), "");
  EXPECT_EQ(p.field("x-c"), "");
  EXPECT_EQ(p.field("x-d"), "tab\there");
  EXPECT_EQ(p.field("x-e"), "obs\x80text\xff");
}

TEST(RequestParser, EveryTokenCharacterInNames) {
  Parsed p = parse_request("GET / HTTP/1.1\r\nHost: a\r\n!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n");
  ASSERT_EQ(p.status, ParseStatus::kComplete) << p.error_reason;
  EXPECT_EQ(p.str(p.head.headers[1].name), "!#$%&'*+-.^_`|~09azAZ");
}

TEST(RequestParser, LeadingEmptyLinesAreSkipped) {
  constexpr std::string_view kInput = "\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
  Parsed p = parse_request(kInput);
  ASSERT_EQ(p.status, ParseStatus::kComplete) << p.error_reason;
  EXPECT_EQ(p.str(p.head.method_name), "GET");
  EXPECT_EQ(p.head.method_name.off, 8u);
  EXPECT_EQ(p.head.head_size, kInput.size());
}

TEST(RequestParser, IncompleteHeads) {
  for (std::string_view input :
       {""sv, "G"sv, "GET / HTTP/1.1"sv, "GET / HTTP/1.1\r"sv, "GET / HTTP/1.1\r\n"sv,
        "GET / HTTP/1.1\r\nHost: a\r\n"sv, "GET / HTTP/1.1\r\nHost: a\r\n\r"sv, "\r\n"sv}) {
    EXPECT_EQ(parse_request(input).status, ParseStatus::kIncomplete) << input;
  }
}

TEST(RequestParser, StaysDoneUntilReset) {
  constexpr std::string_view kInput = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  RequestParser parser;
  RequestHead head;
  ASSERT_EQ(parser.parse(kInput.data(), kInput.size(), head), ParseStatus::kComplete);
  EXPECT_EQ(parser.parse(kInput.data(), kInput.size(), head), ParseStatus::kComplete);
  EXPECT_EQ(head.headers.size(), 1u);

  constexpr std::string_view kBad = "GET / HTTP/1.1\r\nHost: a\r\nX : y\r\n\r\n";
  parser.reset();
  ASSERT_EQ(parser.parse(kBad.data(), kBad.size(), head), ParseStatus::kError);
  EXPECT_EQ(parser.parse(kInput.data(), kInput.size(), head), ParseStatus::kError);
  EXPECT_EQ(parser.error_status(), 400);
  parser.reset();
  EXPECT_EQ(parser.error_status(), 0);
  EXPECT_EQ(parser.parse(kInput.data(), kInput.size(), head), ParseStatus::kComplete);
}

TEST(RequestParser, PipelinedRequestsReuseTheHead) {
  const std::string stream =
      "POST /a HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\nX-1: 1\r\n"
      "X-2: 2\r\nX-3: 3\r\n\r\nabc"
      "GET /b HTTP/1.1\r\nHost: b\r\n\r\n";
  RequestParser parser;
  RequestHead head;
  ASSERT_EQ(parser.parse(stream.data(), stream.size(), head), ParseStatus::kComplete);
  EXPECT_TRUE(head.expect_continue);
  const size_t capacity = head.headers.capacity();
  const size_t next = head.head_size + head.content_length;

  parser.reset();
  const char* second = stream.data() + next;
  ASSERT_EQ(parser.parse(second, stream.size() - next, head), ParseStatus::kComplete);
  EXPECT_EQ(head.target.in(second), "/b");
  EXPECT_EQ(head.host.in(second), "b");
  EXPECT_EQ(head.headers.size(), 1u);
  EXPECT_EQ(head.headers.capacity(), capacity);  // cleared, not shrunk
  EXPECT_FALSE(head.expect_continue);
  EXPECT_EQ(head.framing, Framing::kNone);
  EXPECT_EQ(head.content_length, 0u);
  EXPECT_EQ(head.head_size, stream.size() - next);
}

TEST(RequestParser, LimitsAreInclusive) {
  const Limits limits{.max_request_line = 32, .max_header_bytes = 128, .max_headers = 4};
  // A request line of exactly 32 bytes.
  Parsed line =
      parse_request("GET /" + std::string(18, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", limits);
  EXPECT_EQ(line.status, ParseStatus::kComplete) << line.error_reason;

  Parsed fields =
      parse_request("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits);
  EXPECT_EQ(fields.status, ParseStatus::kComplete) << fields.error_reason;

  // A head of exactly 128 bytes: 16 + 9 + 101 + 2.
  std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(96, 'v') + "\r\n\r\n";
  ASSERT_EQ(head.size(), 128u);
  EXPECT_EQ(parse_request(head, limits).status, ParseStatus::kComplete);
}

TEST(RequestParser, DefaultLimits) {
  const std::string ok_line = "GET /" + std::string(8192 - 14, 'a') + " HTTP/1.1\r\n";
  Parsed ok = parse_request(ok_line + "Host: a\r\n\r\n", {}, /*every_split=*/false);
  EXPECT_EQ(ok.status, ParseStatus::kComplete) << ok.error_reason;
  const std::string long_line = "GET /" + std::string(8193 - 14, 'a') + " HTTP/1.1\r\n";
  Parsed too_long = parse_request(long_line + "Host: a\r\n\r\n", {}, false);
  EXPECT_EQ(too_long.error_status, 414);

  std::string hundred = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 1; i < 100; ++i) hundred += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(parse_request(hundred + "\r\n", {}, false).status, ParseStatus::kComplete);
  EXPECT_EQ(parse_request(hundred + "X-100: v\r\n\r\n", {}, false).error_status, 431);

  std::string big = "GET / HTTP/1.1\r\nHost: a\r\n";
  while (big.size() + 4108 < 32768) big += "X: " + std::string(4096, 'v') + "\r\n";
  big += "Y: " + std::string(32768 - big.size() - 7, 'v') + "\r\n\r\n";
  ASSERT_EQ(big.size(), 32768u);
  EXPECT_EQ(parse_request(big, {}, false).status, ParseStatus::kComplete);
  big.insert(20, "z");
  EXPECT_EQ(parse_request(big, {}, false).error_status, 431);
}

// ---- Limits are enforced before the head is complete ----

TEST(RequestParser, LongRequestLineRefusedBeforeItEnds) {
  const Limits limits{.max_request_line = 32, .max_header_bytes = 1024, .max_headers = 4};
  // 34 bytes with no CRLF: whatever follows, the line holds more than 32 bytes before its CRLF.
  const std::string prefix = "GET /" + std::string(29, 'a');
  RequestParser parser(limits);
  RequestHead head;
  EXPECT_EQ(parser.parse(prefix.data(), prefix.size() - 1, head), ParseStatus::kIncomplete);
  EXPECT_EQ(parser.parse(prefix.data(), prefix.size(), head), ParseStatus::kError);
  EXPECT_EQ(parser.error_status(), 414);
}

TEST(RequestParser, LargeHeadRefusedBeforeItEnds) {
  const Limits limits{.max_request_line = 64, .max_header_bytes = 128, .max_headers = 100};
  std::string prefix = "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(200, 'v');
  RequestParser parser(limits);
  RequestHead head;
  EXPECT_EQ(parser.parse(prefix.data(), 127, head), ParseStatus::kIncomplete);
  EXPECT_EQ(parser.parse(prefix.data(), 128, head), ParseStatus::kError);
  EXPECT_EQ(parser.error_status(), 431);
  // A large buffer is refused at once, without searching all of it.
  parser.reset();
  prefix.append(1 << 20, 'v');
  EXPECT_EQ(parser.parse(prefix.data(), prefix.size(), head), ParseStatus::kError);
  EXPECT_EQ(parser.error_status(), 431);
}

TEST(RequestParser, TooManyFieldsRefusedBeforeTheHeadEnds) {
  const Limits limits{.max_request_line = 64, .max_header_bytes = 4096, .max_headers = 3};
  const std::string prefix = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n";
  RequestParser parser(limits);
  RequestHead head;
  EXPECT_EQ(parser.parse(prefix.data(), prefix.size(), head), ParseStatus::kError);
  EXPECT_EQ(parser.error_status(), 431);
}

// ---- Work already done is not repeated ----

size_t g_lf_bytes_examined = 0;
size_t counting_find_lf(const char* p, size_t n) {
  const size_t i = scanner_for(ScanIsa::kScalar)->find_lf(p, n);
  g_lf_bytes_examined += i < n ? i + 1 : n;
  return i;
}

TEST(RequestParser, EachByteIsSearchedOnce) {
  Scanner counting = *scanner_for(ScanIsa::kScalar);
  counting.find_lf = &counting_find_lf;
  std::string input = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 50; ++i) input += "X-Field-" + std::to_string(i) + ": some value here\r\n";
  input += "\r\n";
  RequestParser parser(Limits{}, counting);
  RequestHead head;
  g_lf_bytes_examined = 0;
  ParseStatus status = ParseStatus::kIncomplete;
  for (size_t n = 0; n <= input.size() && status == ParseStatus::kIncomplete; ++n) {
    testing::FreshCopy copy(input, n);
    status = parser.parse(copy.data(), n, head);
  }
  ASSERT_EQ(status, ParseStatus::kComplete);
  EXPECT_EQ(g_lf_bytes_examined, input.size());
}

// ---- Rejected requests: each is fed whole and in every split, with every scanner ----

struct Rejection {
  const char* name;
  std::string_view input;
  uint16_t status;
  std::string_view reason;
  Limits limits = {};
};

std::ostream& operator<<(std::ostream& os, const Rejection& r) { return os << r.name; }

constexpr Limits kSmall{.max_request_line = 32, .max_header_bytes = 128, .max_headers = 4};

const Rejection kRejections[] = {
    // Framing that two parties could read differently.
    {"ContentLengthAndTransferEncoding",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
     "both Content-Length and Transfer-Encoding"},
    {"TransferEncodingAndContentLength",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400,
     "both Content-Length and Transfer-Encoding"},
    {"DifferingContentLengths",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400,
     "invalid Content-Length"},
    {"DifferingContentLengthList", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n",
     400, "invalid Content-Length"},
    {"ContentLengthEmptyElement", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,,5\r\n\r\n", 400,
     "invalid Content-Length"},
    {"ContentLengthNonDigit", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5a\r\n\r\n", 400,
     "invalid Content-Length"},
    {"ContentLengthPlus", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", 400,
     "invalid Content-Length"},
    {"ContentLengthMinus", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n", 400,
     "invalid Content-Length"},
    {"ContentLengthHex", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n", 400,
     "invalid Content-Length"},
    {"ContentLengthEmpty", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", 400,
     "invalid Content-Length"},
    {"ContentLengthInnerSpace", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 5\r\n\r\n", 400,
     "invalid Content-Length"},
    {"ContentLengthDecimalPoint", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5.0\r\n\r\n", 400,
     "invalid Content-Length"},
    {"ContentLength2To63",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n", 400,
     "invalid Content-Length"},
    {"ContentLengthOver2To64",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551617\r\n\r\n", 400,
     "invalid Content-Length"},
    {"TransferEncodingGzipOnly", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
     400, "Transfer-Encoding not ending in chunked"},
    {"TransferEncodingChunkedTwice",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400,
     "Transfer-Encoding not ending in chunked"},
    {"TransferEncodingChunkedInTwoFields",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
     "chunked\r\n\r\n",
     400, "Transfer-Encoding not ending in chunked"},
    {"TransferEncodingXchunked",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", 400,
     "Transfer-Encoding not ending in chunked"},
    {"TransferEncodingChunkedThenIdentity",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n", 400,
     "Transfer-Encoding not ending in chunked"},
    {"TransferEncodingTrailingComma",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked,\r\n\r\n", 400,
     "Transfer-Encoding not ending in chunked"},
    {"TransferEncodingWithParameter",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;x=1\r\n\r\n", 400,
     "Transfer-Encoding not ending in chunked"},
    {"TransferEncodingEmpty", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n", 400,
     "Transfer-Encoding not ending in chunked"},
    {"TransferEncodingInHttp10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
     "Transfer-Encoding in HTTP/1.0"},
    // Field syntax.
    {"SpaceBeforeColon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "malformed header field"},
    {"TabBeforeColon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400, "malformed header field"},
    {"ObsFold", "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", 400, "malformed header field"},
    {"ObsFoldTab", "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\tc\r\n\r\n", 400,
     "malformed header field"},
    {"FirstFieldStartsWithSpace", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400,
     "malformed header field"},
    {"EmptyName", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", 400, "malformed header field"},
    {"NoColon", "GET / HTTP/1.1\r\nHost: a\r\nXy\r\n\r\n", 400, "malformed header field"},
    {"NameWithParen", "GET / HTTP/1.1\r\nHost: a\r\nX(y): b\r\n\r\n", 400,
     "malformed header field"},
    {"NameWithAt", "GET / HTTP/1.1\r\nHost: a\r\nX@y: b\r\n\r\n", 400, "malformed header field"},
    {"NameWithQuote", "GET / HTTP/1.1\r\nHost: a\r\nX\"y: b\r\n\r\n", 400,
     "malformed header field"},
    {"NameWithSpace", "GET / HTTP/1.1\r\nHost: a\r\nX y: b\r\n\r\n", 400, "malformed header field"},
    {"NameWithNonAscii", "GET / HTTP/1.1\r\nHost: a\r\n\xc3\x84: b\r\n\r\n", 400,
     "malformed header field"},
    {"NulInName", "GET / HTTP/1.1\r\nHost: a\r\nX\0y: b\r\n\r\n"sv, 400, "malformed header field"},
    {"NulInValue", "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"sv, 400, "malformed header field"},
    {"ControlInValue", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n", 400,
     "malformed header field"},
    {"EscapeInValue", "GET / HTTP/1.1\r\nHost: a\r\nX: \x1b[0m\r\n\r\n", 400,
     "malformed header field"},
    {"VerticalTabInValue", "GET / HTTP/1.1\r\nHost: a\r\nX: a\vb\r\n\r\n", 400,
     "malformed header field"},
    {"DelInValue", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", 400, "malformed header field"},
    {"ControlInLongValue",
     "GET / HTTP/1.1\r\nHost: a\r\nX: 0123456789abcdef0123456789abcdef0123456789\x02xyz\r\n\r\n",
     400, "malformed header field"},
    // Line endings.
    {"BareLfAfterRequestLine", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400, "bare LF"},
    {"BareLfAfterField", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", 400, "bare LF"},
    {"BareLfEndingHead", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400, "bare LF"},
    {"BareLfFirst", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bare LF"},
    {"BareCrInValue", "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400,
     "malformed header field"},
    {"CrBeforeCrlf", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\r\n\r\n", 400, "malformed header field"},
    {"BareCrEndingHead", "GET / HTTP/1.1\r\nHost: a\r\n\r\r\n", 400, "malformed header field"},
    {"BareCrEndingRequestLine", "GET / HTTP/1.1\rHost: a\r\n\r\n", 400, "malformed version"},
    {"BareCrInTarget", "GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed target"},
    {"TooManyLeadingEmptyLines", "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400,
     "empty line before start line"},
    // Request line.
    {"MethodWithParen", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed method"},
    {"MethodWithNonAscii", "G\xc9T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed method"},
    {"NulInMethod", "G\0T / HTTP/1.1\r\nHost: a\r\n\r\n"sv, 400, "malformed method"},
    {"TabAfterMethod", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed method"},
    {"TabAfterPost", "POST\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed method"},
    {"LeadingSpace", " GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed method"},
    {"MissingMethod", "/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed method"},
    {"MethodOnly", "GET\r\nHost: a\r\n\r\n", 400, "malformed method"},
    {"DoubleSpaceAfterMethod", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed target"},
    {"NulInTarget", "GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n"sv, 400, "malformed target"},
    {"TabInTarget", "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed target"},
    {"NonAsciiInTarget", "GET /\xc3\xa4 HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed target"},
    {"DelInTarget", "GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed target"},
    // A fragment, which no client sends (RFC 9112 §3.2), in every form and past the SIMD blocks.
    {"FragmentInTarget", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed target"},
    {"EmptyFragmentInTarget", "GET /a# HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed target"},
    {"FragmentAlone", "GET # HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed target"},
    {"FragmentAfterQuery", "GET /a?b=c#d HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed target"},
    {"FragmentInAbsoluteForm", "GET http://a/b#c HTTP/1.1\r\nHost: a\r\n\r\n", 400,
     "malformed target"},
    {"FragmentAfterAuthority", "GET http://a#/b HTTP/1.1\r\nHost: a\r\n\r\n", 400,
     "malformed target"},
    {"FragmentInLongTarget",
     "GET /0123456789abcdef0123456789abcdef0123456789abcdef#x HTTP/1.1\r\nHost: a\r\n\r\n", 400,
     "malformed target"},
    {"Http09", "GET /\r\n\r\n", 400, "malformed target"},
    {"Http09Prefix", "GET /index.html\r\n", 400, "malformed target"},
    {"MissingTarget", "GET HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed target"},
    {"MissingVersion", "GET / \r\nHost: a\r\n\r\n", 400, "malformed version"},
    {"DoubleSpaceAfterTarget", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed version"},
    {"TrailingSpace", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400, "malformed version"},
    {"ExtraPart", "GET / HTTP/1.1 x\r\nHost: a\r\n\r\n", 400, "malformed version"},
    {"VersionLetterMinor", "GET / HTTP/1.x\r\nHost: a\r\n\r\n", 400, "malformed version"},
    {"VersionLowerCase", "GET / http/1.1\r\nHost: a\r\n\r\n", 400, "malformed version"},
    {"VersionWithoutMinor", "GET / HTTP/1\r\nHost: a\r\n\r\n", 400, "malformed version"},
    {"VersionTwoDigitMinor", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400, "malformed version"},
    {"VersionTwoDigitMajor", "GET / HTTP/11.1\r\nHost: a\r\n\r\n", 400, "malformed version"},
    {"VersionComma", "GET / HTTP/1,1\r\nHost: a\r\n\r\n", 400, "malformed version"},
    {"VersionHttps", "GET / HTTPS/1.1\r\nHost: a\r\n\r\n", 400, "malformed version"},
    // Host.
    {"MissingHost", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400, "missing Host"},
    {"TwoHosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "more than one Host"},
    {"TwoIdenticalHostsDifferentCase", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", 400,
     "more than one Host"},
    {"TwoHostsHttp10", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400, "more than one Host"},
    {"AbsoluteFormOtherHost", "GET http://b/ HTTP/1.1\r\nHost: a\r\n\r\n", 400,
     "Host differs from the target's authority"},
    {"AbsoluteFormOtherPort", "GET http://a:8080/ HTTP/1.1\r\nHost: a\r\n\r\n", 400,
     "Host differs from the target's authority"},
    {"AbsoluteFormOtherPortInHost", "GET http://a/ HTTP/1.1\r\nHost: a:8080\r\n\r\n", 400,
     "Host differs from the target's authority"},
    {"AbsoluteFormHttpsPortForHttp", "GET http://a:443/ HTTP/1.1\r\nHost: a\r\n\r\n", 400,
     "Host differs from the target's authority"},
    {"AbsoluteFormHttpPortForHttps", "GET https://a:80/ HTTP/1.1\r\nHost: a\r\n\r\n", 400,
     "Host differs from the target's authority"},
    {"AbsoluteFormDefaultPortOtherHost", "GET http://b:80/ HTTP/1.1\r\nHost: a\r\n\r\n", 400,
     "Host differs from the target's authority"},
    {"AbsoluteFormDefaultPortAgainstOtherPort", "GET http://a:80/ HTTP/1.1\r\nHost: a:8080\r\n\r\n",
     400, "Host differs from the target's authority"},
    {"AbsoluteFormIpv6OtherPort", "GET http://[::1]:8080/ HTTP/1.1\r\nHost: [::1]\r\n\r\n", 400,
     "Host differs from the target's authority"},
    {"AbsoluteFormWithoutHostHttp10", "GET http://a/ HTTP/1.0\r\n\r\n", 400,
     "Host differs from the target's authority"},
    {"AbsoluteFormUserinfo", "GET http://b@a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400,
     "userinfo in the target"},
    // A Host that a backend could split into host and port otherwise than routing did.
    {"HostWithSpace", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "invalid Host"},
    {"HostWithSlash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "invalid Host"},
    {"HostWithUserinfo", "GET / HTTP/1.1\r\nHost: b@a\r\n\r\n", 400, "invalid Host"},
    {"HostWithTwoPorts", "GET / HTTP/1.1\r\nHost: a:80:90\r\n\r\n", 400, "invalid Host"},
    {"HostWithLetterInPort", "GET / HTTP/1.1\r\nHost: a:8o\r\n\r\n", 400, "invalid Host"},
    {"HostWithUnclosedBracket", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400, "invalid Host"},
    {"HostWithNonAscii", "GET / HTTP/1.1\r\nHost: \xc3\xa4\r\n\r\n", 400, "invalid Host"},
    {"HostInvalidHttp10", "GET / HTTP/1.0\r\nHost: a,b c\r\n\r\n", 400, "invalid Host"},
    {"AbsoluteFormInvalidHost", "GET http://a:80:90/ HTTP/1.1\r\nHost: a:80:90\r\n\r\n", 400,
     "invalid Host"},
    // Versions.
    {"Http20", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "unsupported HTTP version"},
    // A malformed version is reported before an unsupported one, with or without the fast path.
    {"Http20ExtraByte", "GET / HTTP/2.0x\r\nHost: a\r\n\r\n", 400, "malformed version"},
    {"Http20TrailingSpace", "GET / HTTP/2.0 \r\nHost: a\r\n\r\n", 400, "malformed version"},
    {"Http30", "GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505, "unsupported HTTP version"},
    {"Http09Version", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505, "unsupported HTTP version"},
    {"Http2Preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "unsupported HTTP version"},
    {"Http2PrefixOnly", "PRI * HTTP/2.0\r\n", 505, "unsupported HTTP version"},
    // Sizes, with small limits so that every split stays cheap.
    {"RequestLineTooLong", "GET /0123456789abcdefghi HTTP/1.1\r\nHost: a\r\n\r\n", 414,
     "request line too long", kSmall},
    {"RequestLineTooLongUnterminated", "GET /0123456789abcdefghijklmnopqrstuvwxyz", 414,
     "request line too long", kSmall},
    {"RequestLineTooLongAfterEmptyLines", "\r\n\r\nGET /0123456789abcdefghi HTTP/1.1\r\n", 414,
     "request line too long", kSmall},
    {"RequestLineTooLongBareLf", "GET /0123456789abcdefghijkl HTTP/1\n", 414,
     "request line too long", kSmall},
    {"RequestLineLongerThanHeadLimit",
     "GET /0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz HTTP/1.1\r\n",
     431,
     "head too large",
     {.max_request_line = 200, .max_header_bytes = 64, .max_headers = 4}},
    {"HeadTooLarge",
     "GET / HTTP/1.1\r\nHost: a\r\nX: 012345678901234567890123456789012345678901234567890123456789"
     "012345678901234567890123456789012345678901234567890123456789\r\n\r\n",
     431, "head too large", kSmall},
    {"HeadTooLargeByOne",
     "GET / HTTP/1.1\r\nHost: a\r\nX: 012345678901234567890123456789012345678901234567890123456789"
     "0123456789012345678901234567890123456\r\n\r\n",
     431, "head too large", kSmall},
    {"HeadTooLargeUnterminated",
     "GET / HTTP/1.1\r\nHost: a\r\nX: 012345678901234567890123456789012345678901234567890123456789"
     "012345678901234567890123456789012345678901234567890123456789",
     431, "head too large", kSmall},
    {"TooManyFields", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", 431,
     "too many header fields", kSmall},
    {"TooManyEmptyFields", "GET / HTTP/1.1\r\nHost: a\r\nA:\r\nB:\r\nC:\r\nD:\r\nE:\r\n", 431,
     "too many header fields", kSmall},
};

class RequestRejection : public ::testing::TestWithParam<Rejection> {};

TEST_P(RequestRejection, RefusedInEverySplit) {
  const Rejection& r = GetParam();
  Parsed p = parse_request(r.input, r.limits);
  EXPECT_EQ(p.status, ParseStatus::kError);
  EXPECT_EQ(p.error_status, r.status);
  EXPECT_EQ(p.error_reason, r.reason);
}

INSTANTIATE_TEST_SUITE_P(All, RequestRejection, ::testing::ValuesIn(kRejections),
                         [](const auto& param) { return std::string(param.param.name); });

TEST(RequestParser, HeadTooLargeByOneIsOneByteOver) {
  // Keeps the table's boundary cases honest.
  for (const Rejection& r : kRejections) {
    if (std::string_view(r.name) == "HeadTooLargeByOne") {
      EXPECT_EQ(r.input.size(), 129u);
    }
    if (std::string_view(r.name) == "RequestLineTooLong") {
      EXPECT_EQ(r.input.find('\r'), 33u);
    }
  }
}

}  // namespace
}  // namespace fulcrum::http

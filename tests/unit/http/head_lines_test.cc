#include "http/head_lines.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace fulcrum::http {
namespace {

using Event = HeadLines::Event;

std::string_view text(std::string_view data, Line line) {
  return data.substr(line.begin, line.end - line.begin);
}

TEST(HeadLines, YieldsStartLineFieldsAndEnd) {
  constexpr std::string_view kHead = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\nbody";
  HeadLines lines(Limits{}, /*request=*/true, scanner());
  Line line;
  ASSERT_EQ(lines.next(kHead.data(), kHead.size(), line), Event::kStartLine);
  EXPECT_EQ(text(kHead, line), "GET / HTTP/1.1");
  ASSERT_EQ(lines.next(kHead.data(), kHead.size(), line), Event::kFieldLine);
  EXPECT_EQ(text(kHead, line), "A: 1");
  ASSERT_EQ(lines.next(kHead.data(), kHead.size(), line), Event::kFieldLine);
  EXPECT_EQ(text(kHead, line), "B: 2");
  ASSERT_EQ(lines.next(kHead.data(), kHead.size(), line), Event::kEnd);
  EXPECT_EQ(line.end + 2, kHead.find("body"));
  EXPECT_EQ(lines.next(kHead.data(), kHead.size(), line), Event::kEnd);
}

TEST(HeadLines, ResumesWhereItStopped) {
  constexpr std::string_view kHead = "HTTP/1.1 200 OK\r\nA: 1\r\n\r\n";
  HeadLines lines(Limits{}, /*request=*/false, scanner());
  Line line;
  EXPECT_EQ(lines.next(kHead.data(), 10, line), Event::kIncomplete);
  EXPECT_EQ(lines.next(kHead.data(), 16, line), Event::kIncomplete);  // CR, no LF yet
  ASSERT_EQ(lines.next(kHead.data(), 17, line), Event::kStartLine);
  EXPECT_EQ(text(kHead, line), "HTTP/1.1 200 OK");
  EXPECT_EQ(lines.next(kHead.data(), 17, line), Event::kIncomplete);
  ASSERT_EQ(lines.next(kHead.data(), kHead.size(), line), Event::kFieldLine);
  ASSERT_EQ(lines.next(kHead.data(), kHead.size(), line), Event::kEnd);
}

TEST(HeadLines, EmptyLinesBeforeTheStartLine) {
  constexpr std::string_view kRequest = "\r\n\r\nGET / HTTP/1.1\r\n";
  HeadLines request(Limits{}, /*request=*/true, scanner());
  Line line;
  ASSERT_EQ(request.next(kRequest.data(), kRequest.size(), line), Event::kStartLine);
  EXPECT_EQ(line.begin, 4u);

  // Responses have no such allowance.
  constexpr std::string_view kResponse = "\r\nHTTP/1.1 200 OK\r\n";
  HeadLines response(Limits{}, /*request=*/false, scanner());
  EXPECT_EQ(response.next(kResponse.data(), kResponse.size(), line), Event::kError);
  EXPECT_EQ(response.error_status(), 400);
}

TEST(HeadLines, ResponseStartLineIsBoundedByTheHeadLimitOnly) {
  const Limits limits{.max_request_line = 8, .max_header_bytes = 64, .max_headers = 4};
  const std::string head = "HTTP/1.1 200 " + std::string(40, 'x') + "\r\n\r\n";
  HeadLines lines(limits, /*request=*/false, scanner());
  Line line;
  EXPECT_EQ(lines.next(head.data(), head.size(), line), Event::kStartLine);
  EXPECT_EQ(lines.next(head.data(), head.size(), line), Event::kEnd);
}

TEST(HeadLines, ErrorsStick) {
  constexpr std::string_view kBad = "GET / HTTP/1.1\n";
  HeadLines lines(Limits{}, /*request=*/true, scanner());
  Line line;
  ASSERT_EQ(lines.next(kBad.data(), kBad.size(), line), Event::kError);
  EXPECT_EQ(lines.error_status(), 400);
  EXPECT_EQ(lines.error_reason(), "bare LF");
  EXPECT_EQ(lines.next(kBad.data(), kBad.size(), line), Event::kError);
  lines.reset();
  EXPECT_EQ(lines.error_status(), 0);
  EXPECT_EQ(lines.next(kBad.data(), 5, line), Event::kIncomplete);
}

TEST(HeadLines, TakeFieldsStopsBeforeAnyOtherLine) {
  constexpr std::string_view kHead = "GET / HTTP/1.1\r\nA: 1\r\nB:2 \r\n c\r\nD: 4\r\n\r\n";
  HeadLines lines(Limits{}, /*request=*/true, scanner());
  std::vector<HeaderField> fields;
  Line line;
  EXPECT_EQ(lines.take_fields(kHead.data(), kHead.size(), fields), 0u);  // before the start line
  ASSERT_EQ(lines.next(kHead.data(), kHead.size(), line), Event::kStartLine);
  ASSERT_EQ(lines.take_fields(kHead.data(), kHead.size(), fields), 2u);
  EXPECT_EQ(fields[1].name.in(kHead.data()), "B");
  EXPECT_EQ(fields[1].value.in(kHead.data()), "2");
  // The obs-fold line is next()'s to report, as is the end of the head.
  ASSERT_EQ(lines.next(kHead.data(), kHead.size(), line), Event::kFieldLine);
  EXPECT_EQ(text(kHead, line), " c");
  EXPECT_EQ(lines.take_fields(kHead.data(), kHead.size(), fields), 1u);
  EXPECT_EQ(lines.take_fields(kHead.data(), kHead.size(), fields), 0u);
  ASSERT_EQ(lines.next(kHead.data(), kHead.size(), line), Event::kEnd);
  EXPECT_EQ(lines.take_fields(kHead.data(), kHead.size(), fields), 0u);
}

TEST(HeadLines, TakeFieldsLeavesPartialLinesAndBrokenLimitsToNext) {
  constexpr std::string_view kHead = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
  std::vector<HeaderField> fields;
  Line line;
  {
    HeadLines lines(Limits{}, /*request=*/true, scanner());
    ASSERT_EQ(lines.next(kHead.data(), kHead.size(), line), Event::kStartLine);
    EXPECT_EQ(lines.take_fields(kHead.data(), 21, fields), 0u);  // "A: 1\r" without its LF
    EXPECT_EQ(lines.next(kHead.data(), 21, line), Event::kIncomplete);
    // The line is partly searched now, so it is next()'s to finish.
    EXPECT_EQ(lines.take_fields(kHead.data(), kHead.size(), fields), 0u);
    ASSERT_EQ(lines.next(kHead.data(), kHead.size(), line), Event::kFieldLine);
    EXPECT_EQ(lines.take_fields(kHead.data(), kHead.size(), fields), 2u);
  }
  {
    HeadLines lines({.max_headers = 2}, /*request=*/true, scanner());
    fields.clear();
    ASSERT_EQ(lines.next(kHead.data(), kHead.size(), line), Event::kStartLine);
    EXPECT_EQ(lines.take_fields(kHead.data(), kHead.size(), fields), 2u);
    EXPECT_EQ(lines.next(kHead.data(), kHead.size(), line), Event::kError);
    EXPECT_EQ(lines.error_status(), 431);
  }
  {
    // The LF of "B: 2" is at offset 27: a limit of 27 bytes refuses it, since the head would be
    // longer.
    HeadLines lines({.max_header_bytes = 27}, /*request=*/true, scanner());
    fields.clear();
    ASSERT_EQ(lines.next(kHead.data(), kHead.size(), line), Event::kStartLine);
    EXPECT_EQ(lines.take_fields(kHead.data(), kHead.size(), fields), 1u);
    EXPECT_EQ(lines.next(kHead.data(), kHead.size(), line), Event::kError);
    EXPECT_EQ(lines.error_status(), 431);
  }
}

TEST(HeadLines, TakeHeadTakesAWholeHeadAndLeavesTheRestToNext) {
  constexpr std::string_view kHead = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\nbody";
  constexpr size_t kCr = 14;
  std::vector<HeaderField> fields;
  Line line;
  {
    HeadLines lines(Limits{}, /*request=*/true, scanner());
    ASSERT_TRUE(lines.take_head(kHead.data(), kHead.size(), kCr, fields));
    EXPECT_EQ(fields.size(), 2u);
    EXPECT_EQ(lines.head_size(), kHead.find("body"));
    ASSERT_EQ(lines.next(kHead.data(), kHead.size(), line), Event::kEnd);
    EXPECT_EQ(line.end + 2, kHead.find("body"));
  }
  {
    // The final CRLF not whole yet: the fields are taken, the end is next()'s to report.
    HeadLines lines(Limits{}, /*request=*/true, scanner());
    fields.clear();
    EXPECT_FALSE(lines.take_head(kHead.data(), kHead.find("body") - 1, kCr, fields));
    EXPECT_EQ(fields.size(), 2u);
    EXPECT_EQ(lines.next(kHead.data(), kHead.find("body") - 1, line), Event::kIncomplete);
    ASSERT_EQ(lines.next(kHead.data(), kHead.size(), line), Event::kEnd);
    EXPECT_EQ(line.end + 2, kHead.find("body"));
  }
  {
    // An obs-fold line stops the fast path; next() reports it.
    constexpr std::string_view kFolded = "GET / HTTP/1.1\r\nA: 1\r\n b\r\n\r\n";
    HeadLines lines(Limits{}, /*request=*/true, scanner());
    fields.clear();
    EXPECT_FALSE(lines.take_head(kFolded.data(), kFolded.size(), kCr, fields));
    EXPECT_EQ(fields.size(), 1u);
    ASSERT_EQ(lines.next(kFolded.data(), kFolded.size(), line), Event::kFieldLine);
    EXPECT_EQ(text(kFolded, line), " b");
  }
  {
    // A start line beyond the limits is not taken, and next() refuses it.
    HeadLines lines({.max_request_line = 13}, /*request=*/true, scanner());
    fields.clear();
    EXPECT_FALSE(lines.take_head(kHead.data(), kHead.size(), kCr, fields));
    EXPECT_TRUE(fields.empty());
    EXPECT_TRUE(lines.untouched());
    EXPECT_EQ(lines.next(kHead.data(), kHead.size(), line), Event::kError);
    EXPECT_EQ(lines.error_status(), 414);
  }
}

TEST(HeadLines, ParseFieldLine) {
  const Scanner& scan = scanner();
  auto parse = [&](std::string_view line_text, HeaderField& f) {
    const std::string data = std::string(line_text) + "\r\n";
    return parse_field_line(scan, data.data(), data.size(), Line{0, line_text.size()}, f);
  };
  HeaderField f;
  ASSERT_TRUE(parse("Name:  value \t", f));
  EXPECT_EQ(f.name.off, 0u);
  EXPECT_EQ(f.name.len, 4u);
  EXPECT_EQ(f.value.off, 7u);
  EXPECT_EQ(f.value.len, 5u);
  ASSERT_TRUE(parse("N:", f));
  EXPECT_EQ(f.value.len, 0u);
  for (std::string_view bad : {": v", " N: v", "\tN: v", "N : v", "N", "N\x01: v", "N: \x01",
                               "N: a\rb", "N(x): v", "N: \x7f"}) {
    EXPECT_FALSE(parse(bad, f)) << bad;
  }
}

}  // namespace
}  // namespace fulcrum::http

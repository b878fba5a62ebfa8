#include "http/chunked.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "feed.h"

namespace fulcrum::http {
namespace {

using namespace std::string_view_literals;

// What a caller can observe of decoding a body.
struct Decoded {
  bool done = false;
  bool error = false;
  size_t consumed = 0;
  std::string payload;
  size_t runs = 0;  // payload runs seen; not compared, as splitting changes it
  bool operator==(const Decoded& o) const {
    return done == o.done && error == o.error && consumed == o.consumed && payload == o.payload;
  }
};

std::ostream& operator<<(std::ostream& os, const Decoded& d) {
  return os << "{done " << d.done << ", error " << d.error << ", consumed " << d.consumed
            << ", payload \"" << d.payload << "\"}";
}

// Feeds `input` cut at `cuts` (increasing offsets), each piece in a fresh buffer of exactly its
// size, calling next() until the piece is used up or the decoder stops, as the proxy does.
Decoded decode(std::string_view input, const std::vector<size_t>& cuts, uint32_t max_trailer) {
  ChunkedDecoder decoder(max_trailer);
  Decoded d;
  size_t begin = 0;
  for (size_t i = 0; i <= cuts.size() && !decoder.done() && !decoder.error(); ++i) {
    const size_t end = i < cuts.size() ? cuts[i] : input.size();
    const std::string_view piece = input.substr(begin, end - begin);
    testing::FreshCopy copy(piece, piece.size());
    size_t used = 0;
    while (used < piece.size() && !decoder.done() && !decoder.error()) {
      ChunkedDecoder::Step step = decoder.next(copy.data() + used, piece.size() - used);
      if (step.data_len > 0) {
        EXPECT_GE(step.data, copy.data() + used);
        EXPECT_LE(step.data + step.data_len, copy.data() + used + step.consumed);
        d.payload.append(step.data, step.data_len);
        ++d.runs;
      }
      if (step.consumed == 0) {
        EXPECT_TRUE(decoder.done() || decoder.error()) << "no progress";
        break;
      }
      used += step.consumed;
    }
    d.consumed += used;
    begin = end;
  }
  d.done = decoder.done();
  d.error = decoder.error();
  return d;
}

// Decodes `input` whole, byte by byte, and in two pieces split at every offset; expects the
// same outcome from all, and returns it.
Decoded decode_in_every_split(std::string_view input, uint32_t max_trailer = 32768) {
  const Decoded whole = decode(input, {}, max_trailer);
  EXPECT_LE(whole.runs, 1u + std::count(input.begin(), input.end(), '\n'));
  std::vector<size_t> every_byte;
  for (size_t i = 1; i < input.size(); ++i) every_byte.push_back(i);
  EXPECT_EQ(decode(input, every_byte, max_trailer), whole) << "byte by byte";
  for (size_t split = 0; split <= input.size(); ++split) {
    const Decoded got = decode(input, {split}, max_trailer);
    EXPECT_EQ(got, whole) << "split at " << split;
    if (!(got == whole)) break;
  }
  return whole;
}

void expect_body(std::string_view input, std::string_view payload, size_t body_size) {
  SCOPED_TRACE(input);
  const Decoded d = decode_in_every_split(input);
  EXPECT_TRUE(d.done);
  EXPECT_FALSE(d.error);
  EXPECT_EQ(d.payload, payload);
  EXPECT_EQ(d.consumed, body_size);
}

void expect_body(std::string_view input, std::string_view payload) {
  expect_body(input, payload, input.size());
}

void expect_rejected(std::string_view input, uint32_t max_trailer = 32768) {
  SCOPED_TRACE(input);
  const Decoded d = decode_in_every_split(input, max_trailer);
  EXPECT_TRUE(d.error);
  EXPECT_FALSE(d.done);
}

TEST(ChunkedDecoder, Bodies) {
  expect_body("0\r\n\r\n", "");
  expect_body("5\r\nhello\r\n0\r\n\r\n", "hello");
  expect_body("5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n", "hello, world");
  expect_body("A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n", "0123456789abcdefghij");
  expect_body("0005\r\nhello\r\n000\r\n\r\n", "hello");
  expect_body("1\r\n\r\r\n1\r\n\n\r\n0\r\n\r\n", "\r\n");  // CR and LF as payload bytes
  expect_body("3\r\n\0\xff\x7f\r\n0\r\n\r\n"sv, "\0\xff\x7f"sv);
}

TEST(ChunkedDecoder, StopsAtTheEndOfTheBody) {
  expect_body("5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n", "hello", 15);
  expect_body("0\r\n\r\n0\r\n\r\n", "", 5);
  ChunkedDecoder decoder;
  const std::string_view body = "0\r\n\r\nrest";
  ChunkedDecoder::Step step = decoder.next(body.data(), body.size());
  EXPECT_EQ(step.consumed, 5u);
  EXPECT_TRUE(decoder.done());
  step = decoder.next(body.data() + 5, 4);
  EXPECT_EQ(step.consumed, 0u);
  EXPECT_EQ(step.data_len, 0u);
}

TEST(ChunkedDecoder, IncompleteBodies) {
  for (std::string_view input :
       {""sv, "5"sv, "5\r"sv, "5\r\nhel"sv, "5\r\nhello"sv, "5\r\nhello\r"sv, "5\r\nhello\r\n"sv,
        "0\r\n"sv, "0\r\nX: y\r\n"sv, "0\r\n\r"sv, "5;a=\"b"sv}) {
    const Decoded d = decode_in_every_split(input);
    EXPECT_FALSE(d.done) << input;
    EXPECT_FALSE(d.error) << input;
    EXPECT_EQ(d.consumed, input.size()) << input;
  }
}

TEST(ChunkedDecoder, OneRunOfPayloadPerStep) {
  ChunkedDecoder decoder;
  const std::string_view body = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  ChunkedDecoder::Step step = decoder.next(body.data(), body.size());
  EXPECT_EQ(std::string_view(step.data, step.data_len), "abc");
  EXPECT_EQ(step.consumed, 6u);  // "3\r\n" and the payload, nothing after it
  size_t used = step.consumed;
  step = decoder.next(body.data() + used, body.size() - used);
  EXPECT_EQ(std::string_view(step.data, step.data_len), "de");
  used += step.consumed;
  step = decoder.next(body.data() + used, body.size() - used);
  EXPECT_EQ(step.data_len, 0u);
  used += step.consumed;
  EXPECT_EQ(used, body.size());
  EXPECT_TRUE(decoder.done());
}

TEST(ChunkedDecoder, Extensions) {
  expect_body("5;a\r\nhello\r\n0\r\n\r\n", "hello");
  expect_body("5;a=b\r\nhello\r\n0;last\r\n\r\n", "hello");
  expect_body("5 ;a=b\r\nhello\r\n0\r\n\r\n", "hello");
  expect_body("5\t; a = b ;c;d=e \r\nhello\r\n0\r\n\r\n", "hello");
  expect_body("5;a=\"quoted; \\\"string\\\" \\\\ \t\x80\"\r\nhello\r\n0\r\n\r\n", "hello");
  expect_body("5;a=\"\"\r\nhello\r\n0\r\n\r\n", "hello");
  expect_body("5;!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~\r\nhello\r\n0\r\n\r\n", "hello");
}

TEST(ChunkedDecoder, Trailers) {
  expect_body("5\r\nhello\r\n0\r\nX-Checksum: 1234\r\n\r\n", "hello");
  expect_body("0\r\nA: 1\r\nB:\r\nC: \t spaced \x80\t\r\n\r\n", "");
  expect_body("0\r\n!#$%&'*+-.^_`|~: v\r\n\r\n", "");
}

TEST(ChunkedDecoder, HugeChunkSizes) {
  // The largest size accepted: 2^63 - 1, 16 digits with leading zeros too.
  for (std::string_view input :
       {"7fffffffffffffff\r\nsome payload"sv, "7FFFFFFFFFFFFFFF;x=y\r\nsome payload"sv,
        "0000000000000001\r\nx\r\n0\r\n\r\n"sv}) {
    const Decoded d = decode_in_every_split(input);
    EXPECT_FALSE(d.error) << input;
    EXPECT_EQ(d.consumed, input.size()) << input;
  }
  EXPECT_EQ(decode_in_every_split("7fffffffffffffff\r\nsome payload").payload, "some payload");
}

TEST(ChunkedDecoder, RejectsBadSizes) {
  for (std::string_view input : {
           "\r\nhello\r\n0\r\n\r\n"sv,                // empty
           ";a\r\n"sv,                                // empty, with an extension
           "+5\r\nhello\r\n0\r\n\r\n"sv, "-5\r\n"sv,  // signed
           "0x5\r\nhello\r\n0\r\n\r\n"sv,             // prefixed
           "g\r\n"sv, "5g\r\n"sv, "5.0\r\n"sv,        // not hex
           " 5\r\n"sv,                                // whitespace first
           "5 \r\nhello\r\n0\r\n\r\n"sv,              // whitespace without an extension
           "5 5\r\n"sv,
           "8000000000000000\r\n"sv,   // 2^63
           "ffffffffffffffff\r\n"sv,   // 2^64 - 1
           "10000000000000000\r\n"sv,  // 2^64
           "00000000000000001\r\n"sv,  // 17 digits, however small
       }) {
    expect_rejected(input);
  }
}

TEST(ChunkedDecoder, RejectsBadLineEndings) {
  for (std::string_view input : {
           "5\nhello\r\n0\r\n\r\n"sv,                                // bare LF after the size
           "5\rhello\r\n0\r\n\r\n"sv,                                // bare CR after the size
           "5\r\nhello\n0\r\n\r\n"sv,                                // bare LF after the data
           "5\r\nhello\r0\r\n\r\n"sv,                                // bare CR after the data
           "5\r\nhelloX\r\n0\r\n\r\n"sv,                             // data longer than its size
           "5\r\nhell\r\n0\r\n\r\n"sv,                               // data shorter than its size
           "5\r\nhello\r\r\n0\r\n\r\n"sv, "0\n\r\n"sv, "0\r\n\n"sv,  // bare LF in the last chunk
           "0\r\n\r\r"sv, "0\r\n\rX"sv,
           "0\r\nX: y\n\r\n"sv,          // bare LF in a trailer
           "0\r\nX: y\r\r\n\r\n"sv,      // bare CR in a trailer
           "5;a\nhello\r\n0\r\n\r\n"sv,  // bare LF after an extension
       }) {
    expect_rejected(input);
  }
}

TEST(ChunkedDecoder, RejectsBadExtensions) {
  for (std::string_view input : {
           "5;\r\nhello\r\n0\r\n\r\n"sv,  // no name
           "5;=b\r\n"sv,
           "5; ;a\r\n"sv,
           "5;a=\r\n"sv,     // no value
           "5;a=b c\r\n"sv,  // two tokens
           "5;a b\r\n"sv,
           "5;a=\"b\"c\r\n"sv,  // token glued to a quoted string
           "5;a=\"b\r\n"sv,     // unterminated quote: CR is not qdtext
           "5;a=\"b\\\r\n"sv,   // escaped CR
           "5;a=\"\x01\"\r\n"sv,
           "5;a\x01\r\n"sv,
           "5;a=b\0\r\n"sv,
           "5;a(b)\r\n"sv,
           "5;a=b,c\r\n"sv,
           "5,a\r\n"sv,
       }) {
    expect_rejected(input);
  }
}

TEST(ChunkedDecoder, RejectsBadTrailers) {
  for (std::string_view input : {
           "0\r\nX: a\r\n b\r\n\r\n"sv,  // obs-fold
           "0\r\n X: a\r\n\r\n"sv,
           "0\r\nX : a\r\n\r\n"sv,  // whitespace before the colon
           "0\r\n: a\r\n\r\n"sv,    // empty name
           "0\r\nX a\r\n\r\n"sv,    // no colon
           "0\r\nX\r\n\r\n"sv,
           "0\r\nX(y): a\r\n\r\n"sv,  // not a token
           "0\r\nX: a\0b\r\n\r\n"sv,  // control bytes
           "0\r\nX: a\x7f\r\n\r\n"sv,
       }) {
    expect_rejected(input);
  }
}

TEST(ChunkedDecoder, SizeLinesAreBounded) {
  const std::string at_limit =
      "5;a=\"" + std::string(ChunkedDecoder::kMaxSizeLine - 8, 'x') + "\"\r\nhello\r\n0\r\n\r\n";
  ASSERT_EQ(at_limit.find('\n') + 1, ChunkedDecoder::kMaxSizeLine);
  EXPECT_TRUE(decode(at_limit, {}, 32768).done);
  EXPECT_EQ(decode(at_limit, {}, 32768).payload, "hello");

  const std::string over =
      "5;a=\"" + std::string(ChunkedDecoder::kMaxSizeLine - 7, 'x') + "\"\r\nhello\r\n0\r\n\r\n";
  const Decoded d = decode(over, {}, 32768);
  EXPECT_TRUE(d.error);
  EXPECT_EQ(d.consumed, ChunkedDecoder::kMaxSizeLine);
  // The same with a plain extension, which a whole size line takes at once.
  const std::string plain_at_limit =
      "5;a=" + std::string(ChunkedDecoder::kMaxSizeLine - 6, 'x') + "\r\nhello\r\n0\r\n\r\n";
  ASSERT_EQ(plain_at_limit.find('\n') + 1, ChunkedDecoder::kMaxSizeLine);
  EXPECT_EQ(decode_in_every_split(plain_at_limit).payload, "hello");
  const Decoded plain_over = decode_in_every_split(
      "5;a=" + std::string(ChunkedDecoder::kMaxSizeLine - 5, 'x') + "\r\nhello\r\n0\r\n\r\n");
  EXPECT_TRUE(plain_over.error);
  EXPECT_EQ(plain_over.consumed, ChunkedDecoder::kMaxSizeLine);
  // Each size line has its own budget.
  std::string many;
  for (int i = 0; i < 4; ++i) many += "1;" + std::string(3000, 'e') + "\r\nx\r\n";
  many += "0\r\n\r\n";
  EXPECT_TRUE(decode(many, {}, 32768).done);
}

TEST(ChunkedDecoder, TrailersAreBounded) {
  // "X: 1234\r\n" (9) and the final CRLF (2): 11 bytes of trailer section.
  const std::string_view body = "0\r\nX: 1234\r\n\r\n";
  EXPECT_TRUE(decode_in_every_split(body, 11).done);
  expect_rejected(body, 10);
  expect_rejected("0\r\n\r\n", 1);
}

TEST(ChunkedDecoder, ErrorStopsBeforeTheOffendingByteAndSticks) {
  ChunkedDecoder decoder;
  const std::string_view body = "5\r\nhelloX\r\n";
  ChunkedDecoder::Step step = decoder.next(body.data(), body.size());
  EXPECT_EQ(step.data_len, 5u);
  step = decoder.next(body.data() + 8, body.size() - 8);
  EXPECT_TRUE(decoder.error());
  EXPECT_EQ(step.consumed, 0u);
  EXPECT_EQ(decoder.next("0\r\n\r\n", 5).consumed, 0u);
  decoder.reset();
  EXPECT_FALSE(decoder.error());
  EXPECT_EQ(decoder.next("0\r\n\r\n", 5).consumed, 5u);
  EXPECT_TRUE(decoder.done());
}

}  // namespace
}  // namespace fulcrum::http

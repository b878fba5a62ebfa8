// Fuzz target: the response head parser (http/response_parser.h).
//
// The input is what a backend sends: a head, perhaps a body after it. It is parsed as the answer
// to a HEAD request and as the answer to any other, with default limits and again with small
// fuzzer-chosen ones, each time:
//  - whole, by every scanner the CPU has, which must all agree;
//  - growing in three pieces split at fuzzer-chosen offsets, each piece a fresh copy of exactly the
//    bytes given so far, which must give what the whole gave;
//  - again after reset() into the same head, which must give the same again;
//  - when complete, from exactly head_size bytes, which must give the same head.
// A complete head must lie within what was given, with every slice inside the head and its framing
// consistent with its status. Whether the request was HEAD may change the framing and nothing else:
// not whether the head is accepted, nor its fields.
//
// (head_request is not read from the input's first byte: both values are tried on every input,
// so that the seeds stay byte-exact responses.)
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string_view>
#include <vector>

#include "fuzz_target.h"
#include "http/message.h"
#include "http/response_parser.h"
#include "http/scan.h"

namespace fulcrum::http {
namespace {

using fuzz::Choices;
using fuzz::FreshCopy;

struct Outcome {
  ParseStatus status = ParseStatus::kIncomplete;
  std::string_view error_reason;
  ResponseHead head;  // meaningful when status is kComplete
};

bool same_slice(Slice a, Slice b) { return a.off == b.off && a.len == b.len; }

// Whether two parses of the same bytes found the same head; framing and persistence are left out
// when only the head_request flag told them apart.
bool same(const Outcome& a, const Outcome& b, bool compare_framing = true) {
  if (a.status != b.status) return false;
  if (a.status == ParseStatus::kError) return a.error_reason == b.error_reason;
  if (a.status == ParseStatus::kIncomplete) return true;
  const ResponseHead& x = a.head;
  const ResponseHead& y = b.head;
  if (x.headers.size() != y.headers.size()) return false;
  for (size_t i = 0; i < x.headers.size(); ++i) {
    if (!same_slice(x.headers[i].name, y.headers[i].name) ||
        !same_slice(x.headers[i].value, y.headers[i].value)) {
      return false;
    }
  }
  if (compare_framing && (x.framing != y.framing || x.content_length != y.content_length ||
                          x.keep_alive != y.keep_alive)) {
    return false;
  }
  return x.status == y.status && same_slice(x.reason, y.reason) &&
         x.version_minor == y.version_minor && x.head_size == y.head_size;
}

void print(const char* label, const Outcome& o) {
  static const char* const kStatus[] = {"incomplete", "complete", "error"};
  std::fprintf(stderr, "%s: %s", label, kStatus[static_cast<int>(o.status)]);
  if (o.status == ParseStatus::kError) {
    std::fprintf(stderr, " %.*s", static_cast<int>(o.error_reason.size()), o.error_reason.data());
  } else if (o.status == ParseStatus::kComplete) {
    const ResponseHead& h = o.head;
    std::fprintf(stderr,
                 " status=%u reason=%u+%u 1.%d framing=%d length=%llu keep_alive=%d size=%u "
                 "fields=%zu",
                 h.status, h.reason.off, h.reason.len, h.version_minor, static_cast<int>(h.framing),
                 static_cast<unsigned long long>(h.content_length), h.keep_alive, h.head_size,
                 h.headers.size());
  }
  std::fprintf(stderr, "\n");
}

// `want` is always the scalar parse of the whole input.
void expect_same(std::string_view what, const Outcome& want, const Outcome& got,
                 bool compare_framing = true) {
  if (same(want, got, compare_framing)) return;
  std::fprintf(stderr, "response parser: %.*s differs from the whole scalar parse\n",
               static_cast<int>(what.size()), what.data());
  print("  want", want);
  print("  got ", got);
  FUZZ_CHECK(same(want, got, compare_framing));
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// What any outcome of parsing data[0, len) must satisfy.
void check_invariants(const char* data, size_t len, const Limits& limits, bool head_request,
                      const Outcome& o) {
  if (o.status == ParseStatus::kIncomplete) {
    // Past max_header_bytes the head is complete or refused, never awaited.
    FUZZ_CHECK(len <= limits.max_header_bytes);
    return;
  }
  if (o.status == ParseStatus::kError) {
    FUZZ_CHECK(!o.error_reason.empty());
    return;
  }
  const ResponseHead& h = o.head;
  const uint32_t size = h.head_size;
  FUZZ_CHECK(size >= 16 && size <= len && size <= limits.max_header_bytes);
  FUZZ_CHECK(std::memcmp(data + size - 4, "\r\n\r\n", 4) == 0);

  // status-line = HTTP-version SP status-code SP [ reason-phrase ], from the first byte.
  FUZZ_CHECK(std::memcmp(data, "HTTP/1.", 7) == 0 && data[8] == ' ');
  FUZZ_CHECK(h.version_minor <= 1);
  FUZZ_CHECK(is_digit(data[9]) && is_digit(data[10]) && is_digit(data[11]));
  FUZZ_CHECK(h.status == (data[9] - '0') * 100 + (data[10] - '0') * 10 + (data[11] - '0'));
  FUZZ_CHECK(h.status >= 100 && h.status <= 999);
  // The reason follows the status code's SP, or, missing with its SP, ends the line there.
  FUZZ_CHECK(fuzz::within(h.reason, size) && (h.reason.off == 12 || h.reason.off == 13));
  FUZZ_CHECK(h.reason.off == 12 ? h.reason.len == 0 : data[12] == ' ');
  FUZZ_CHECK(fuzz::all_of(data + h.reason.off, h.reason.len, is_field_value_char));
  const uint64_t line_end = uint64_t{h.reason.off} + h.reason.len;
  FUZZ_CHECK(line_end + 2 <= size && std::memcmp(data + line_end, "\r\n", 2) == 0);

  FUZZ_CHECK(h.headers.size() <= limits.max_headers);
  for (const HeaderField& f : h.headers) {
    FUZZ_CHECK(f.name.len > 0 && fuzz::within(f.name, size) && f.name.off > line_end);
    FUZZ_CHECK(fuzz::all_of(data + f.name.off, f.name.len, is_token_char));
    FUZZ_CHECK(data[f.name.off + f.name.len] == ':');
    FUZZ_CHECK(fuzz::within(f.value, size) && f.value.off > f.name.off + f.name.len);
    FUZZ_CHECK(fuzz::all_of(data + f.value.off, f.value.len, is_field_value_char));
    if (f.value.len > 0) {
      FUZZ_CHECK(!fuzz::is_ows(data[f.value.off]) &&
                 !fuzz::is_ows(data[f.value.off + f.value.len - 1]));
    }
  }

  const bool no_body = head_request || h.status < 200 || h.status == 204 || h.status == 304;
  FUZZ_CHECK(no_body == (h.framing == Framing::kNone));
  // A length comes from a Content-Length field, which frames the body unless there is none.
  if (h.framing == Framing::kChunked || h.framing == Framing::kUntilClose) {
    FUZZ_CHECK(h.content_length == 0);
  }
  if (h.content_length != 0) {
    bool has_field = false;
    for (const HeaderField& f : h.headers) {
      has_field = has_field || equals_ignore_case(f.name.in(data), "content-length");
    }
    FUZZ_CHECK(has_field);
  }
  FUZZ_CHECK(h.content_length <= uint64_t{std::numeric_limits<int64_t>::max()});
  if (h.framing == Framing::kUntilClose || h.status == 101) FUZZ_CHECK(!h.keep_alive);
  if (h.version_minor == 0) FUZZ_CHECK(h.framing != Framing::kChunked);
}

void record_error(const ResponseParser& parser, Outcome& o) {
  if (o.status == ParseStatus::kError) o.error_reason = parser.error_reason();
}

// Parses `input` given whole, with the contract's promise that a finished parse stays finished.
Outcome parse_whole(std::string_view input, const Limits& limits, const Scanner& scan,
                    bool head_request) {
  FreshCopy copy(input, input.size());
  ResponseParser parser(limits, scan);
  Outcome o;
  o.status = parser.parse(copy.data(), copy.size(), o.head, head_request);
  record_error(parser, o);
  check_invariants(copy.data(), copy.size(), limits, head_request, o);
  if (o.status != ParseStatus::kIncomplete) {
    FUZZ_CHECK(parser.parse(copy.data(), copy.size(), o.head, head_request) == o.status);
  }
  return o;
}

Outcome check(std::string_view input, const Limits& limits, bool head_request, Choices& choices) {
  const Outcome whole = parse_whole(input, limits, *fuzz::scanners()[0], head_request);  // scalar
  for (size_t i = 1; i < fuzz::scanners().size(); ++i) {
    const Outcome simd = parse_whole(input, limits, *fuzz::scanners()[i], head_request);
    expect_same(isa_name(fuzz::scanners()[i]->isa), whole, simd);
  }

  const Scanner& scan = *fuzz::scanners()[choices.below(fuzz::scanners().size())];
  const size_t first = choices.below(input.size() + 1);
  const size_t second = first + choices.below(input.size() - first + 1);
  ResponseParser parser(limits, scan);
  Outcome split;
  for (size_t n : {first, second, input.size()}) {
    FreshCopy copy(input, n);
    split.status = parser.parse(copy.data(), n, split.head, head_request);
    if (split.status != ParseStatus::kIncomplete || n == input.size()) {
      record_error(parser, split);
      check_invariants(copy.data(), n, limits, head_request, split);
      break;
    }
  }
  expect_same("the split parse", whole, split);

  // reset() must forget everything, though `out` still holds the previous head's fields.
  parser.reset();
  {
    FreshCopy copy(input, input.size());
    Outcome again;
    again.head = split.head;
    again.status = parser.parse(copy.data(), copy.size(), again.head, head_request);
    record_error(parser, again);
    expect_same("the parse after reset()", whole, again);
  }

  // A head does not depend on the bytes that follow it.
  if (whole.status == ParseStatus::kComplete) {
    const Outcome head_only =
        parse_whole(input.substr(0, whole.head.head_size), limits, scan, head_request);
    expect_same("the parse of the head alone", whole, head_only);
  }
  return whole;
}

void check_both(std::string_view input, const Limits& limits, Choices& choices) {
  const Outcome other = check(input, limits, /*head_request=*/false, choices);
  const Outcome head = check(input, limits, /*head_request=*/true, choices);
  expect_same("the parse as an answer to HEAD", other, head, /*compare_framing=*/false);
}

}  // namespace
}  // namespace fulcrum::http

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fulcrum::http;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  fulcrum::fuzz::Choices choices(data, size);
  check_both(input, Limits{}, choices);
  Limits small;
  small.max_request_line = static_cast<uint32_t>(1 + choices.below(64));  // unused by responses
  small.max_header_bytes = static_cast<uint32_t>(1 + choices.below(512));
  small.max_headers = static_cast<uint32_t>(choices.below(8));
  check_both(input, small, choices);
  return 0;
}

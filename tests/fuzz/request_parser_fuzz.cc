// Fuzz target: the request head parser (http/request_parser.h).
//
// The input is what a client sends: a head, perhaps a body or the next request after it. It is
// parsed, with default limits and again with small fuzzer-chosen ones (so that short inputs reach
// the 414 and 431 paths):
//  - whole, by every scanner the CPU has, which must all agree;
//  - growing in three pieces split at fuzzer-chosen offsets, each piece a fresh copy of exactly the
//    bytes given so far, which must give what the whole gave;
//  - again after reset() into the same head, which must give the same again;
//  - when complete, from exactly head_size bytes, which must give the same head.
// A complete head must lie within what was given, with every slice inside the head and every
// field as the grammar allows; an error must carry one of the documented statuses.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <string_view>
#include <vector>

#include "fuzz_target.h"
#include "http/message.h"
#include "http/request_parser.h"
#include "http/scan.h"

namespace fulcrum::http {
namespace {

using fuzz::Choices;
using fuzz::FreshCopy;

struct Outcome {
  ParseStatus status = ParseStatus::kIncomplete;
  uint16_t error_status = 0;
  std::string_view error_reason;
  RequestHead head;  // meaningful when status is kComplete
};

bool same_slice(Slice a, Slice b) { return a.off == b.off && a.len == b.len; }

bool same(const Outcome& a, const Outcome& b) {
  if (a.status != b.status) return false;
  if (a.status == ParseStatus::kError) {
    return a.error_status == b.error_status && a.error_reason == b.error_reason;
  }
  if (a.status == ParseStatus::kIncomplete) return true;
  const RequestHead& x = a.head;
  const RequestHead& y = b.head;
  if (x.headers.size() != y.headers.size()) return false;
  for (size_t i = 0; i < x.headers.size(); ++i) {
    if (!same_slice(x.headers[i].name, y.headers[i].name) ||
        !same_slice(x.headers[i].value, y.headers[i].value)) {
      return false;
    }
  }
  return x.method == y.method && same_slice(x.method_name, y.method_name) &&
         same_slice(x.target, y.target) && x.version_minor == y.version_minor &&
         x.framing == y.framing && x.content_length == y.content_length &&
         x.keep_alive == y.keep_alive && x.expect_continue == y.expect_continue &&
         x.upgrade == y.upgrade && same_slice(x.host, y.host) && x.head_size == y.head_size;
}

void print(const char* label, const Outcome& o) {
  static const char* const kStatus[] = {"incomplete", "complete", "error"};
  std::fprintf(stderr, "%s: %s", label, kStatus[static_cast<int>(o.status)]);
  if (o.status == ParseStatus::kError) {
    std::fprintf(stderr, " %u %.*s", o.error_status, static_cast<int>(o.error_reason.size()),
                 o.error_reason.data());
  } else if (o.status == ParseStatus::kComplete) {
    const RequestHead& h = o.head;
    std::fprintf(stderr,
                 " method=%d name=%u+%u target=%u+%u 1.%d framing=%d length=%llu keep_alive=%d "
                 "expect=%d upgrade=%d host=%u+%u size=%u fields=%zu",
                 static_cast<int>(h.method), h.method_name.off, h.method_name.len, h.target.off,
                 h.target.len, h.version_minor, static_cast<int>(h.framing),
                 static_cast<unsigned long long>(h.content_length), h.keep_alive, h.expect_continue,
                 h.upgrade, h.host.off, h.host.len, h.head_size, h.headers.size());
  }
  std::fprintf(stderr, "\n");
}

// `want` is always the scalar parse of the whole input.
void expect_same(std::string_view what, const Outcome& want, const Outcome& got) {
  if (same(want, got)) return;
  std::fprintf(stderr, "request parser: %.*s differs from the whole scalar parse\n",
               static_cast<int>(what.size()), what.data());
  print("  want", want);
  print("  got ", got);
  FUZZ_CHECK(same(want, got));
}

Method method_named(std::string_view name) {
  static constexpr std::string_view kNames[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                                "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  for (size_t i = 0; i < std::size(kNames); ++i) {
    if (name == kNames[i]) return static_cast<Method>(i);
  }
  return Method::kOther;
}

// What any outcome of parsing data[0, len) must satisfy.
void check_invariants(const char* data, size_t len, const Limits& limits, const Outcome& o) {
  if (o.status == ParseStatus::kIncomplete) {
    // Past max_header_bytes the head is complete or refused, never awaited.
    FUZZ_CHECK(len <= limits.max_header_bytes);
    return;
  }
  if (o.status == ParseStatus::kError) {
    FUZZ_CHECK(o.error_status == 400 || o.error_status == 414 || o.error_status == 431 ||
               o.error_status == 505);
    FUZZ_CHECK(!o.error_reason.empty());
    return;
  }
  const RequestHead& h = o.head;
  const uint32_t size = h.head_size;
  FUZZ_CHECK(size >= 4 && size <= len && size <= limits.max_header_bytes);
  FUZZ_CHECK(std::memcmp(data + size - 4, "\r\n\r\n", 4) == 0);

  // request-line = method SP request-target SP HTTP-version
  FUZZ_CHECK(h.method_name.len > 0 && fuzz::within(h.method_name, size));
  FUZZ_CHECK(fuzz::all_of(data + h.method_name.off, h.method_name.len, is_token_char));
  FUZZ_CHECK(h.method == method_named(h.method_name.in(data)));
  const uint64_t method_end = uint64_t{h.method_name.off} + h.method_name.len;
  FUZZ_CHECK(h.target.off == method_end + 1 && data[method_end] == ' ');
  FUZZ_CHECK(h.target.len > 0 && fuzz::within(h.target, size));
  FUZZ_CHECK(fuzz::all_of(data + h.target.off, h.target.len, is_target_char));
  const uint64_t version = uint64_t{h.target.off} + h.target.len + 1;
  FUZZ_CHECK(version + 10 <= size && data[version - 1] == ' ');
  FUZZ_CHECK(std::memcmp(data + version, "HTTP/1.", 7) == 0);
  FUZZ_CHECK(std::memcmp(data + version + 8, "\r\n", 2) == 0);
  FUZZ_CHECK(h.version_minor <= 1);
  FUZZ_CHECK(version + 8 - h.method_name.off <= limits.max_request_line);

  FUZZ_CHECK(h.headers.size() <= limits.max_headers);
  for (const HeaderField& f : h.headers) {
    FUZZ_CHECK(f.name.len > 0 && fuzz::within(f.name, size) && f.name.off > version);
    FUZZ_CHECK(fuzz::all_of(data + f.name.off, f.name.len, is_token_char));
    FUZZ_CHECK(data[f.name.off + f.name.len] == ':');
    FUZZ_CHECK(fuzz::within(f.value, size) && f.value.off > f.name.off + f.name.len);
    FUZZ_CHECK(fuzz::all_of(data + f.value.off, f.value.len, is_field_value_char));
    if (f.value.len > 0) {
      FUZZ_CHECK(!fuzz::is_ows(data[f.value.off]) &&
                 !fuzz::is_ows(data[f.value.off + f.value.len - 1]));
    }
  }
  FUZZ_CHECK(fuzz::within(h.host, size));

  FUZZ_CHECK(h.framing == Framing::kNone || h.framing == Framing::kContentLength ||
             h.framing == Framing::kChunked);
  if (h.framing != Framing::kContentLength) FUZZ_CHECK(h.content_length == 0);
  FUZZ_CHECK(h.content_length <= uint64_t{std::numeric_limits<int64_t>::max()});
  if (h.version_minor == 0) FUZZ_CHECK(h.framing != Framing::kChunked && !h.expect_continue);
}

void record_error(const RequestParser& parser, Outcome& o) {
  if (o.status != ParseStatus::kError) return;
  o.error_status = parser.error_status();
  o.error_reason = parser.error_reason();
}

// Parses `input` given whole, with the contract's promise that a finished parse stays finished.
Outcome parse_whole(std::string_view input, const Limits& limits, const Scanner& scan) {
  FreshCopy copy(input, input.size());
  RequestParser parser(limits, scan);
  Outcome o;
  o.status = parser.parse(copy.data(), copy.size(), o.head);
  record_error(parser, o);
  check_invariants(copy.data(), copy.size(), limits, o);
  if (o.status != ParseStatus::kIncomplete) {
    FUZZ_CHECK(parser.parse(copy.data(), copy.size(), o.head) == o.status);
  }
  return o;
}

void check(std::string_view input, const Limits& limits, Choices& choices) {
  const Outcome whole = parse_whole(input, limits, *fuzz::scanners()[0]);  // scalar
  for (size_t i = 1; i < fuzz::scanners().size(); ++i) {
    const Outcome simd = parse_whole(input, limits, *fuzz::scanners()[i]);
    expect_same(isa_name(fuzz::scanners()[i]->isa), whole, simd);
  }

  const Scanner& scan = *fuzz::scanners()[choices.below(fuzz::scanners().size())];
  const size_t first = choices.below(input.size() + 1);
  const size_t second = first + choices.below(input.size() - first + 1);
  RequestParser parser(limits, scan);
  Outcome split;
  for (size_t n : {first, second, input.size()}) {
    FreshCopy copy(input, n);
    split.status = parser.parse(copy.data(), n, split.head);
    if (split.status != ParseStatus::kIncomplete || n == input.size()) {
      record_error(parser, split);
      check_invariants(copy.data(), n, limits, split);
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
    again.status = parser.parse(copy.data(), copy.size(), again.head);
    record_error(parser, again);
    expect_same("the parse after reset()", whole, again);
  }

  // A head does not depend on the bytes that follow it.
  if (whole.status == ParseStatus::kComplete) {
    const Outcome head_only = parse_whole(input.substr(0, whole.head.head_size), limits, scan);
    expect_same("the parse of the head alone", whole, head_only);
  }
}

}  // namespace
}  // namespace fulcrum::http

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fulcrum::http;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  fulcrum::fuzz::Choices choices(data, size);
  check(input, Limits{}, choices);
  Limits small;
  small.max_request_line = static_cast<uint32_t>(1 + choices.below(64));
  small.max_header_bytes = static_cast<uint32_t>(1 + choices.below(512));
  small.max_headers = static_cast<uint32_t>(choices.below(8));
  check(input, small, choices);
  return 0;
}

#pragma once
// Feeding a head parser its input in every split (DESIGN principle 6).
//
// Every call gets a fresh copy of exactly the bytes it may see, in a buffer of exactly that size:
// a parser that kept a pointer from an earlier call, or read past the end, reads freed or
// out-of-bounds memory (which ASan reports) or bytes that are no longer there.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"
#include "http/request_parser.h"
#include "http/response_parser.h"
#include "http/scan.h"

namespace fulcrum::http::testing {

class FreshCopy {
 public:
  FreshCopy(std::string_view input, size_t n) : bytes_(new char[n == 0 ? 1 : n]) {
    std::memcpy(bytes_.get(), input.data(), n);
  }
  const char* data() const { return bytes_.get(); }

 private:
  std::unique_ptr<char[]> bytes_;
};

// What a caller can observe of a parse: its status and, rendered, the head or the error.
struct Outcome {
  ParseStatus status = ParseStatus::kIncomplete;
  std::string detail;
  bool operator==(const Outcome&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  static const char* const kNames[] = {"incomplete", "complete", "error"};
  return os << kNames[static_cast<int>(o.status)] << " [" << o.detail << "]";
}

inline std::vector<const Scanner*> all_scanners() {
  std::vector<const Scanner*> out;
  for (ScanIsa isa : {ScanIsa::kScalar, ScanIsa::kSse42, ScanIsa::kAvx2}) {
    if (const Scanner* s = scanner_for(isa)) out.push_back(s);
  }
  return out;
}

// Parses `input` whole, then growing one byte at a time with one parser, then in two pieces split
// at every offset, and expects the three to agree. Returns the whole outcome. A Harness gives
// make() for a fresh parser, parse(parser, data, len, head), and describe(parser, status, data,
// head) to render an outcome.
template <class Harness>
Outcome parse_in_every_split(const Harness& h, std::string_view input) {
  using Head = typename Harness::Head;
  auto observe = [&](auto& parser, ParseStatus status, const char* data, const Head& head) {
    return Outcome{status, h.describe(parser, status, data, head)};
  };

  Outcome whole;
  {
    auto parser = h.make();
    Head head;
    FreshCopy copy(input, input.size());
    whole = observe(parser, h.parse(parser, copy.data(), input.size(), head), copy.data(), head);
  }
  {
    auto parser = h.make();
    Head head;
    Outcome got;
    size_t n = 0;
    for (; n <= input.size(); ++n) {
      FreshCopy copy(input, n);
      ParseStatus status = h.parse(parser, copy.data(), n, head);
      got = observe(parser, status, copy.data(), head);
      if (status != ParseStatus::kIncomplete) break;
    }
    EXPECT_EQ(got, whole) << "fed growing one byte at a time, stopped after " << n << " bytes";
  }
  for (size_t split = 0; split <= input.size(); ++split) {
    auto parser = h.make();
    Head head;
    FreshCopy first(input, split);
    ParseStatus status = h.parse(parser, first.data(), split, head);
    Outcome got = observe(parser, status, first.data(), head);
    if (status == ParseStatus::kIncomplete) {
      FreshCopy all(input, input.size());
      got = observe(parser, h.parse(parser, all.data(), input.size(), head), all.data(), head);
    }
    EXPECT_EQ(got, whole) << "fed in two pieces split at " << split;
    if (got != whole) break;  // one split is enough to show the bug
  }
  return whole;
}

inline std::string render_fields(const char* base, const std::vector<HeaderField>& fields) {
  std::string out;
  for (const HeaderField& f : fields) {
    out.append(f.name.in(base)).append(": ").append(f.value.in(base)).append("|");
  }
  return out;
}

// Harnesses for parse_in_every_split: what a caller sees of a request or response parse.
struct RequestHarness {
  using Head = RequestHead;
  Limits limits;
  const Scanner* scan;

  RequestParser make() const { return RequestParser(limits, *scan); }
  ParseStatus parse(RequestParser& p, const char* data, size_t len, RequestHead& head) const {
    return p.parse(data, len, head);
  }
  std::string describe(const RequestParser& p, ParseStatus status, const char* base,
                       const RequestHead& h) const {
    if (status == ParseStatus::kIncomplete) return "";
    if (status == ParseStatus::kError) {
      return std::to_string(p.error_status()) + " " + std::string(p.error_reason());
    }
    std::ostringstream os;
    os << h.method_name.in(base) << " " << h.target.in(base) << " 1." << int{h.version_minor}
       << " method=" << int(h.method) << " framing=" << int(h.framing)
       << " length=" << h.content_length << " keep_alive=" << h.keep_alive
       << " expect=" << h.expect_continue << " upgrade=" << h.upgrade << " host=" << h.host.in(base)
       << " size=" << h.head_size << " " << render_fields(base, h.headers);
    return os.str();
  }
};

struct ResponseHarness {
  using Head = ResponseHead;
  Limits limits;
  const Scanner* scan;
  bool head_request;

  ResponseParser make() const { return ResponseParser(limits, *scan); }
  ParseStatus parse(ResponseParser& p, const char* data, size_t len, ResponseHead& head) const {
    return p.parse(data, len, head, head_request);
  }
  std::string describe(const ResponseParser& p, ParseStatus status, const char* base,
                       const ResponseHead& h) const {
    if (status == ParseStatus::kIncomplete) return "";
    if (status == ParseStatus::kError) return std::string(p.error_reason());
    std::ostringstream os;
    os << h.status << " [" << h.reason.in(base) << "] 1." << int{h.version_minor}
       << " framing=" << int(h.framing) << " length=" << h.content_length
       << " keep_alive=" << h.keep_alive << " size=" << h.head_size << " "
       << render_fields(base, h.headers);
    return os.str();
  }
};

}  // namespace fulcrum::http::testing

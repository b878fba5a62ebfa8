// Fuzz target: the byte scans of the head parsers (http/scan.h), the SIMD twins against the
// scalar forms and the scalar forms against the byte classes.
//
// The input is any bytes. Each of the four scans of every scanner the CPU has runs on ranges of it
// that start at each of the first 33 offsets and end at the input's end, on prefixes that end at
// each of the last 33 bytes, and on a few fuzzer-chosen ranges; every range is in a buffer of
// exactly its size, so that a form reading past its range is caught by ASan. Every form must return
// what the byte classes say: the index of the first byte with the scan's stop property, or the
// range's length if none has it. Offsets and lengths cover every position modulo the 16- and
// 32-byte blocks of the SIMD forms, so only the first kMaxInput bytes are used: longer inputs would
// only slow the fuzzer down. Scanner::field_lines runs on the whole input from each of those
// starts, against a reference that takes the lines byte by byte.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <vector>

#include "fuzz_target.h"
#include "http/scan.h"

namespace fulcrum::http {
namespace {

using fuzz::Choices;
using fuzz::FreshCopy;

constexpr size_t kMaxInput = 1024;

using ScanFn = size_t (*)(const char*, size_t);

struct Scan {
  const char* name;
  ScanFn Scanner::*fn;
  bool (*stops)(char c);
};

const Scan kScans[] = {
    {"find_lf", &Scanner::find_lf, [](char c) { return c == '\n'; }},
    {"span_token", &Scanner::span_token, [](char c) { return !is_token_char(c); }},
    {"span_field_value", &Scanner::span_field_value,
     [](char c) { return !is_field_value_char(c); }},
    {"span_target", &Scanner::span_target, [](char c) { return !is_target_char(c); }},
};

size_t reference(const Scan& scan, const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (scan.stops(p[i])) return i;
  }
  return n;
}

// Scanner::field_lines from the grammar, one line and one byte at a time.
size_t reference_field_lines(const char* p, size_t begin, size_t n, size_t max,
                             std::vector<HeaderField>& fields) {
  const auto ows = [](char c) { return c == ' ' || c == '\t'; };
  size_t line = begin;
  while (fields.size() < max) {
    size_t colon = line;
    while (colon < n && is_token_char(p[colon])) ++colon;
    if (colon == line || colon == n || p[colon] != ':') break;
    size_t value = colon + 1;
    while (value < n && ows(p[value])) ++value;
    size_t cr = value;
    while (cr < n && is_field_value_char(p[cr])) ++cr;
    if (n - cr < 2 || p[cr] != '\r' || p[cr + 1] != '\n') break;
    size_t end = cr;
    while (end > value && ows(p[end - 1])) --end;
    fields.push_back({{static_cast<uint32_t>(line), static_cast<uint32_t>(colon - line)},
                      {static_cast<uint32_t>(value), static_cast<uint32_t>(end - value)}});
    line = cr + 2;
  }
  return line;
}

// Every scanner's field_lines from `begin`, with and without a bound on the fields taken.
void check_field_lines(const char* p, size_t begin, size_t n) {
  for (size_t max : {size_t{1000}, size_t{2}}) {
    std::vector<HeaderField> want;
    const size_t want_next = reference_field_lines(p, begin, n, max, want);
    for (const Scanner* s : fuzz::scanners()) {
      std::vector<HeaderField> got;
      FUZZ_CHECK(s->field_lines(p, begin, n, max, got) == want_next);
      FUZZ_CHECK(got.size() == want.size());
      for (size_t i = 0; i < got.size(); ++i) {
        FUZZ_CHECK(got[i].name.off == want[i].name.off && got[i].name.len == want[i].name.len &&
                   got[i].value.off == want[i].value.off && got[i].value.len == want[i].value.len);
      }
    }
  }
}

// Runs every scan of every scanner on [p, p + n) and expects the reference's answer.
void check_range(const char* p, size_t n) {
  for (const Scan& scan : kScans) {
    const size_t want = reference(scan, p, n);
    for (const Scanner* s : fuzz::scanners()) {
      const size_t got = (s->*scan.fn)(p, n);
      if (got != want) {
        const std::string_view isa = isa_name(s->isa);
        std::fprintf(stderr, "%s on %.*s over %zu bytes: %zu, want %zu\n", scan.name,
                     static_cast<int>(isa.size()), isa.data(), n, got, want);
      }
      FUZZ_CHECK(got == want);
    }
  }
}

void check_copy(std::string_view bytes) {
  FreshCopy copy(bytes, bytes.size());
  check_range(copy.data(), copy.size());
}

}  // namespace
}  // namespace fulcrum::http

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fulcrum::http;
  fulcrum::fuzz::Choices choices(data, size);
  size = std::min(size, kMaxInput);
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  {
    // Suffixes share one buffer: each ends where the allocation does.
    FreshCopy copy(input, size);
    for (size_t off = 0; off <= std::min<size_t>(size, 32); ++off) {
      check_range(copy.data() + off, size - off);
      // field_lines may read before `begin`: it is given the whole buffer.
      check_field_lines(copy.data(), off, size);
    }
  }
  for (size_t cut = 1; cut <= std::min<size_t>(size, 33); ++cut) {
    check_copy(input.substr(0, size - cut));
  }
  for (int i = 0; i < 4; ++i) {
    const size_t off = choices.below(size + 1);
    check_copy(input.substr(off, choices.below(size - off + 1)));
  }
  return 0;
}

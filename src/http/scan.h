#pragma once
// The byte classes of HTTP/1.1 and the scans over them that dominate head parsing.
//
// Every scan has a scalar form, which is always built, and SIMD forms (SSE4.2 and AVX2 on x86-64)
// chosen once at run time from what the CPU supports (DESIGN principle 5). The forms return the
// same index on every input; tests hold the SIMD forms to the scalar one. No form reads outside the
// range it is given, so callers need no padding after their data.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace fulcrum::http {

namespace byte_class {
inline constexpr uint8_t kToken = 1;       // tchar (RFC 9110 §5.6.2)
inline constexpr uint8_t kFieldValue = 2;  // HTAB, SP, VCHAR, obs-text (RFC 9110 §5.5)
// VCHAR but '#', the bytes a request-target may hold: none of its forms has a fragment (RFC 9112
// §3.2), which a client never sends; a '#' is refused, as HAProxy does since CVE-2023-45539, rather
// than forwarded to a backend that may take it for part of the path.
inline constexpr uint8_t kTarget = 4;

constexpr std::array<uint8_t, 256> make_table() {
  std::array<uint8_t, 256> table{};
  for (int c = 0; c < 256; ++c) {
    bool alnum = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    bool token = alnum || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                              std::string_view::npos;
    bool vchar = c >= 0x21 && c <= 0x7E;
    uint8_t bits = 0;
    if (token) bits |= kToken;
    if (vchar || c == ' ' || c == '\t' || c >= 0x80) bits |= kFieldValue;
    if (vchar && c != '#') bits |= kTarget;
    table[static_cast<size_t>(c)] = bits;
  }
  return table;
}
inline constexpr std::array<uint8_t, 256> kTable = make_table();
}  // namespace byte_class

inline bool is_token_char(char c) {
  return byte_class::kTable[static_cast<uint8_t>(c)] & byte_class::kToken;
}
inline bool is_field_value_char(char c) {
  return byte_class::kTable[static_cast<uint8_t>(c)] & byte_class::kFieldValue;
}
inline bool is_target_char(char c) {
  return byte_class::kTable[static_cast<uint8_t>(c)] & byte_class::kTarget;
}

enum class ScanIsa : uint8_t { kScalar, kSse42, kAvx2 };

std::string_view isa_name(ScanIsa isa);

// One instruction set's scans. Each returns the index in [p, p + n) of the first byte with the
// stated property, or n if no byte has it.
struct Scanner {
  ScanIsa isa;
  size_t (*find_lf)(const char* p, size_t n);
  size_t (*span_token)(const char* p, size_t n);        // first byte that is not a tchar
  size_t (*span_field_value)(const char* p, size_t n);  // first byte not allowed in a field value
  size_t (*span_target)(const char* p, size_t n);       // first byte not allowed in a target
  // The head parsers' fast path, for the lines that make up most of a head: takes the field lines
  // in their common form (RFC 9112 §5: a token name, ':', optional whitespace, a value of
  // field-value bytes, CRLF) that follow each other from data[begin] on, while each one is whole
  // before data[end] and fewer than `max` are taken, and appends their fields to `fields` (offsets
  // into data; a value without the whitespace around it). Returns where the first line not taken
  // begins: the empty line that ends a head, a line of another form (an error, or obs-fold),
  // which the parsers take their exact path for, or a line not yet whole. Reads nothing outside
  // data[0, end). The SIMD forms find the lines from their CRLFs, classifying 64 bytes at a time
  // once, then look at each line's name where it starts.
  size_t (*field_lines)(const char* data, size_t begin, size_t end, size_t max,
                        std::vector<HeaderField>& fields);
};

// The fastest scanner this CPU supports, chosen on first use.
const Scanner& scanner();

// The scanner for one instruction set, or nullptr if this CPU or build lacks it (for tests and
// benchmarks that compare the forms).
const Scanner* scanner_for(ScanIsa isa);

}  // namespace fulcrum::http

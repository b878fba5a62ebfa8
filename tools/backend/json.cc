#include "json.h"

#include <cstdint>

namespace fulcrum::backend {

namespace {

// Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF), or 0 if the bytes there are not one.
size_t sequence_length(const unsigned char* p, size_t n) {
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c == 0xe0) lo = 0xa0;  // overlong
    if (c == 0xed) hi = 0x9f;  // surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c == 0xf0) lo = 0x90;  // overlong
    if (c == 0xf4) hi = 0x8f;  // above U+10FFFF
  } else {
    return 0;
  }
  if (n < len || p[1] < lo || p[1] > hi) return 0;
  for (size_t i = 2; i < len; ++i) {
    if ((p[i] & 0xc0) != 0x80) return 0;
  }
  return len;
}

bool needs_care(unsigned char c) { return c < 0x20 || c == '"' || c == '\\' || c >= 0x7f; }

}  // namespace

bool is_valid_utf8(std::string_view s) {
  auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    size_t len = sequence_length(p + i, n - i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

void append_json_string(base::Buffer& out, std::string_view s, bool lower_ascii) {
  out.append('"');
  append_json_escaped(out, s, lower_ascii);
  out.append('"');
}

void append_json_escaped(base::Buffer& out, std::string_view s, bool lower_ascii) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  // Worst case is 6 output bytes per input byte (\u00XX); reserving it once keeps the loop free
  // of capacity checks.
  out.reserve(n * 6);
  char* w = out.write_ptr();
  char* const start = w;
  size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (!needs_care(c)) {
      *w++ = static_cast<char>(lower_ascii && c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
      ++i;
    } else if (c == '"' || c == '\\') {
      *w++ = '\\';
      *w++ = static_cast<char>(c);
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      *w++ = '\\';
      *w++ = 'u';
      *w++ = '0';
      *w++ = '0';
      *w++ = kHex[c >> 4];
      *w++ = kHex[c & 0xf];
      ++i;
    } else if (size_t len = sequence_length(p + i, n - i); len > 0) {
      for (size_t k = 0; k < len; ++k) *w++ = static_cast<char>(p[i + k]);
      i += len;
    } else {
      for (char r : {'\\', 'u', 'f', 'f', 'f', 'd'}) *w++ = r;
      ++i;
    }
  }
  out.commit(static_cast<size_t>(w - start));
}

}  // namespace fulcrum::backend

#include "http/scan.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace fulcrum::http {

namespace {

// Each byte class below gives the scalar scan and, on x86-64, the mask of "stop" bytes in 16 and
// 32 bytes. The SIMD functions carry their own target attribute rather than sitting under a
// `#pragma GCC target`, so that no inline function from a header is ever compiled for AVX2 here and
// then picked by the linker for a CPU without it.

template <uint8_t kClass>
size_t span_scalar(const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (!(byte_class::kTable[static_cast<uint8_t>(p[i])] & kClass)) return i;
  }
  return n;
}

#if defined(__x86_64__)
#define FULCRUM_SSE42 __attribute__((target("sse4.2")))
#define FULCRUM_AVX2 __attribute__((target("avx2")))

// A set of ASCII bytes as a 16x8 bitmap for a nibble lookup with pshufb: row[lo] has bit hi set
// when byte (hi << 4 | lo) is in the set. Bytes >= 0x80 have hi >= 8, whose column is 0: never in.
struct NibbleBitmap {
  alignas(16) uint8_t rows[16];
  alignas(16) uint8_t columns[16];
};

constexpr NibbleBitmap make_bitmap(uint8_t cls) {
  NibbleBitmap map{};
  for (int lo = 0; lo < 16; ++lo) {
    for (int hi = 0; hi < 8; ++hi) {
      if (byte_class::kTable[static_cast<size_t>(hi << 4 | lo)] & cls) {
        map.rows[lo] = static_cast<uint8_t>(map.rows[lo] | 1 << hi);
      }
    }
  }
  for (int hi = 0; hi < 8; ++hi) map.columns[hi] = static_cast<uint8_t>(1 << hi);
  return map;
}
constexpr NibbleBitmap kTokenBitmap = make_bitmap(byte_class::kToken);

FULCRUM_SSE42 inline __m128i load16(const char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
FULCRUM_AVX2 inline __m256i load32(const char* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}
FULCRUM_SSE42 inline uint32_t mask16(__m128i v) {
  return static_cast<uint32_t>(_mm_movemask_epi8(v));
}
FULCRUM_AVX2 inline uint32_t mask32(__m256i v) {
  return static_cast<uint32_t>(_mm256_movemask_epi8(v));
}
#endif

struct Lf {
  static size_t scalar(const char* p, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (p[i] == '\n') return i;
    }
    return n;
  }
#if defined(__x86_64__)
  FULCRUM_SSE42 static uint32_t stops16(const char* p) {
    return mask16(_mm_cmpeq_epi8(load16(p), _mm_set1_epi8('\n')));
  }
  FULCRUM_AVX2 static uint32_t stops32(const char* p) {
    return mask32(_mm256_cmpeq_epi8(load32(p), _mm256_set1_epi8('\n')));
  }
#endif
};

// tchar is too irregular for range compares, hence the nibble bitmap.
struct Token {
  static size_t scalar(const char* p, size_t n) { return span_scalar<byte_class::kToken>(p, n); }
#if defined(__x86_64__)
  FULCRUM_SSE42 static uint32_t stops16(const char* p) {
    const __m128i v = load16(p);
    const __m128i nibble = _mm_set1_epi8(0x0F);
    const __m128i lo = _mm_and_si128(v, nibble);
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), nibble);
    const __m128i row =
        _mm_shuffle_epi8(load16(reinterpret_cast<const char*>(kTokenBitmap.rows)), lo);
    const __m128i col =
        _mm_shuffle_epi8(load16(reinterpret_cast<const char*>(kTokenBitmap.columns)), hi);
    return mask16(_mm_cmpeq_epi8(_mm_and_si128(row, col), _mm_setzero_si128()));
  }
  FULCRUM_AVX2 static uint32_t stops32(const char* p) {
    const __m256i v = load32(p);
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    const __m256i lo = _mm256_and_si256(v, nibble);
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble);
    const __m256i rows =
        _mm256_broadcastsi128_si256(load16(reinterpret_cast<const char*>(kTokenBitmap.rows)));
    const __m256i columns =
        _mm256_broadcastsi128_si256(load16(reinterpret_cast<const char*>(kTokenBitmap.columns)));
    const __m256i hit =
        _mm256_and_si256(_mm256_shuffle_epi8(rows, lo), _mm256_shuffle_epi8(columns, hi));
    return mask32(_mm256_cmpeq_epi8(hit, _mm256_setzero_si256()));
  }
#endif
};

// Stops at control bytes other than HTAB, and at DEL; obs-text (>= 0x80) passes.
struct FieldValue {
  static size_t scalar(const char* p, size_t n) {
    return span_scalar<byte_class::kFieldValue>(p, n);
  }
#if defined(__x86_64__)
  FULCRUM_SSE42 static uint32_t stops16(const char* p) {
    const __m128i v = load16(p);
    const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);
    const __m128i tab = _mm_cmpeq_epi8(v, _mm_set1_epi8('\t'));
    const __m128i del = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7F));
    return mask16(_mm_or_si128(_mm_andnot_si128(tab, control), del));
  }
  FULCRUM_AVX2 static uint32_t stops32(const char* p) {
    const __m256i v = load32(p);
    const __m256i control = _mm256_cmpeq_epi8(_mm256_min_epu8(v, _mm256_set1_epi8(0x1F)), v);
    const __m256i tab = _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\t'));
    const __m256i del = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(0x7F));
    return mask32(_mm256_or_si256(_mm256_andnot_si256(tab, control), del));
  }
#endif
};

// VCHAR is 0x21..0x7E: as signed bytes, obs-text is negative and so falls outside too.
struct Target {
  static size_t scalar(const char* p, size_t n) { return span_scalar<byte_class::kTarget>(p, n); }
#if defined(__x86_64__)
  FULCRUM_SSE42 static uint32_t stops16(const char* p) {
    const __m128i v = load16(p);
    const __m128i in = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x20)),
                                     _mm_cmplt_epi8(v, _mm_set1_epi8(0x7F)));
    return ~mask16(in) & 0xFFFFu;
  }
  FULCRUM_AVX2 static uint32_t stops32(const char* p) {
    const __m256i v = load32(p);
    const __m256i in = _mm256_and_si256(_mm256_cmpgt_epi8(v, _mm256_set1_epi8(0x20)),
                                        _mm256_cmpgt_epi8(_mm256_set1_epi8(0x7F), v));
    return ~mask32(in);
  }
#endif
};

#if defined(__x86_64__)
// Whole 16-byte blocks, then the scalar form for the last few bytes (never reading past n).
template <class Class>
FULCRUM_SSE42 size_t scan_sse42(const char* p, size_t n) {
  size_t i = 0;
  for (; n - i >= 16; i += 16) {
    if (uint32_t stops = Class::stops16(p + i))
      return i + static_cast<size_t>(__builtin_ctz(stops));
  }
  return i + Class::scalar(p + i, n - i);
}

template <class Class>
FULCRUM_AVX2 size_t scan_avx2(const char* p, size_t n) {
  size_t i = 0;
  for (; n - i >= 32; i += 32) {
    if (uint32_t stops = Class::stops32(p + i))
      return i + static_cast<size_t>(__builtin_ctz(stops));
  }
  return i + scan_sse42<Class>(p + i, n - i);
}

#endif

bool is_ows(char c) { return c == ' ' || c == '\t'; }

// The field line of Scanner::field_line with the scans of one instruction set, which the wrapper
// below for that set inlines: this template has no target attribute of its own, so it may be
// inlined into each of them.
template <size_t (*kSpanToken)(const char*, size_t), size_t (*kSpanValue)(const char*, size_t)>
[[gnu::always_inline]] inline bool field_line_with(const char* p, size_t n, FieldLineParts& out) {
  const size_t colon = kSpanToken(p, n);
  if (colon == 0 || colon == n || p[colon] != ':') return false;
  size_t value = colon + 1;
  while (value < n && is_ows(p[value])) ++value;
  // The value's scan stops at its first control byte, which must be the CR of the line's CRLF.
  const size_t cr = value + kSpanValue(p + value, n - value);
  if (n - cr < 2 || p[cr] != '\r' || p[cr + 1] != '\n') return false;
  size_t end = cr;
  while (end > value && is_ows(p[end - 1])) --end;
  out = {colon, value, end, cr};
  return true;
}

bool field_line_scalar(const char* p, size_t n, FieldLineParts& out) {
  return field_line_with<&Token::scalar, &FieldValue::scalar>(p, n, out);
}

#if defined(__x86_64__)
FULCRUM_SSE42 bool field_line_sse42(const char* p, size_t n, FieldLineParts& out) {
  return field_line_with<&scan_sse42<Token>, &scan_sse42<FieldValue>>(p, n, out);
}
FULCRUM_AVX2 bool field_line_avx2(const char* p, size_t n, FieldLineParts& out) {
  return field_line_with<&scan_avx2<Token>, &scan_avx2<FieldValue>>(p, n, out);
}

constexpr Scanner kSse42Scanner{ScanIsa::kSse42,         &scan_sse42<Lf>,     &scan_sse42<Token>,
                                &scan_sse42<FieldValue>, &scan_sse42<Target>, &field_line_sse42};
constexpr Scanner kAvx2Scanner{ScanIsa::kAvx2,         &scan_avx2<Lf>,     &scan_avx2<Token>,
                               &scan_avx2<FieldValue>, &scan_avx2<Target>, &field_line_avx2};
#endif

constexpr Scanner kScalarScanner{ScanIsa::kScalar,    &Lf::scalar,     &Token::scalar,
                                 &FieldValue::scalar, &Target::scalar, &field_line_scalar};

}  // namespace

std::string_view isa_name(ScanIsa isa) {
  switch (isa) {
    case ScanIsa::kScalar:
      return "scalar";
    case ScanIsa::kSse42:
      return "sse4.2";
    case ScanIsa::kAvx2:
      return "avx2";
  }
  return "unknown";
}

const Scanner* scanner_for(ScanIsa isa) {
  switch (isa) {
    case ScanIsa::kScalar:
      return &kScalarScanner;
#if defined(__x86_64__)
    case ScanIsa::kSse42:
      __builtin_cpu_init();
      return __builtin_cpu_supports("sse4.2") ? &kSse42Scanner : nullptr;
    case ScanIsa::kAvx2:
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx2") ? &kAvx2Scanner : nullptr;
#else
    case ScanIsa::kSse42:
    case ScanIsa::kAvx2:
      return nullptr;
#endif
  }
  return nullptr;
}

const Scanner& scanner() {
  static const Scanner* const best = [] {
    for (ScanIsa isa : {ScanIsa::kAvx2, ScanIsa::kSse42}) {
      if (const Scanner* s = scanner_for(isa)) return s;
    }
    return &kScalarScanner;
  }();
  return *best;
}

}  // namespace fulcrum::http

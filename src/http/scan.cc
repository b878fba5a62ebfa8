#include "http/scan.h"

#include <array>
#include <bit>
#include <cstring>

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

// Appends the field of the line that starts at `line`, whose colon and CR are known: a line in
// the common form, whose value is what lies between them without the whitespace around it.
inline void add_field(const char* data, size_t line, size_t colon, size_t cr,
                      std::vector<HeaderField>& fields) {
  // Mostly one space before the value and no whitespace after it, so the loops rarely run.
  size_t value = colon + 1 + (data[colon + 1] == ' ');
  while (is_ows(data[value])) [[unlikely]]++ value;  // stops at the CR at the latest
  size_t end = cr;
  while (end > value && is_ows(data[end - 1])) [[unlikely]]-- end;
  fields.push_back({{static_cast<uint32_t>(line), static_cast<uint32_t>(colon - line)},
                    {static_cast<uint32_t>(value), static_cast<uint32_t>(end - value)}});
}

// Whether data[cr, cr + 2) is a CRLF inside data[0, end), with one compare of two bytes.
inline bool is_crlf(const char* data, size_t cr, size_t end) {
  static constexpr uint16_t kCrlf = std::bit_cast<uint16_t>(std::array<char, 2>{'\r', '\n'});
  uint16_t pair;
  if (end - cr < 2) return false;
  std::memcpy(&pair, data + cr, 2);
  return pair == kCrlf;
}

// In every form, a line is its name up to the first byte that is not a tchar, which must be a
// colon, and its value up to the first byte after the colon that is not a field-value byte (the
// whitespace around the value is made of field-value bytes), which must be the CR of a CRLF.
size_t field_lines_scalar(const char* data, size_t begin, size_t end, size_t max,
                          std::vector<HeaderField>& fields) {
  size_t line = begin;
  for (size_t taken = 0; taken < max; ++taken) {
    const size_t colon = line + Token::scalar(data + line, end - line);
    if (colon == end || colon == line || data[colon] != ':') break;
    const size_t cr = colon + 1 + FieldValue::scalar(data + colon + 1, end - colon - 1);
    if (!is_crlf(data, cr, end)) break;
    add_field(data, line, colon, cr, fields);
    line = cr + 2;
  }
  return line;
}

#if defined(__x86_64__)
// The bytes of a 64-byte block that end a name (any byte but a tchar) and that end a value (a
// control byte other than HTAB, or DEL; the CR of a well-formed line): bit i for byte i.
struct BlockStops {
  uint64_t name;
  uint64_t value;
};

FULCRUM_SSE42 BlockStops classify_sse42(const char* p) {
  BlockStops stops{0, 0};
  for (int i = 0; i < 4; ++i) {
    stops.name |= uint64_t{Token::stops16(p + 16 * i)} << (16 * i);
    stops.value |= uint64_t{FieldValue::stops16(p + 16 * i)} << (16 * i);
  }
  return stops;
}

FULCRUM_AVX2 BlockStops classify_avx2(const char* p) {
  return {Token::stops32(p) | uint64_t{Token::stops32(p + 32)} << 32,
          FieldValue::stops32(p) | uint64_t{FieldValue::stops32(p + 32)} << 32};
}

// Scanner::field_lines a block at a time: each 64 bytes are classified once, and the lines in
// them are found from the stops, so that a line costs a few bit operations. A block is the 64
// bytes from where the search stands; near `end`, the 64 bytes that end at `end`, shifted so that
// the bytes past `end` stop nothing. Data shorter than a block goes to the scalar form. This
// template has no target attribute, so that it is inlined into each instruction set's form below
// together with that set's classify.
template <BlockStops (*kClassify)(const char*)>
class BlockLines {
 public:
  [[gnu::always_inline]] static size_t take(const char* data, size_t begin, size_t end, size_t max,
                                            std::vector<HeaderField>& fields) {
    if (end < 64) return field_lines_scalar(data, begin, end, max, fields);
    if (begin >= end) return begin;  // no block to load
    BlockLines blocks(data, end);
    blocks.load(begin);
    size_t line = begin;
    for (size_t taken = 0; taken < max; ++taken) {
      const size_t colon = blocks.find<&BlockStops::name>(line);
      if (colon == end || colon == line || data[colon] != ':') break;
      const size_t cr = blocks.find<&BlockStops::value>(colon + 1);
      if (!is_crlf(data, cr, end)) break;
      add_field(data, line, colon, cr, fields);
      line = cr + 2;
    }
    return line;
  }

 private:
  BlockLines(const char* data, size_t end) : data_(data), end_(end) {}

  // Classifies the block that starts at `at` (< end_).
  [[gnu::always_inline]] void load(size_t at) {
    block_ = at;
    if (end_ - at >= 64) {
      stops_ = kClassify(data_ + at);
      return;
    }
    stops_ = kClassify(data_ + end_ - 64);
    const unsigned shift = static_cast<unsigned>(64 - (end_ - at));
    stops_.name >>= shift;
    stops_.value >>= shift;
  }

  // The first byte at or after `pos` whose bit is set in kMask, or end_ if there is none. Most
  // often it is in the block at hand.
  template <uint64_t BlockStops::*kMask>
  [[gnu::always_inline]] size_t find(size_t pos) {
    const size_t offset = pos - block_;
    if (offset < 64) [[likely]] {
      const uint64_t bits = stops_.*kMask & (~uint64_t{0} << offset);
      if (bits != 0) return block_ + static_cast<size_t>(__builtin_ctzll(bits));
    } else {
      if (pos >= end_) return end_;
      load(pos);
      if (stops_.*kMask != 0) return block_ + static_cast<size_t>(__builtin_ctzll(stops_.*kMask));
    }
    for (;;) {
      if (end_ - block_ <= 64) return end_;
      load(block_ + 64);
      if (stops_.*kMask != 0) return block_ + static_cast<size_t>(__builtin_ctzll(stops_.*kMask));
    }
  }

  const char* data_;
  size_t end_;
  size_t block_ = 0;
  BlockStops stops_{0, 0};
};

[[gnu::flatten]] FULCRUM_SSE42 size_t field_lines_sse42(const char* data, size_t begin, size_t end,
                                                        size_t max,
                                                        std::vector<HeaderField>& fields) {
  return BlockLines<&classify_sse42>::take(data, begin, end, max, fields);
}
[[gnu::flatten]] FULCRUM_AVX2 size_t field_lines_avx2(const char* data, size_t begin, size_t end,
                                                      size_t max,
                                                      std::vector<HeaderField>& fields) {
  return BlockLines<&classify_avx2>::take(data, begin, end, max, fields);
}

constexpr Scanner kSse42Scanner{ScanIsa::kSse42,         &scan_sse42<Lf>,     &scan_sse42<Token>,
                                &scan_sse42<FieldValue>, &scan_sse42<Target>, &field_lines_sse42};
constexpr Scanner kAvx2Scanner{ScanIsa::kAvx2,         &scan_avx2<Lf>,     &scan_avx2<Token>,
                               &scan_avx2<FieldValue>, &scan_avx2<Target>, &field_lines_avx2};
#endif

constexpr Scanner kScalarScanner{ScanIsa::kScalar,    &Lf::scalar,     &Token::scalar,
                                 &FieldValue::scalar, &Target::scalar, &field_lines_scalar};

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

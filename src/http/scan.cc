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
// The rows are looked up by the byte itself, without masking its low nibble: pshufb gives 0 for
// an index with its top bit set, which leaves those bytes out as well.
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
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), _mm_set1_epi8(0x0F));
    const __m128i row =
        _mm_shuffle_epi8(load16(reinterpret_cast<const char*>(kTokenBitmap.rows)), v);
    const __m128i col =
        _mm_shuffle_epi8(load16(reinterpret_cast<const char*>(kTokenBitmap.columns)), hi);
    return mask16(_mm_cmpeq_epi8(_mm_and_si128(row, col), _mm_setzero_si128()));
  }
  FULCRUM_AVX2 static uint32_t stops32(const char* p) {
    const __m256i v = load32(p);
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), _mm256_set1_epi8(0x0F));
    const __m256i rows =
        _mm256_broadcastsi128_si256(load16(reinterpret_cast<const char*>(kTokenBitmap.rows)));
    const __m256i columns =
        _mm256_broadcastsi128_si256(load16(reinterpret_cast<const char*>(kTokenBitmap.columns)));
    const __m256i hit =
        _mm256_and_si256(_mm256_shuffle_epi8(rows, v), _mm256_shuffle_epi8(columns, hi));
    return mask32(_mm256_cmpeq_epi8(hit, _mm256_setzero_si256()));
  }
#endif
};

// The stops of FieldValue in the 8 bytes of `x`, a word at a time (SWAR): bit 7 of each byte is
// set when that byte is a stop. Each byte's sums stay below 0x100, so no carry crosses into the
// next byte and every bit is exact, not only the first.
constexpr uint64_t field_value_stops8(uint64_t x) {
  constexpr uint64_t k01 = 0x0101010101010101;
  constexpr uint64_t k80 = k01 * 0x80;
  const uint64_t ascii = ~x & k80;  // obs-text (>= 0x80) never stops
  const uint64_t t = x & (k01 * 0x7F);
  const uint64_t control = ~(t + k01 * 0x60) & k80;               // t < 0x20
  const uint64_t tab = ~((t ^ (k01 * '\t')) + k01 * 0x7F) & k80;  // t == HTAB
  const uint64_t del = (t + k01) & k80;                           // t == 0x7F
  return ((control & ~tab) | del) & ascii;
}

constexpr bool field_value_stops8_matches_class() {
  for (uint64_t c = 0; c < 256; ++c) {
    const bool stop = !(byte_class::kTable[c] & byte_class::kFieldValue);
    // c in every byte, and c alone among value bytes in each place.
    if (field_value_stops8(c * 0x0101010101010101) != (stop ? 0x8080808080808080 : 0)) return false;
    for (int at = 0; at < 8; ++at) {
      const uint64_t alone = (0x6161616161616161 & ~(uint64_t{0xFF} << (8 * at))) | c << (8 * at);
      if (field_value_stops8(alone) != (stop ? uint64_t{0x80} << (8 * at) : 0)) return false;
    }
  }
  return true;
}
static_assert(field_value_stops8_matches_class());

// Stops at control bytes other than HTAB, and at DEL; obs-text (>= 0x80) passes. The scalar form
// takes 8 bytes a step: values are the long part of a head (cookies, user agents), and a loop of
// one byte a step ran at the mercy of where the compiler placed it (see docs/performance.md).
struct FieldValue {
  static size_t scalar(const char* p, size_t n) {
    size_t i = 0;
    for (; n - i >= 8; i += 8) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      if (const uint64_t stops = field_value_stops8(word)) {
        const int bit = std::endian::native == std::endian::little ? std::countr_zero(stops)
                                                                   : std::countl_zero(stops);
        return i + static_cast<size_t>(bit / 8);
      }
    }
    return i + span_scalar<byte_class::kFieldValue>(p + i, n - i);
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

// VCHAR is 0x21..0x7E: as signed bytes, obs-text is negative and so falls outside too. '#', the
// one VCHAR that is not a target byte, takes a compare of its own.
struct Target {
  static size_t scalar(const char* p, size_t n) { return span_scalar<byte_class::kTarget>(p, n); }
#if defined(__x86_64__)
  FULCRUM_SSE42 static uint32_t stops16(const char* p) {
    const __m128i v = load16(p);
    const __m128i vchar = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x20)),
                                        _mm_cmplt_epi8(v, _mm_set1_epi8(0x7F)));
    const __m128i in = _mm_andnot_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('#')), vchar);
    return ~mask16(in) & 0xFFFFu;
  }
  FULCRUM_AVX2 static uint32_t stops32(const char* p) {
    const __m256i v = load32(p);
    const __m256i vchar = _mm256_and_si256(_mm256_cmpgt_epi8(v, _mm256_set1_epi8(0x20)),
                                           _mm256_cmpgt_epi8(_mm256_set1_epi8(0x7F), v));
    const __m256i in = _mm256_andnot_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('#')), vchar);
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

// The field of the line that starts at `line`, whose colon and CR are known: a line in the common
// form, whose value is what lies between them without the whitespace around it.
inline HeaderField field_of(const char* data, size_t line, size_t colon, size_t cr) {
  // Mostly one space before the value and no whitespace after it, so the loops rarely run: the
  // value's bytes are field-value bytes, of which only whitespace is at most ' ' (and the CR of an
  // empty value).
  size_t value = colon + 1 + (data[colon + 1] == ' ');
  if (static_cast<uint8_t>(data[value]) <= ' ') [[unlikely]] {
    while (is_ows(data[value])) ++value;  // stops at the CR at the latest
  }
  size_t end = cr;
  if (static_cast<uint8_t>(data[end - 1]) <= ' ') [[unlikely]] {
    while (end > value && is_ows(data[end - 1])) --end;
  }
  return {{static_cast<uint32_t>(line), static_cast<uint32_t>(colon - line)},
          {static_cast<uint32_t>(value), static_cast<uint32_t>(end - value)}};
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
    fields.push_back(field_of(data, line, colon, cr));
    line = cr + 2;
  }
  return line;
}

#if defined(__x86_64__)
// The bytes of up to 64 that end or break lines, bit i for byte i: the CRs, the LFs, and the
// stops: the LFs and the other bytes that no field value may hold (control bytes but HTAB and CR,
// and DEL). The stops hold the LFs too as that is what one compare gives; the block form does not
// need them apart.
struct LineEnds {
  uint64_t cr;
  uint64_t lf;
  uint64_t stop;
};

// LineEnds from one pair of nibble lookups: a byte's bits are lo[its low nibble] & hi[its high
// nibble], CR bit 7 (what movemask takes), LF bit 6 (bit 7 once the byte is added to itself), and
// the bad bytes in bits 0-2 (a positive byte that is not an LF): the controls with a high nibble
// of 0, those with 1, and DEL. Bytes >= 0x80 have a high nibble over 7, whose hi is 0; as with
// NibbleBitmap, lo is looked up by the byte itself.
struct LineTable {
  alignas(16) uint8_t lo[16];
  alignas(16) uint8_t hi[16];
};

constexpr LineTable make_line_table() {
  LineTable t{};
  t.lo[0x0D] |= 0x80;  // CR
  t.hi[0] |= 0x80;
  t.lo[0x0A] |= 0x40;  // LF
  t.hi[0] |= 0x40;
  for (int lo = 0; lo < 16; ++lo) {
    if (lo != '\t' && lo != '\n' && lo != '\r') t.lo[lo] |= 0x01;
    t.lo[lo] |= 0x02;
  }
  t.hi[0] |= 0x01;
  t.hi[1] |= 0x02;
  t.lo[0x0F] |= 0x04;
  t.hi[7] |= 0x04;
  return t;
}
constexpr LineTable kLineTable = make_line_table();

constexpr bool line_table_matches_classes() {
  for (int c = 0; c < 256; ++c) {
    const int bits = c < 0x80 ? kLineTable.lo[c & 15] & kLineTable.hi[c >> 4] : 0;
    const bool bad = !(byte_class::kTable[static_cast<size_t>(c)] & byte_class::kFieldValue) &&
                     c != '\r' && c != '\n';
    if ((bits == 0x80) != (c == '\r') || (bits == 0x40) != (c == '\n') ||
        ((bits & 0x07) != 0) != bad || (bits & 0x38) != 0) {
      return false;
    }
  }
  return true;
}
static_assert(line_table_matches_classes());

// What the block form needs of an instruction set: the line ends of a piece of kPiece bytes, and
// the name ends (the bytes that are not tchars) of one. The lookup tables and masks are made once
// per call to field_lines and hidden from the optimiser by an empty asm, so that they stay in
// registers: GCC otherwise builds them anew in each block and for each line, since building a
// constant looks cheaper to it than keeping one in a register across the loop.
struct Sse42 {
  static constexpr size_t kPiece = 16;
  __m128i lo, hi, nibble, zero, token_rows, token_columns;
  FULCRUM_SSE42 Sse42()
      : lo(load16(reinterpret_cast<const char*>(kLineTable.lo))),
        hi(load16(reinterpret_cast<const char*>(kLineTable.hi))),
        nibble(_mm_set1_epi8(0x0F)),
        zero(_mm_setzero_si128()),
        token_rows(load16(reinterpret_cast<const char*>(kTokenBitmap.rows))),
        token_columns(load16(reinterpret_cast<const char*>(kTokenBitmap.columns))) {
    asm("" : "+x"(lo), "+x"(hi), "+x"(nibble), "+x"(zero), "+x"(token_rows), "+x"(token_columns));
  }
  FULCRUM_SSE42 LineEnds line_ends(const char* p) const {
    const __m128i v = load16(p);
    const __m128i bits = _mm_and_si128(
        _mm_shuffle_epi8(lo, v), _mm_shuffle_epi8(hi, _mm_and_si128(_mm_srli_epi16(v, 4), nibble)));
    return {mask16(bits), mask16(_mm_add_epi8(bits, bits)), mask16(_mm_cmpgt_epi8(bits, zero))};
  }
  FULCRUM_SSE42 uint32_t name_ends(const char* p) const {
    const __m128i v = load16(p);
    const __m128i hit =
        _mm_and_si128(_mm_shuffle_epi8(token_rows, v),
                      _mm_shuffle_epi8(token_columns, _mm_and_si128(_mm_srli_epi16(v, 4), nibble)));
    return mask16(_mm_cmpeq_epi8(hit, zero));
  }
};

struct Avx2 {
  static constexpr size_t kPiece = 32;
  __m256i lo, hi, nibble, zero, token_rows, token_columns;
  FULCRUM_AVX2 Avx2()
      : lo(_mm256_broadcastsi128_si256(load16(reinterpret_cast<const char*>(kLineTable.lo)))),
        hi(_mm256_broadcastsi128_si256(load16(reinterpret_cast<const char*>(kLineTable.hi)))),
        nibble(_mm256_set1_epi8(0x0F)),
        zero(_mm256_setzero_si256()),
        token_rows(
            _mm256_broadcastsi128_si256(load16(reinterpret_cast<const char*>(kTokenBitmap.rows)))),
        token_columns(_mm256_broadcastsi128_si256(
            load16(reinterpret_cast<const char*>(kTokenBitmap.columns)))) {
    asm("" : "+x"(lo), "+x"(hi), "+x"(nibble), "+x"(zero), "+x"(token_rows), "+x"(token_columns));
  }
  FULCRUM_AVX2 LineEnds line_ends(const char* p) const {
    const __m256i v = load32(p);
    const __m256i bits = _mm256_and_si256(
        _mm256_shuffle_epi8(lo, v),
        _mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble)));
    return {mask32(bits), mask32(_mm256_add_epi8(bits, bits)),
            mask32(_mm256_cmpgt_epi8(bits, zero))};
  }
  FULCRUM_AVX2 uint32_t name_ends(const char* p) const {
    const __m256i v = load32(p);
    const __m256i hit = _mm256_and_si256(
        _mm256_shuffle_epi8(token_rows, v),
        _mm256_shuffle_epi8(token_columns, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble)));
    return mask32(_mm256_cmpeq_epi8(hit, zero));
  }
};

// Scanner::field_lines a 64-byte block at a time, from the lines' LFs. Each block is classified
// once; a line is taken at its LF when no byte before it in the block or the ones before breaks
// the common form in its value (a CR and an LF make each line end; no other value stop), then
// only its name is looked at. So each line costs a bit scan and a few operations, none of which
// waits for the line before. Near `end`, the last block is loaded from end - 64, before `at`, and
// shifted, so nothing past `end` is read; data shorter than a block goes to the scalar form.
// These templates have no target attribute, so that they are inlined into each
// instruction set's form below together with that set's pieces.
template <class P>
class BlockLines {
 public:
  [[gnu::always_inline]] static size_t take(const char* data, size_t begin, size_t end, size_t max,
                                            std::vector<HeaderField>& fields) {
    // A message of fewer than 64 bytes so far: the scalar form costs less than setting up the
    // blocks (wrk-get, 45 bytes: 601 -> 550 instructions per request).
    if (end < 64) return field_lines_scalar(data, begin, end, max, fields);
    // The lines are taken into the room `fields` has; when that runs out, it grows and the lines
    // go on from where they stopped. So no append in the loop over blocks ever allocates: that
    // loop makes no call, which would take the constants out of their registers.
    const P k;
    size_t line = begin;
    for (;;) {
      const size_t room = fields.capacity() - fields.size();
      const size_t before = fields.size();
      line = take_into_room(k, data, line, end, std::min(max, room), fields);
      const size_t taken = fields.size() - before;
      max -= taken;
      if (taken < room || max == 0) return line;
      fields.reserve(fields.capacity() + std::max<size_t>(fields.capacity(), 8));
    }
  }

 private:
  // take() for at most `max` lines, which `fields` has the room for.
  [[gnu::always_inline]] static size_t take_into_room(const P& k, const char* data, size_t begin,
                                                      size_t end, size_t max,
                                                      std::vector<HeaderField>& fields) {
    size_t line = begin;
    size_t left = max;       // lines that may still be taken
    uint64_t cr_before = 0;  // the CRs of the block before, for a CRLF across blocks
    for (size_t at = begin; at < end; at += 64) {
      const LineEnds b = end - at >= 64 ? block(k, data + at) : tail(k, data, at, end);
      // The bit after each CR is an LF and the bit before each LF a CR; a bad byte, or an LF or
      // the byte after a CR that breaks this, is in a line that is not in common form. So every
      // stop and every byte after a CR is a break, but for an LF after a CR.
      const uint64_t after_cr = b.cr << 1 | cr_before >> 63;
      const uint64_t broken = (b.stop | after_cr) & ~(b.lf & after_cr);
      uint64_t lfs = b.lf;
      if (broken != 0) lfs &= (uint64_t{1} << __builtin_ctzll(broken)) - 1;
      for (; lfs != 0; lfs &= lfs - 1) {
        const size_t lf = at + static_cast<unsigned>(__builtin_ctzll(lfs));
        // The empty line that ends the head: a CR alone.
        if (lf == line + 1 || left == 0) return line;
        const size_t colon = name_end(k, data, line, end);
        if (colon == line || data[colon] != ':') return line;
        // Tells the compiler that push_back will not reallocate: left <= capacity - size.
        if (fields.size() == fields.capacity()) __builtin_unreachable();
        fields.push_back(field_of(data, line, colon, lf - 1));
        line = lf + 1;
        --left;
      }
      if (broken != 0) break;
      cr_before = b.cr;
    }
    return line;
  }

  [[gnu::always_inline]] static LineEnds block(const P& k, const char* p) {
    LineEnds b{0, 0, 0};
    // Unrolled, so that each piece's shift is a constant and the masks stay in registers.
#pragma GCC unroll 4
    for (size_t i = 0; i < 64; i += P::kPiece) {
      const LineEnds piece = k.line_ends(p + i);
      b.cr |= piece.cr << i;
      b.lf |= piece.lf << i;
      b.stop |= piece.stop << i;
    }
    return b;
  }

  // The line ends of data[at, end), fewer than 64 bytes, with 64 bytes at least before `end`: the
  // block that ends there is classified whole and shifted down, which costs less than a piece at
  // a time.
  [[gnu::always_inline]] static LineEnds tail(const P& k, const char* data, size_t at, size_t end) {
    const LineEnds whole = block(k, data + end - 64);
    const size_t skip = 64 - (end - at);
    return {whole.cr >> skip, whole.lf >> skip, whole.stop >> skip};
  }

  // The first byte at or after `line` that is not a tchar; there is one before `end` (the CR of
  // the line at the latest). Mostly in the first piece, which is looked at before the loop so that
  // the common case does no work for the pieces near `end`.
  [[gnu::always_inline]] static size_t name_end(const P& k, const char* data, size_t line,
                                                size_t end) {
    if (line + P::kPiece <= end) {
      if (const uint32_t stops = k.name_ends(data + line)) {
        return line + static_cast<unsigned>(__builtin_ctz(stops));
      }
    }
    for (size_t at = line;; at += P::kPiece) {
      const uint32_t stops = end - at >= P::kPiece
                                 ? k.name_ends(data + at)
                                 : k.name_ends(data + end - P::kPiece) >> (P::kPiece - (end - at));
      if (stops != 0) return at + static_cast<size_t>(__builtin_ctz(stops));
    }
  }
};

[[gnu::flatten]] FULCRUM_SSE42 size_t field_lines_sse42(const char* data, size_t begin, size_t end,
                                                        size_t max,
                                                        std::vector<HeaderField>& fields) {
  return BlockLines<Sse42>::take(data, begin, end, max, fields);
}
[[gnu::flatten]] FULCRUM_AVX2 size_t field_lines_avx2(const char* data, size_t begin, size_t end,
                                                      size_t max,
                                                      std::vector<HeaderField>& fields) {
  return BlockLines<Avx2>::take(data, begin, end, max, fields);
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

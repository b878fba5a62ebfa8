#include "http/chunked.h"

#include <algorithm>
#include <array>
#include <limits>

#include "http/scan.h"

namespace fulcrum::http {

namespace {
bool is_ws(char c) { return c == ' ' || c == '\t'; }

// The value of each hex digit, -1 for other bytes: one load a digit.
constexpr std::array<int8_t, 256> kHexValues = [] {
  std::array<int8_t, 256> values{};
  for (int c = 0; c < 256; ++c) {
    values[static_cast<size_t>(c)] = c >= '0' && c <= '9'   ? static_cast<int8_t>(c - '0')
                                     : c >= 'a' && c <= 'f' ? static_cast<int8_t>(c - 'a' + 10)
                                     : c >= 'A' && c <= 'F' ? static_cast<int8_t>(c - 'A' + 10)
                                                            : int8_t{-1};
  }
  return values;
}();

int hex_value(char c) { return kHexValues[static_cast<uint8_t>(c)]; }

// qdtext (RFC 9110 §5.6.4): HTAB, SP, VCHAR except '"' and '\', obs-text.
bool is_qdtext(char c) { return c != '"' && c != '\\' && is_field_value_char(c); }
}  // namespace

ChunkedDecoder::ChunkedDecoder(uint32_t max_trailer_bytes)
    : max_trailer_bytes_(max_trailer_bytes) {}

void ChunkedDecoder::reset() {
  state_ = State::kSizeFirst;
  size_ = 0;
  digits_ = 0;
  line_bytes_ = 0;
  trailer_bytes_ = 0;
}

ChunkedDecoder::Step ChunkedDecoder::next(const char* p, size_t n) {
  Step step;
  size_t i = 0;
  while (i < n && state_ != State::kDone && state_ != State::kError) {
    if (state_ == State::kData) {
      const size_t run = static_cast<size_t>(std::min<uint64_t>(size_, n - i));
      step.data = p + i;
      step.data_len = run;
      size_ -= run;
      i += run;
      if (size_ == 0) state_ = State::kDataCr;
      break;
    }
    if (const size_t used = common_framing(p + i, n - i)) {
      i += used;
      continue;
    }
    if (!framing_byte(p[i])) break;
    ++i;
  }
  step.consumed = i;
  return step;
}

// Most framing is a size line of a few hex digits, alone or with plain extensions, the CRLF after
// a chunk's data, and the CRLF that ends a body without trailers. Taken whole here, each leaves the
// decoder exactly as framing_byte() would have, byte after byte; anything else (whitespace or a
// quoted value in an extension, a long size, a trailer, a line not yet whole) goes byte after byte.
size_t ChunkedDecoder::common_framing(const char* p, size_t n) {
  const bool crlf = n >= 2 && p[0] == '\r' && p[1] == '\n';
  switch (state_) {
    case State::kSizeFirst: {
      // Up to 15 digits, which cannot overflow; 16 go byte after byte, which checks.
      uint64_t size = 0;
      size_t digits = 0;
      for (int digit; digits < std::min<size_t>(n, 15) && (digit = hex_value(p[digits])) >= 0;
           ++digits) {
        size = size * 16 + static_cast<uint64_t>(digit);
      }
      if (digits == 0) return 0;
      // Extensions in their plain form, ";name" or ";name=value" with token names and values and
      // no whitespace, within the size line's limit.
      const size_t line_end = std::min<size_t>(n, kMaxSizeLine);
      size_t at = digits;
      while (at < line_end && p[at] == ';') {
        const size_t name = at + 1;
        at = name;
        while (at < line_end && is_token_char(p[at])) ++at;
        if (at == name) return 0;
        if (at < line_end && p[at] == '=') {
          const size_t value = at + 1;
          at = value;
          while (at < line_end && is_token_char(p[at])) ++at;
          if (at == value) return 0;
        }
      }
      if (line_end - at < 2 || p[at] != '\r' || p[at + 1] != '\n') return 0;
      size_ = size;
      digits_ = static_cast<uint32_t>(digits);
      line_bytes_ = static_cast<uint32_t>(at + 2);
      state_ = size == 0 ? State::kTrailerStart : State::kData;
      return at + 2;
    }
    case State::kDataCr:
      if (!crlf) return 0;
      size_ = 0;
      digits_ = 0;
      line_bytes_ = 0;
      state_ = State::kSizeFirst;
      return 2;
    case State::kTrailerStart:
      if (!crlf || max_trailer_bytes_ - trailer_bytes_ < 2) return 0;
      trailer_bytes_ += 2;
      state_ = State::kDone;
      return 2;
    default:
      return 0;
  }
}

bool ChunkedDecoder::framing_byte(char c) {
  State next = State::kError;
  switch (state_) {
    case State::kDataCr:
      next = c == '\r' ? State::kDataLf : State::kError;
      break;
    case State::kDataLf:
      next = c == '\n' ? State::kSizeFirst : State::kError;
      size_ = 0;
      digits_ = 0;
      line_bytes_ = 0;
      break;
    case State::kTrailerStart:
    case State::kTrailerName:
    case State::kTrailerValue:
    case State::kTrailerLf:
    case State::kEndLf:
      if (++trailer_bytes_ <= max_trailer_bytes_) next = trailer_next(c);
      break;
    case State::kData:
    case State::kDone:
    case State::kError:
      break;
    default:
      if (++line_bytes_ <= kMaxSizeLine) next = size_line_next(c);
      break;
  }
  state_ = next;
  return next != State::kError;
}

// chunk-size [ chunk-ext ] CRLF, where chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS
// ext-value ] ) and ext-value is a token or a quoted-string. Whitespace before the CRLF is
// tolerated after an extension, not after a bare size.
ChunkedDecoder::State ChunkedDecoder::size_line_next(char c) {
  // After a size or an extension: another extension, or the end of the line.
  const State after_item = c == ';' ? State::kExtStart : c == '\r' ? State::kSizeLf : State::kError;
  switch (state_) {
    case State::kSizeFirst:
    case State::kSize: {
      const int digit = hex_value(c);
      if (digit < 0) {
        if (state_ == State::kSizeFirst) return State::kError;  // empty, signed, not hex
        return is_ws(c) ? State::kSizeSpace : after_item;
      }
      constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
      if (++digits_ > 16 || size_ > (kMax - static_cast<uint64_t>(digit)) / 16) {
        return State::kError;
      }
      size_ = size_ * 16 + static_cast<uint64_t>(digit);
      return State::kSize;
    }
    case State::kSizeSpace:
      return is_ws(c) ? State::kSizeSpace : c == ';' ? State::kExtStart : State::kError;
    case State::kExtStart:
      return is_ws(c) ? State::kExtStart : is_token_char(c) ? State::kExtName : State::kError;
    case State::kExtName:
      if (is_token_char(c)) return State::kExtName;
      [[fallthrough]];
    case State::kExtNameSpace:
      return is_ws(c) ? State::kExtNameSpace : c == '=' ? State::kExtValueStart : after_item;
    case State::kExtValueStart:
      return is_ws(c)           ? State::kExtValueStart
             : c == '"'         ? State::kExtQuoted
             : is_token_char(c) ? State::kExtToken
                                : State::kError;
    case State::kExtToken:
      if (is_token_char(c)) return State::kExtToken;
      [[fallthrough]];
    case State::kExtValueSpace:
      return is_ws(c) ? State::kExtValueSpace : after_item;
    case State::kExtQuoted:
      return c == '"'       ? State::kExtValueSpace
             : c == '\\'    ? State::kExtQuotedPair
             : is_qdtext(c) ? State::kExtQuoted
                            : State::kError;
    case State::kExtQuotedPair:
      return is_field_value_char(c) ? State::kExtQuoted : State::kError;
    case State::kSizeLf:
      if (c != '\n') return State::kError;
      return size_ == 0 ? State::kTrailerStart : State::kData;
    default:
      return State::kError;
  }
}

// trailer-section = *( field-line CRLF ) CRLF, with the same field syntax as a head: a token
// name right before the colon, a value of field-value bytes, no obs-fold.
ChunkedDecoder::State ChunkedDecoder::trailer_next(char c) const {
  switch (state_) {
    case State::kTrailerStart:
      return c == '\r' ? State::kEndLf : is_token_char(c) ? State::kTrailerName : State::kError;
    case State::kTrailerName:
      return c == ':'           ? State::kTrailerValue
             : is_token_char(c) ? State::kTrailerName
                                : State::kError;
    case State::kTrailerValue:
      return c == '\r'                ? State::kTrailerLf
             : is_field_value_char(c) ? State::kTrailerValue
                                      : State::kError;
    case State::kTrailerLf:
      return c == '\n' ? State::kTrailerStart : State::kError;
    case State::kEndLf:
      return c == '\n' ? State::kDone : State::kError;
    default:
      return State::kError;
  }
}

}  // namespace fulcrum::http

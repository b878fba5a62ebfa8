#pragma once
// An incremental decoder of the chunked transfer coding (RFC 9112 §7.1). It owns no memory and
// keeps no pointer between calls: payload is reported as runs inside the input it is given, so
// the proxy can forward the coded bytes as they are once validated, and the test backend can
// collect the payload.
//
// Strict wherever a lenient reading could let two parties disagree about where the body ends:
// only CRLF ends a line; a chunk size is 1 to 16 hex digits below 2^63 with no sign or prefix;
// chunk data must be followed by CRLF. Chunk extensions (name, optional token or quoted value)
// are checked and skipped, at most kMaxSizeLine bytes per size line; trailer fields have the
// syntax of header fields and are checked and skipped, at most max_trailer_bytes in all.
#include <cstddef>
#include <cstdint>

namespace fulcrum::http {

class ChunkedDecoder {
 public:
  static constexpr uint32_t kMaxSizeLine = 4096;  // bytes of a chunk-size line, CRLF included

  struct Step {
    size_t consumed = 0;         // bytes of the input that belong to the body and were taken
    const char* data = nullptr;  // a run of payload inside the input, or nullptr
    size_t data_len = 0;
  };

  explicit ChunkedDecoder(uint32_t max_trailer_bytes = 32768);

  // Consumes framing bytes and at most one run of payload from [p, p + n). Call again with the
  // rest of the input while consumed < n and neither done() nor error(). Stops exactly after the
  // end of the body (last chunk, trailers, final CRLF): done() is then true, and the bytes after
  // it, the next message's, are not consumed. On malformed input error() becomes true and
  // `consumed` stops before the offending byte; the decoder then consumes nothing more.
  Step next(const char* p, size_t n);

  bool done() const { return state_ == State::kDone; }
  bool error() const { return state_ == State::kError; }
  // Prepares for the next body.
  void reset();

 private:
  enum class State : uint8_t {
    kSizeFirst,  // expecting the first hex digit of a chunk size
    kSize,       // in the hex digits
    kSizeSpace,  // whitespace after the size, before a ';'
    kExtStart,   // after ';', before the extension name
    kExtName,
    kExtNameSpace,   // whitespace after the name
    kExtValueStart,  // after '='
    kExtToken,
    kExtQuoted,
    kExtQuotedPair,  // after a backslash in a quoted value
    kExtValueSpace,  // whitespace after the value
    kSizeLf,         // CR seen at the end of the size line
    kData,
    kDataCr,  // chunk data over, CRLF must follow
    kDataLf,
    kTrailerStart,  // start of a trailer field line, or of the final CRLF
    kTrailerName,
    kTrailerValue,
    kTrailerLf,
    kEndLf,  // CR of the final CRLF seen
    kDone,
    kError,
  };

  // Takes the common framing at p whole, if it is there: returns the bytes taken, or 0. Inlined
  // into next(), its one caller, which calls it for nearly every piece of framing.
  [[gnu::always_inline]] inline size_t common_framing(const char* p, size_t n);
  // Moves the state machine over one framing byte; returns false (and enters kError) if the byte
  // is not allowed there.
  bool framing_byte(char c);
  // The state after byte c of a chunk-size line, or of a trailer section; kError if c is not
  // allowed there.
  State size_line_next(char c);
  State trailer_next(char c) const;

  State state_ = State::kSizeFirst;
  uint64_t size_ = 0;  // the chunk size being read, then the bytes of data still to come
  uint32_t digits_ = 0;
  uint32_t line_bytes_ = 0;
  uint32_t trailer_bytes_ = 0;
  uint32_t max_trailer_bytes_;
};

}  // namespace fulcrum::http

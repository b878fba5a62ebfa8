// Fuzz target: the chunked transfer-coding decoder (http/chunked.h).
//
// The input is a message body in the chunked coding, perhaps followed by the next message. It is
// decoded, with the default trailer limit and with a small fuzzer-chosen one:
//  - given whole, calling next() on the rest while the contract says to;
//  - given in fuzzer-chosen pieces (1 byte to the whole), each a fresh copy freed once used, as
//    bytes arrive from a socket;
//  - given whole again after reset().
// Every step must consume no more than it was given and report payload only inside what it
// consumed, and must make progress while the body goes on; all three must find the same payload,
// end (or error) at the same byte, and, when done, stop right after a CRLF. After done() or
// error(), nothing more is consumed.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>

#include "fuzz_target.h"
#include "http/chunked.h"

namespace fulcrum::http {
namespace {

using fuzz::Choices;
using fuzz::FreshCopy;

struct Decoded {
  std::string payload;
  size_t consumed = 0;  // bytes of the input taken in all
  bool done = false;
  bool error = false;

  bool operator==(const Decoded&) const = default;
};

void print(const char* label, const Decoded& d) {
  std::fprintf(stderr, "%s: consumed=%zu payload=%zu bytes done=%d error=%d\n", label, d.consumed,
               d.payload.size(), d.done, d.error);
}

// One call of next() on [p, p + n), with the checks that hold for every step. Returns false when
// the caller should stop feeding (done, error, or everything consumed).
bool step(ChunkedDecoder& decoder, const char* p, size_t n, Decoded& out, size_t& used) {
  const bool finished = decoder.done() || decoder.error();
  const ChunkedDecoder::Step s = decoder.next(p, n);
  FUZZ_CHECK(s.consumed <= n);
  if (finished) FUZZ_CHECK(s.consumed == 0 && s.data == nullptr && s.data_len == 0);
  if (s.data == nullptr) {
    FUZZ_CHECK(s.data_len == 0);
  } else {
    // The run lies inside the bytes this step consumed (and so inside the input).
    FUZZ_CHECK(s.data >= p && s.data_len <= s.consumed &&
               static_cast<size_t>(s.data - p) <= s.consumed - s.data_len);
    out.payload.append(s.data, s.data_len);
  }
  FUZZ_CHECK(!(decoder.done() && decoder.error()));
  // While the body goes on and bytes remain, a step takes at least one of them.
  if (!decoder.done() && !decoder.error() && n > 0) FUZZ_CHECK(s.consumed > 0);
  out.consumed += s.consumed;
  used = s.consumed;
  return !decoder.done() && !decoder.error() && s.consumed < n;
}

// Feeds [p, p + n) until the decoder needs more bytes or has finished.
void feed(ChunkedDecoder& decoder, const char* p, size_t n, Decoded& out) {
  size_t off = 0;
  size_t used = 0;
  while (step(decoder, p + off, n - off, out, used)) off += used;
  out.done = decoder.done();
  out.error = decoder.error();
}

void check_invariants(std::string_view input, const Decoded& d) {
  FUZZ_CHECK(d.consumed <= input.size());
  FUZZ_CHECK(d.payload.size() <= d.consumed);
  // The body ends with the CRLF after the last chunk or the trailers.
  if (d.done) {
    FUZZ_CHECK(d.consumed >= 5 && input.substr(d.consumed - 2, 2) == "\r\n");
  }
  // An error stops before the offending byte, which is therefore in the input.
  if (d.error) FUZZ_CHECK(d.consumed < input.size());
  // Short of done or an error, every byte given was consumed.
  if (!d.done && !d.error) FUZZ_CHECK(d.consumed == input.size());
}

void expect_same(const char* what, const Decoded& want, const Decoded& got) {
  if (want == got) return;
  std::fprintf(stderr, "chunked decoder: %s differs from the whole input\n", what);
  print("  want", want);
  print("  got ", got);
  if (want.payload != got.payload) std::fprintf(stderr, "  the payloads differ\n");
  FUZZ_CHECK(want == got);
}

void check(std::string_view input, uint32_t max_trailer_bytes, Choices& choices) {
  ChunkedDecoder decoder(max_trailer_bytes);
  Decoded whole;
  {
    FreshCopy copy(input, input.size());
    feed(decoder, copy.data(), copy.size(), whole);
    check_invariants(input, whole);
    // Finished or not, another call gives nothing new.
    size_t used = 0;
    Decoded after;
    step(decoder, copy.data() + whole.consumed, copy.size() - whole.consumed, after, used);
    if (whole.done || whole.error) FUZZ_CHECK(after.consumed == 0);
  }

  // Pieces of up to max_piece bytes, as a socket might deliver them; each piece holds the bytes
  // the previous ones left unconsumed too, as a caller's buffer would.
  static constexpr size_t kMaxPieces[] = {1, 2, 3, 5, 8, 16, 64, 1000, SIZE_MAX};
  const size_t max_piece = kMaxPieces[choices.below(std::size(kMaxPieces))];
  ChunkedDecoder pieces_decoder(max_trailer_bytes);
  Decoded pieces;
  size_t start = 0;  // first byte not yet consumed
  size_t end = 0;    // bytes received so far
  while (end < input.size() && !pieces_decoder.done() && !pieces_decoder.error()) {
    end += 1 + choices.below(std::min(max_piece, input.size() - end));
    FreshCopy piece(input.substr(start), end - start);
    const size_t before = pieces.consumed;
    feed(pieces_decoder, piece.data(), piece.size(), pieces);
    start += pieces.consumed - before;
  }
  pieces.done = pieces_decoder.done();
  pieces.error = pieces_decoder.error();
  check_invariants(input, pieces);
  expect_same("the input given in pieces", whole, pieces);

  decoder.reset();
  Decoded again;
  FreshCopy copy(input, input.size());
  feed(decoder, copy.data(), copy.size(), again);
  expect_same("the input after reset()", whole, again);
}

}  // namespace
}  // namespace fulcrum::http

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fulcrum::http;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  fulcrum::fuzz::Choices choices(data, size);
  check(input, 32768, choices);
  check(input, static_cast<uint32_t>(choices.below(64)), choices);
  return 0;
}

#pragma once
// What every fuzz target here needs besides the code under test: a check that stops the run when
// an invariant breaks, the choices a target makes besides its input's bytes, and copies of input
// in allocations of exactly their size.
//
// A target is a function LLVMFuzzerTestOneInput(data, size) that returns 0 and aborts (through
// FUZZ_CHECK) on any broken invariant. The same function runs under libFuzzer, which takes the
// abort as a crash and saves the input, and under run_corpus.cc, whose test then fails.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "http/message.h"
#include "http/scan.h"

// Aborts, saying which invariant broke and where, unless `cond` holds. Compiled in whatever the
// build type: a fuzz target without its checks only finds crashes.
#define FUZZ_CHECK(cond)                                           \
  do {                                                             \
    if (!(cond)) ::fulcrum::fuzz::fail(__FILE__, __LINE__, #cond); \
  } while (0)

namespace fulcrum::fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* what) {
  std::fprintf(stderr, "%s:%d: fuzz invariant broken: %s\n", file, line, what);
  std::abort();
}

// The decisions a target takes besides the bytes it is given: where to split them, which
// limits to apply, which scanner to use.
//
// They are read from the input's last bytes, backwards, which stay part of the input too. So the
// seeds can be byte-exact messages with no header of control bytes, and a mutation of the tail
// (body bytes, or the final CRLF of a head) moves a split while the head keeps parsing the same.
// Once the input is used up, the choices go on from a generator seeded with what was read, so
// that every input, the empty one included, gives a fixed sequence.
class Choices {
 public:
  Choices(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  // A number in [0, bound); 0 when bound is 0.
  size_t below(size_t bound) {
    const uint32_t v = next32();
    return bound == 0 ? 0 : static_cast<size_t>(v % bound);
  }

  bool flip() { return (next32() & 1) != 0; }

 private:
  uint32_t next32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      uint8_t byte;
      if (used_ < size_) {
        byte = data_[size_ - 1 - used_++];
        state_ = state_ * 0x9E3779B9u + byte + 1;
      } else {
        if (state_ == 0) state_ = 1;  // xorshift32 stays at 0 once there
        state_ ^= state_ << 13;
        state_ ^= state_ >> 17;
        state_ ^= state_ << 5;
        byte = static_cast<uint8_t>(state_ >> 24);
      }
      v = v << 8 | byte;
    }
    return v;
  }

  const uint8_t* data_;
  size_t size_;
  size_t used_ = 0;
  uint32_t state_ = 0x2545F491u;
};

// The first n bytes of some input in a heap allocation of exactly n bytes (1 if n is 0), so that
// a read past the end is caught by ASan, and a pointer kept from an earlier call into a freed
// copy is caught as a use after free.
class FreshCopy {
 public:
  FreshCopy(std::string_view input, size_t n) : bytes_(new char[n == 0 ? 1 : n]), size_(n) {
    if (n != 0) std::memcpy(bytes_.get(), input.data(), n);
  }
  const char* data() const { return bytes_.get(); }
  size_t size() const { return size_; }

 private:
  std::unique_ptr<char[]> bytes_;
  size_t size_;
};

// Whether a slice of a parsed head lies within the first `end` bytes of its input.
inline bool within(http::Slice s, uint64_t end) { return uint64_t{s.off} + s.len <= end; }

template <class Pred>
bool all_of(const char* p, size_t n, Pred pred) {
  for (size_t i = 0; i < n; ++i) {
    if (!pred(p[i])) return false;
  }
  return true;
}

inline bool is_ows(char c) { return c == ' ' || c == '\t'; }

// Every scanner this CPU can run, the scalar one first.
inline const std::vector<const http::Scanner*>& scanners() {
  static const std::vector<const http::Scanner*> all = [] {
    std::vector<const http::Scanner*> out;
    for (http::ScanIsa isa :
         {http::ScanIsa::kScalar, http::ScanIsa::kSse42, http::ScanIsa::kAvx2}) {
      if (const http::Scanner* s = http::scanner_for(isa)) out.push_back(s);
    }
    return out;
  }();
  return all;
}

}  // namespace fulcrum::fuzz

#include "upstream/balancer/key_hash.h"

#include <cstring>

namespace fulcrum::upstream {
namespace {

constexpr uint64_t kSeed = 0x243f6a8885a308d3ULL;  // digits of pi: any fixed odd-looking value
constexpr uint64_t kOdd = 0x9e3779b97f4a7c15ULL;   // 2^64 / golden ratio, odd

// One 8-byte word into the state. Each part is a bijection of h for a fixed word (xor, multiply
// by an odd number, xor-shift), so two keys that differ in one word keep different states to
// the end; the multiply carries low bits up and the shift brings high bits back down.
inline uint64_t absorb(uint64_t h, uint64_t word) {
  h ^= word;
  h *= kOdd;
  h ^= h >> 32;
  return h;
}

}  // namespace

uint64_t hash_key(std::string_view bytes) {
  const char* p = bytes.data();
  size_t n = bytes.size();
  // The length enters first, so "a" and "a\0" (same zero-padded tail) differ.
  uint64_t h = kSeed ^ (static_cast<uint64_t>(n) * kOdd);
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);  // unaligned load, host byte order: little-endian on
                               // every target we build, so all our hosts agree
    h = absorb(h, word);
  }
  if (n > 0) {
    uint64_t word = 0;
    std::memcpy(&word, p, n);
    h = absorb(h, word);
  }
  return mix64(h);
}

}  // namespace fulcrum::upstream

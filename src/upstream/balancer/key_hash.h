#pragma once
// Hashing of request keys (client address, path, header or cookie value) for the hash strategy,
// and the two integer helpers the balancers share: a 64-bit mixer and range reduction.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fulcrum::upstream {

// A 64-bit hash of bytes, well mixed in every bit (the hash strategy uses the high bits).
// Deterministic across loops, processes and restarts (no random seed): every worker must send a
// key to the same backend. Keys of equal length never collide (each step is a bijection of the
// state); keys of different lengths collide with probability about 2^-64. Not meant to resist
// chosen-input attacks: a client choosing its key can only choose its backend, which it could by
// other means anyway.
uint64_t hash_key(std::string_view bytes);

// A bijective finalizer with full avalanche (the splitmix64 / Stafford "Mix13" constants).
constexpr uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// Maps a uniformly distributed x onto [0, n) by the high half of x * n: no division, and the
// bias (at most n / 2^64) is far below anything a balancer could notice.
inline uint64_t scale_to(uint64_t x, uint64_t n) {
  __extension__ using Wide = unsigned __int128;  // GCC and Clang; __extension__ for -Wpedantic
  return static_cast<uint64_t>((static_cast<Wide>(x) * n) >> 64);
}

}  // namespace fulcrum::upstream

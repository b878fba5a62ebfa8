#include "base/buffer.h"

#include <algorithm>
#include <bit>
#include <new>

#include "base/free_lists.h"

namespace fulcrum::base {
namespace {

constexpr size_t kMinBlock = 256;
constexpr size_t kMaxCachedBlock = 64 * 1024;
constexpr size_t kClasses = 9;  // 256 B .. 64 KiB

thread_local FreeLists<kClasses> blocks;

// The class of a power-of-two block size between kMinBlock and kMaxCachedBlock.
size_t class_of(size_t block) {
  return static_cast<size_t>(std::countr_zero(block) - std::countr_zero(kMinBlock));
}

// At least n bytes; *block is the size actually given. Larger blocks than the cache keeps are
// exactly n bytes, so that only cached blocks are powers of two.
char* take_block(size_t n, size_t* block) {
  if (n > kMaxCachedBlock) {
    *block = n;
    return static_cast<char*>(::operator new(n));
  }
  *block = std::bit_ceil(std::max(n, kMinBlock));
  return static_cast<char*>(blocks.take(class_of(*block), *block));
}

void give_block(char* p, size_t block) {
  if (block > kMaxCachedBlock) {
    ::operator delete(p);
    return;
  }
  blocks.give(class_of(block), p);
}

}  // namespace

void Buffer::reserve(size_t n) {
  if (writable() >= n) return;
  size_t used = size();
  if (cap_ - used >= n && head_ > 0) {
    std::memmove(mem_, mem_ + head_, used);
    head_ = 0;
    tail_ = used;
    return;
  }
  size_t cap = 0;
  char* mem = take_block(std::max(used + n, cap_ * 2), &cap);
  if (used) std::memcpy(mem, mem_ + head_, used);
  if (mem_) give_block(mem_, cap_);
  mem_ = mem;
  head_ = 0;
  tail_ = used;
  cap_ = cap;
}

void Buffer::trim_cache() { blocks.trim(); }

void Buffer::release() {
  if (mem_) give_block(mem_, cap_);
  mem_ = nullptr;
  head_ = tail_ = cap_ = 0;
}

void Buffer::append_decimal(unsigned long long v) {
  char tmp[20];
  char* p = tmp + sizeof tmp;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  append(p, static_cast<size_t>(tmp + sizeof tmp - p));
}

}  // namespace fulcrum::base

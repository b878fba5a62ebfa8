#include "base/buffer.h"

#include <algorithm>

namespace fulcrum::base {

void Buffer::reserve(size_t n) {
  if (writable() >= n) return;
  size_t used = size();
  if (cap_ - used >= n && head_ > 0) {
    std::memmove(mem_.get(), mem_.get() + head_, used);
    head_ = 0;
    tail_ = used;
    return;
  }
  size_t cap = std::max<size_t>({used + n, cap_ * 2, 256});
  std::unique_ptr<char[]> mem(new char[cap]);
  if (used) std::memcpy(mem.get(), mem_.get() + head_, used);
  mem_ = std::move(mem);
  head_ = 0;
  tail_ = used;
  cap_ = cap;
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

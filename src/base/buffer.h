#pragma once
// One byte buffer type for every connection and message.
//
// Invariants: 0 <= head_ <= tail_ <= cap_. Readable bytes are [head_, tail_), writable space is
// [tail_, cap_). Capacity only grows until release(), so a buffer that is reused (per
// connection) stops allocating once it has seen its largest message. consume() of everything
// rewinds to 0 so that the common read-parse-forward cycle never needs a memmove.
//
// Memory comes in power-of-two blocks up to 64 KiB from a per-thread cache, so that a
// connection can give its buffers back whenever it is idle (release()) and take them again for
// its next message without reaching malloc. The thread's loop trims the cache now and then
// (trim_cache()), giving back what the load did not need meanwhile.
#include <cstddef>
#include <cstring>
#include <string_view>
#include <utility>

namespace fulcrum::base {

class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(size_t capacity) { reserve(capacity); }
  Buffer(Buffer&& o) noexcept
      : mem_(std::exchange(o.mem_, nullptr)),
        head_(std::exchange(o.head_, 0)),
        tail_(std::exchange(o.tail_, 0)),
        cap_(std::exchange(o.cap_, 0)) {}
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      release();
      mem_ = std::exchange(o.mem_, nullptr);
      head_ = std::exchange(o.head_, 0);
      tail_ = std::exchange(o.tail_, 0);
      cap_ = std::exchange(o.cap_, 0);
    }
    return *this;
  }
  ~Buffer() { release(); }

  const char* data() const { return mem_ + head_; }
  size_t size() const { return tail_ - head_; }
  bool empty() const { return head_ == tail_; }
  std::string_view view() const { return {data(), size()}; }
  size_t capacity() const { return cap_; }

  char* write_ptr() { return mem_ + tail_; }
  size_t writable() const { return cap_ - tail_; }
  // Marks n bytes written at write_ptr() as readable.
  void commit(size_t n) { tail_ += n; }

  // Drops n readable bytes from the front.
  void consume(size_t n) {
    head_ += n;
    if (head_ == tail_) head_ = tail_ = 0;
  }
  void clear() { head_ = tail_ = 0; }
  // Puts n bytes in front of the readable ones, in the room that consume() left there; false,
  // with nothing written, when that room is less than n.
  bool prepend(const char* p, size_t n) {
    if (n > head_) return false;
    head_ -= n;
    std::memcpy(mem_ + head_, p, n);
    return true;
  }

  // Ensures writable() >= n: moves readable bytes to the front first, grows only if that is not
  // enough.
  void reserve(size_t n);

  void append(const char* p, size_t n) {
    if (n == 0) return;
    if (writable() < n) reserve(n);
    std::memcpy(write_ptr(), p, n);
    tail_ += n;
  }
  void append(std::string_view s) { append(s.data(), s.size()); }
  void append(char c) { append(&c, 1); }
  void append_decimal(unsigned long long v);

  // Gives the memory back (an idle connection need not hold a buffer); drops what it held.
  void release();

  // Gives this thread's cache's surplus back to malloc: the blocks it kept all along since the
  // previous call.
  static void trim_cache();

 private:
  char* mem_ = nullptr;
  size_t head_ = 0;
  size_t tail_ = 0;
  size_t cap_ = 0;
};

}  // namespace fulcrum::base

#include "base/frame_pool.h"

#include <new>

#include "base/free_lists.h"

namespace fulcrum::base {
namespace {

constexpr size_t kGranule = 64;
constexpr size_t kClasses = 64;  // frames up to 4 KiB are pooled; larger ones are rare

thread_local FreeLists<kClasses> frames;

size_t size_class(size_t n) { return (n + kGranule - 1) / kGranule; }

}  // namespace

void* frame_alloc(size_t n) {
  size_t c = size_class(n);
  if (c >= kClasses) return ::operator new(n);
  return frames.take(c, c * kGranule);
}

void frame_free(void* p, size_t n) {
  size_t c = size_class(n);
  if (c >= kClasses) {
    ::operator delete(p);
    return;
  }
  frames.give(c, p);
}

void trim_frame_cache() { frames.trim(); }

}  // namespace fulcrum::base

#include "base/frame_pool.h"

#include <array>
#include <new>

namespace fulcrum::base {
namespace {

constexpr size_t kGranule = 64;
constexpr size_t kClasses = 64;  // frames up to 4 KiB are pooled; larger ones are rare

struct FreeNode {
  FreeNode* next;
};

struct FreeLists {
  std::array<FreeNode*, kClasses> heads{};
  ~FreeLists() {
    for (FreeNode* head : heads) {
      while (head) {
        FreeNode* next = head->next;
        ::operator delete(head);
        head = next;
      }
    }
  }
};

thread_local FreeLists free_lists;

size_t size_class(size_t n) { return (n + kGranule - 1) / kGranule; }

}  // namespace

void* frame_alloc(size_t n) {
  size_t c = size_class(n);
  if (c >= kClasses) return ::operator new(n);
  if (FreeNode* node = free_lists.heads[c]) {
    free_lists.heads[c] = node->next;
    return node;
  }
  return ::operator new(c * kGranule);
}

void frame_free(void* p, size_t n) {
  size_t c = size_class(n);
  if (c >= kClasses) {
    ::operator delete(p);
    return;
  }
  auto* node = static_cast<FreeNode*>(p);
  node->next = free_lists.heads[c];
  free_lists.heads[c] = node;
}

}  // namespace fulcrum::base

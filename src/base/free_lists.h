#pragma once
// Free lists of memory blocks by size class: the one way base keeps memory that the request path
// gives back (buffer blocks, coroutine frames) so that it can take it again without reaching
// malloc (DESIGN principle 3).
//
// Each user keeps one FreeLists per thread (thread_local) and maps a size to a class itself,
// since what a class holds is its policy: power-of-two buffer blocks, 64-byte steps of frames.
// A block is given back to the class it was taken from, on the thread that took it; everything
// on the request path belongs to one loop, so there are no locks. A block is at least a pointer
// wide: a kept block holds the link to the next one.
#include <array>
#include <cstddef>
#include <limits>
#include <new>

namespace fulcrum::base {

// No bound on the blocks a class keeps.
inline constexpr size_t kKeepAll = std::numeric_limits<size_t>::max();

// kKeptPerClass bounds what a burst can pin: beyond it, blocks go back to operator delete.
template <size_t kClasses, size_t kKeptPerClass = kKeepAll>
class FreeLists {
 public:
  FreeLists() = default;
  FreeLists(const FreeLists&) = delete;
  FreeLists& operator=(const FreeLists&) = delete;
  // At thread exit: the blocks kept go back to operator delete.
  ~FreeLists() {
    for (Node* head : heads_) {
      while (head) {
        Node* next = head->next;
        ::operator delete(head);
        head = next;
      }
    }
  }

  // A block of class c: one kept, or a new one of `bytes` (the class's block size). Never fails
  // short of the process running out of memory (then std::bad_alloc terminates).
  void* take(size_t c, size_t bytes) {
    if (Node* node = heads_[c]) {
      heads_[c] = node->next;
      if constexpr (kBounded) --counts_[c];
      return node;
    }
    return ::operator new(bytes);
  }

  // Keeps p, a block that take(c, ...) gave, unless class c holds kKeptPerClass already.
  void give(size_t c, void* p) {
    if constexpr (kBounded) {
      if (counts_[c] >= kKeptPerClass) {
        ::operator delete(p);
        return;
      }
      ++counts_[c];
    }
    auto* node = static_cast<Node*>(p);
    node->next = heads_[c];
    heads_[c] = node;
  }

  // The blocks class c keeps now (by walking its list: for tests, not the request path).
  size_t kept(size_t c) const {
    size_t n = 0;
    for (const Node* node = heads_[c]; node; node = node->next) ++n;
    return n;
  }

 private:
  // Unbounded lists keep no counts: frames are taken and given on every request, and counting
  // them would be work for nothing.
  static constexpr bool kBounded = kKeptPerClass != kKeepAll;
  struct Node {
    Node* next;
  };
  std::array<Node*, kClasses> heads_{};
  std::array<size_t, kBounded ? kClasses : 0> counts_{};
};

}  // namespace fulcrum::base

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
#include <new>

namespace fulcrum::base {

// The blocks each class keeps are counted, and trim() gives back to operator delete those the
// class kept all along since the previous trim (its low-water mark): blocks the load of that
// period did not need. So a burst does not pin memory for good, while a steady load, however many
// connections it has, finds every block it needs kept (a fixed bound on the blocks kept sent the
// surplus of every quiet moment back to malloc, to be taken again at the next busy one: about one
// malloc per request at 200 connections).
template <size_t kClasses>
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
      if (--counts_[c] < lows_[c]) lows_[c] = counts_[c];
      return node;
    }
    return ::operator new(bytes);
  }

  // Keeps p, a block that take(c, ...) gave.
  void give(size_t c, void* p) {
    ++counts_[c];
    auto* node = static_cast<Node*>(p);
    node->next = heads_[c];
    heads_[c] = node;
  }

  // Gives back each class's low-water mark of blocks since the previous trim.
  void trim() {
    for (size_t c = 0; c < kClasses; ++c) {
      for (; lows_[c] > 0; --lows_[c], --counts_[c]) {
        Node* node = heads_[c];
        heads_[c] = node->next;
        ::operator delete(node);
      }
      lows_[c] = counts_[c];
    }
  }

  // The blocks class c keeps now (by walking its list: for tests, not the request path).
  size_t kept(size_t c) const {
    size_t n = 0;
    for (const Node* node = heads_[c]; node; node = node->next) ++n;
    return n;
  }

 private:
  struct Node {
    Node* next;
  };
  std::array<Node*, kClasses> heads_{};
  std::array<size_t, kClasses> counts_{};  // blocks kept
  std::array<size_t, kClasses> lows_{};    // the fewest kept since trim()
};

}  // namespace fulcrum::base

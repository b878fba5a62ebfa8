#include "io/timer.h"

namespace fulcrum::io {

void TimerHeap::arm(Timer& t, TimePoint when) {
  if (t.armed()) disarm(t);
  t.when = when;
  heap_.push_back(&t);
  t.heap_index = static_cast<uint32_t>(heap_.size() - 1);
  sift_up(t.heap_index);
}

void TimerHeap::disarm(Timer& t) {
  if (!t.armed()) return;
  uint32_t i = t.heap_index;
  t.heap_index = Timer::kDisarmed;
  Timer* last = heap_.back();
  heap_.pop_back();
  if (last == &t) return;
  place(i, last);
  sift_up(i);
  sift_down(last->heap_index);
}

void TimerHeap::fire_due(TimePoint now) {
  while (!heap_.empty() && heap_.front()->when <= now) {
    Timer* t = heap_.front();
    disarm(*t);
    t->fire(t);
  }
}

void TimerHeap::sift_up(uint32_t i) {
  Timer* t = heap_[i];
  while (i > 0) {
    uint32_t parent = (i - 1) / 2;
    if (heap_[parent]->when <= t->when) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, t);
}

void TimerHeap::sift_down(uint32_t i) {
  Timer* t = heap_[i];
  uint32_t n = static_cast<uint32_t>(heap_.size());
  for (;;) {
    uint32_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && heap_[child + 1]->when < heap_[child]->when) ++child;
    if (t->when <= heap_[child]->when) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, t);
}

}  // namespace fulcrum::io

#include "io/timer.h"

namespace fulcrum::io {

void Timers::arm(Timer& t, TimePoint when, Duration timeout) {
  if (t.armed()) disarm(t);
  t.when = when;
  ++armed_;
  if (timeout > Duration::zero() && append_to_run(t, timeout)) return;
  heap_.push_back(&t);
  t.slot = static_cast<uint32_t>(heap_.size() - 1);
  sift_up(t.slot);
}

bool Timers::append_to_run(Timer& t, Duration timeout) {
  Run* free_run = nullptr;
  for (Run& r : runs_) {
    if (r.head && r.timeout == timeout) {
      // The clock does not go back, so this holds unless the deadline was not now + timeout.
      if (r.tail->when > t.when) return false;
      t.prev = r.tail;
      r.tail->next = &t;
      r.tail = &t;
      t.slot = Timer::kInRun | static_cast<uint32_t>(&r - runs_.data());
      return true;
    }
    if (!r.head && !free_run) free_run = &r;
  }
  if (!free_run) return false;
  free_run->timeout = timeout;
  free_run->head = free_run->tail = &t;
  t.slot = Timer::kInRun | static_cast<uint32_t>(free_run - runs_.data());
  return true;
}

void Timers::disarm(Timer& t) {
  if (!t.armed()) return;
  --armed_;
  if (t.slot & Timer::kInRun) {
    unlink(t);
  } else {
    heap_remove(t);
  }
  t.slot = Timer::kDisarmed;
}

void Timers::unlink(Timer& t) {
  Run& r = runs_[t.slot & ~Timer::kInRun];
  (t.prev ? t.prev->next : r.head) = t.next;
  (t.next ? t.next->prev : r.tail) = t.prev;
  t.prev = t.next = nullptr;
}

Timer* Timers::earliest() const {
  Timer* first = heap_.empty() ? nullptr : heap_.front();
  for (const Run& r : runs_) {
    if (r.head && (!first || r.head->when < first->when)) first = r.head;
  }
  return first;
}

TimePoint Timers::next() const { return earliest()->when; }

void Timers::fire_due(TimePoint now) {
  for (Timer* t = earliest(); t && t->when <= now; t = earliest()) {
    disarm(*t);
    t->fire(t);
  }
}

void Timers::heap_remove(Timer& t) {
  uint32_t i = t.slot;
  Timer* last = heap_.back();
  heap_.pop_back();
  if (last == &t) return;
  place(i, last);
  sift_up(i);
  sift_down(last->slot);
}

void Timers::sift_up(uint32_t i) {
  Timer* t = heap_[i];
  while (i > 0) {
    uint32_t parent = (i - 1) / 2;
    if (heap_[parent]->when <= t->when) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, t);
}

void Timers::sift_down(uint32_t i) {
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

#pragma once
// Spare objects kept for reuse (request states, pipes), trimmed the way FreeLists trims memory
// blocks: trim() drops the spares that stayed unused all along since the previous trim (the
// low-water mark), oldest first. A burst then does not pin them for good, while a steady load
// finds every one it needs kept.
#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace fulcrum::base {

template <typename T>
class Spares {
 public:
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }

  void put(T item) { items_.push_back(std::move(item)); }
  // The one put last (the warmest); only when not empty().
  T take() {
    T item = std::move(items_.back());
    items_.pop_back();
    low_ = std::min(low_, items_.size());
    return item;
  }

  // Drops the low-water mark's worth of the oldest spares, calling drop on each first when it
  // is given (for what a destructor does not release).
  void trim(void (*drop)(T&) = nullptr) {
    const auto end = items_.begin() + static_cast<std::ptrdiff_t>(low_);
    if (drop) std::for_each(items_.begin(), end, drop);
    items_.erase(items_.begin(), end);
    low_ = items_.size();
  }

 private:
  std::vector<T> items_;  // oldest first
  size_t low_ = 0;        // the fewest kept since the previous trim
};

}  // namespace fulcrum::base

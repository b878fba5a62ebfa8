#include "config/diagnostics.h"

#include <algorithm>

namespace fulcrum::config {

std::string position_text(Position at) {
  return std::to_string(at.line) + ":" + std::to_string(at.column);
}

void Diagnostics::add(Position at, std::string path, std::string message) {
  entries_.push_back({at, std::move(path), std::move(message)});
}

std::vector<std::string> Diagnostics::lines() const {
  std::vector<const Entry*> order;
  for (const Entry& e : entries_) order.push_back(&e);
  std::stable_sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
    if (a->at.line != b->at.line) return a->at.line < b->at.line;
    return a->at.column < b->at.column;
  });
  std::vector<std::string> out;
  for (const Entry* e : order) {
    std::string line = file_;
    if (e->at.line > 0) {
      line += ":" + std::to_string(e->at.line) + ":" + std::to_string(e->at.column);
    }
    line += ": ";
    if (!e->path.empty()) line += e->path + ": ";
    line += e->message;
    out.push_back(std::move(line));
  }
  return out;
}

}  // namespace fulcrum::config

#include "config/suggest.h"

#include <algorithm>
#include <cctype>

namespace fulcrum::config {
namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

}  // namespace

size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: Levenshtein plus the swap of two neighbours, one row per char of a.
  const size_t n = b.size();
  std::vector<size_t> before(n + 1), previous(n + 1), current(n + 1);
  for (size_t j = 0; j <= n; ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= n; ++j) {
      size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1])) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    before.swap(previous);
    previous.swap(current);
  }
  return previous[n];
}

std::optional<std::string> closest_name(std::string_view name,
                                        const std::vector<std::string_view>& candidates) {
  std::optional<std::string> best;
  size_t best_distance = SIZE_MAX;
  for (std::string_view candidate : candidates) {
    size_t d = edit_distance(name, candidate);
    size_t longer = std::max(name.size(), candidate.size());
    if (d <= 2 && d * 3 <= longer && d < best_distance) {
      best = std::string(candidate);
      best_distance = d;
    }
  }
  if (best || name.size() < 3) return best;
  // A key written short ("path" for "path_prefix") is a likely slip too.
  for (std::string_view candidate : candidates) {
    if (candidate.size() > name.size() &&
        edit_distance(candidate.substr(0, name.size()), name) == 0) {
      return std::string(candidate);
    }
  }
  return best;
}

std::string suggestion_or_choices(std::string_view name,
                                  const std::vector<std::string_view>& candidates) {
  if (auto near = closest_name(name, candidates)) return " (did you mean '" + *near + "'?)";
  std::string out = " (one of: ";
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (i > 0) out += ", ";
    out += candidates[i];
  }
  return out + ")";
}

}  // namespace fulcrum::config

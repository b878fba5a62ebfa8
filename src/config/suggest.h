#pragma once
// "Did you mean ...?" for names in a configuration file: the known name closest to a misspelt
// one, if it is close enough to be a likely typo.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fulcrum::config {

// Edits (insertions, deletions, substitutions and swaps of neighbours) that turn a into b,
// ignoring ASCII case.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `name`: at most two edits away, and no more than a third of the
// longer name changed (so "ip" suggests nothing for "io"). The first of equally near ones wins.
// Failing that, the first candidate that `name` (three letters or more) begins ("path" for
// "path_prefix"). nullopt if none is near.
std::optional<std::string> closest_name(std::string_view name,
                                        const std::vector<std::string_view>& candidates);

// " (did you mean 'x'?)" when a candidate is near, else " (one of: a, b, c)" — the tail of an
// error message that says what is allowed.
std::string suggestion_or_choices(std::string_view name,
                                  const std::vector<std::string_view>& candidates);

}  // namespace fulcrum::config

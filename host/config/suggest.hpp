// "did you mean ...?" for misspelt keys, sections and ids.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zzp::host {

// Edit distance counting insertions, deletions, substitutions and swaps of two neighbours
// ("tagrets" -> "targets" is 1), ignoring ASCII case.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a likely typo (at most 1 edit
// for short words, 2 for longer ones, and never the whole word); nothing otherwise.
std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates);

// "'a', 'b' and 'c'" for messages listing what is allowed.
std::string quoted_list(const std::vector<std::string>& items);

}  // namespace zzp::host

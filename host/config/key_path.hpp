// Key paths within one instance's table — "rate", "rotate.size", "targets[2]", "targets[2].port"
// — the spelling shared by the zzp_config getters, zzp_error.key and diagnostics.
#pragma once

#include <toml++/toml.h>

#include <map>
#include <string>
#include <string_view>

namespace zzp::host {

// Position of each key path in the file: for a named key the position of the key itself, for
// a list element the position of the element.
using KeyLocations = std::map<std::string, toml::source_position, std::less<>>;

// The node at `path`, or nullptr when the path is absent or malformed ("a..b", "x[", "x[-1]").
const toml::node* find_key_path(const toml::table& root, std::string_view path);

// "prefix.key" (or "key" when prefix is empty), and "prefix[index]".
std::string child_path(std::string_view prefix, std::string_view key);
std::string element_path(std::string_view prefix, size_t index);

// Record the position of every key and element under `table` (those that have one: values
// copied or inserted by code carry none).
void collect_key_locations(const toml::table& table, std::string_view prefix, KeyLocations& out);

// The position recorded for `path`, else for its longest recorded parent path, else none.
toml::source_position nearest_location(const KeyLocations& locations, std::string_view path);

}  // namespace zzp::host

// How diagnostics name TOML types and show the value found ("integer -5", "string \"fast\"").
#pragma once

#include <toml++/toml.h>

#include <string>

namespace zzp::host {

// The TOML spec's names: string, integer, float, boolean, array, table, date, time, date-time.
std::string toml_type_name(const toml::node& node);

// "integer -5", "string \"100 ms\"", "array of 3 elements", "table"; long strings are cut
// short, and a secret value is never shown ("string (hidden)").
std::string describe_value(const toml::node& node, bool secret = false);

}  // namespace zzp::host

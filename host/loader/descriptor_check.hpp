// Sanity checks of what a plugin library describes about itself, run once at load so the rest
// of the host (config validation, `zzprobe plugins`) can trust descriptors and schemas:
// ids non-empty and well-formed, kinds known, config keys named [a-z0-9_-] with known types,
// nested tables bounded. Usage:
//   std::string why;
//   if (!check_descriptor(desc, &why)) refuse("descriptor 2 (" + id + "): " + why);
#pragma once

#include <zzprobe/zzprobe.h>

#include <string>

namespace zzp::host {

// Checks the host's (zero-extended) copy of a descriptor and the schema it points at.
bool check_descriptor(const zzp_plugin_descriptor& descriptor, std::string* why);

// Checks one schema level (and its nested tables); `where` prefixes messages ("keys").
bool check_config_keys(const zzp_config_key* keys, uint32_t count, const std::string& where, int depth,
                       std::string* why);

// Whether a plugin id is acceptable: [A-Za-z0-9._-], 1..128 characters (reverse-DNS allowed).
bool valid_plugin_id(const char* id);

}  // namespace zzp::host

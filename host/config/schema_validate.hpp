// An instance's table checked against its plugin's declared schema (zzp_config_key arrays), and
// the plugin's defaults filled in, before any plugin code sees it.
#pragma once

#include <zzprobe/plugin.h>

#include <string>
#include <vector>

#include "config/diagnostic.hpp"
#include "config/pipeline_config.hpp"

namespace zzp::host {

// Checks instance.table against the descriptor's schema, appending a diagnostic per problem:
// the section's kind vs the plugin's kind, unknown key (with "did you mean"), wrong type
// (expected vs found), missing required key, durations and sizes that do not parse, list
// element types, nested tables and lists of tables (paths like "targets[2].port"). Then fills
// in every default, so that instance.table becomes the effective table handed to the plugin
// (see ConfigView). A bad schema or default literal is reported as the plugin's bug, without a
// position in the user's file. Returns true when nothing was wrong.
bool validate_instance(InstanceConfig& instance, const zzp_plugin_descriptor& descriptor,
                       std::vector<ConfigDiagnostic>& diagnostics);

// The plugin's own schema, sanity-checked: key names ([a-z0-9_-], unique, not id/plugin/inputs),
// types and element types in range, tables with fields, default literals that parse as TOML and
// match their key's type, nesting no deeper than 8. Empty when fine; each entry names the
// plugin and the key path.
std::vector<ConfigDiagnostic> validate_schema(const zzp_plugin_descriptor& descriptor);

// A readable table of the schema for `zzprobe plugins ID`: key, type, "required" or the
// default, and the doc line; fields of tables and lists of tables indented under their key.
std::string format_schema(const zzp_plugin_descriptor& descriptor);

// "string", "integer", "float", "boolean", "duration", "size", "list of string", "table".
std::string schema_type_name(const zzp_config_key& key);

}  // namespace zzp::host

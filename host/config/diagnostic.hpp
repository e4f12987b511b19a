// A configuration problem, located and explained so that a user can fix it without reading code:
//   FILE:LINE:COL: error: sink "recorder" (plugin file): key 'rotate_size': expected a size such
//   as "64MiB", found integer -5
//     hint: sizes are bytes or a string with a unit: "512KiB", "64MiB", "1GB"
#pragma once

#include <string>
#include <vector>

namespace zzp::host {

enum class Severity { error, warning };

struct ConfigDiagnostic {
    std::string file;      // the config file as the user named it; empty for a plugin's own bug
    int line = 0;          // 1-based; 0 when the problem has no position (unreadable file, schema bug)
    int column = 0;        // 1-based; 0 when unknown
    std::string instance;  // 'sink "recorder" (plugin file)', '[host]', 'plugin icmp 1.2.0', or empty
    std::string key;       // key path at fault: "targets[2].port"; empty for a whole section or file
    std::string message;   // what was expected and what was found
    std::string hint;      // what to do about it; may be empty
    Severity severity = Severity::error;
};

// The diagnostic as the CLI prints it: one line, plus "\n  hint: ..." when there is a hint. No
// trailing newline. Parts that are empty are left out (no "FILE:0:0").
std::string format_diagnostic(const ConfigDiagnostic& diagnostic);

bool has_errors(const std::vector<ConfigDiagnostic>& diagnostics);

// Sort by file, then line and column (stable: same position keeps the order found).
void sort_diagnostics(std::vector<ConfigDiagnostic>& diagnostics);

}  // namespace zzp::host

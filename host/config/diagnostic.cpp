#include "config/diagnostic.hpp"

#include <algorithm>
#include <tuple>

namespace zzp::host {

std::string format_diagnostic(const ConfigDiagnostic& d) {
    std::string out;
    if (!d.file.empty()) {
        out += d.file;
        if (d.line > 0) {
            out += ":" + std::to_string(d.line);
            if (d.column > 0) out += ":" + std::to_string(d.column);
        }
        out += ": ";
    }
    out += d.severity == Severity::error ? "error: " : "warning: ";
    if (!d.instance.empty()) out += d.instance + ": ";
    if (!d.key.empty()) out += "key '" + d.key + "': ";
    out += d.message;
    if (!d.hint.empty()) out += "\n  hint: " + d.hint;
    return out;
}

bool has_errors(const std::vector<ConfigDiagnostic>& diagnostics) {
    return std::any_of(diagnostics.begin(), diagnostics.end(),
                       [](const ConfigDiagnostic& d) { return d.severity == Severity::error; });
}

void sort_diagnostics(std::vector<ConfigDiagnostic>& diagnostics) {
    std::stable_sort(diagnostics.begin(), diagnostics.end(), [](const ConfigDiagnostic& a, const ConfigDiagnostic& b) {
        return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
    });
}

}  // namespace zzp::host

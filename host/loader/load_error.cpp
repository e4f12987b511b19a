#include "loader/load_error.hpp"

namespace zzp::host {

std::string LoadError::text() const {
    std::string out = "error: " + what + "\n";
    if (!detail.empty()) out += "DETAIL: " + detail + "\n";
    if (!hint.empty()) out += "HINT: " + hint + "\n";
    return out;
}

std::string LoadError::one_line() const {
    std::string out = what;
    if (!detail.empty()) out += " (" + detail + ")";
    if (!hint.empty()) out += " " + hint;
    return out;
}

}  // namespace zzp::host

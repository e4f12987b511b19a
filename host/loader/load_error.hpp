// Why a plugin library could not be loaded, worded like PostgreSQL's errors:
//   what   — one line: what failed ("plugin library was built for zzprobe ABI 2")
//   detail — the facts: both versions, the path, the dlerror text
//   hint   — what to do: rebuild against the installed SDK, upgrade zzprobe, fix the path
// Usage: if (!lib) std::cerr << err.text();  // "error: ...\nDETAIL: ...\nHINT: ...\n"
#pragma once

#include <string>

namespace zzp::host {

struct LoadError {
    std::string what;
    std::string detail;
    std::string hint;
    std::string path;  // the library file the error is about (as named, not the private copy)

    bool empty() const { return what.empty(); }
    // Multi-line text for the terminal or the log: "error: what\nDETAIL: ...\nHINT: ...\n".
    std::string text() const;
    // One line for the log: "what (detail) hint".
    std::string one_line() const;
};

}  // namespace zzp::host

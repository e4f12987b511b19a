// Private copies of plugin libraries (docs/PLUGIN_ABI.md, rule "load from a private copy").
// dlopen of a path that is already loaded returns the old code, and overwriting a mapped .so in
// place can crash the process that maps it; so the host maps only its own, uniquely named copy:
//   $XDG_RUNTIME_DIR/zzprobe-<pid>/gen<N>-<name>.so, or /tmp/zzprobe-<uid>/<pid>/gen<N>-<name>.so
// Usage:
//   auto copy = make_private_copy("/usr/lib/zzprobe/plugins/zzp-icmp.so", generation, &error);
//   ... dlopen(*copy) ... dlclose ... remove_private_copy(*copy); if (is_mapped(*copy)) warn;
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace zzp::host {

// The directory that holds this process's private copies, created (mode 0700) on first use.
// nullopt with *error when it cannot be created or is not safely ours.
std::optional<std::filesystem::path> private_copy_dir(std::string* error);

// Copies `original` to a new, unique file in private_copy_dir(). nullopt with *error on failure.
std::optional<std::filesystem::path> make_private_copy(const std::filesystem::path& original, uint64_t generation,
                                                       std::string* error);

// Deletes a copy made by make_private_copy (and this process's copy directory once empty).
void remove_private_copy(const std::filesystem::path& copy);

// Whether any mapping of this process (per /proc/self/maps) is backed by `file`, including a
// file deleted since it was mapped.
bool is_mapped(const std::filesystem::path& file);

}  // namespace zzp::host

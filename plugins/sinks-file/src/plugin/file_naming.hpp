// Names of recording files: "<instance>-<UTC period start>[-<n>].zzr", e.g.
// "rec-20240501T130000Z.zzr", then "rec-20240501T130000Z-1.zzr" after a restart or a size split
// in the same period. Names sort chronologically and never collide with an existing file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace zzp::file_sink {

// Characters outside [A-Za-z0-9._-] in an instance id become '_'.
std::string safe_instance(const std::string& instance);
std::string file_name(const std::string& instance, int64_t period_start_ns, unsigned part);
// The period start encoded in a name written by file_name for `instance`; nullopt otherwise.
std::optional<int64_t> period_of(const std::string& file_name, const std::string& instance);

}  // namespace zzp::file_sink

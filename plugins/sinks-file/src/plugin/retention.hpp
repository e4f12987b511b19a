// Retention: remove this instance's oldest closed recordings when they are older than the age
// limit or when the directory's recordings exceed the size limit. Open files are never removed.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace zzp::file_sink {

struct RetentionPolicy {
    int64_t max_age_ns = 0;     // 0: keep forever
    uint64_t max_bytes = 0;     // 0: no size limit
    int64_t rotate_ns = 0;      // a file's data ends one period after its start
};

// Returns the paths removed (and what could not be removed, as messages in `problems`).
std::vector<std::string> apply_retention(const std::string& dir, const std::string& instance, int64_t now_ns,
                                         const RetentionPolicy& policy, const std::set<std::string>& open_paths,
                                         std::vector<std::string>& problems);

}  // namespace zzp::file_sink

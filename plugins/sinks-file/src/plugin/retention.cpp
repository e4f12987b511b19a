#include "retention.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "file_naming.hpp"

namespace zzp::file_sink {

std::vector<std::string> apply_retention(const std::string& dir, const std::string& instance, int64_t now_ns,
                                         const RetentionPolicy& policy, const std::set<std::string>& open_paths,
                                         std::vector<std::string>& problems) {
    namespace fs = std::filesystem;
    struct Entry {
        std::string path;
        int64_t period;
        uint64_t size;
        bool open;
    };
    std::vector<Entry> files;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        auto period = period_of(e.path().filename().string(), instance);
        if (!period || !e.is_regular_file(ec)) continue;
        files.push_back({e.path().string(), *period, static_cast<uint64_t>(e.file_size(ec)), open_paths.count(e.path().string()) > 0});
    }
    // Oldest first: by period, then by name (the -N parts of one period in order).
    std::sort(files.begin(), files.end(), [](const Entry& a, const Entry& b) {
        return a.period != b.period ? a.period < b.period : a.path < b.path;
    });
    uint64_t total = 0;
    for (const auto& f : files) total += f.size;
    std::vector<std::string> removed;
    for (const auto& f : files) {
        if (f.open) continue;
        bool too_old = policy.max_age_ns > 0 && f.period + policy.rotate_ns < now_ns - policy.max_age_ns;
        bool over_size = policy.max_bytes > 0 && total > policy.max_bytes;
        if (!too_old && !over_size) continue;
        if (fs::remove(f.path, ec)) {
            removed.push_back(f.path);
            total -= f.size;
        } else {
            problems.push_back(f.path + ": cannot remove for retention: " + ec.message());
        }
    }
    return removed;
}

}  // namespace zzp::file_sink

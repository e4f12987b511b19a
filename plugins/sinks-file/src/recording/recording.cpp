#include "recording.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

namespace zzp::rec {

std::vector<std::string> recording_files(const std::string& path) {
    namespace fs = std::filesystem;
    std::vector<std::string> out;
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        for (const auto& e : fs::directory_iterator(path, ec))
            if (e.is_regular_file() && e.path().extension() == kFileExtension) out.push_back(e.path().string());
        std::sort(out.begin(), out.end());
    } else {
        out.push_back(path);
    }
    return out;
}

Recording::Recording(const std::vector<std::string>& paths) {
    std::vector<std::string> all;
    for (const auto& p : paths)
        for (auto& f : recording_files(p)) all.push_back(std::move(f));
    std::map<std::string, size_t> by_key;
    for (const auto& path : all) {
        files_.push_back(std::make_unique<FileReader>(path));
        const FileReader& r = *files_.back();
        size_t fi = files_.size() - 1;
        if (!r.chunks().empty()) {
            t_first_ = std::min(t_first_, r.t_first());
            t_last_ = std::max(t_last_, r.t_last());
        }
        for (const auto& t : r.targets()) {
            auto [it, fresh] = by_key.try_emplace(t.key(), series_.size());
            if (fresh) series_.push_back(Series{t, {}});
            series_[it->second].meta = t;
            series_[it->second].parts.emplace_back(fi, t.id);
        }
    }
}

Summary Recording::aggregate(size_t s, int64_t t0, int64_t t1, int min_level) const {
    Summary acc;
    acc.start_ns = t0;
    for (const auto& [fi, id] : series_.at(s).parts) {
        const FileReader& f = *files_[fi];
        if (f.chunks().empty() || f.t_last() < t0 || f.t_first() >= t1) continue;
        acc.merge(f.aggregate(id, t0, t1, min_level));
    }
    return acc;
}

std::vector<Summary> Recording::columns(size_t s, int64_t t0, int64_t t1, size_t n) const {
    std::vector<Summary> out;
    if (n == 0 || t1 <= t0) return out;
    int64_t width = (t1 - t0) / static_cast<int64_t>(n);
    int64_t interval = series_.at(s).meta.interval_ns;
    int level = 0;
    while (level < kPyramidLevels && level_width(interval, level + 1) * 4 <= width) ++level;
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        int64_t a = t0 + static_cast<int64_t>(i) * width;
        int64_t b = i + 1 == n ? t1 : a + width;
        out.push_back(aggregate(s, a, b, level));
    }
    return out;
}

}  // namespace zzp::rec

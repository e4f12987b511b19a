#include "recording.hpp"

#include <fcntl.h>
#include <sys/stat.h>

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

void prefetch_recording_files(const std::vector<std::string>& paths) {
    for (const auto& path : paths) {
        Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        struct stat st {};
        if (!fd || ::fstat(fd.get(), &st) != 0 || st.st_size <= 0) continue;  // the open proper reports it
        const off_t size = st.st_size;
        // The header, and the tail that holds the footer of a closed file (index, end record,
        // pyramid levels 2-4: 25 KiB, 2.6 % of an hourly file of 4 targets); generous, as a miss
        // costs a disk round trip (the reader then asks for the rest itself).
        const off_t tail = std::min<off_t>(size, 32 * 1024 + size / 32);
        ::posix_fadvise(fd.get(), 0, 4096, POSIX_FADV_WILLNEED);
        ::posix_fadvise(fd.get(), size - tail, tail, POSIX_FADV_WILLNEED);
    }
}

Recording::Recording(const std::vector<std::string>& paths) {
    std::vector<std::string> all;
    for (const auto& p : paths)
        for (auto& f : recording_files(p)) all.push_back(std::move(f));
    prefetch_recording_files(all);
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
        // A bucket counts where it starts, which may be before the file's first frame.
        int64_t slack = pyramid_slack(series_[s].meta.interval_ns, min_level);
        if (f.chunks().empty() || f.t_last() < t0 || f.t_first() - slack >= t1) continue;
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

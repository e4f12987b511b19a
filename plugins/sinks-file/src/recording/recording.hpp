// A recording as the viewer and the tool see it: any number of files (a directory, a month of
// hourly files), with targets matched across files by name, address, method and probe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "file_reader.hpp"

namespace zzp::rec {

// One logical target across files.
struct Series {
    TargetMeta meta;                                // from the latest file that has it
    std::vector<std::pair<size_t, uint32_t>> parts;  // (file index, id inside that file)
};

class Recording {
public:
    // `paths`: files, or directories whose *.zzr files are taken. Throws FormatError/IoError
    // naming the first file that cannot be opened.
    explicit Recording(const std::vector<std::string>& paths);

    const std::vector<std::unique_ptr<FileReader>>& files() const { return files_; }
    const std::vector<Series>& series() const { return series_; }
    int64_t t_first() const { return t_first_; }
    int64_t t_last() const { return t_last_; }

    // Frames of a series with start in [t0, t1): exact for min_level 0, else whole buckets of
    // that level (see aggregate() in pyramid.hpp). Files partition the frames, so the answer is
    // the merge of each file's answer.
    Summary aggregate(size_t series, int64_t t0, int64_t t1, int min_level) const;
    // n equal columns over [t0, t1) at the coarsest level whose buckets are at most a quarter
    // of a column — what a plot needs, without touching frames for wide views.
    std::vector<Summary> columns(size_t series, int64_t t0, int64_t t1, size_t n) const;

private:
    std::vector<std::unique_ptr<FileReader>> files_;
    std::vector<Series> series_;
    int64_t t_first_ = INT64_MAX, t_last_ = INT64_MIN;
};

// Ask the kernel to read, for all `paths` at once, the parts of each file that opening reads
// (header, footer, pyramid), so that a cold open of a month waits for one batch of parallel
// reads instead of a few round trips per file. The Recording constructor does it; call it
// before opening files one by one with FileReader to get the same. Best effort.
void prefetch_recording_files(const std::vector<std::string>& paths);

// Files to open for `path`: itself, or the *.zzr files of a directory, sorted by name.
std::vector<std::string> recording_files(const std::string& path);

}  // namespace zzp::rec

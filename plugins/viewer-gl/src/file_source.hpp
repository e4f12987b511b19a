// Recordings: files, folders; damaged files are opened as far as they are readable and
// unreadable ones are listed in problems() instead of aborting. Columns come from the coarsest
// pyramid level that is exact for the column width (level_cache.hpp), from 8-frame sub-buckets
// or frames of decoded chunks when zoomed in (chunk_cache.hpp).
#pragma once

#include <array>
#include <memory>

#include "chunk_cache.hpp"
#include "data_source.hpp"
#include "level_cache.hpp"

namespace zzp::rec {
class Recording;
}

namespace zzp::viewer {

class FileSource final : public DataSource {
public:
    // lod = false: every column from decoded frames (the raw render, for tests and comparison).
    explicit FileSource(const std::vector<std::string>& paths, bool lod = true);
    ~FileSource() override;
    std::vector<HostInfo> hosts() override;
    bool extent(int64_t& t0, int64_t& t1) override;
    void begin_query() override;
    void columns(size_t h, const ColumnGrid& grid, std::vector<Column>& out, QueryStats& stats) override;
    // Unmaps the pages of the files this frame decoded from (they stay in the page cache): a
    // month of mapped files would otherwise keep every page ever read resident.
    void end_query(QueryStats& stats) override;
    std::optional<zzp_frame> frame_at(size_t h, int64_t t) override;
    std::vector<std::string> problems() override { return problems_; }
    int64_t snap_for(size_t h, int64_t column_ns) override;
    // Pyramid level the column query uses for a column width (coarsest whose buckets are at
    // most half a column; 0 = frames or sub-buckets).
    static int level_for(int64_t interval_ns, int64_t column_ns);
    // Whether a frame-level query of that column width reads sub-buckets (columns of at least
    // two sub-buckets whose edges fall on sub-bucket edges) instead of frames.
    static bool sub_buckets_for(int64_t interval_ns, int64_t column_ns);
    size_t cache_bytes() const;

private:
    void note_problem(const std::string& m);
    void touched(size_t file);
    void level_columns(size_t h, int level, ColumnWalker& walk, QueryStats& stats);
    void frame_columns(size_t h, bool sub, ColumnWalker& walk, QueryStats& stats);
    // Parts not read yet: the best level at hand stands in over [lo, hi).
    void stand_in(size_t h, size_t file, uint32_t id, int below_level, int64_t lo, int64_t hi, ColumnWalker& walk);
    // Level 2..4 of host h over all its files as one sorted array: a month-wide view walks one
    // array per host instead of 720 per-file pieces (each a few cache misses to find and start).
    // Built on first use from the files' stored levels; nullptr when the files disagree on the
    // bucket width (then each file is walked on its own).
    const LevelNodes* host_level(size_t h, int level);

    std::unique_ptr<rec::Recording> rec_;
    std::vector<HostInfo> hosts_;
    std::vector<std::string> problems_;
    bool lod_;
    ChunkCache chunks_;
    LevelCache levels_;
    struct HostLevel {
        bool built = false, usable = false;
        LevelNodes level;
    };
    std::vector<std::array<HostLevel, 5>> host_levels_;
    std::vector<size_t> touched_;  // files read from since the last end_query
    std::vector<bool> touched_flag_;
};

}  // namespace zzp::viewer

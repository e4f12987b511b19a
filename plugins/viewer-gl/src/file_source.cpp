#include "file_source.hpp"

#include <algorithm>
#include <filesystem>

#include "recording/recording.hpp"

namespace zzp::viewer {
namespace {

// Decoded chunks: a sub-bucket view (< ~3.5 h on 1280 px) of 4 hosts is ~1300 chunks of ~6 kB,
// a frame view (< ~25 min) ~150 chunks of ~45 kB. The budget keeps several such views.
constexpr size_t kChunkBudget = 32u << 20;
// Level 1 built from frames: ~55 kB per host-hour, so ~6 days of 4 hosts (views that use
// level 1 span at most ~2.5 days).
constexpr size_t kLevel1Budget = 32u << 20;

// Nodes of a sorted vector that overlap [lo, hi).
template <typename F>
void for_overlapping(const std::vector<Node>& v, int64_t lo, int64_t hi, int64_t max_width, F&& f) {
    auto it =
        std::lower_bound(v.begin(), v.end(), lo - max_width, [](const Node& a, int64_t t) { return a.start_ns < t; });
    for (; it != v.end() && it->start_ns < hi; ++it)
        if (it->start_ns + it->width_ns > lo) f(*it);
}

}  // namespace

FileSource::FileSource(const std::vector<std::string>& paths, bool lod)
    : lod_(lod), chunks_(kChunkBudget), levels_(kLevel1Budget) {
    namespace fs = std::filesystem;
    std::vector<std::string> all;
    for (const auto& p : paths) {
        std::error_code ec;
        if (!fs::exists(p, ec)) {
            problems_.push_back(p + ": no such file or folder");
            continue;
        }
        auto files = rec::recording_files(p);
        if (files.empty()) problems_.push_back(p + ": no .zzr recordings in this folder");
        all.insert(all.end(), files.begin(), files.end());
    }
    // Each file is opened once (a month is 720 files): Recording throws on the first file it
    // cannot open, and only then is every file tried alone to leave out the unreadable ones.
    try {
        rec_ = std::make_unique<rec::Recording>(all);
    } catch (const std::exception&) {
        std::vector<std::string> good;
        for (const auto& f : all) {
            try {
                rec::FileReader r(f);
                good.push_back(f);
            } catch (const std::exception& e) {
                problems_.push_back(std::string("cannot read ") + e.what());
            }
        }
        rec_ = std::make_unique<rec::Recording>(good);
    }
    for (const auto& r : rec_->files())
        if (r->torn())
            problems_.push_back(r->path() + ": " + std::to_string(r->file_size() - r->valid_end()) +
                                " bytes from byte " + std::to_string(r->valid_end()) +
                                " are unreadable (torn or damaged); showing what comes before");
    for (const auto& s : rec_->series()) {
        HostInfo h;
        h.name = s.meta.name;
        h.address = s.meta.address;
        h.method = s.meta.method;
        h.probe = s.meta.probe;
        h.interval_ns = s.meta.interval_ns > 0 ? s.meta.interval_ns : 100'000'000;
        hosts_.push_back(h);
    }
}

FileSource::~FileSource() = default;

std::vector<HostInfo> FileSource::hosts() {
    return hosts_;
}

bool FileSource::extent(int64_t& t0, int64_t& t1) {
    if (rec_->t_first() > rec_->t_last()) return false;
    t0 = rec_->t_first();
    t1 = rec_->t_last();
    // t_last is the start of the last frame: include its interval.
    int64_t iv = 0;
    for (const auto& h : hosts_) iv = std::max(iv, h.interval_ns);
    t1 += iv;
    return true;
}

void FileSource::begin_query() {
    chunks_.begin_query();
    levels_.begin_query();
}

void FileSource::touched(size_t file) {
    if (touched_flag_.size() <= file) touched_flag_.resize(file + 1);
    if (touched_flag_[file]) return;
    touched_flag_[file] = true;
    touched_.push_back(file);
}

void FileSource::end_query(QueryStats& stats) {
    if (touched_.empty()) return;
    const int64_t t0 = mono_now_ns();
    for (size_t f : touched_) {
        rec_->files()[f]->drop_mapped_pages();
        touched_flag_[f] = false;
    }
    touched_.clear();
    stats.decode_ns += mono_now_ns() - t0;
}

void FileSource::note_problem(const std::string& m) {
    if (std::find(problems_.begin(), problems_.end(), m) == problems_.end()) problems_.push_back(m);
}

int FileSource::level_for(int64_t interval_ns, int64_t column_ns) {
    int level = 0;
    while (level < rec::kPyramidLevels && rec::level_width(interval_ns, level + 1) * 2 <= column_ns) ++level;
    return level;
}

bool FileSource::sub_buckets_for(int64_t interval_ns, int64_t column_ns) {
    return interval_ns * kSubBucketFrames * 2 <= column_ns;
}

int64_t FileSource::snap_for(size_t h, int64_t column_ns) {
    // The raw render (lod_ false) bins on the same edges, so LOD and raw images compare 1:1.
    if (h >= hosts_.size()) return 0;
    int64_t iv = hosts_[h].interval_ns;
    int level = level_for(iv, column_ns);
    if (level > 0) return rec::level_width(iv, level);
    return sub_buckets_for(iv, column_ns) ? iv * kSubBucketFrames : 0;
}

void FileSource::columns(size_t h, const ColumnGrid& grid, std::vector<Column>& out, QueryStats& stats) {
    out.assign(grid.n, Column{});
    if (h >= hosts_.size() || grid.t1 <= grid.t0) return;
    int64_t iv = hosts_[h].interval_ns;
    int64_t colw = (grid.t1 - grid.t0) / static_cast<int64_t>(grid.n);
    int level = lod_ ? level_for(iv, colw) : 0;
    stats.level = level;
    ColumnWalker walk(grid, out);
    if (level > 0)
        level_columns(h, level, walk, stats);
    else
        frame_columns(h, lod_ && sub_buckets_for(iv, colw) && grid.aligned_to(iv * kSubBucketFrames), walk, stats);
}

size_t FileSource::cache_bytes() const {
    size_t b = chunks_.bytes() + levels_.level1_bytes();
    for (const auto& host : host_levels_)
        for (const auto& l : host) b += l.level.bytes();
    return b;
}

const LevelNodes* FileSource::host_level(size_t h, int level) {
    if (level < 2 || level > rec::kPyramidLevels || h >= hosts_.size()) return nullptr;
    if (host_levels_.size() < hosts_.size()) host_levels_.resize(hosts_.size());
    HostLevel& hl = host_levels_[h][static_cast<size_t>(level)];
    if (hl.built) return hl.usable ? &hl.level : nullptr;
    hl.built = true;
    const int64_t w = rec::level_width(hosts_[h].interval_ns, level);
    LevelNodes& all = hl.level;
    all.width = w;
    for (const auto& [fi, id] : rec_->series()[h].parts) {
        const auto& reader = *rec_->files()[fi];
        if (reader.chunks().empty()) continue;
        LevelNodes part;
        touched(fi);
        try {
            part = LevelCache::read_stored(reader, id, level);
        } catch (const std::exception& e) {
            note_problem(std::string("pyramid unreadable, that file is not shown at this zoom: ") + e.what());
            continue;
        }
        if (part.width != w) {  // a file with another frame interval: walk files one by one
            all = LevelNodes{};
            return nullptr;
        }
        all.nodes.insert(all.nodes.end(), part.nodes.begin(), part.nodes.end());
    }
    // Files come in time order but may overlap (a restart, two recorders): sort, and merge the
    // bucket that two files share at their boundary (nodes compose exactly).
    std::stable_sort(all.nodes.begin(), all.nodes.end(),
                     [](const Node& a, const Node& b) { return a.start_ns < b.start_ns; });
    size_t out = 0;
    for (size_t i = 0; i < all.nodes.size(); ++i) {
        if (out > 0 && all.nodes[out - 1].start_ns == all.nodes[i].start_ns)
            all.nodes[out - 1].merge(all.nodes[i]);
        else
            all.nodes[out++] = all.nodes[i];
    }
    all.nodes.resize(out);
    all.nodes.shrink_to_fit();
    all.derive_groups();
    hl.usable = true;
    return &all;
}

void FileSource::level_columns(size_t h, int level, ColumnWalker& walk, QueryStats& stats) {
    const int64_t iv = hosts_[h].interval_ns, w = rec::level_width(iv, level);
    if (const LevelNodes* all = host_level(h, level)) {
        stats.nodes_read += add_level(*all, walk);
        return;
    }
    for (const auto& [fi, id] : rec_->series()[h].parts) {
        const auto& reader = *rec_->files()[fi];
        if (reader.chunks().empty() || reader.t_last() + iv <= walk.lo() - w || reader.t_first() >= walk.hi()) continue;
        const LevelNodes* nodes = nullptr;
        const uint64_t decoded_before = stats.chunks_decoded;
        try {
            nodes = levels_.get(reader, fi, id, level, stats);
            if (stats.chunks_decoded != decoded_before) touched(fi);
        } catch (const std::exception& e) {
            note_problem(std::string("pyramid unreadable, that file is not shown at this zoom: ") + e.what());
            continue;
        }
        walk.reset();
        if (!nodes) {  // level 1 still being built
            stand_in(h, fi, id, level, reader.t_first(), reader.t_last() + iv, walk);
            ++stats.pending;
            continue;
        }
        // A bucket goes to the column that holds its midpoint: exact when column edges fall on
        // bucket edges, otherwise at most half a bucket (< a quarter column) off. Groups of 4 and
        // 16 buckets that lie inside one column count as one node (level_nodes.hpp).
        stats.nodes_read += add_level(*nodes, walk);
    }
}

void FileSource::frame_columns(size_t h, bool sub, ColumnWalker& walk, QueryStats& stats) {
    const int64_t iv = hosts_[h].interval_ns, lo = walk.lo(), hi = walk.hi();
    for (const auto& [fi, id] : rec_->series()[h].parts) {
        const auto& reader = *rec_->files()[fi];
        if (reader.chunks().empty() || reader.t_last() + iv <= lo || reader.t_first() >= hi) continue;
        walk.reset();
        const auto& chunks = reader.chunks();
        for (size_t ci = 0; ci < chunks.size(); ++ci) {
            const auto& c = chunks[ci];
            if (c.type != rec::RecordType::frames || c.t_last + iv <= lo || c.t_first >= hi) continue;
            std::string problem;
            const uint64_t decoded_before = stats.chunks_decoded;
            const DecodedChunk* d = chunks_.get(reader, fi, ci, !sub, !lod_ || stats.may_decode(), stats, problem);
            if (stats.chunks_decoded != decoded_before) touched(fi);
            if (!problem.empty()) note_problem(problem);
            if (!d) {
                stand_in(h, fi, id, 0, c.t_first, c.t_last + iv, walk);
                ++stats.pending;
                continue;
            }
            const DecodedChunk::Target* t = d->find(id);
            if (!t) continue;
            if (sub) {
                for_overlapping(t->sub, lo, hi, t->sub_width_ns, [&](const Node& n) {
                    if (walk.add_bucket(n)) ++stats.nodes_read;
                });
            } else {
                for_overlapping(t->frames, lo, hi, iv, [&](const Node& n) {
                    if (walk.add_frame(n)) ++stats.frames_read;
                });
            }
        }
    }
}

void FileSource::stand_in(size_t h, size_t file, uint32_t id, int below_level, int64_t lo, int64_t hi,
                          ColumnWalker& walk) {
    const auto& reader = *rec_->files()[file];
    const LevelNodes* coarse = below_level < 1 ? levels_.ready_level1(file, id) : nullptr;
    if (!coarse) coarse = host_level(h, 2);
    if (!coarse) {
        try {
            QueryStats none;
            coarse = levels_.get(reader, file, id, 2, none);
        } catch (const std::exception&) {
            return;  // said by the level query
        }
    }
    if (!coarse || coarse->nodes.empty()) return;
    for_overlapping(coarse->nodes, lo, hi, coarse->width, [&](const Node& n) { walk.add_stand_in(n, lo, hi); });
}

std::optional<zzp_frame> FileSource::frame_at(size_t h, int64_t t) {
    if (h >= hosts_.size()) return std::nullopt;
    const int64_t iv = hosts_[h].interval_ns;
    for (const auto& [fi, id] : rec_->series()[h].parts) {
        const auto& reader = *rec_->files()[fi];
        if (reader.chunks().empty() || reader.t_last() + iv <= t || reader.t_first() > t) continue;
        const auto& chunks = reader.chunks();
        for (size_t ci = 0; ci < chunks.size(); ++ci) {
            const auto& c = chunks[ci];
            if (c.type != rec::RecordType::frames || c.t_last + iv <= t || c.t_first > t) continue;
            // The tooltip needs every field of one frame: decode that chunk (tens of µs), no cache.
            std::vector<zzp_frame> frames;
            touched(fi);
            try {
                frames = reader.read_frames(c);
            } catch (const std::exception&) {
                continue;
            }
            for (const auto& f : frames)
                if (f.target_id == id && f.start_wall_ns <= t && t < f.start_wall_ns + f.interval_ns) return f;
        }
    }
    return std::nullopt;
}

}  // namespace zzp::viewer

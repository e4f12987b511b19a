// The level-of-detail pyramid (docs/FORMAT.md, "Pyramid"; VIEWER.md): per target, time-aligned
// buckets of 64 frame intervals (level 1), then x16 per level up to level 4. Each node keeps
// what composes — min, max, sum and count of each RTT statistic, sums of the counts — so any
// time range is answered from a handful of nodes, and exactly when its edges reach level 0.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "format.hpp"

namespace zzp::rec {

inline constexpr int kPyramidLevels = 4;       // stored levels 1..4 (level 0 = the frames)
inline constexpr int64_t kLevel1Frames = 64;  // frame intervals per level-1 bucket
inline constexpr int64_t kPyramidFanout = 16;  // children per node above level 1

// The RTT statistics a node summarises: the 7 quantiles, the mean and the jitter of each frame.
inline constexpr int kStatCount = ZZP_QUANTILE_COUNT + 2;
inline constexpr int kStatMean = ZZP_QUANTILE_COUNT;
inline constexpr int kStatJitter = ZZP_QUANTILE_COUNT + 1;
const char* stat_name(int stat);

// Bucket width of `level` for a target with frame interval `interval_ns` (level 0: interval).
int64_t level_width(int64_t interval_ns, int level);
// Floor division that also rounds negative times down.
inline int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

struct StatSummary {
    int64_t min = INT64_MAX;
    int64_t max = INT64_MIN;
    int64_t sum = 0;
    uint64_t count = 0;
    void add(int64_t v) {
        min = v < min ? v : min;
        max = v > max ? v : max;
        sum += v;
        ++count;
    }
    void merge(const StatSummary& o) {
        if (!o.count) return;
        min = o.min < min ? o.min : min;
        max = o.max > max ? o.max : max;
        sum += o.sum;
        count += o.count;
    }
    bool operator==(const StatSummary&) const = default;
};

// A pyramid node, or the answer to a query: everything below composes by merge().
struct Summary {
    int64_t start_ns = 0;  // bucket start (nodes); the query start (answers)
    uint64_t frames = 0;
    uint64_t sent = 0, received = 0, lost = 0, errors = 0, late = 0, duplicates = 0;
    std::array<StatSummary, kStatCount> stat{};

    void add(const zzp_frame& f);
    void merge(const Summary& o);
    bool same_data(const Summary& o) const;  // equal except start_ns
};

// One target's levels 1..4 within one file, built frame by frame or loaded from records.
class Pyramid {
public:
    explicit Pyramid(int64_t interval_ns = 100'000'000) : interval_ns_(interval_ns) {}
    int64_t interval_ns() const { return interval_ns_; }
    void add(const zzp_frame& f);
    // Add to levels first..last only (a reader building a level that the file does not store).
    void add(const zzp_frame& f, int first_level, int last_level);
    // Nodes of level 1..4, sorted by start.
    const std::vector<Summary>& level(int level) const { return levels_[static_cast<size_t>(level - 1)]; }
    void set_level(int level, std::vector<Summary> nodes) { levels_[static_cast<size_t>(level - 1)] = std::move(nodes); }
    // Recompute the levels above `level` by merging its nodes (buckets nest exactly: each level
    // is 16 whole buckets of the one below, all aligned to the epoch), e.g. after a reader
    // rebuilt level 2 from a checkpoint.
    void derive_levels_above(int level);

private:
    int64_t interval_ns_;
    std::array<std::vector<Summary>, kPyramidLevels> levels_;
};

// Where an aggregation gets its data: nodes of a level (1..4) and the frames themselves.
struct LevelSource {
    std::function<const std::vector<Summary>&(int level)> nodes;
    std::function<void(Summary& acc, int64_t t0, int64_t t1)> frames;  // add frames with start in [t0, t1)
};

// Add to `acc` the frames with start in [t0, t1). min_level = 0 is exact; min_level = k > 0
// stops at level k and takes whole level-k buckets whose start lies in [t0, t1) — the viewer's
// fast path, exact whenever t0 and t1 are multiples of that level's width.
void aggregate(Summary& acc, int64_t interval_ns, int64_t t0, int64_t t1, int min_level, const LevelSource& src);

// How long before a file's first frame a node that aggregate(t0, t1, min_level) takes can start.
// Levels above min_level contribute only buckets that fit in [t0, t1) whole (so the file has a
// frame before t1 anyway); min_level's buckets count where they start, which can be before the
// file's first frame (files do not fall on bucket edges): up to one bucket earlier.
inline int64_t pyramid_slack(int64_t interval_ns, int min_level) {
    return min_level > 0 ? level_width(interval_ns, std::min(min_level, kPyramidLevels)) : 0;
}

// Serialise one level of one target into a 'P' record payload, and back.
std::string encode_pyramid_level(uint32_t target_id, int level, int64_t width_ns, const std::vector<Summary>& nodes);
void decode_pyramid_level(std::string_view payload, uint32_t& target_id, int& level, int64_t& width_ns,
                          std::vector<Summary>& nodes);

}  // namespace zzp::rec

// One pyramid level of one (file, target) as the column query reads it: the level's buckets,
// plus two coarser levels derived from them in memory (groups of 4 and 16 buckets, time-aligned
// like the pyramid's own), so a column wider than a group adds the group's one node instead of
// its 4 or 16 children. A level is picked so that a column holds 2 to 32 of its buckets
// (file_source.cpp, level_for); with the groups a column reads about 7 nodes wherever it falls
// in that range, so a month-wide view of 4 hosts reads ~30 k nodes instead of ~100 k. The answer
// is the same: a group is taken only when it lies inside one column, where every child would
// have gone too.
#pragma once

#include <cstdint>
#include <vector>

#include "column.hpp"

namespace zzp::viewer {

struct LevelNodes {
    static constexpr int kGroupLevels = 2;
    static constexpr int64_t kGroupFanout = 4;  // group k spans 4^(k+1) buckets

    std::vector<Node> nodes;  // sorted by start, bucket width `width`
    int64_t width = 0;
    // Group k: nodes (start aligned to their width, children merged) and, per group, the end of
    // its children in `nodes` (the first is the previous group's end). Kept apart so that walking
    // the ends touches 4 bytes a group, not a whole node.
    std::vector<Node> group_nodes[kGroupLevels];
    std::vector<uint32_t> group_ends[kGroupLevels];

    // Rebuilds the groups from `nodes` (after they were filled or changed).
    void derive_groups();
    size_t bytes() const;
};

// Adds the buckets of `level` that fall in the walker's range to its columns, taking whole groups
// where they fit in one column. Returns the number of nodes read.
uint64_t add_level(const LevelNodes& level, ColumnWalker& walk);

}  // namespace zzp::viewer

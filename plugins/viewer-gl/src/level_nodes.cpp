#include "level_nodes.hpp"

#include <algorithm>

#include "recording/pyramid.hpp"

namespace zzp::viewer {

void LevelNodes::derive_groups() {
    int64_t group_width = width;
    for (int k = 0; k < kGroupLevels; ++k) {
        group_width *= kGroupFanout;
        auto& gn = group_nodes[k];
        auto& ends = group_ends[k];
        gn.clear();
        ends.clear();
        if (width <= 0) continue;
        for (size_t i = 0; i < nodes.size(); ++i) {
            int64_t start = rec::floor_div(nodes[i].start_ns, group_width) * group_width;
            if (gn.empty() || gn.back().start_ns != start) {
                Node g;
                g.start_ns = start;
                g.width_ns = group_width;
                gn.push_back(g);
                ends.push_back(0);
            }
            gn.back().merge(nodes[i]);
            ends.back() = static_cast<uint32_t>(i + 1);
        }
        gn.shrink_to_fit();
        ends.shrink_to_fit();
    }
}

size_t LevelNodes::bytes() const {
    size_t b = nodes.capacity() * sizeof(Node) + sizeof(*this);
    for (int k = 0; k < kGroupLevels; ++k)
        b += group_nodes[k].capacity() * sizeof(Node) + group_ends[k].capacity() * sizeof(uint32_t);
    return b;
}

uint64_t add_level(const LevelNodes& level, ColumnWalker& walk) {
    const auto& v = level.nodes;
    const int64_t w = level.width;
    size_t i = static_cast<size_t>(
        std::lower_bound(v.begin(), v.end(), walk.lo() - w, [](const Node& s, int64_t t) { return s.start_ns < t; }) -
        v.begin());
    // p[k]: the group of level k that holds node i (the first whose children end after i).
    size_t p[LevelNodes::kGroupLevels];
    for (int k = 0; k < LevelNodes::kGroupLevels; ++k) {
        const auto& ends = level.group_ends[k];
        p[k] = static_cast<size_t>(std::upper_bound(ends.begin(), ends.end(), static_cast<uint32_t>(i)) - ends.begin());
    }
    uint64_t read = 0;
    while (i < v.size() && v[i].start_ns < walk.hi()) {
        bool took_group = false;
        for (int k = LevelNodes::kGroupLevels - 1; k >= 0 && !took_group; --k) {
            const auto& ends = level.group_ends[k];
            while (p[k] < ends.size() && ends[p[k]] <= i) ++p[k];
            if (p[k] >= ends.size()) continue;
            size_t first = p[k] == 0 ? 0 : ends[p[k] - 1];
            // From its first child only, and only when it saves reads.
            if (first != i || ends[p[k]] - first < 2) continue;
            if (walk.add_whole(level.group_nodes[k][p[k]])) {
                i = ends[p[k]];
                ++read;
                took_group = true;
            }
        }
        if (took_group) continue;
        if (walk.add_bucket(v[i])) ++read;
        ++i;
    }
    return read;
}

}  // namespace zzp::viewer

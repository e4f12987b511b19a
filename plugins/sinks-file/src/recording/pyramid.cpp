#include "pyramid.hpp"

#include <algorithm>

#include "msgpack_util.hpp"
#include "varint.hpp"

namespace zzp::rec {

const char* stat_name(int stat) {
    static const char* const names[kStatCount] = {"min", "p12.5", "p25", "p50", "p75", "p87.5", "max", "mean", "jitter"};
    return stat >= 0 && stat < kStatCount ? names[stat] : "?";
}

int64_t level_width(int64_t interval_ns, int level) {
    if (level == 0) return interval_ns;
    int64_t w = interval_ns * kLevel1Frames;
    for (int l = 1; l < level; ++l) w *= kPyramidFanout;
    return w;
}

void Summary::add(const zzp_frame& f) {
    ++frames;
    sent += f.sent;
    received += f.received;
    lost += f.lost;
    errors += f.errors;
    late += f.late;
    duplicates += f.duplicates;
    if (f.rtt_ns[0] != -1)
        for (int i = 0; i < ZZP_QUANTILE_COUNT; ++i) stat[static_cast<size_t>(i)].add(f.rtt_ns[i]);
    if (f.rtt_mean_ns != -1) stat[kStatMean].add(f.rtt_mean_ns);
    if (f.rtt_jitter_ns != -1) stat[kStatJitter].add(f.rtt_jitter_ns);
}

void Summary::merge(const Summary& o) {
    frames += o.frames;
    sent += o.sent;
    received += o.received;
    lost += o.lost;
    errors += o.errors;
    late += o.late;
    duplicates += o.duplicates;
    for (size_t i = 0; i < stat.size(); ++i) stat[i].merge(o.stat[i]);
}

bool Summary::same_data(const Summary& o) const {
    return frames == o.frames && sent == o.sent && received == o.received && lost == o.lost && errors == o.errors &&
           late == o.late && duplicates == o.duplicates && stat == o.stat;
}

void Pyramid::add(const zzp_frame& f) { add(f, 1, kPyramidLevels); }

void Pyramid::add(const zzp_frame& f, int first_level, int last_level) {
    for (int level = std::max(first_level, 1); level <= std::min(last_level, kPyramidLevels); ++level) {
        int64_t w = level_width(interval_ns_, level);
        auto& nodes = levels_[static_cast<size_t>(level - 1)];
        // Usually the frame falls in the last node: no division needed.
        if (!nodes.empty() && f.start_wall_ns >= nodes.back().start_ns && f.start_wall_ns - nodes.back().start_ns < w) {
            nodes.back().add(f);
            continue;
        }
        int64_t start = floor_div(f.start_wall_ns, w) * w;
        // Frames arrive in time order almost always: the last node is the one to extend.
        if (nodes.empty() || nodes.back().start_ns < start) {
            nodes.push_back(Summary{});
            nodes.back().start_ns = start;
            nodes.back().add(f);
            continue;
        }
        auto it = std::lower_bound(nodes.begin(), nodes.end(), start,
                                   [](const Summary& s, int64_t t) { return s.start_ns < t; });
        if (it == nodes.end() || it->start_ns != start) {
            it = nodes.insert(it, Summary{});
            it->start_ns = start;
        }
        it->add(f);
    }
}

void Pyramid::derive_levels_above(int level) {
    for (int l = std::max(level, 1) + 1; l <= kPyramidLevels; ++l) {
        const auto& below = levels_[static_cast<size_t>(l - 2)];
        auto& out = levels_[static_cast<size_t>(l - 1)];
        out.clear();
        const int64_t w = level_width(interval_ns_, l);
        for (const Summary& n : below) {
            int64_t start = floor_div(n.start_ns, w) * w;
            if (out.empty() || out.back().start_ns != start) {
                out.push_back(Summary{});
                out.back().start_ns = start;
            }
            out.back().merge(n);
        }
    }
}

namespace {

void add_nodes(Summary& acc, const std::vector<Summary>& nodes, int64_t a, int64_t b) {
    auto it = std::lower_bound(nodes.begin(), nodes.end(), a, [](const Summary& s, int64_t t) { return s.start_ns < t; });
    for (; it != nodes.end() && it->start_ns < b; ++it) acc.merge(*it);
}

void aggregate_level(Summary& acc, int64_t interval_ns, int64_t t0, int64_t t1, int level, int min_level,
                     const LevelSource& src) {
    if (t0 >= t1) return;
    if (level == 0) {
        src.frames(acc, t0, t1);
        return;
    }
    const auto& nodes = src.nodes(level);
    if (level == min_level) {
        add_nodes(acc, nodes, t0, t1);
        return;
    }
    int64_t w = level_width(interval_ns, level);
    int64_t a = floor_div(t0, w) * w;
    if (a < t0) a += w;
    int64_t b = floor_div(t1, w) * w;
    if (a >= b) {
        aggregate_level(acc, interval_ns, t0, t1, level - 1, min_level, src);
        return;
    }
    aggregate_level(acc, interval_ns, t0, a, level - 1, min_level, src);
    add_nodes(acc, nodes, a, b);
    aggregate_level(acc, interval_ns, b, t1, level - 1, min_level, src);
}


}  // namespace

void aggregate(Summary& acc, int64_t interval_ns, int64_t t0, int64_t t1, int min_level, const LevelSource& src) {
    aggregate_level(acc, interval_ns, t0, t1, kPyramidLevels, std::clamp(min_level, 0, kPyramidLevels), src);
}

std::string encode_pyramid_level(uint32_t target_id, int level, int64_t width_ns, const std::vector<Summary>& nodes) {
    // Column-major: one field of every node after another, which is what compresses.
    std::string cols;
    auto column = [&](auto get) {
        for (const Summary& n : nodes) put_svarint(cols, get(n));
    };
    int64_t prev = 0;
    for (const Summary& n : nodes) {
        put_svarint(cols, (n.start_ns - prev) / width_ns);
        prev = n.start_ns;
    }
    column([](const Summary& n) { return static_cast<int64_t>(n.frames); });
    column([](const Summary& n) { return static_cast<int64_t>(n.sent); });
    column([](const Summary& n) { return static_cast<int64_t>(n.received); });
    column([](const Summary& n) { return static_cast<int64_t>(n.lost); });
    column([](const Summary& n) { return static_cast<int64_t>(n.errors); });
    column([](const Summary& n) { return static_cast<int64_t>(n.late); });
    column([](const Summary& n) { return static_cast<int64_t>(n.duplicates); });
    for (size_t s = 0; s < kStatCount; ++s) {
        column([s](const Summary& n) { return static_cast<int64_t>(n.stat[s].count); });
        column([s](const Summary& n) { return n.stat[s].count ? n.stat[s].min : 0; });
        column([s](const Summary& n) { return n.stat[s].count ? n.stat[s].max - n.stat[s].min : 0; });
        column([s](const Summary& n) { return n.stat[s].sum; });
    }
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> pk(buf);
    pk.pack_array(5);
    pk.pack(target_id);
    pk.pack(level);
    pk.pack(width_ns);
    pk.pack(static_cast<uint64_t>(nodes.size()));
    pk.pack_bin(static_cast<uint32_t>(cols.size()));
    pk.pack_bin_body(cols.data(), static_cast<uint32_t>(cols.size()));
    return std::string(buf.data(), buf.size());
}

void decode_pyramid_level(std::string_view payload, uint32_t& target_id, int& level, int64_t& width_ns,
                          std::vector<Summary>& nodes) {
    auto h = mp::unpack(payload, "pyramid record");
    const auto& a = mp::array(h.get(), "pyramid record", 5);
    target_id = static_cast<uint32_t>(mp::uinteger(a.ptr[0], "pyramid target"));
    level = static_cast<int>(mp::integer(a.ptr[1], "pyramid level"));
    width_ns = mp::integer(a.ptr[2], "pyramid width");
    uint64_t n = mp::uinteger(a.ptr[3], "pyramid node count");
    std::string_view cols = mp::bin(a.ptr[4], "pyramid columns");
    if (level < 1 || level > kPyramidLevels || width_ns <= 0 || n > cols.size())
        throw FormatError("pyramid record has an impossible level, width or count", 0);
    VarintReader r(cols.data(), cols.size());
    nodes.assign(n, Summary{});
    int64_t t = 0;
    for (auto& node : nodes) {
        t += r.s() * width_ns;
        node.start_ns = t;
    }
    auto column = [&](auto set) {
        for (auto& node : nodes) set(node, r.s());
    };
    column([](Summary& s, int64_t v) { s.frames = static_cast<uint64_t>(v); });
    column([](Summary& s, int64_t v) { s.sent = static_cast<uint64_t>(v); });
    column([](Summary& s, int64_t v) { s.received = static_cast<uint64_t>(v); });
    column([](Summary& s, int64_t v) { s.lost = static_cast<uint64_t>(v); });
    column([](Summary& s, int64_t v) { s.errors = static_cast<uint64_t>(v); });
    column([](Summary& s, int64_t v) { s.late = static_cast<uint64_t>(v); });
    column([](Summary& s, int64_t v) { s.duplicates = static_cast<uint64_t>(v); });
    for (size_t st = 0; st < kStatCount; ++st) {
        column([st](Summary& s, int64_t v) { s.stat[st].count = static_cast<uint64_t>(v); });
        column([st](Summary& s, int64_t v) { s.stat[st].min = s.stat[st].count ? v : INT64_MAX; });
        column([st](Summary& s, int64_t v) { s.stat[st].max = s.stat[st].count ? s.stat[st].min + v : INT64_MIN; });
        column([st](Summary& s, int64_t v) { s.stat[st].sum = v; });
    }
    if (!r.at_end()) throw FormatError("pyramid record has trailing column data", 0);
}

}  // namespace zzp::rec

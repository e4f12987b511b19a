#include "level_cache.hpp"

#include <algorithm>

#include "chunk_cache.hpp"
#include "recording/file_reader.hpp"

namespace zzp::viewer {
namespace {

int64_t interval_of(const rec::FileReader& r, uint32_t id) {
    const rec::TargetMeta* t = r.target(id);
    if (t && t->interval_ns > 0) return t->interval_ns;
    return r.header().frame_interval_ns > 0 ? r.header().frame_interval_ns : 100'000'000;
}

// Level 1 comes from the frames when the file does not store it and the reader has not built
// it anyway (a file opened by scanning has every level in memory already).
bool built_here(const rec::FileReader& r, int level) {
    return level == 1 && r.closed() && level < rec::first_stored_level(r.header().version);
}

}  // namespace

LevelCache::PerFile& LevelCache::per_file(size_t file) {
    if (file >= files_.size()) files_.resize(file + 1);
    return files_[file];
}

const LevelNodes* LevelCache::get(const rec::FileReader& reader, size_t file, uint32_t id, int level,
                                  QueryStats& stats) {
    PerFile& pf = per_file(file);
    if (built_here(reader, level)) {
        Build& b = pf.level1;
        b.used = tick_;
        b.started = true;
        if (!b.done && !advance(reader, b, stats)) return nullptr;
        auto it = b.nodes.find(id);
        return it == b.nodes.end() ? &empty_ : &it->second;
    }
    const uint64_t key = uint64_t(id) << 8 | uint64_t(level);
    for (auto& [k, v] : pf.stored)
        if (k == key) return &v;
    pf.stored.emplace_back(key, read_stored(reader, id, level));
    pf.stored.back().second.derive_groups();
    return &pf.stored.back().second;
}

LevelNodes LevelCache::read_stored(const rec::FileReader& reader, uint32_t id, int level) {
    LevelNodes v;
    v.width = rec::level_width(interval_of(reader, id), level);
    const auto& src = reader.level_nodes(id, level);
    v.nodes.reserve(src.size());
    for (const auto& s : src) v.nodes.push_back(Node::of(s, v.width));
    // The reader's copy (352-byte summaries, 3.7x these nodes: 41 MB for a month of 4 hosts) is
    // not needed again; what it cannot read back from the file it keeps.
    reader.release_level(id, level);
    return v;
}

const LevelNodes* LevelCache::ready_level1(size_t file, uint32_t id) {
    if (file >= files_.size() || !files_[file].level1.done) return nullptr;
    Build& b = files_[file].level1;
    b.used = tick_;
    auto it = b.nodes.find(id);
    return it == b.nodes.end() ? &empty_ : &it->second;
}

// Decode chunks until the file is done (true) or the deadline passed (false). Always makes some
// progress, so a view is complete after a bounded number of frames.
bool LevelCache::advance(const rec::FileReader& reader, Build& b, QueryStats& stats) {
    const auto& chunks = reader.chunks();
    int64_t t0 = mono_now_ns();
    std::map<uint32_t, int64_t> widths;
    size_t before = b.bytes;
    while (b.next_chunk < chunks.size() && stats.may_decode()) {
        const auto& c = chunks[b.next_chunk++];
        if (c.type != rec::RecordType::frames) continue;
        // A damaged chunk is left out here as in the frames view (which says so on screen).
        std::vector<zzp_frame> frames;
        try {
            frames = reader.read_frames(c);
        } catch (const std::exception&) {
            continue;
        }
        ++stats.chunks_decoded;
        std::vector<Node>* v = nullptr;
        uint32_t vid = 0;
        int64_t w = 0;
        for (const auto& f : frames) {
            if (!v || f.target_id != vid) {  // frames come grouped by target
                vid = f.target_id;
                auto [wi, fresh] = widths.try_emplace(vid, 0);
                if (fresh) wi->second = rec::level_width(interval_of(reader, vid), 1);
                w = wi->second;
                LevelNodes& level = b.nodes[vid];
                level.width = w;
                v = &level.nodes;
            }
            Node n = Node::of(f);
            n.start_ns = rec::floor_div(f.start_wall_ns, w) * w;
            n.width_ns = w;
            merge_sorted(*v, n);
        }
    }
    b.done = b.next_chunk >= chunks.size();
    if (b.done)
        for (auto& [id, level] : b.nodes) level.derive_groups();
    b.bytes = 0;
    for (const auto& [id, level] : b.nodes) b.bytes += level.bytes() + 64;
    bytes_ += b.bytes - before;
    if (bytes_ > budget_) evict();
    stats.decode_ns += mono_now_ns() - t0;
    return b.done;
}

void LevelCache::evict() {
    std::vector<std::pair<uint64_t, size_t>> ages;
    for (size_t f = 0; f < files_.size(); ++f)
        if (files_[f].level1.started && files_[f].level1.used != tick_) ages.emplace_back(files_[f].level1.used, f);
    std::sort(ages.begin(), ages.end());
    for (const auto& [used, file] : ages) {
        if (bytes_ <= budget_ / 4 * 3) break;
        bytes_ -= files_[file].level1.bytes;
        files_[file].level1 = Build{};
    }
}

}  // namespace zzp::viewer

#include "chunk_cache.hpp"

#include <algorithm>

#include "recording/file_reader.hpp"

namespace zzp::viewer {

const DecodedChunk::Target* DecodedChunk::find(uint32_t id) const {
    for (const auto& t : targets)
        if (t.id == id) return &t;
    return nullptr;
}

void merge_sorted(std::vector<Node>& v, const Node& n) {
    if (v.empty() || v.back().start_ns < n.start_ns) {
        v.push_back(n);
        return;
    }
    if (v.back().start_ns == n.start_ns) {
        v.back().merge(n);
        return;
    }
    // Out of order (a chunk after a hot swap may overlap): keep the vector sorted.
    auto it = std::lower_bound(v.begin(), v.end(), n.start_ns, [](const Node& a, int64_t t) { return a.start_ns < t; });
    if (it != v.end() && it->start_ns == n.start_ns)
        it->merge(n);
    else
        v.insert(it, n);
}

const DecodedChunk* ChunkCache::get(const rec::FileReader& reader, size_t file, size_t chunk, bool frames,
                                    bool may_decode, QueryStats& stats, std::string& problem) {
    if (file >= files_.size()) files_.resize(file + 1);
    auto& slots = files_[file];
    if (slots.size() < reader.chunks().size()) slots.resize(reader.chunks().size());
    DecodedChunk& slot = slots[chunk];
    if (slot.decoded) {
        if (slot.has_frames || !frames) {
            slot.used = tick_;
            return &slot;
        }
        if (!may_decode) return nullptr;
        bytes_ -= slot.bytes;  // decoded again below, with its frames
        slot = DecodedChunk{};
    }
    if (!may_decode) return nullptr;
    int64_t t0 = mono_now_ns();
    DecodedChunk d;
    try {
        for (const auto& f : reader.read_frames(reader.chunks()[chunk])) {
            auto it =
                std::find_if(d.targets.begin(), d.targets.end(), [&](const auto& t) { return t.id == f.target_id; });
            if (it == d.targets.end()) {
                const rec::TargetMeta* meta = reader.target(f.target_id);
                int64_t iv = meta && meta->interval_ns > 0 ? meta->interval_ns : std::max<int64_t>(f.interval_ns, 1);
                d.targets.push_back({f.target_id, iv * kSubBucketFrames, {}, {}});
                it = d.targets.end() - 1;
            }
            Node n = Node::of(f);
            if (frames) merge_sorted(it->frames, n);
            const int64_t w = it->sub_width_ns;
            n.start_ns = rec::floor_div(f.start_wall_ns, w) * w;
            n.width_ns = w;
            merge_sorted(it->sub, n);
        }
    } catch (const std::exception& e) {
        problem = std::string("skipped a damaged chunk: ") + e.what();
        d.targets.clear();
    }
    d.has_frames = frames;
    if (!frames)
        for (auto& t : d.targets) std::vector<Node>().swap(t.frames);
    for (auto& t : d.targets) t.sub.shrink_to_fit();
    d.bytes = sizeof(DecodedChunk) + 64;
    for (const auto& t : d.targets) d.bytes += sizeof t + (t.frames.capacity() + t.sub.capacity()) * sizeof(Node);
    d.used = tick_;
    ++stats.chunks_decoded;
    bytes_ += d.bytes;
    d.decoded = true;
    slot = std::move(d);
    if (bytes_ > budget_) evict();  // keeps what this query uses: `slot` stays
    // Making room is part of reading new data: it counts against the frame's decode budget.
    stats.decode_ns += mono_now_ns() - t0;
    return &slot;
}

void ChunkCache::evict() {
    // Oldest first, down to 3/4 of the budget so eviction is not paid on every miss; chunks of
    // the running query stay (a view wider than the budget just keeps what it needs).
    std::vector<std::pair<uint64_t, std::pair<size_t, size_t>>> ages;
    for (size_t f = 0; f < files_.size(); ++f)
        for (size_t c = 0; c < files_[f].size(); ++c)
            if (files_[f][c].decoded && files_[f][c].used != tick_) ages.push_back({files_[f][c].used, {f, c}});
    std::sort(ages.begin(), ages.end());
    for (const auto& [used, key] : ages) {
        if (bytes_ <= budget_ / 4 * 3) break;
        auto& slot = files_[key.first][key.second];
        bytes_ -= slot.bytes;
        slot = DecodedChunk{};
    }
}

}  // namespace zzp::viewer

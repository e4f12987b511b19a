// Decoded frame chunks of recordings, kept per (file, chunk) within a memory budget, least
// recently used out first. A chunk is decoded once while it stays in view: zooming and panning
// around frame-level views re-reads compact nodes, never the file.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "column.hpp"
#include "query_stats.hpp"

namespace zzp::rec {
class FileReader;
}

namespace zzp::viewer {

// Frames per sub-bucket: between frames and level 1 (64 frames) of the pyramid, so views of
// 30 min .. 4 h read one node per 8 frames instead of every frame.
inline constexpr int64_t kSubBucketFrames = 8;

struct DecodedChunk {
    struct Target {
        uint32_t id = 0;
        int64_t sub_width_ns = 0;
        std::vector<Node> frames;  // sorted by start; empty unless decoded with `frames`
        std::vector<Node> sub;     // time-aligned buckets of kSubBucketFrames intervals, sorted
    };
    std::vector<Target> targets;
    bool decoded = false;  // a slot of the cache that holds this chunk
    bool has_frames = false;
    size_t bytes = 0;
    uint64_t used = 0;  // query tick of the last use
    const Target* find(uint32_t id) const;
};

class ChunkCache {
public:
    explicit ChunkCache(size_t budget_bytes) : budget_(budget_bytes) {}
    // A new query: chunks it touches are not evicted while it runs.
    void begin_query() { ++tick_; }
    // The chunk, decoding it when it is not cached (or lacks the frames asked for) and
    // `may_decode`; nullptr otherwise. Frames are kept only when asked for: views of more than
    // ~30 min read sub-buckets, and keeping their frames too would cost 8x the memory (a 3 h view
    // of 4 hosts: ~7 MB of sub-buckets, ~55 MB with frames). A damaged chunk is cached empty and
    // its problem written to `problem`.
    const DecodedChunk* get(const rec::FileReader& reader, size_t file, size_t chunk, bool frames, bool may_decode,
                            QueryStats& stats, std::string& problem);
    size_t bytes() const { return bytes_; }

private:
    void evict();
    size_t budget_;
    size_t bytes_ = 0;
    uint64_t tick_ = 0;
    // Indexed by file, then chunk: a sub-bucket view of 4 hosts looks up ~5 000 chunks a frame,
    // where a tree keyed by (file, chunk) cost ~1 ms of cache misses.
    // Slots hold the chunk itself (empty: `decoded` false), one pointer hop less per lookup.
    std::vector<std::vector<DecodedChunk>> files_;
};

// Sorted nodes: merge `n` into the node of the same start, or insert it in order.
void merge_sorted(std::vector<Node>& v, const Node& n);

}  // namespace zzp::viewer

// Pyramid levels 1..4 of every (file, target) as compact nodes. Stored levels are copied from
// the reader on first use (a query then streams 88-byte nodes, not 352-byte summaries), and the
// reader frees its copy (FileReader::release_level; 36 MB for a month). Level 1 is not stored
// by format v2: the reader would build it from every frame of a file in one go
// (~7 ms an hour of 4 hosts, ~0.5 s for a 3-day view), so it is built here a chunk at a time
// under the frame's deadline, and evicted least recently used within a memory budget (a month
// of level 1 for 4 hosts would be ~200 MB).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "column.hpp"
#include "level_nodes.hpp"
#include "query_stats.hpp"

namespace zzp::rec {
class FileReader;
}

namespace zzp::viewer {

class LevelCache {
public:
    explicit LevelCache(size_t level1_budget_bytes) : budget_(level1_budget_bytes) {}
    void begin_query() { ++tick_; }
    // Nodes of `level` for target `id` of a file, sorted by start, with their derived groups;
    // nullptr while level 1 is still being built when the deadline passed. Throws what the
    // reader throws (damaged pyramid). Pointers stay valid until a later query evicts level 1
    // (stored levels are kept).
    const LevelNodes* get(const rec::FileReader& reader, size_t file, uint32_t id, int level, QueryStats& stats);
    // A stored level (2..4, or 1 where the file stores it) read afresh, not kept here and without
    // groups (a caller that merges several files derives them once); the reader's copy is
    // released. Throws what the reader throws.
    static LevelNodes read_stored(const rec::FileReader& reader, uint32_t id, int level);
    // Level 1 of that file, only if it is complete (for stand-ins: never starts work).
    const LevelNodes* ready_level1(size_t file, uint32_t id);
    size_t level1_bytes() const { return bytes_; }

private:
    struct Build {
        size_t next_chunk = 0;
        bool started = false, done = false;
        uint64_t used = 0;
        size_t bytes = 0;
        std::map<uint32_t, LevelNodes> nodes;  // groups derived once done
    };
    // Per file, found by index: a month view asks ~3000 times per frame (720 files x 4 hosts),
    // where a tree keyed by (file, target, level) cost ~0.3 ms a query.
    struct PerFile {
        // key: target id << 8 | level; a deque, so that what get() returned stays valid while
        // the same query asks for another level of the file.
        std::deque<std::pair<uint64_t, LevelNodes>> stored;
        Build level1;
    };
    PerFile& per_file(size_t file);
    bool advance(const rec::FileReader& reader, Build& b, QueryStats& stats);
    void evict();

    size_t budget_;
    size_t bytes_ = 0;
    uint64_t tick_ = 0;
    std::deque<PerFile> files_;  // grows at the end only: references stay valid
    const LevelNodes empty_;
};

}  // namespace zzp::viewer

// What a newcomer gets: target metadata and the frames of the retained window, kept in memory
// as pre-encoded record lists ("chunks") so a history replay re-encodes nothing and many
// subscribers share the same bytes.
#pragma once

#include <zzprobe/frame.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "protocol/messages.hpp"

namespace zzp::stream {

// One DATA payload: a MessagePack record list of at most kMaxRecordsBytes. Immutable once made.
struct Chunk {
    std::string records;
    uint32_t frame_count = 0;
    int64_t newest_start_ns = INT64_MIN;  // of its frames; INT64_MIN for a target-only chunk
};
using ChunkPtr = std::shared_ptr<const Chunk>;

// Packs frames (or targets) into as few chunks as fit.
class ChunkPacker {
public:
    void add(const zzp_frame& f);
    void add(const TargetRecord& t);
    std::vector<ChunkPtr> finish();

private:
    void seal();
    RecordListBuilder builder_;
    uint32_t frames_ = 0;
    int64_t newest_ = INT64_MIN;
    std::vector<ChunkPtr> out_;
};

// Frames per target within a window of data time (measured back from the newest frame start
// seen). A final frame replaces the live revisions of its interval; live revisions are kept
// only until their final arrives (or they leave the window).
class HistoryStore {
public:
    explicit HistoryStore(int64_t window_ns) : window_ns_(window_ns) {}

    void set_target(const TargetRecord& t);
    void add_frame(const zzp_frame& f);

    // Targets first, then frames that started within `history_ns` of the newest frame (at most
    // the window), oldest chunk first. Sealed chunks are shared, not copied.
    std::vector<ChunkPtr> snapshot(int64_t history_ns) const;

    uint64_t frame_count() const { return frames_; }
    uint64_t bytes() const { return bytes_; }

private:
    struct TargetHistory {
        std::deque<ChunkPtr> sealed;
        RecordListBuilder open;  // finals not yet sealed into a chunk
        uint32_t open_frames = 0;
        int64_t open_newest = INT64_MIN;
        std::map<int64_t, zzp_frame> live;  // interval start -> newest non-final revision
    };
    void seal_open(TargetHistory& h);
    void evict();

    int64_t window_ns_;
    int64_t newest_start_ = INT64_MIN;
    std::map<uint32_t, TargetRecord> targets_;
    std::map<uint32_t, TargetHistory> history_;
    uint64_t frames_ = 0;  // in sealed + open + live
    uint64_t bytes_ = 0;   // of sealed chunks
};

}  // namespace zzp::stream

// What a column query did, and how long it may work: the viewer gives each frame a deadline so
// that reading data it has not seen yet (decoding frame chunks, building level 1 of the pyramid)
// never stalls a redraw; what is not read by then is drawn from a coarser level and refined in
// the next frames.
#pragma once

#include <cstdint>

namespace zzp::viewer {

int64_t mono_now_ns();

struct QueryStats {
    // In: stop starting new decoding work at this CLOCK_MONOTONIC time (0 = read everything now,
    // the exact answer, as tests and screenshots need).
    int64_t deadline_ns = 0;
    // May this query start another unit of decoding? Before the deadline, and always at least
    // once per query so that a view gets complete even when the rest of the frame is slow.
    bool may_decode() const { return deadline_ns == 0 || chunks_decoded == 0 || mono_now_ns() < deadline_ns; }

    // Out.
    uint64_t nodes_read = 0;      // pyramid nodes (and 8-frame sub-buckets) placed in columns
    uint64_t frames_read = 0;     // level-0 frames placed in columns
    uint64_t chunks_decoded = 0;  // frame chunks decoded (cache misses)
    uint64_t pending = 0;         // parts drawn from a coarser level, to be refined
    int64_t decode_ns = 0;        // time spent decoding chunks and building level 1
    int level = 0;                // pyramid level used (last query; 0 = frames or sub-buckets)
};

}  // namespace zzp::viewer

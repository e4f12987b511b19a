// One batch in a sink's host-owned queue. Producers append to the newest batch until the
// dispatcher seals it (assigns its seq and hands it to the sink); from then on it never changes,
// so a retry or a successor after a hot swap gets exactly the same records under the same seq.
#pragma once

#include <zzprobe/batch.h>

#include <cstdint>
#include <vector>

namespace zzp::host {

struct QueuedBatch {
    uint64_t seq = 0;  // 0 until sealed
    uint32_t kind = ZZP_BATCH_SAMPLES;
    bool sealed = false;
    std::vector<zzp_sample> samples;
    std::vector<zzp_frame> frames;

    size_t count() const { return kind == ZZP_BATCH_SAMPLES ? samples.size() : frames.size(); }
    size_t bytes() const { return kind == ZZP_BATCH_SAMPLES ? samples.size() * sizeof(zzp_sample) : frames.size() * sizeof(zzp_frame); }

    zzp_batch view() const {
        zzp_batch b{};
        b.seq = seq;
        b.kind = kind;
        b.count = static_cast<uint32_t>(count());
        b.samples = kind == ZZP_BATCH_SAMPLES ? samples.data() : nullptr;
        b.frames = kind == ZZP_BATCH_FRAMES ? frames.data() : nullptr;
        return b;
    }

    // Empty it for reuse, keeping the buffers' capacity (no allocation on the hot path).
    void recycle() {
        seq = 0;
        sealed = false;
        samples.clear();
        frames.clear();
    }
};

}  // namespace zzp::host

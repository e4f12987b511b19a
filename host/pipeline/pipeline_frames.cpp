// Pipeline side of the host extension "zzp.frames/1" (host_frames_ext.*): frames a probe
// publishes itself go to the same sinks and viewers, with the same FINAL/LIVE filter, as the
// frames the frame builder makes from that probe's samples. Kept in its own file so the
// pipeline's hot path (pipeline.cpp) stays as it is.
#include <vector>

#include "pipeline/pipeline.hpp"

namespace zzp::host {

bool Pipeline::offers_frames() const { return true; }

zzp_status Pipeline::publish_frames(size_t slot, const zzp_frame* frames, uint32_t count, uint32_t* rejected) {
    const zzp_frame* data = frames;
    std::vector<zzp_frame> valid;  // only filled when something is wrong (not the hot path)
    {
        std::shared_lock lock(targets_mutex_);
        // Like ingest: a probe speaks only for the targets it interned (that is also what routes
        // the frame), and a frame without a positive interval cannot be placed in time.
        auto ok = [&](const zzp_frame& f) {
            return f.target_id < target_owner_.size() && target_owner_[f.target_id] == static_cast<int32_t>(slot) &&
                   f.interval_ns > 0 && f.reserved == 0;
        };
        uint32_t first_bad = 0;
        while (first_bad < count && ok(frames[first_bad])) ++first_bad;
        if (first_bad < count) {
            valid.assign(frames, frames + first_bad);
            for (uint32_t i = first_bad; i < count; ++i)
                if (ok(frames[i])) valid.push_back(frames[i]);
            *rejected = count - static_cast<uint32_t>(valid.size());
            data = valid.data();
            count = static_cast<uint32_t>(valid.size());
        }
    }
    if (count == 0) return ZZP_OK;
    // Nodes, runners and routes are fixed once open() returns; SinkRunner::push_frames is
    // thread-safe and filters by what the instance accepts (FINAL only or every revision).
    for (Node& sink : nodes_)
        if (sink.runner && routes(sink, slot)) sink.runner->push_frames(data, count);
    return ZZP_OK;
}

}  // namespace zzp::host

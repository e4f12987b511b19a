// The RTT part of a frame (zzp_frame.rtt_ns, rtt_mean_ns, rtt_jitter_ns) from the replies of
// one interval, with the rules in sdk/include/zzprobe/frame.h.
#pragma once

#include <zzprobe/frame.h>

#include <cstdint>
#include <vector>

namespace zzp::host {

struct RttPoint {
    uint64_t seq;
    int64_t rtt_ns;
};

// The quantile fractions of zzp_frame.rtt_ns, in index order.
inline constexpr double kFrameQuantiles[ZZP_QUANTILE_COUNT] = {0.0, 0.125, 0.25, 0.5, 0.75, 0.875, 1.0};

// Fill frame->rtt_ns[], rtt_mean_ns and rtt_jitter_ns from `points` (any order; reordered in
// place by seq). `scratch` is reused between calls so nothing is allocated in steady state.
void summarize_rtt(std::vector<RttPoint>& points, std::vector<int64_t>& scratch, zzp_frame* frame);

}  // namespace zzp::host

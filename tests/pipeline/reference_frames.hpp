// A straightforward reference for final frames: collect every record of an interval, sort,
// count. Written independently of FrameBuilder/summarize_rtt to check them.
#pragma once

#include <zzprobe/frame.h>
#include <zzprobe/sample.h>

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace zzp::test {

// Key: (target id, interval start).
using FrameKey = std::pair<uint32_t, int64_t>;

// Final frames for samples that all arrived before their frames were final.
std::map<FrameKey, zzp_frame> reference_frames(const std::vector<zzp_sample>& samples, int64_t interval_ns);

// The quantile rule of frame.h on an unsorted copy.
int64_t reference_quantile(std::vector<int64_t> values, double q);

}  // namespace zzp::test

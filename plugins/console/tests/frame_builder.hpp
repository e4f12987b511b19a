// Frames for console tests, built the way the host's frame builder fills them.
#pragma once

#include <zzprobe/zzprobe.h>

#include <cstdint>

namespace zzp::console::test {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kInterval = 100 * kMs;
constexpr int64_t kEpoch = 1'700'000'000 * kSecond;  // an interval-aligned wall time

// A final frame of target `id` for interval `index` (start = kEpoch + index * kInterval), with
// every reply at `rtt_ns` unless the quantiles are set afterwards.
inline zzp_frame make_frame(uint32_t id, int64_t index, uint32_t sent, uint32_t received, uint32_t lost,
                            int64_t rtt_ns = 2 * kMs) {
    zzp_frame f{};
    f.start_wall_ns = kEpoch + index * kInterval;
    f.interval_ns = kInterval;
    f.target_id = id;
    f.flags = ZZP_FRAME_F_FINAL;
    f.sent = sent;
    f.received = received;
    f.lost = lost;
    for (int64_t& q : f.rtt_ns) q = received ? rtt_ns : -1;
    f.rtt_mean_ns = received ? rtt_ns : -1;
    f.rtt_jitter_ns = received > 1 ? 0 : -1;
    return f;
}

// The same frame published live, with `pending` of its attempts still unsettled.
inline zzp_frame make_live(zzp_frame f, uint32_t pending, uint32_t revision = 0) {
    f.flags = 0;
    f.revision = revision;
    f.pending = pending;
    return f;
}

inline int64_t end_of(int64_t index) {
    return kEpoch + (index + 1) * kInterval;
}

}  // namespace zzp::console::test

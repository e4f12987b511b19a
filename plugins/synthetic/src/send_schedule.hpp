// The absolute-time send schedule: every target at the same rate, phase-spread evenly, so the
// sends of N targets interleave at period/N instead of leaving in one clump.
//
// Slot k goes to target k % N at origin + k * period / N. Times are computed from k (never
// accumulated), so the schedule does not drift however long it runs.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace zzp::synthetic {

class SendSchedule {
public:
    SendSchedule(double rate_per_target, size_t target_count, int64_t origin_mono_ns)
        : slot_ns_(1e9L / (static_cast<long double>(rate_per_target) * static_cast<long double>(target_count))),
          target_count_(target_count),
          origin_ns_(origin_mono_ns) {}

    int64_t next_time_ns() const { return time_of(slot_); }
    size_t next_target() const { return static_cast<size_t>(slot_ % target_count_); }
    void advance() { ++slot_; }

    // After a stall (suspend, SIGSTOP, an overloaded machine), drop the slots that fell more
    // than `tolerance_ns` behind `now`: those attempts were never made, and sending them all
    // at once would be a burst no real probe produces. Returns how many were dropped.
    uint64_t skip_stale(int64_t now_ns, int64_t tolerance_ns) {
        int64_t oldest_allowed = now_ns - tolerance_ns;
        if (time_of(slot_) >= oldest_allowed) return 0;
        auto first_fresh =
            static_cast<uint64_t>(std::ceil(static_cast<long double>(oldest_allowed - origin_ns_) / slot_ns_));
        while (time_of(first_fresh) < oldest_allowed) ++first_fresh;  // guard rounding
        uint64_t skipped = first_fresh > slot_ ? first_fresh - slot_ : 0;
        if (first_fresh > slot_) slot_ = first_fresh;
        return skipped;
    }

private:
    int64_t time_of(uint64_t slot) const {
        return origin_ns_ + static_cast<int64_t>(std::llround(static_cast<long double>(slot) * slot_ns_));
    }

    long double slot_ns_;
    size_t target_count_;
    int64_t origin_ns_;
    uint64_t slot_ = 0;
};

}  // namespace zzp::synthetic

// The sender's absolute-time schedule.
//
// N targets at one rate share a period P; slot k is at start + k*P/N and belongs to target
// k mod N, so targets are phase-spread evenly and the send times never drift (each is computed
// from the start, not from the previous send). A slot may be sent late by up to
// max(one period, kMaxLateness); older slots are skipped, so after a stall each target gets at
// most a few sends (the latest ones), never a catch-up burst of everything missed.
#pragma once

#include <cstdint>

namespace zzp::icmp {

class Schedule {
public:
    // Short hiccups (a busy machine) are absorbed by sending a little late; longer stalls skip.
    static constexpr int64_t kMaxLateness = 3'000'000;

    Schedule(uint32_t target_count, int64_t period_ns, int64_t start_mono_ns)
        : targets_(target_count), period_ns_(period_ns), start_ns_(start_mono_ns) {}

    int64_t slot_time(uint64_t k) const {
        return start_ns_ + static_cast<int64_t>(static_cast<__int128>(k) * period_ns_ / targets_);
    }
    uint32_t slot_target(uint64_t k) const { return static_cast<uint32_t>(k % targets_); }
    int64_t next_time() const { return slot_time(next_); }
    uint64_t next_slot() const { return next_; }
    uint64_t skipped() const { return skipped_; }

    // The slots due at now: [*first, *end). Slots later than the allowed lateness are skipped.
    void take_due(int64_t now_mono_ns, uint64_t* first, uint64_t* end) {
        uint64_t last_due = next_;
        if (slot_time(next_) > now_mono_ns) {
            *first = *end = next_;
            return;
        }
        // Find the last slot due: step a round at a time, then slot by slot.
        uint64_t lo = next_, hi = next_ + 1;
        while (slot_time(hi) <= now_mono_ns) {
            lo = hi;
            hi = next_ + (hi - next_) * 2;
        }
        while (hi - lo > 1) {
            uint64_t mid = lo + (hi - lo) / 2;
            (slot_time(mid) <= now_mono_ns ? lo : hi) = mid;
        }
        last_due = lo;
        uint64_t begin = next_;
        const int64_t oldest_allowed = now_mono_ns - (period_ns_ > kMaxLateness ? period_ns_ : kMaxLateness);
        if (slot_time(begin) <= oldest_allowed) {
            // The first slot young enough, but never past the last round (one send per target).
            uint64_t keep_from = last_due + 1 > targets_ ? last_due + 1 - targets_ : 0;
            uint64_t lo = begin, hi = keep_from > begin ? keep_from : begin;
            if (slot_time(hi) > oldest_allowed) {
                while (hi - lo > 1) {  // slot_time(lo) <= oldest_allowed < slot_time(hi)
                    uint64_t mid = lo + (hi - lo) / 2;
                    (slot_time(mid) <= oldest_allowed ? lo : hi) = mid;
                }
            }
            skipped_ += hi - begin;
            begin = hi;
        }
        *first = begin;
        *end = last_due + 1;
        next_ = last_due + 1;
    }

private:
    uint64_t targets_;
    int64_t period_ns_;
    int64_t start_ns_;
    uint64_t next_ = 0;
    uint64_t skipped_ = 0;
};

}  // namespace zzp::icmp

// Per-target record of attempts by sequence number, for the frame builder: which announced
// (SENT) attempts are still pending and in which interval. Sequences only increase, so a ring
// indexed by seq - first_seq gives O(1) lookups. Settled entries stay as recent history (to
// recognise a repeated settle) until the ring would have to grow: then they are trimmed from
// the front, so the ring spans at most from the oldest pending attempt to the newest one.
#pragma once

#include <cstdint>
#include <vector>

namespace zzp::host {

enum class AttemptState : uint8_t {
    unknown = 0,  // no record of this seq (a gap, or settled without announcement)
    pending = 1,  // announced by SENT, not settled yet
    settled = 2,  // settled after its announcement
    forced = 3,   // its frame was finalised by the settle deadline while it was pending
};

struct AttemptEntry {
    int64_t frame_start_ns = 0;
    AttemptState state = AttemptState::unknown;
};

class SeqRing {
public:
    // A probe that jumps its sequence by more than this is not tracked across the jump (its
    // later settles then count as unannounced) instead of growing the ring without bound.
    static constexpr uint64_t kMaxSpan = uint64_t{1} << 20;

    // The entry for seq, or nullptr when seq is outside the ring.
    AttemptEntry* find(uint64_t seq) {
        if (size_ == 0 || seq < first_seq_ || seq - first_seq_ >= size_) return nullptr;
        return &slots_[(head_ + (seq - first_seq_)) & mask()];
    }

    // The entry for seq, adding it (and unknown entries for any gap) when it lies past the end.
    // nullptr when seq is before the ring's start or too far ahead to track.
    AttemptEntry* insert(uint64_t seq) {
        if (size_ == 0) {
            if (slots_.empty()) slots_.resize(16);
            head_ = 0;
            first_seq_ = seq;
        }
        if (seq < first_seq_) return nullptr;
        if (seq - first_seq_ >= slots_.size()) trim();  // make room before growing
        if (size_ == 0) {
            head_ = 0;
            first_seq_ = seq;
        }
        if (seq < first_seq_) return nullptr;
        const uint64_t offset = seq - first_seq_;
        if (offset >= kMaxSpan) return nullptr;
        if (offset >= size_) {
            while (offset + 1 > slots_.size()) grow();
            for (uint64_t i = size_; i <= offset; ++i) slots_[(head_ + i) & mask()] = AttemptEntry{};
            size_ = offset + 1;
        }
        return &slots_[(head_ + offset) & mask()];
    }

    // Drop entries from the front that are not pending.
    void trim() {
        while (size_ > 0 && slots_[head_].state != AttemptState::pending) {
            head_ = (head_ + 1) & mask();
            ++first_seq_;
            --size_;
        }
    }

    template <class F>
    void for_each(F&& f) {
        for (uint64_t i = 0; i < size_; ++i) f(slots_[(head_ + i) & mask()]);
    }

    uint64_t size() const { return size_; }

private:
    uint64_t mask() const { return slots_.size() - 1; }
    void grow() {
        std::vector<AttemptEntry> bigger(slots_.size() * 2);
        for (uint64_t i = 0; i < size_; ++i) bigger[i] = slots_[(head_ + i) & mask()];
        slots_.swap(bigger);
        head_ = 0;
    }

    std::vector<AttemptEntry> slots_;  // capacity: a power of two
    uint64_t head_ = 0;
    uint64_t size_ = 0;
    uint64_t first_seq_ = 0;
};

}  // namespace zzp::host

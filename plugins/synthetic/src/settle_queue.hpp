// Attempts sent but not yet settled, ordered by when their outcome falls due (send + RTT for a
// reply, send + timeout for a loss). The probe sleeps until the earliest of these or the next
// send, whichever comes first.
#pragma once

#include <zzprobe/zzprobe.h>

#include <cstdint>
#include <queue>
#include <vector>

namespace zzp::synthetic {

struct PendingSettle {
    int64_t due_mono_ns;
    size_t target_index;  // into the probe's target list
    zzp_sample sample;    // the settling record, ready to emit
};

class SettleQueue {
public:
    void push(int64_t due_mono_ns, size_t target_index, const zzp_sample& settling) {
        heap_.push({due_mono_ns, target_index, settling});
    }
    bool empty() const { return heap_.empty(); }
    size_t size() const { return heap_.size(); }
    int64_t next_due_ns() const { return heap_.top().due_mono_ns; }
    PendingSettle pop() {
        PendingSettle top = heap_.top();
        heap_.pop();
        return top;
    }

private:
    struct LaterFirst {
        bool operator()(const PendingSettle& a, const PendingSettle& b) const {
            if (a.due_mono_ns != b.due_mono_ns) return a.due_mono_ns > b.due_mono_ns;
            return a.sample.seq > b.sample.seq;
        }
    };
    std::priority_queue<PendingSettle, std::vector<PendingSettle>, LaterFirst> heap_;
};

}  // namespace zzp::synthetic

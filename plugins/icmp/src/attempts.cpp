#include "attempts.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace zzp::icmp {
namespace {
// A kernel timestamp is trusted only if it agrees with the monotonic clock to within this:
// a wall clock step between send and receive would otherwise produce nonsense RTTs.
constexpr int64_t kKernelClockTolerance = 1'000'000;
}  // namespace

uint32_t AttemptTable::ring_size_for(double rate_per_target, int64_t timeout_ns) {
    double needed = rate_per_target * (4.0 * static_cast<double>(timeout_ns) / 1e9) + 64;
    uint32_t size = 64;
    while (size < needed && size < 65536) size *= 2;
    return size;
}

AttemptTable::AttemptTable(uint32_t target_count, uint32_t ring_size, int64_t timeout_ns, int64_t expiry_grace_ns)
    : ring_size_(ring_size),
      ring_mask_(ring_size - 1),
      timeout_ns_(timeout_ns),
      expiry_grace_ns_(expiry_grace_ns),
      slots_(size_t(target_count) * ring_size),
      highest_replied_(target_count, 0),
      any_replied_(target_count, false),
      fifo_(1024) {}

zzp_sample AttemptTable::make_sample(const SendRecord& r, zzp_sample_status status, int64_t rtt_ns, uint16_t flags,
                                     uint32_t detail) const {
    zzp_sample s{};
    s.seq = r.seq;
    s.sent_wall_ns = r.send_wall_ns;
    s.rtt_ns = rtt_ns;
    s.target_id = r.target_id;
    s.status = static_cast<uint16_t>(status);
    s.flags = flags;
    s.detail = detail;
    return s;
}

void AttemptTable::push_deadline(const Deadline& d) {
    if (fifo_count_ == fifo_.size()) {  // grow (rare: only while the pending set is growing)
        std::vector<Deadline> bigger(fifo_.size() * 2);
        for (size_t i = 0; i < fifo_count_; ++i) bigger[i] = fifo_[(fifo_head_ + i) % fifo_.size()];
        fifo_.swap(bigger);
        fifo_head_ = 0;
    }
    fifo_[(fifo_head_ + fifo_count_) % fifo_.size()] = d;
    ++fifo_count_;
}

void AttemptTable::record_send(uint32_t target, const SendRecord& record) {
    Slot& s = slot(target, record.seq);
    if (s.state == kPending) --unsettled_;  // overwritten unsettled (cannot happen with the ring sizing)
    ++unsettled_;
    s.record = record;
    s.state = kPending;
    push_deadline({record.send_mono_ns + timeout_ns_ + expiry_grace_ns_, record.seq, target});
}

void AttemptTable::set_send_time(uint32_t target, uint64_t seq, int64_t send_mono_ns, int64_t send_real_ns) {
    Slot& s = slot(target, seq);
    if (s.record.seq != seq) return;
    s.record.send_mono_ns = send_mono_ns;
    s.record.send_real_ns = send_real_ns;
}

bool AttemptTable::set_kernel_send_time(uint32_t target, uint64_t seq, int64_t send_real_ns) {
    Slot& s = slot(target, seq);
    if (s.record.seq != seq || s.state != kPending) return false;
    s.record.send_real_ns = send_real_ns;
    return true;
}

void AttemptTable::on_send_error(uint32_t target, uint64_t seq, int error_number, std::vector<zzp_sample>& out) {
    Slot& s = slot(target, seq);
    if (s.state != kPending || s.record.seq != seq) return;
    s.state = kFailed;
    --unsettled_;
    out.push_back(make_sample(s.record, ZZP_SAMPLE_SEND_ERROR, -1, 0, static_cast<uint32_t>(error_number)));
}

bool AttemptTable::on_reply(uint32_t target, uint64_t seq, int64_t stamped_send_mono_ns, int64_t rx_real_ns,
                            int64_t rx_mono_ns, std::vector<zzp_sample>& out) {
    Slot& s = slot(target, seq);
    if (s.state == kEmpty || s.record.seq != seq) {
        ++counters_.stale;
        return false;
    }
    if (s.record.send_mono_ns != stamped_send_mono_ns) {
        ++counters_.forged;
        return false;
    }
    int64_t mono_rtt = rx_mono_ns - s.record.send_mono_ns;
    int64_t rtt = mono_rtt;
    uint16_t flags = 0;
    if (rx_real_ns >= 0) {
        int64_t kernel_rtt = rx_real_ns - s.record.send_real_ns;
        if (kernel_rtt >= 0 && kernel_rtt <= mono_rtt + kKernelClockTolerance) {
            rtt = kernel_rtt;
            flags |= ZZP_SAMPLE_F_KERNEL_TS;
        }
    }
    if (rtt < 0) rtt = 0;
    switch (s.state) {
        case kPending:
            if (rtt > timeout_ns_) {  // arrived after the timeout, before the sender expired it
                s.state = kLost;
                --unsettled_;
                out.push_back(make_sample(s.record, ZZP_SAMPLE_LOST, -1, 0, 0));
                out.push_back(make_sample(s.record, ZZP_SAMPLE_LATE, rtt, flags, 0));
                return true;
            }
            if (any_replied_[target] && seq < highest_replied_[target]) flags |= ZZP_SAMPLE_F_REORDERED;
            if (!any_replied_[target] || seq > highest_replied_[target]) highest_replied_[target] = seq;
            any_replied_[target] = true;
            s.state = kReplied;
            --unsettled_;
            out.push_back(make_sample(s.record, ZZP_SAMPLE_REPLY, rtt, flags, 0));
            return true;
        case kLost:
            s.state = kReplied;  // a second late copy is a duplicate
            out.push_back(make_sample(s.record, ZZP_SAMPLE_LATE, rtt, flags, 0));
            return true;
        case kReplied:
            out.push_back(make_sample(s.record, ZZP_SAMPLE_DUPLICATE, rtt, flags, 0));
            return true;
        default:  // kFailed: a reply to a request whose send reported failure; keep the failure
            out.push_back(make_sample(s.record, ZZP_SAMPLE_DUPLICATE, rtt, flags, 0));
            return true;
    }
}

bool AttemptTable::on_net_error(uint32_t target, uint16_t seq16, uint8_t type, uint8_t code,
                                std::vector<zzp_sample>& out) {
    Slot& s = slot(target, seq16);
    if (s.state != kPending || (s.record.seq & 0xffff) != seq16) {
        ++counters_.errors_ignored;
        return false;
    }
    s.state = kFailed;
    --unsettled_;
    out.push_back(make_sample(s.record, ZZP_SAMPLE_NET_ERROR, -1, 0, (uint32_t(type) << 8) | code));
    return true;
}

void AttemptTable::expire(int64_t now_mono_ns, std::vector<zzp_sample>& out) {
    while (fifo_count_ > 0) {
        const Deadline& d = fifo_[fifo_head_];
        if (d.expiry_mono_ns > now_mono_ns) break;
        Slot& s = slot(d.target, d.seq);
        if (s.state == kPending && s.record.seq == d.seq) {
            s.state = kLost;
            --unsettled_;
            out.push_back(make_sample(s.record, ZZP_SAMPLE_LOST, -1, 0, 0));
        }
        fifo_head_ = (fifo_head_ + 1) % fifo_.size();
        --fifo_count_;
    }
}

void AttemptTable::expire_all(std::vector<zzp_sample>& out) {
    expire(std::numeric_limits<int64_t>::max(), out);
}

int64_t AttemptTable::next_expiry_mono_ns() const {
    return fifo_count_ ? fifo_[fifo_head_].expiry_mono_ns : std::numeric_limits<int64_t>::max();
}

}  // namespace zzp::icmp

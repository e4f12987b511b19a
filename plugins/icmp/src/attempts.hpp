// Outstanding echo attempts and how each reply, error or timeout settles them.
//
// One ring of slots per target, indexed by the low bits of the 64-bit sequence (the ring is a
// power of two no larger than 65536, so the 16-bit ICMP sequence picks the same slot). A slot is
// kept after it settles so that late and duplicate replies are still recognised until the
// sequence comes round again. Timeouts: all targets share one timeout and one sender sends in
// time order, so deadlines leave in send order; one FIFO holds them (no timer thread).
//
// Not thread-safe: the probe serialises access with its own mutex.
#pragma once

#include <zzprobe/sample.h>

#include <cstdint>
#include <vector>

namespace zzp::icmp {

struct SendRecord {
    uint64_t seq = 0;
    int64_t send_mono_ns = 0;
    int64_t send_real_ns = 0;  // CLOCK_REALTIME, matches kernel receive timestamps
    int64_t send_wall_ns = 0;  // the host's wall clock, what the sample records
    uint32_t target_id = 0;    // the host's id at send time (a re-resolved name gets a new one)
};

struct TableCounters {
    uint64_t stale = 0;           // reply to a sequence no longer in the ring
    uint64_t forged = 0;          // stamp valid but send time differs from what we recorded
    uint64_t errors_ignored = 0;  // ICMP error for an attempt already settled or unknown
};

class AttemptTable {
public:
    // ring_size: power of two, 64..65536. expiry_grace_ns: how long after its deadline the
    // sender declares an attempt lost, so a reply stamped in time by the kernel but read a
    // little late is still a REPLY.
    AttemptTable(uint32_t target_count, uint32_t ring_size, int64_t timeout_ns, int64_t expiry_grace_ns);

    // Registers a request before it is sent (its reply may arrive before sendmsg returns).
    void record_send(uint32_t target, const SendRecord& record);
    // Sets the send clocks of a registered attempt (read right before the send, after the
    // announcement) without touching its deadline.
    void set_send_time(uint32_t target, uint64_t seq, int64_t send_mono_ns, int64_t send_real_ns);
    // The kernel's transmit timestamp of a pending attempt (CLOCK_REALTIME): the RTT then starts
    // where the packet left, not at the clock read before the send call. False if not pending.
    bool set_kernel_send_time(uint32_t target, uint64_t seq, int64_t send_real_ns);
    // The send failed: settle as SEND_ERROR with errno.
    void on_send_error(uint32_t target, uint64_t seq, int error_number, std::vector<zzp_sample>& out);
    // A validated echo reply. rx_real_ns: kernel receive timestamp (CLOCK_REALTIME), or < 0.
    // Returns false (and counts it) if it matches no attempt we know.
    bool on_reply(uint32_t target, uint64_t seq, int64_t stamped_send_mono_ns, int64_t rx_real_ns, int64_t rx_mono_ns,
                  std::vector<zzp_sample>& out);
    // An ICMP error about our request with 16-bit sequence seq16 (the quote may lack our stamp).
    bool on_net_error(uint32_t target, uint16_t seq16, uint8_t type, uint8_t code, std::vector<zzp_sample>& out);
    // Settles as LOST every attempt whose deadline + grace has passed.
    void expire(int64_t now_mono_ns, std::vector<zzp_sample>& out);
    // Settles everything still pending as LOST (stop).
    void expire_all(std::vector<zzp_sample>& out);
    // Monotonic time of the next expiry, or INT64_MAX when nothing is pending.
    int64_t next_expiry_mono_ns() const;
    bool has_pending() const { return unsettled_ > 0; }  // attempts not yet settled
    const TableCounters& counters() const { return counters_; }
    int64_t timeout_ns() const { return timeout_ns_; }

    // Ring size for a rate and timeout: room for 4 timeouts of attempts plus margin, so late
    // replies are still recognised (documented in README).
    static uint32_t ring_size_for(double rate_per_target, int64_t timeout_ns);

private:
    enum : uint8_t { kEmpty, kPending, kReplied, kLost, kFailed };
    struct Slot {
        SendRecord record;
        uint8_t state = kEmpty;
    };
    struct Deadline {
        int64_t expiry_mono_ns;
        uint64_t seq;
        uint32_t target;
    };
    Slot& slot(uint32_t target, uint64_t seq) { return slots_[size_t(target) * ring_size_ + (seq & ring_mask_)]; }
    zzp_sample make_sample(const SendRecord& r, zzp_sample_status status, int64_t rtt_ns, uint16_t flags,
                           uint32_t detail) const;
    void push_deadline(const Deadline& d);

    uint32_t ring_size_;
    uint64_t ring_mask_;
    int64_t timeout_ns_;
    int64_t expiry_grace_ns_;
    std::vector<Slot> slots_;
    std::vector<uint64_t> highest_replied_;  // per target, for the REORDERED flag
    std::vector<bool> any_replied_;
    std::vector<Deadline> fifo_;  // ring buffer
    size_t fifo_head_ = 0;
    size_t fifo_count_ = 0;
    size_t unsettled_ = 0;
    TableCounters counters_;
};

}  // namespace zzp::icmp

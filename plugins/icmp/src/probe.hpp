// The ICMP echo probe: one sender thread on an absolute schedule, one receiver thread blocking
// on the sockets, and (only when a target is a host name) one resolver thread that sleeps until
// the next re-resolution. Attempts and targets are shared under one mutex.
//
// CPU: while the sender wakes at least every kSenderReadsWithinNs anyway, it also reads the
// replies on each wake-up (kernel timestamps keep the RTT exact; the report is at most one send
// period later) and the receiver then sleeps on ICMP errors and stop only. That halves the
// wake-ups per echo. At lower rates the receiver reads, blocking on the sockets.
#pragma once

#include <atomic>
#include <condition_variable>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include <zzprobe/plugin.hpp>

#include "attempts.hpp"
#include "config.hpp"
#include "resolver.hpp"
#include "sockets.hpp"

namespace zzp::icmp {

struct ReceiveBuffers;

struct Target {
    std::string name;  // as configured
    bool literal = false;
    bool resolved = false;
    ResolvedAddress address;
    uint32_t id = 0;        // host target id for (name, address)
    uint64_t next_seq = 0;  // next 64-bit sample sequence
    bool resolve_failing = false;
};

// Drops the receiver counts instead of reporting as samples: anything not ours or not valid.
struct ReceiveCounters {
    uint64_t foreign = 0;       // other ident, no/other nonce, unknown target index
    uint64_t wrong_source = 0;  // valid stamp but from another address than the target's
    uint64_t mismatched = 0;    // ICMP sequence disagrees with the stamp
    uint64_t errors_unmatched = 0;
};

class IcmpProbe : public zzp::Plugin, public zzp::Stateful {
public:
    IcmpProbe();
    ~IcmpProbe() override;

    void configure(const zzp::Config& config) override;
    void start() override;
    void stop(int64_t deadline_mono_ns) override;

    // Hot swap: the successor continues each target's sequence. The nonce is not carried: replies
    // to the predecessor's requests are foreign to the successor and dropped (counted).
    uint32_t state_format() const override { return 1; }
    std::string save_state() override;
    void load_state(uint32_t format, const std::string& bytes) override;

private:
    void open_sockets();
    void sender_main();
    void receiver_main();
    void resolver_main();
    void reopen_socket(int family_index);

    // sender helpers (sender.cpp)
    void send_due(uint64_t first, uint64_t end, int64_t now_mono);
    void note_send_errno(int family_index, int error_number);

    // receiver helpers (receiver.cpp)
    void drain_socket(int family_index, ReceiveBuffers& buffers, std::vector<zzp_sample>& out);
    // Who reads replies: the receiver (blocking in epoll) or, while the sender wakes often anyway,
    // the sender on each wake-up (see sender.cpp). Switches the sockets' epoll interest.
    void set_receiver_reads(bool receiver_reads);
    void handle_datagram(int family_index, const uint8_t* data, size_t length, const sockaddr* from, int64_t rx_real_ns,
                         int64_t rx_mono_ns, std::vector<zzp_sample>& out);
    void drain_error_queue(int family_index, ReceiveBuffers& buffers, std::vector<zzp_sample>& out);

    // Kernel transmit timestamps (SO_TIMESTAMPING, OPT_ID): asked for per request while the
    // sender reads (then the receiver does not watch the sockets, so a stamp wakes nobody). Each
    // stamped send takes the socket's next key; the stamp comes back on the error queue with it.
    // A stamp is used only if it falls between the clock reads around its send call, so a key
    // out of step (a failed send that consumed one) costs accuracy for a moment, never an RTT.
    struct TxPending {
        uint32_t key = UINT32_MAX;
        uint32_t target = 0;
        uint64_t seq = 0;
        int64_t earliest_real_ns = 0, latest_real_ns = 0;
    };
    struct TxStamps {
        bool usable = false;
        uint32_t next_key = 0;
        std::vector<TxPending> pending;  // by key modulo size
        uint64_t applied = 0, rejected = 0;
    };
    static constexpr size_t kTxPendingSize = 4096;                         // > stamped sends between two reads
    void reset_tx_stamps(int family_index, bool usable);                   // under mutex_
    void apply_tx_stamp(int family_index, uint32_t key, int64_t real_ns);  // under mutex_

    static int family_index(int family) { return family == AF_INET6 ? 1 : 0; }

    IcmpConfig config_;
    std::vector<Target> targets_;  // guarded by mutex_ once started
    std::map<std::string, uint64_t> restored_seq_;
    std::unique_ptr<AttemptTable> table_;  // guarded by mutex_
    std::mutex mutex_;

    IcmpSocket sockets_[2];  // [0] IPv4, [1] IPv6; fd -1 when not needed or not available
    std::atomic<bool> socket_raw_[2] = {false, false};
    uint16_t raw_ident_ = 0;
    uint64_t nonce_ = 0;
    int epoll_fd_ = -1;
    int stop_event_fd_ = -1;

    // The sender sleeps in one futex wait with an absolute CLOCK_MONOTONIC deadline on this word
    // (one syscall per wake-up); stop sets it and wakes the futex. The resolver waits on the cv.
    std::atomic<uint32_t> stop_word_{0};
    std::mutex wake_mutex_;
    std::condition_variable wake_cv_;
    bool stopping_ = false;
    int64_t drain_until_mono_ns_ = 0;

    std::thread sender_, receiver_, resolver_;
    ReceiveCounters receive_counters_;  // receiver thread only
    uint64_t stall_skips_ = 0;
    uint64_t send_errors_ = 0;
    int consecutive_socket_errors_[2] = {0, 0};
    int64_t last_reopen_mono_ns_[2] = {0, 0};
    bool started_ = false;
    bool receiver_reads_ = true;  // sender thread only (after start)
    TxStamps tx_[2];              // guarded by mutex_
};

int64_t mono_now_ns();
int64_t timespec_ns(const timespec& ts);  // kernel timestamps and clock reads, in ns
void wake_futex(std::atomic<uint32_t>* word);
int64_t real_now_ns();

}  // namespace zzp::icmp

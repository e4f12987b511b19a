// The sender thread: sleeps until the next slot of the absolute schedule (or the next attempt
// deadline), sends what is due in one sendmmsg per address family, announces it, and settles
// timeouts. After stop it keeps settling until what is in flight has replied or timed out.
#include <linux/futex.h>
#include <linux/net_tstamp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "packet.hpp"
#include "probe.hpp"
#include "receive_buffers.hpp"
#include "schedule.hpp"

namespace zzp::icmp {
namespace {

// At most this many requests per sendmmsg; buffers are allocated once for it.
constexpr size_t kMaxBatch = 64;
// The kernel may merge our wake-ups with others' within this slack (default 50 us): keep it
// well under the send-time error target.
constexpr unsigned long kTimerSlackNs = 10'000;
// Errors after which a socket is reopened, and how often at most.
constexpr int kReopenAfterErrors = 3;
constexpr int64_t kReopenIntervalNs = 1'000'000'000;
// Timeouts are settled on the wake-ups for sends; a wake-up of its own only when no send comes
// within this after the deadline (saves a wake-up per attempt; LOST reports at most this late).
constexpr int64_t kExpirySlackNs = 50'000'000;
// The sender reads replies itself while its next wake-up is at most this far away.
constexpr int64_t kSenderReadsWithinNs = 20'000'000;
// While the sender reads, it reads at most this often (and always before settling timeouts):
// at high rates one recvmmsg then takes the replies of several sends. Replies carry kernel
// receive timestamps, so reading later changes no RTT; it only delays their emission a little.
constexpr int64_t kReadRepliesEveryNs = 5'000'000;
// A socket of a family nothing was sent to lately is read only this often (stray datagrams,
// late replies): an IPv4-only probe does not pay a recvmmsg per wake-up on its IPv6 socket.
constexpr int64_t kIdleFamilyReadNs = 1'000'000'000;
// Slots due within this much after now go out in the same wake-up (slightly early) rather than
// costing a wake-up each: bounds wake-ups to 20 000/s at high aggregate rates.
constexpr int64_t kBatchAheadNs = 50'000;
// A stall is logged at most this often (with the sends skipped since the last message).
constexpr int64_t kStallLogIntervalNs = 10'000'000'000;

bool error_suggests_broken_socket(int e) {
    return e == EBADF || e == ENOTSOCK || e == ENODEV || e == ENXIO || e == EADDRNOTAVAIL || e == EPIPE ||
           e == ENOTCONN;
}

std::chrono::steady_clock::time_point to_steady(int64_t mono_ns) {
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(mono_ns));
}

// Sleeps until mono_ns (absolute CLOCK_MONOTONIC) or until *word becomes non-zero. One futex
// syscall: FUTEX_WAIT_BITSET takes an absolute monotonic deadline. Returns false when woken
// for stop.
bool sleep_until_or_stop(std::atomic<uint32_t>* word, int64_t mono_ns) {
    timespec deadline{static_cast<time_t>(mono_ns / 1'000'000'000), static_cast<long>(mono_ns % 1'000'000'000)};
    while (word->load() == 0) {
        long r = syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_BITSET_PRIVATE, 0, &deadline, nullptr,
                         FUTEX_BITSET_MATCH_ANY);
        if (r != 0 && errno == ETIMEDOUT) return word->load() == 0;
    }
    return false;
}

zzp_sample sent_announcement(const SendRecord& r) {
    zzp_sample s{};
    s.seq = r.seq;
    s.sent_wall_ns = r.send_wall_ns;
    s.rtt_ns = -1;
    s.target_id = r.target_id;
    s.status = ZZP_SAMPLE_SENT;
    return s;
}

// Preallocated per-thread buffers: no allocation per packet.
struct SendBuffers {
    explicit SendBuffers(size_t packet_size) : packets(kMaxBatch * packet_size), packet_size(packet_size) {}
    std::vector<uint8_t> packets;
    size_t packet_size;
    mmsghdr messages[2][kMaxBatch]{};
    iovec iov[2][kMaxBatch]{};
    sockaddr_storage names[2][kMaxBatch]{};
    uint32_t message_target[2][kMaxBatch]{};
    uint64_t message_seq[2][kMaxBatch]{};
    size_t count[2] = {0, 0};
    struct Failure {
        uint32_t target;
        uint64_t seq;
        int error_number;
    };
    std::vector<Failure> failures;
    std::vector<zzp_sample> samples;
};

}  // namespace

void IcmpProbe::reopen_socket(int f) {
    std::string error;
    IcmpSocket fresh = open_icmp_socket(f == 0 ? AF_INET : AF_INET6, config_.socket_mode, config_, &error);
    if (fresh.fd < 0) {
        host().log(ZZP_LOG_WARN, "reopening the %s socket failed, will retry: %s", f ? "IPv6" : "IPv4", error.c_str());
        return;
    }
    // dup2 swaps the file behind the same descriptor number atomically, so the receiver never sees a
    // closed or reused descriptor; the old file leaves the epoll set when its last reference goes.
    if (dup2(fresh.fd, sockets_[f].fd) < 0) {
        close(fresh.fd);
        return;
    }
    close(fresh.fd);
    socket_raw_[f] = fresh.raw;
    {
        std::lock_guard lock(mutex_);
        reset_tx_stamps(f, fresh.tx_stamps);  // a new socket counts its keys from 0
    }
    if (receiver_reads_) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = static_cast<uint32_t>(f);
        epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, sockets_[f].fd, &ev);
    }
    host().log(ZZP_LOG_INFO, "reopened the %s ICMP socket after repeated send errors", f ? "IPv6" : "IPv4");
}

void IcmpProbe::set_receiver_reads(bool receiver_reads) {
    if (receiver_reads == receiver_reads_) return;
    receiver_reads_ = receiver_reads;
    // Out of the epoll set while the sender reads: EPOLLERR cannot be masked, and every
    // transmit timestamp (and ICMP error) would wake the receiver. The sender reads the error
    // queues itself then.
    for (uint32_t f = 0; f < 2; ++f) {
        if (sockets_[f].fd < 0) continue;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = f;
        epoll_ctl(epoll_fd_, receiver_reads ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, sockets_[f].fd, &ev);
    }
}

void IcmpProbe::note_send_errno(int f, int error_number) {
    if (!error_suggests_broken_socket(error_number)) return;
    if (++consecutive_socket_errors_[f] < kReopenAfterErrors) return;
    int64_t now = mono_now_ns();
    if (now - last_reopen_mono_ns_[f] < kReopenIntervalNs) return;
    last_reopen_mono_ns_[f] = now;
    consecutive_socket_errors_[f] = 0;
    reopen_socket(f);
}

void IcmpProbe::sender_main() {
    prctl(PR_SET_TIMERSLACK, kTimerSlackNs);
    if (config_.sender_priority > 0) {
        sched_param param{};
        param.sched_priority = config_.sender_priority;
        int e = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
        if (e != 0)
            host().log(ZZP_LOG_WARN,
                       "cannot give the sender real-time priority %d (%s); it runs with normal scheduling. Grant "
                       "CAP_SYS_NICE (systemd: AmbientCapabilities=CAP_SYS_NICE) or raise RLIMIT_RTPRIO "
                       "(LimitRTPRIO=%d), or set sender_priority = 0",
                       config_.sender_priority, std::strerror(e), config_.sender_priority);
    }
    const uint32_t n = static_cast<uint32_t>(targets_.size());
    const int64_t period_ns = std::llround(1e9 / config_.rate_per_target);
    Schedule schedule(n, period_ns, mono_now_ns());
    SendBuffers buf(kIcmpHeaderSize + config_.payload_size);
    buf.samples.reserve(2 * kMaxBatch);
    buf.failures.reserve(kMaxBatch);
    std::vector<zzp_sample> settled;
    settled.reserve(256);

    ReceiveBuffers receive(std::max<size_t>(2048, kIcmpHeaderSize + config_.payload_size + 128));
    std::vector<zzp_sample> replies;
    replies.reserve(4 * kRecvBatch);
    // The control message that asks the kernel for a transmit timestamp of one request.
    alignas(cmsghdr) uint8_t stamp_request[CMSG_SPACE(sizeof(uint32_t))] = {};
    {
        auto* c = reinterpret_cast<cmsghdr*>(stamp_request);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SO_TIMESTAMPING;
        c->cmsg_len = CMSG_LEN(sizeof(uint32_t));
        const uint32_t flags = SOF_TIMESTAMPING_TX_SOFTWARE;
        std::memcpy(CMSG_DATA(c), &flags, sizeof flags);
    }
    bool stamp_family[2] = {false, false};

    int64_t last_send_mono[2] = {INT64_MIN / 2, INT64_MIN / 2};
    auto send_chunk = [&](uint64_t first, uint64_t end) {
        buf.samples.clear();
        buf.failures.clear();
        buf.count[0] = buf.count[1] = 0;
        const int64_t send_wall = host().wall_now_ns();
        const int64_t send_real = real_now_ns();
        const int64_t send_mono = mono_now_ns();
        {
            std::lock_guard lock(mutex_);
            for (int f = 0; f < 2; ++f) stamp_family[f] = !receiver_reads_ && tx_[f].usable;
            for (uint64_t k = first; k < end; ++k) {
                uint32_t t = schedule.slot_target(k);
                Target& target = targets_[t];
                SendRecord record{target.next_seq++, send_mono, send_real, send_wall, target.id};
                table_->record_send(t, record);
                buf.samples.push_back(sent_announcement(record));
                if (!target.resolved) {
                    buf.failures.push_back({t, record.seq, EDESTADDRREQ});
                    continue;
                }
                int f = family_index(target.address.family());
                if (sockets_[f].fd < 0) {
                    buf.failures.push_back({t, record.seq, EAFNOSUPPORT});
                    continue;
                }
                size_t m = buf.count[f]++;
                uint8_t* packet = &buf.packets[(k - first) * buf.packet_size];
                Stamp stamp{nonce_, record.seq, send_mono, t};
                size_t length = build_echo_request(f == 1, raw_ident_, stamp, config_.payload_size, packet);
                buf.names[f][m] = target.address.address;
                buf.iov[f][m] = {packet, length};
                msghdr& h = buf.messages[f][m].msg_hdr;
                h = msghdr{};
                h.msg_name = &buf.names[f][m];
                h.msg_namelen = target.address.length;
                h.msg_iov = &buf.iov[f][m];
                h.msg_iovlen = 1;
                if (stamp_family[f]) {
                    h.msg_control = stamp_request;
                    h.msg_controllen = sizeof stamp_request;
                }
                buf.message_target[f][m] = t;
                buf.message_seq[f][m] = record.seq;
            }
        }
        // Announce before sending: the reply may be processed before sendmmsg returns.
        host().emit(buf.samples.data(), static_cast<uint32_t>(buf.samples.size()));
        // Read the clocks as late as possible (the announcement may block on the host) and
        // stamp them into the requests and the records: the RTT starts at the send.
        int64_t real = 0;  // also the earliest a transmit timestamp of these sends can be
        if (buf.count[0] + buf.count[1] > 0) {
            real = real_now_ns();
            const int64_t mono = mono_now_ns();
            std::lock_guard lock(mutex_);
            for (int f = 0; f < 2; ++f)
                for (size_t m = 0; m < buf.count[f]; ++m) {
                    restamp_send_time(f == 1, mono, nonce_, static_cast<uint8_t*>(buf.iov[f][m].iov_base),
                                      buf.iov[f][m].iov_len);
                    table_->set_send_time(buf.message_target[f][m], buf.message_seq[f][m], mono, real);
                }
        }
        for (int f = 0; f < 2; ++f) {
            if (buf.count[f] > 0) last_send_mono[f] = send_mono;
            size_t done = 0;
            while (done < buf.count[f]) {
                int r = sendmmsg(sockets_[f].fd, &buf.messages[f][done], static_cast<unsigned>(buf.count[f] - done), 0);
                if (r > 0) {
                    if (stamp_family[f]) {  // each sent request took the socket's next key
                        const int64_t after_send_real = real_now_ns();
                        std::lock_guard lock(mutex_);
                        TxStamps& tx = tx_[f];
                        for (size_t m = done; m < done + static_cast<size_t>(r) && !tx.pending.empty(); ++m) {
                            const uint32_t key = tx.next_key++;
                            tx.pending[key % tx.pending.size()] = {key, buf.message_target[f][m], buf.message_seq[f][m],
                                                                   real, after_send_real};
                        }
                    }
                    done += static_cast<size_t>(r);
                    consecutive_socket_errors_[f] = 0;
                    continue;
                }
                int e = errno;
                if (r < 0 && e == EINTR) continue;
                // The message at `done` failed: record it and carry on with the rest.
                buf.failures.push_back({buf.message_target[f][done], buf.message_seq[f][done], r < 0 ? e : EIO});
                note_send_errno(f, e);
                if (stamp_family[f]) {
                    // It may or may not have taken a key: take what stamps are queued, then count
                    // from 0 again (a late stamp with an old key falls outside the new windows).
                    replies.clear();
                    drain_error_queue(f, receive, replies);
                    host().emit(replies.data(), static_cast<uint32_t>(replies.size()));
                    const bool usable = reset_tx_stamp_keys(sockets_[f].fd);
                    std::lock_guard lock(mutex_);
                    reset_tx_stamps(f, usable);
                }
                ++done;
            }
        }
        if (!buf.failures.empty()) {
            send_errors_ += buf.failures.size();
            buf.samples.clear();
            {
                std::lock_guard lock(mutex_);
                for (const auto& failure : buf.failures)
                    table_->on_send_error(failure.target, failure.seq, failure.error_number, buf.samples);
            }
            host().emit(buf.samples.data(), static_cast<uint32_t>(buf.samples.size()));
        }
    };

    auto settle_timeouts = [&](int64_t now) {
        settled.clear();
        {
            std::lock_guard lock(mutex_);
            table_->expire(now, settled);
        }
        host().emit(settled.data(), static_cast<uint32_t>(settled.size()));
    };

    int64_t last_read_mono = INT64_MIN / 2;
    int64_t last_family_read_mono[2] = {INT64_MIN / 2, INT64_MIN / 2};
    const int64_t recent_send_ns = config_.timeout_ns + kIdleFamilyReadNs;  // late replies still come
    // `all`: every socket, now (before a timeout is settled, before handing reading over).
    auto read_replies = [&](bool all) {
        if (receiver_reads_) return;
        const int64_t now = mono_now_ns();
        if (!all && now - last_read_mono < kReadRepliesEveryNs) return;
        last_read_mono = now;
        replies.clear();
        for (int f = 0; f < 2; ++f) {
            if (sockets_[f].fd < 0) continue;
            if (!all && now - last_send_mono[f] > recent_send_ns && now - last_family_read_mono[f] < kIdleFamilyReadNs)
                continue;
            last_family_read_mono[f] = now;
            // Stamps and ICMP errors first: a reply's transmit timestamp is queued before it.
            drain_error_queue(f, receive, replies);
            drain_socket(f, receive, replies);
        }
        if (!replies.empty()) host().emit(replies.data(), static_cast<uint32_t>(replies.size()));
    };
    int64_t last_stall_log = INT64_MIN / 2;
    for (;;) {
        int64_t next_expiry;
        {
            std::lock_guard lock(mutex_);
            next_expiry = table_->next_expiry_mono_ns();
        }
        int64_t wake = std::min(schedule.next_time(),
                                next_expiry > INT64_MAX - kExpirySlackNs ? INT64_MAX : next_expiry + kExpirySlackNs);
        // Hand reading to the receiver before a long sleep; take it back when sends are frequent.
        if (wake - mono_now_ns() > kSenderReadsWithinNs) {
            read_replies(true);
            set_receiver_reads(true);
        } else {
            set_receiver_reads(false);
        }
        if (!sleep_until_or_stop(&stop_word_, wake)) break;
        int64_t now = mono_now_ns();
        read_replies(now >= next_expiry);  // before expiring: a reply stamped in time must not be called lost
        uint64_t first = 0, end = 0;
        schedule.take_due(now + kBatchAheadNs, &first, &end);
        if (schedule.skipped() != stall_skips_ && now - last_stall_log >= kStallLogIntervalNs) {
            host().log(ZZP_LOG_WARN, "the sender was held up; skipped %llu sends instead of sending a burst",
                       static_cast<unsigned long long>(schedule.skipped() - stall_skips_));
            stall_skips_ = schedule.skipped();
            last_stall_log = now;
        }
        for (uint64_t k = first; k < end; k += kMaxBatch) send_chunk(k, std::min(end, k + kMaxBatch));
        if (now >= next_expiry) settle_timeouts(now);
    }

    stall_skips_ = schedule.skipped();
    // Stopping: no more sends; let in-flight attempts reply or time out, within the host's deadline.
    // The receiver reads from now on (woken by replies, not by our schedule).
    read_replies(true);
    set_receiver_reads(true);
    int64_t drain_until;
    {
        std::lock_guard lock(wake_mutex_);
        drain_until = drain_until_mono_ns_;
    }
    for (;;) {
        int64_t next_expiry;
        {
            std::lock_guard lock(mutex_);
            if (!table_->has_pending()) break;
            next_expiry = table_->next_expiry_mono_ns();
        }
        if (next_expiry > drain_until) break;
        std::this_thread::sleep_until(to_steady(next_expiry));
        read_replies(true);
        settle_timeouts(mono_now_ns());
    }
    settled.clear();
    {
        std::lock_guard lock(mutex_);
        table_->expire_all(settled);
    }
    host().emit(settled.data(), static_cast<uint32_t>(settled.size()));
}

}  // namespace zzp::icmp

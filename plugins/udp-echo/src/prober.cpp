#include "prober.hpp"

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "wire.hpp"

namespace zzp::udp_echo {
namespace {

constexpr unsigned kSendBatch = 64;
constexpr unsigned kRecvBatch = 64;
constexpr uint64_t kStopToken = ~0ull;
constexpr uint64_t kTimerToken = ~0ull - 1;

enum AttemptState : uint8_t { kEmpty, kPending, kReplied, kLost, kFailed, kLateReplied };

size_t ring_size_for(double rate, int64_t timeout_ns) {
    // Room for twice the attempts that can be in flight, so a reply up to one more timeout
    // late still finds its attempt (LATE rather than unknown).
    double in_flight = rate * static_cast<double>(timeout_ns) / 1e9;
    size_t want = static_cast<size_t>(2 * in_flight) + 2 * kSendBatch;
    size_t size = 64;
    while (size < want) size <<= 1;
    return size;
}

bool is_async_icmp_errno(int err) {
    // With IP_RECVERR an ICMP error that arrived for an earlier datagram is also reported once
    // by the next send on the socket; that datagram was not sent and deserves one retry.
    return err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH || err == EHOSTDOWN || err == EPROTO ||
           err == ENONET || err == EMSGSIZE;
}

zzp_sample make_sample(uint64_t seq, int64_t wall, uint32_t target, uint16_t status) {
    zzp_sample s{};
    s.seq = seq;
    s.sent_wall_ns = wall;
    s.rtt_ns = -1;
    s.target_id = target;
    s.status = status;
    return s;
}

}  // namespace

struct Prober::Attempt {
    uint64_t seq = 0;
    int64_t sample_wall_ns = 0;  // host wall clock, what the samples report
    int64_t send_real_ns = 0;    // CLOCK_REALTIME at send, also in the datagram (kernel ts math)
    int64_t send_mono_ns = 0;    // CLOCK_MONOTONIC at send (fallback RTT, deadlines)
    uint8_t state = kEmpty;
};

struct Prober::Target {
    ProbeTargetSpec spec;
    int family_index = 0;
    int64_t period_ns = 0;
    int64_t late_limit_ns = 0;
    // Sender only.
    int64_t next_due_mono = 0;
    uint64_t next_seq = 1;
    // Under table_mutex_.
    uint64_t published_seq = 1;  // every seq below it is in the ring
    uint64_t oldest_unsettled = 1;
    uint64_t highest_replied = 0;
    std::vector<Attempt> ring;
    uint64_t mask = 0;
};

struct Prober::SendScratch {
    struct Family {
        mmsghdr msgs[kSendBatch]{};
        iovec iov[kSendBatch]{};
        uint32_t target[kSendBatch]{};
        uint64_t seq[kSendBatch]{};
        std::vector<uint8_t> buffers;
        unsigned count = 0;
    } family[2];
    std::vector<zzp_sample> samples;
};

struct Prober::RecvScratch {
    mmsghdr msgs[kRecvBatch]{};
    iovec iov[kRecvBatch]{};
    sockaddr_storage peers[kRecvBatch]{};
    alignas(cmsghdr) char control[kRecvBatch][kControlSize]{};
    std::vector<uint8_t> buffers;
    size_t slot_size = 0;
    std::vector<zzp_sample> samples;
};

struct Prober::AtomicCounters {
    std::atomic<uint64_t> sent{0}, replies{0}, lost{0}, send_errors{0}, net_errors{0}, late{0}, duplicates{0},
        reordered{0}, remote_corrected{0}, kernel_ts{0}, foreign{0}, stale{0}, skipped_slots{0};
};

std::string ProberCounters::to_string() const {
    return "sent " + std::to_string(sent) + ", replies " + std::to_string(replies) + ", lost " + std::to_string(lost) +
           ", send errors " + std::to_string(send_errors) + ", network errors " + std::to_string(net_errors) +
           ", late " + std::to_string(late) + ", duplicates " + std::to_string(duplicates) + ", reordered " +
           std::to_string(reordered) + ", remote-corrected " + std::to_string(remote_corrected) +
           ", kernel timestamps " + std::to_string(kernel_ts) + ", foreign " + std::to_string(foreign) + ", stale " +
           std::to_string(stale) + ", skipped slots " + std::to_string(skipped_slots);
}

Prober::Prober(ProberConfig config, ProbeOutput* output)
    : config_(std::move(config)),
      output_(output),
      send_(std::make_unique<SendScratch>()),
      recv_(std::make_unique<RecvScratch>()),
      counters_(std::make_unique<AtomicCounters>()) {
    const size_t ring = ring_size_for(config_.rate, config_.timeout_ns);
    const int64_t period = static_cast<int64_t>(1e9 / config_.rate);
    for (const ProbeTargetSpec& spec : config_.targets) {
        Target t;
        t.spec = spec;
        t.family_index = spec.endpoint.family() == AF_INET6 ? 1 : 0;
        t.period_ns = std::max<int64_t>(period, 1);
        // Slots missed by more than this (a suspend, a long stall) are skipped, not sent in a
        // catch-up burst; shorter scheduling hiccups are made up so the rate stays exact.
        t.late_limit_ns = std::max<int64_t>(2 * t.period_ns, 10000000);
        t.ring.resize(ring);
        t.mask = ring - 1;
        targets_.push_back(std::move(t));
    }
    for (auto& f : send_->family) f.buffers.assign(kSendBatch * config_.payload_size, 0);
    send_->samples.reserve(2 * kSendBatch);
    // Room for a reply a little larger than we sent, so a misbehaving echo is seen (truncated).
    recv_->slot_size = config_.payload_size + 64;
    recv_->buffers.assign(kRecvBatch * recv_->slot_size, 0);
    recv_->samples.reserve(4096);
    // Above ~2000 requests/s in all, wake at most every millisecond and send what is due by
    // then in one sendmmsg: far fewer wakeups, and RTTs are unaffected because each datagram
    // carries the time it really left.
    const double aggregate_rate = config_.rate * static_cast<double>(targets_.size());
    send_ahead_ns_ = aggregate_rate > 2000 ? 1000000 : 0;
}

Prober::~Prober() {
    stop(0);
}

void Prober::set_next_seqs(const std::map<std::string, uint64_t>& next) {
    for (Target& t : targets_) {
        auto it = next.find(seq_key(t.spec));
        if (it != next.end() && it->second > 0) {
            t.next_seq = it->second;
            t.published_seq = t.oldest_unsettled = it->second;
        }
    }
}

std::map<std::string, uint64_t> Prober::next_seqs() const {
    std::map<std::string, uint64_t> out;
    for (const Target& t : targets_) out[seq_key(t.spec)] = t.next_seq;
    return out;
}

ProberCounters Prober::counters() const {
    ProberCounters c;
    auto r = std::memory_order_relaxed;
    const AtomicCounters& a = *counters_;
    c.sent = a.sent.load(r);
    c.replies = a.replies.load(r);
    c.lost = a.lost.load(r);
    c.send_errors = a.send_errors.load(r);
    c.net_errors = a.net_errors.load(r);
    c.late = a.late.load(r);
    c.duplicates = a.duplicates.load(r);
    c.reordered = a.reordered.load(r);
    c.remote_corrected = a.remote_corrected.load(r);
    c.kernel_ts = a.kernel_ts.load(r);
    c.foreign = a.foreign.load(r);
    c.stale = a.stale.load(r);
    c.skipped_slots = a.skipped_slots.load(r);
    return c;
}

int64_t Prober::settle_slack_ns() const {
    // Timeouts are settled in batches: a little after the deadline, at most ~100 wakeups/s.
    return std::clamp<int64_t>(config_.timeout_ns / 50, 1000000, 10000000);
}

bool Prober::start(std::string* error) {
    if (started_) return true;
    if (getrandom(&nonce_, sizeof nonce_, 0) != sizeof nonce_)
        nonce_ = static_cast<uint64_t>(real_ns()) ^ 0x9e3779b97f4a7c15ull;
    SocketOptions options;
    options.dscp = config_.dscp;
    options.receive_errors = true;
    options.kernel_timestamps = true;
    for (Target& t : targets_) {
        Fd& fd = sockets_[t.family_index];
        if (!fd) {
            fd = open_udp_socket(t.family_index ? AF_INET6 : AF_INET, nullptr, options, error);
            if (!fd) return false;
        }
    }
    epoll_ = Fd(epoll_create1(EPOLL_CLOEXEC));
    stop_event_ = make_eventfd();
    settle_timer_ = Fd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!epoll_ || !stop_event_ || !settle_timer_) {
        *error = "cannot create epoll/eventfd/timerfd: " + errno_text(errno);
        return false;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    for (size_t i = 0; i < 2; ++i) {
        if (!sockets_[i]) continue;
        ev.data.u64 = i;
        epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, sockets_[i].get(), &ev);
    }
    ev.data.u64 = kStopToken;
    epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, stop_event_.get(), &ev);
    ev.data.u64 = kTimerToken;
    epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, settle_timer_.get(), &ev);

    // Phase-spread the targets over one period so their sends interleave evenly.
    const int64_t first = mono_ns() + 1000000;
    for (size_t i = 0; i < targets_.size(); ++i) {
        Target& t = targets_[i];
        t.next_due_mono = first + t.period_ns * static_cast<int64_t>(i) / static_cast<int64_t>(targets_.size());
    }
    stop_sending_ = false;
    started_ = true;
    receiver_ = std::thread([this] { receiver_loop(); });
    sender_ = std::thread([this] { sender_loop(); });
    return true;
}

void Prober::stop(int64_t settle_budget_ns) {
    if (!started_) return;
    {
        std::lock_guard lock(schedule_mutex_);
        stop_sending_ = true;
    }
    schedule_cv_.notify_all();
    if (sender_.joinable()) sender_.join();
    if (settle_budget_ns > 0) {
        std::unique_lock lock(table_mutex_);
        all_settled_cv_.wait_for(lock, std::chrono::nanoseconds(settle_budget_ns), [this] { return pending_ == 0; });
    }
    signal_eventfd(stop_event_.get());
    if (receiver_.joinable()) receiver_.join();
    {
        std::lock_guard lock(table_mutex_);
        settle_expired_locked(mono_ns(), /*force=*/true);
    }
    emit_pending_samples();
    started_ = false;
}

// ---- sender -----------------------------------------------------------------------------------

void Prober::sender_loop() {
    std::unique_lock lock(schedule_mutex_);
    while (!stop_sending_) {
        int64_t due = INT64_MAX;
        for (const Target& t : targets_) due = std::min(due, t.next_due_mono);
        int64_t now = mono_ns();
        if (due > now) {
            // Absolute-time wait on CLOCK_MONOTONIC (steady_clock); stop() wakes it early.
            auto when = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(due));
            schedule_cv_.wait_until(lock, when, [this] { return stop_sending_; });
            if (stop_sending_) break;
            now = mono_ns();
            if (now < due) continue;
        }
        lock.unlock();
        send_due(now);
        lock.lock();
    }
}

void Prober::send_due(int64_t now_mono) {
    SendScratch& s = *send_;
    s.family[0].count = s.family[1].count = 0;
    s.samples.clear();
    const int64_t wall = output_->wall_now_ns();
    // Gather at most one batch per family; anything still due is picked up on the next turn.
    bool more = true;
    while (more) {
        more = false;
        for (uint32_t i = 0; i < targets_.size(); ++i) {
            Target& t = targets_[i];
            auto& f = s.family[t.family_index];
            if (t.next_due_mono > now_mono + send_ahead_ns_ || f.count == kSendBatch) continue;
            int64_t late = now_mono - t.next_due_mono;
            if (late > t.late_limit_ns) {
                int64_t missed = late / t.period_ns;
                t.next_due_mono += missed * t.period_ns;
                counters_->skipped_slots.fetch_add(static_cast<uint64_t>(missed), std::memory_order_relaxed);
            }
            f.target[f.count] = i;
            f.seq[f.count] = t.next_seq++;
            ++f.count;
            t.next_due_mono += t.period_ns;
            more = true;
            s.samples.push_back(make_sample(f.seq[f.count - 1], wall, t.spec.id, ZZP_SAMPLE_SENT));
        }
    }
    if (s.samples.empty()) return;
    // Announce first: no reply or timeout for these can be reported before their SENT record.
    output_->emit(s.samples.data(), static_cast<uint32_t>(s.samples.size()));
    s.samples.clear();

    const int64_t send_real = real_ns();
    const int64_t send_mono = mono_ns();
    Header h;
    h.nonce = nonce_;
    h.flags = config_.stamp ? kFlagStampRequest : 0;
    h.send_real_ns = send_real;
    {
        std::lock_guard lock(table_mutex_);
        for (auto& f : s.family) {
            for (unsigned k = 0; k < f.count; ++k) {
                Target& t = targets_[f.target[k]];
                Attempt& a = t.ring[f.seq[k] & t.mask];
                if (a.state == kPending) {
                    // Only if the ring were too small: settle the overwritten attempt honestly.
                    s.samples.push_back(make_sample(a.seq, a.sample_wall_ns, t.spec.id, ZZP_SAMPLE_LOST));
                    counters_->lost.fetch_add(1, std::memory_order_relaxed);
                    --pending_;
                }
                a = Attempt{f.seq[k], wall, send_real, send_mono, kPending};
                t.published_seq = f.seq[k] + 1;
                ++pending_;
                h.target_slot = f.target[k];
                h.seq = f.seq[k];
                uint8_t* buf = f.buffers.data() + k * config_.payload_size;
                encode(h, buf);
                f.iov[k] = {buf, config_.payload_size};
                msghdr& m = f.msgs[k].msg_hdr;
                m = {};
                m.msg_name = const_cast<sockaddr_storage*>(&t.spec.endpoint.addr);
                m.msg_namelen = t.spec.endpoint.len;
                m.msg_iov = &f.iov[k];
                m.msg_iovlen = 1;
            }
        }
        if (!settle_timer_armed_) {
            int64_t when = send_mono + config_.timeout_ns + settle_slack_ns();
            itimerspec spec{};
            spec.it_value = {static_cast<time_t>(when / 1000000000), static_cast<long>(when % 1000000000)};
            timerfd_settime(settle_timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
            settle_timer_armed_ = true;
        }
    }
    for (int fi = 0; fi < 2; ++fi) flush_family(fi);
    if (!s.samples.empty()) output_->emit(s.samples.data(), static_cast<uint32_t>(s.samples.size()));
}

void Prober::flush_family(int family_index) {
    SendScratch& s = *send_;
    auto& f = s.family[family_index];
    if (f.count == 0) return;
    int fd = sockets_[family_index].get();
    unsigned i = 0;
    bool retried = false;
    uint64_t sent = 0;
    while (i < f.count) {
        int r = sendmmsg(fd, f.msgs + i, f.count - i, MSG_DONTWAIT);
        if (r > 0) {
            i += static_cast<unsigned>(r);
            sent += static_cast<uint64_t>(r);
            retried = false;
            continue;
        }
        int err = errno;
        if (err == EINTR) continue;
        if (!retried && is_async_icmp_errno(err)) {
            retried = true;
            continue;
        }
        // This datagram did not leave: the attempt settles as SEND_ERROR with the errno.
        retried = false;
        Target& t = targets_[f.target[i]];
        {
            std::lock_guard lock(table_mutex_);
            Attempt& a = t.ring[f.seq[i] & t.mask];
            if (a.seq == f.seq[i] && a.state == kPending) {
                a.state = kFailed;
                --pending_;
                zzp_sample smp = make_sample(a.seq, a.sample_wall_ns, t.spec.id, ZZP_SAMPLE_SEND_ERROR);
                smp.detail = static_cast<uint32_t>(err);
                s.samples.push_back(smp);
                counters_->send_errors.fetch_add(1, std::memory_order_relaxed);
                if (pending_ == 0) all_settled_cv_.notify_all();
            }
        }
        ++i;
    }
    counters_->sent.fetch_add(sent, std::memory_order_relaxed);
    f.count = 0;
}

// ---- receiver ---------------------------------------------------------------------------------

void Prober::receiver_loop() {
    epoll_event events[8];
    for (;;) {
        int n = epoll_wait(epoll_.get(), events, 8, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            output_->log(ZZP_LOG_ERROR, "udp-echo receiver: epoll_wait failed: " + errno_text(errno));
            return;
        }
        for (int i = 0; i < n; ++i) {
            uint64_t token = events[i].data.u64;
            if (token == kStopToken) return;
            if (token == kTimerToken) {
                uint64_t expirations;
                ssize_t r = ::read(settle_timer_.get(), &expirations, sizeof expirations);
                (void)r;
                {
                    std::lock_guard lock(table_mutex_);
                    settle_timer_armed_ = false;
                    settle_expired_locked(mono_ns(), false);
                    rearm_settle_timer_locked();
                }
                emit_pending_samples();
                continue;
            }
            if (events[i].events & EPOLLERR) receive_errors(static_cast<size_t>(token));
            if (events[i].events & EPOLLIN) {
                // At high rates read at most every send_ahead_ns_: replies queue up and come in
                // one recvmmsg. RTTs use the kernel's receive timestamps, so waiting costs no
                // accuracy, only a little latency in reporting.
                if (send_ahead_ns_ > 0) {
                    int64_t read_at = last_drain_mono_ + send_ahead_ns_;
                    if (mono_ns() < read_at) {
                        timespec ts{static_cast<time_t>(read_at / 1000000000), static_cast<long>(read_at % 1000000000)};
                        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
                    }
                }
                receive_from(static_cast<size_t>(token));
                last_drain_mono_ = mono_ns();
            }
        }
    }
}

void Prober::emit_pending_samples() {
    RecvScratch& r = *recv_;
    if (!r.samples.empty()) output_->emit(r.samples.data(), static_cast<uint32_t>(r.samples.size()));
    r.samples.clear();
}

void Prober::receive_from(size_t socket_index) {
    RecvScratch& r = *recv_;
    int fd = sockets_[socket_index].get();
    int spurious_errors = 0;
    for (;;) {
        for (unsigned i = 0; i < kRecvBatch; ++i) {
            r.iov[i] = {r.buffers.data() + i * r.slot_size, r.slot_size};
            msghdr& h = r.msgs[i].msg_hdr;
            h = {};
            h.msg_name = &r.peers[i];
            h.msg_namelen = sizeof r.peers[i];
            h.msg_iov = &r.iov[i];
            h.msg_iovlen = 1;
            h.msg_control = r.control[i];
            h.msg_controllen = kControlSize;
        }
        int got = recvmmsg(fd, r.msgs, kRecvBatch, MSG_DONTWAIT, nullptr);
        if (got < 0) {
            // EAGAIN: drained. A pending ICMP error may be reported here once (IP_RECVERR);
            // the error queue carries the details, so just read on.
            if (errno == EAGAIN || errno == EWOULDBLOCK || ++spurious_errors > 4) break;
            continue;
        }
        const int64_t now_mono = mono_ns();
        const int64_t now_real = real_ns();
        {
            std::lock_guard lock(table_mutex_);
            for (int i = 0; i < got; ++i) {
                const msghdr& h = r.msgs[i].msg_hdr;
                handle_reply(r.buffers.data() + static_cast<size_t>(i) * r.slot_size, r.msgs[i].msg_len,
                             (h.msg_flags & MSG_TRUNC) != 0, reinterpret_cast<const sockaddr*>(&r.peers[i]),
                             kernel_rx_timestamp(h), now_mono, now_real);
            }
            if (pending_ == 0) all_settled_cv_.notify_all();
        }
        emit_pending_samples();
        if (static_cast<unsigned>(got) < kRecvBatch) break;
    }
}

void Prober::handle_reply(const uint8_t* data, size_t size, bool truncated, const sockaddr* from,
                          int64_t kernel_rx_real, int64_t now_mono, int64_t now_real) {
    (void)now_real;
    AtomicCounters& c = *counters_;
    Header h;
    if (truncated || decode(data, size, &h) != DecodeError::kNone || h.nonce != nonce_ ||
        h.target_slot >= targets_.size()) {
        c.foreign.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    Target& t = targets_[h.target_slot];
    if (!same_endpoint(from, reinterpret_cast<const sockaddr*>(&t.spec.endpoint.addr)) || h.seq >= t.published_seq) {
        c.foreign.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    Attempt& a = t.ring[h.seq & t.mask];
    if (a.seq != h.seq || a.send_real_ns != h.send_real_ns) {
        // Ours, but so old its slot was reused (or its send time was altered on the way).
        c.stale.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    const int64_t user_rtt = now_mono - a.send_mono_ns;
    int64_t rtt = user_rtt;
    uint16_t flags = 0;
    if (kernel_rx_real >= 0) {
        // Kernel receive time is CLOCK_REALTIME; trust it unless the wall clock stepped.
        int64_t kernel_rtt = kernel_rx_real - a.send_real_ns;
        if (kernel_rtt > 0 && kernel_rtt <= user_rtt + 200000) {
            rtt = kernel_rtt;
            flags |= ZZP_SAMPLE_F_KERNEL_TS;
        }
    }
    if ((h.flags & kFlagReply) && (h.flags & kFlagStamped)) {
        int64_t remote = h.remote_tx_ns - h.remote_rx_ns;
        if (remote >= 0 && remote < rtt) {
            rtt -= remote;
            flags |= ZZP_SAMPLE_F_REMOTE_CORRECTED;
        }
    }
    uint16_t status;
    switch (a.state) {
        case kPending:
            status = ZZP_SAMPLE_REPLY;
            if (h.seq < t.highest_replied) {
                flags |= ZZP_SAMPLE_F_REORDERED;
                c.reordered.fetch_add(1, std::memory_order_relaxed);
            } else {
                t.highest_replied = h.seq;
            }
            a.state = kReplied;
            --pending_;
            c.replies.fetch_add(1, std::memory_order_relaxed);
            break;
        case kReplied:
        case kLateReplied:
            status = ZZP_SAMPLE_DUPLICATE;
            c.duplicates.fetch_add(1, std::memory_order_relaxed);
            break;
        case kLost:
            status = ZZP_SAMPLE_LATE;
            a.state = kLateReplied;
            c.late.fetch_add(1, std::memory_order_relaxed);
            break;
        default:  // a reply to an attempt that failed to send or drew an ICMP error: not believable
            c.stale.fetch_add(1, std::memory_order_relaxed);
            return;
    }
    if (flags & ZZP_SAMPLE_F_KERNEL_TS) c.kernel_ts.fetch_add(1, std::memory_order_relaxed);
    if (flags & ZZP_SAMPLE_F_REMOTE_CORRECTED) c.remote_corrected.fetch_add(1, std::memory_order_relaxed);
    zzp_sample s = make_sample(a.seq, a.sample_wall_ns, t.spec.id, status);
    s.rtt_ns = rtt;
    s.flags = flags;
    recv_->samples.push_back(s);
}

void Prober::receive_errors(size_t socket_index) {
    RecvScratch& r = *recv_;
    int fd = sockets_[socket_index].get();
    for (int rounds = 0; rounds < 256; ++rounds) {
        r.iov[0] = {r.buffers.data(), r.slot_size};
        msghdr h{};
        h.msg_name = &r.peers[0];
        h.msg_namelen = sizeof r.peers[0];
        h.msg_iov = &r.iov[0];
        h.msg_iovlen = 1;
        h.msg_control = r.control[0];
        h.msg_controllen = kControlSize;
        ssize_t n = recvmsg(fd, &h, MSG_ERRQUEUE | MSG_DONTWAIT);
        if (n < 0) break;
        const sock_extended_err* ee = nullptr;
        for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
            if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
                (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR))
                ee = reinterpret_cast<const sock_extended_err*>(CMSG_DATA(c));
        }
        Header hdr;
        if (ee == nullptr || decode(r.buffers.data(), static_cast<size_t>(n), &hdr) != DecodeError::kNone ||
            hdr.nonce != nonce_ || hdr.target_slot >= targets_.size())
            continue;
        uint16_t status;
        uint32_t detail;
        if (ee->ee_origin == SO_EE_ORIGIN_ICMP || ee->ee_origin == SO_EE_ORIGIN_ICMP6) {
            status = ZZP_SAMPLE_NET_ERROR;
            detail = (static_cast<uint32_t>(ee->ee_type) << 8) | ee->ee_code;
        } else {
            status = ZZP_SAMPLE_SEND_ERROR;  // a local error about this datagram (e.g. EMSGSIZE)
            detail = ee->ee_errno;
        }
        {
            std::lock_guard lock(table_mutex_);
            Target& t = targets_[hdr.target_slot];
            if (hdr.seq >= t.published_seq) continue;
            Attempt& a = t.ring[hdr.seq & t.mask];
            if (a.seq != hdr.seq || a.state != kPending || a.send_real_ns != hdr.send_real_ns) continue;
            a.state = kFailed;
            --pending_;
            zzp_sample s = make_sample(a.seq, a.sample_wall_ns, t.spec.id, status);
            s.detail = detail;
            r.samples.push_back(s);
            (status == ZZP_SAMPLE_NET_ERROR ? counters_->net_errors : counters_->send_errors)
                .fetch_add(1, std::memory_order_relaxed);
            if (pending_ == 0) all_settled_cv_.notify_all();
        }
    }
    emit_pending_samples();
}

void Prober::settle_expired_locked(int64_t now_mono, bool force) {
    for (Target& t : targets_) {
        uint64_t s = t.oldest_unsettled;
        if (t.published_seq - s > t.ring.size()) s = t.published_seq - t.ring.size();
        for (; s < t.published_seq; ++s) {
            Attempt& a = t.ring[s & t.mask];
            if (a.seq != s || a.state != kPending) continue;
            if (!force && a.send_mono_ns + config_.timeout_ns > now_mono) break;
            a.state = kLost;
            --pending_;
            recv_->samples.push_back(make_sample(a.seq, a.sample_wall_ns, t.spec.id, ZZP_SAMPLE_LOST));
            counters_->lost.fetch_add(1, std::memory_order_relaxed);
        }
        t.oldest_unsettled = s;
    }
    if (pending_ == 0) all_settled_cv_.notify_all();
}

void Prober::rearm_settle_timer_locked() {
    int64_t earliest = INT64_MAX;
    for (const Target& t : targets_) {
        if (t.oldest_unsettled >= t.published_seq) continue;
        const Attempt& a = t.ring[t.oldest_unsettled & t.mask];
        if (a.state == kPending) earliest = std::min(earliest, a.send_mono_ns + config_.timeout_ns);
    }
    if (earliest == INT64_MAX) {
        // Nothing pending here; if replies settled everything, the sender re-arms on its next send.
        bool any_pending = pending_ > 0;
        if (!any_pending) return;
        earliest = mono_ns() + config_.timeout_ns;  // pending further on: check again later
    }
    int64_t when = earliest + settle_slack_ns();
    itimerspec spec{};
    spec.it_value = {static_cast<time_t>(when / 1000000000), static_cast<long>(when % 1000000000)};
    timerfd_settime(settle_timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
    settle_timer_armed_ = true;
}

}  // namespace zzp::udp_echo

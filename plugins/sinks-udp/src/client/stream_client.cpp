#include "stream_client.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace zzp::stream {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kFirstSubscribeRetryNs = 250 * kMs;
constexpr int64_t kMaxSubscribeRetryNs = 4000 * kMs;
constexpr int64_t kRefusedRetryNs = 2000 * kMs;
// Report a hole this long after seeing it, so plain reordering does not trigger a repair.
constexpr int64_t kGapHoldoffNs = 5 * kMs;
// Acknowledge data at the latest this long after it arrived.
constexpr int64_t kDelayedAckNs = 50 * kMs;
// Kernel memory one queued 1200-byte datagram costs (skb truesize), to turn the receive
// buffer into a window of datagrams.
constexpr int kBytesPerQueuedDatagram = 4096;

int64_t mono_now() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t real_now() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

StreamClient::StreamClient(ClientOptions options, TargetCallback on_target, FrameCallback on_frame)
    : options_(std::move(options)), on_target_(std::move(on_target)), on_frame_(std::move(on_frame)) {
    if (!options_.wall_now_ns) options_.wall_now_ns = real_now;
}

StreamClient::~StreamClient() { stop(false); }

void StreamClient::start() {
    const std::string where = format_address(options_.server.get());
    auto fail = [&](const std::string& what) {
        int e = errno;
        stop(false);
        throw std::runtime_error(what + " (stream " + where + "): " + std::strerror(e));
    };
    socket_fd_ = ::socket(options_.server.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (socket_fd_ < 0) fail("cannot create a UDP socket");
    int rcvbuf = options_.receive_buffer_bytes;
    // As root, go past net.core.rmem_max; otherwise take what the kernel allows.
    if (setsockopt(socket_fd_, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
        setsockopt(socket_fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    int effective = 0;
    socklen_t len = sizeof effective;
    getsockopt(socket_fd_, SOL_SOCKET, SO_RCVBUF, &effective, &len);
    window_ = static_cast<uint32_t>(std::clamp(effective / kBytesPerQueuedDatagram, 4, 16384));
    ack_every_ = std::clamp<uint32_t>(window_ / 4, 2, 64);
    local_.window = window_;
    // connect(): the kernel then delivers only the sink's datagrams to this socket.
    if (::connect(socket_fd_, options_.server.get(), options_.server.length) != 0) fail("cannot reach the sink");
    UdpAddress local;
    local.length = sizeof local.storage;
    getsockname(socket_fd_, local.get(), &local.length);
    local_port_ = address_port(local.get());
    timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (timer_fd_ < 0 || stop_fd_ < 0) fail("cannot create timer/event descriptors");
    new_session(mono_now());
    thread_ = std::thread([this] { run(); });
}

void StreamClient::stop(bool unsubscribe) {
    if (thread_.joinable()) {
        uint64_t one = 1;
        (void)!::write(stop_fd_, &one, sizeof one);
        thread_.join();
        if (unsubscribe && session_ != 0) send(encode_unsubscribe(session_, ++tx_counter_, options_.key.get()));
    }
    for (int* fd : {&socket_fd_, &timer_fd_, &stop_fd_}) {
        if (*fd >= 0) ::close(*fd);
        *fd = -1;
    }
}

ClientStats StreamClient::stats() const {
    std::lock_guard lock(mutex_);
    return shared_;
}

bool StreamClient::wait_for(const std::function<bool(const ClientStats&)>& pred,
                            std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return pred(shared_); });
}

void StreamClient::publish_stats() {
    local_.cum_ack = cum_ack_;
    local_.highest_seq = highest_;
    local_.subscribed = subscribed_;
    local_.history_complete = subscribed_ && cum_ack_ >= local_.history_count;
    {
        std::lock_guard lock(mutex_);
        shared_ = local_;
    }
    changed_.notify_all();
}

void StreamClient::new_session(int64_t now) {
    session_ = random_u64();
    tx_counter_ = 0;
    rx_window_ = ReplayWindow();
    cookie_.clear();
    subscribed_ = false;
    cum_ack_ = 0;
    received_above_.clear();
    highest_ = 0;
    highest_received_ = 0;
    unacked_ = 0;
    ack_due_ = 0;
    next_keepalive_ = 0;
    local_.history_count = 0;
    subscribe_backoff_ = kFirstSubscribeRetryNs;
    last_heard_ = now;
    next_subscribe_ = now;  // the timer sends it
}

void StreamClient::send_subscribe(int64_t now) {
    int64_t history = options_.history_ns;
    // After a re-subscribe, ask only for what we may have missed (plus a margin).
    if (newest_frame_start_ != INT64_MIN)
        history = std::min(history, std::max<int64_t>(0, options_.wall_now_ns() - newest_frame_start_) + 5'000 * kMs);
    send(encode_subscribe(session_, ++tx_counter_, options_.wall_now_ns(), history, window_, cookie_,
                          options_.key.get()));
    next_subscribe_ = now + subscribe_backoff_;
    subscribe_backoff_ = std::min(subscribe_backoff_ * 2, kMaxSubscribeRetryNs);
}

std::vector<SeqRange> StreamClient::missing_ranges() const {
    std::vector<SeqRange> out;
    uint64_t next = cum_ack_ + 1;
    for (uint64_t seq : received_above_) {
        if (seq > next) out.push_back({next, seq - 1});
        next = seq + 1;
        if (out.size() == kMaxAckRanges) return out;
    }
    if (highest_ >= next) out.push_back({next, highest_});
    return out;
}

void StreamClient::send_ack(int64_t now) {
    std::vector<SeqRange> missing = missing_ranges();
    if (!missing.empty()) ++local_.repair_requests;
    send(encode_ack(session_, ++tx_counter_, cum_ack_, highest_received_, window_, missing, options_.key.get()));
    ++local_.acks_sent;
    unacked_ = 0;
    ack_due_ = 0;
    next_keepalive_ = now + keepalive_ns_;
}

void StreamClient::send(const std::string& datagram) {
    // The socket is connected; a failure (ICMP port unreachable while the sink restarts) is
    // simply a lost datagram, repaired by the next retry.
    (void)!::send(socket_fd_, datagram.data(), datagram.size(), MSG_DONTWAIT);
}

void StreamClient::run() {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) return;
    for (int fd : {socket_fd_, timer_fd_, stop_fd_}) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    constexpr int kBatch = 32;
    std::vector<char> buffers(kBatch * 2048);
    mmsghdr msgs[kBatch];
    iovec iovs[kBatch];
    arm_timer(mono_now());
    for (;;) {
        epoll_event events[3];
        int n = epoll_wait(ep, events, 3, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        bool stopping = false;
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == stop_fd_) stopping = true;
            if (fd == timer_fd_) {
                uint64_t expirations;
                (void)!::read(timer_fd_, &expirations, sizeof expirations);
            }
        }
        if (stopping) break;
        for (;;) {
            for (int i = 0; i < kBatch; ++i) {
                iovs[i] = {buffers.data() + i * 2048, 2048};
                msgs[i].msg_hdr = msghdr{};
                msgs[i].msg_hdr.msg_iov = &iovs[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
            }
            int got = recvmmsg(socket_fd_, msgs, kBatch, MSG_DONTWAIT, nullptr);
            if (got <= 0) break;
            int64_t now = mono_now();
            for (int i = 0; i < got; ++i) {
                size_t size = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? kMaxDatagramBytes + 1 : msgs[i].msg_len;
                handle(std::string_view(buffers.data() + i * 2048, std::min<size_t>(size, 2048)), now);
            }
            if (unacked_ >= ack_every_) send_ack(now);
            if (options_.on_burst_end) options_.on_burst_end();
            publish_stats();
            if (got < kBatch) break;
        }
        int64_t now = mono_now();
        on_timer(now);
        publish_stats();
        arm_timer(now);
    }
    ::close(ep);
}

void StreamClient::handle(std::string_view datagram, int64_t now) {
    Message m;
    DecodeStatus status = decode_datagram(datagram, options_.key.get(), m, &records_);
    if (status == DecodeStatus::kMalformed || status == DecodeStatus::kVersion) {
        ++local_.dropped_malformed;
        return;
    }
    if (status != DecodeStatus::kOk) {
        ++local_.dropped_unauthenticated;
        return;
    }
    if (m.session != session_) {
        ++local_.dropped_foreign_session;  // a previous session's stragglers
        return;
    }
    if (!rx_window_.accept(m.counter)) {
        ++local_.dropped_replayed;
        return;
    }
    last_heard_ = now;
    switch (m.type) {
    case MsgType::kWelcome:
        if (!subscribed_) ++local_.subscriptions;
        subscribed_ = true;
        next_subscribe_ = 0;
        local_.history_count = m.history_count;
        keepalive_ns_ = std::clamp<int64_t>(m.keepalive_ns, 10 * kMs, 60'000 * kMs);
        timeout_ns_ = std::clamp<int64_t>(m.timeout_ns, 40 * kMs, 3'600'000 * kMs);
        if (next_keepalive_ == 0) next_keepalive_ = now + keepalive_ns_;
        break;
    case MsgType::kCookie:
        cookie_ = std::string(m.cookie);
        subscribe_backoff_ = kFirstSubscribeRetryNs;
        send_subscribe(now);
        break;
    case MsgType::kRefuse:
        ++local_.refusals;
        local_.last_refusal = static_cast<int>(m.reason);
        new_session(now);
        next_subscribe_ = now + (m.reason == RefuseReason::kUnknownSession ? 0 : kRefusedRetryNs);
        break;
    case MsgType::kHeartbeat:
        highest_ = std::max(highest_, m.seq);
        send_ack(now);
        break;
    case MsgType::kData: on_data(m, now); break;
    default: ++local_.dropped_malformed; break;
    }
}

void StreamClient::on_data(const Message& m, int64_t now) {
    if (m.seq <= cum_ack_ || received_above_.count(m.seq)) {
        ++local_.duplicates;
        return;
    }
    // decode_datagram decoded the records in the same pass (one walk over ~15 frames, not two).
    bool valid = m.records_decoded;
    if (!valid) ++local_.dropped_malformed;  // authentic but undecodable: count it, never ask again
    if (m.seq > highest_ + 1) ++local_.gaps;
    highest_ = std::max(highest_, m.seq);
    highest_received_ = std::max(highest_received_, m.seq);
    if (m.seq == cum_ack_ + 1) {
        ++cum_ack_;
        while (!received_above_.empty() && *received_above_.begin() == cum_ack_ + 1) {
            received_above_.erase(received_above_.begin());
            ++cum_ack_;
        }
    } else {
        received_above_.insert(m.seq);
    }
    ++local_.datagrams;
    ++unacked_;
    if (valid) {
        for (const TargetRecord& t : records_.targets) {
            ++local_.targets;
            if (on_target_) on_target_(t);
        }
        for (const zzp_frame& f : records_.frames) {
            ++local_.frames;
            newest_frame_start_ = std::max(newest_frame_start_, f.start_wall_ns);
            if (on_frame_) on_frame_(f);
        }
    }
    // Holes get reported soon; otherwise acknowledge lazily (or every ack_every_ datagrams).
    int64_t due = now + (cum_ack_ < highest_ ? kGapHoldoffNs : kDelayedAckNs);
    if (ack_due_ == 0 || due < ack_due_) ack_due_ = due;
    if (subscribed_ && local_.history_count > 0 && cum_ack_ == local_.history_count)
        send_ack(now);  // history complete: tell the sink at once
}

void StreamClient::on_timer(int64_t now) {
    if (next_subscribe_ != 0 && now >= next_subscribe_) send_subscribe(now);
    if (ack_due_ != 0 && now >= ack_due_) send_ack(now);
    if (subscribed_ && next_keepalive_ != 0 && now >= next_keepalive_) send_ack(now);
    // The sink sends at least a heartbeat every keepalive; silence for a whole timeout means
    // it restarted or the path broke: subscribe again (a new session, the missed history).
    if (subscribed_ && now - last_heard_ >= timeout_ns_) new_session(now);
}

void StreamClient::arm_timer(int64_t now) {
    int64_t deadline = 0;
    auto consider = [&](int64_t t) {
        if (t != 0 && (deadline == 0 || t < deadline)) deadline = t;
    };
    consider(next_subscribe_);
    consider(ack_due_);
    if (subscribed_) {
        consider(next_keepalive_);
        consider(last_heard_ + timeout_ns_);
    }
    itimerspec spec{};
    if (deadline != 0) {
        int64_t at = std::max(deadline, now + 1);
        spec.it_value.tv_sec = at / 1'000'000'000;
        spec.it_value.tv_nsec = at % 1'000'000'000;
    }
    timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
}

}  // namespace zzp::stream

#include "responder.hpp"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "rate_limiter.hpp"
#include "wire.hpp"

namespace zzp::udp_echo {
namespace {

constexpr unsigned kBatch = 32;
constexpr size_t kHeldCapacity = 4096;
constexpr size_t kHeldSlotBytes = 2048;
constexpr uint64_t kStopToken = ~0ull;
constexpr uint64_t kHoldToken = ~0ull - 1;

}  // namespace

struct Responder::Held {
    int socket_index = 0;
    int64_t release_mono = 0;
    int64_t rx_real = 0;
    sockaddr_storage peer{};
    socklen_t peer_len = 0;
    uint32_t size = 0;
    bool stamp = false;
    uint8_t data[kHeldSlotBytes];
};

struct Responder::Batch {
    mmsghdr in[kBatch]{};
    iovec in_iov[kBatch]{};
    sockaddr_storage peers[kBatch]{};
    alignas(cmsghdr) char control[kBatch][kControlSize]{};
    mmsghdr out[kBatch]{};
    iovec out_iov[kBatch]{};
    bool out_stamped[kBatch]{};
    RateLimiter limiter;
    explicit Batch(const ResponderConfig& c) : limiter(c.rate_per_source, c.burst) {}
};

std::string ResponderCounters::to_string() const {
    return "received " + std::to_string(received) + ", answered " + std::to_string(answered) + " (stamped " +
           std::to_string(stamped) + "), refused: not allowed " + std::to_string(refused_not_allowed) +
           ", rate limited " + std::to_string(refused_rate_limited) + ", malformed " +
           std::to_string(refused_malformed) + ", replies " + std::to_string(refused_reply) + ", oversized " +
           std::to_string(refused_oversized) + "; send failures " + std::to_string(send_failed);
}

Responder::Responder() = default;
Responder::~Responder() {
    stop();
}

bool Responder::open(ResponderConfig config, std::string* error) {
    config_ = std::move(config);
    if (config_.listen.empty()) {
        *error = "nothing to listen on";
        return false;
    }
    SocketOptions options;
    options.kernel_timestamps = true;
    for (const Endpoint& e : config_.listen) {
        Fd fd = open_udp_socket(e.family(), &e, options, error);
        if (!fd) return false;
        bound_.push_back(local_endpoint(fd.get()));
        sockets_.push_back(std::move(fd));
    }
    epoll_ = Fd(epoll_create1(EPOLL_CLOEXEC));
    stop_event_ = make_eventfd();
    if (!epoll_ || !stop_event_) {
        *error = "cannot create epoll/eventfd: " + errno_text(errno);
        return false;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    for (size_t i = 0; i < sockets_.size(); ++i) {
        ev.data.u64 = i;
        epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, sockets_[i].get(), &ev);
    }
    ev.data.u64 = kStopToken;
    epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, stop_event_.get(), &ev);
    if (config_.hold_ns > 0) {
        hold_timer_ = Fd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
        ev.data.u64 = kHoldToken;
        epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, hold_timer_.get(), &ev);
        held_.resize(kHeldCapacity);
    }
    buffers_.assign(kBatch * config_.max_request, 0);
    batch_ = std::make_unique<Batch>(config_);
    return true;
}

void Responder::start() {
    if (!thread_.joinable() && batch_) thread_ = std::thread([this] { run(); });
}

void Responder::stop() {
    if (!thread_.joinable()) return;
    signal_eventfd(stop_event_.get());
    thread_.join();
}

ResponderCounters Responder::counters() const {
    ResponderCounters c;
    auto r = std::memory_order_relaxed;
    c.received = counters_.received.load(r);
    c.answered = counters_.answered.load(r);
    c.stamped = counters_.stamped.load(r);
    c.refused_not_allowed = counters_.not_allowed.load(r);
    c.refused_rate_limited = counters_.rate_limited.load(r);
    c.refused_malformed = counters_.malformed.load(r);
    c.refused_reply = counters_.reply.load(r);
    c.refused_oversized = counters_.oversized.load(r);
    c.send_failed = counters_.send_failed.load(r);
    return c;
}

void Responder::run() {
    epoll_event events[16];
    int64_t next_report = config_.report_interval_ns > 0 ? mono_ns() + config_.report_interval_ns : -1;
    for (;;) {
        int timeout_ms = -1;
        if (next_report >= 0)
            timeout_ms = static_cast<int>(std::max<int64_t>(0, (next_report - mono_ns()) / 1000000 + 1));
        int n = epoll_wait(epoll_.get(), events, 16, timeout_ms);
        if (n < 0 && errno != EINTR) break;
        for (int i = 0; i < n; ++i) {
            uint64_t token = events[i].data.u64;
            if (token == kStopToken) return;
            if (token == kHoldToken) {
                uint64_t expirations;
                ssize_t r = ::read(hold_timer_.get(), &expirations, sizeof expirations);
                (void)r;
                release_held(mono_ns());
                arm_hold_timer();
            } else {
                drain_socket(static_cast<size_t>(token));
            }
        }
        if (next_report >= 0 && mono_ns() >= next_report) {
            if (config_.report) config_.report();
            next_report += config_.report_interval_ns;
        }
    }
}

void Responder::drain_socket(size_t socket_index) {
    Batch& b = *batch_;
    int fd = sockets_[socket_index].get();
    const bool holding = config_.hold_ns > 0;
    for (;;) {
        for (unsigned i = 0; i < kBatch; ++i) {
            b.in_iov[i] = {buffers_.data() + i * config_.max_request, config_.max_request};
            msghdr& h = b.in[i].msg_hdr;
            h = {};
            h.msg_name = &b.peers[i];
            h.msg_namelen = sizeof b.peers[i];
            h.msg_iov = &b.in_iov[i];
            h.msg_iovlen = 1;
            h.msg_control = b.control[i];
            h.msg_controllen = kControlSize;
        }
        int got = recvmmsg(fd, b.in, kBatch, MSG_DONTWAIT, nullptr);
        if (got <= 0) return;  // EAGAIN: drained; other errors: nothing to answer now
        counters_.received.fetch_add(static_cast<uint64_t>(got), std::memory_order_relaxed);
        const int64_t now_real = real_ns();
        const int64_t now_mono = mono_ns();
        unsigned out = 0;
        for (int i = 0; i < got; ++i) {
            msghdr& h = b.in[i].msg_hdr;
            const auto* peer = reinterpret_cast<const sockaddr*>(&b.peers[i]);
            uint8_t* data = buffers_.data() + static_cast<size_t>(i) * config_.max_request;
            size_t size = b.in[i].msg_len;
            if (!config_.allow.allows(peer)) {
                counters_.not_allowed.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            if ((h.msg_flags & MSG_TRUNC) || (holding && size > kHeldSlotBytes)) {
                counters_.oversized.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            Header header;
            if (decode(data, size, &header) != DecodeError::kNone) {
                counters_.malformed.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            if (header.flags & (kFlagReply | kFlagStamped)) {
                counters_.reply.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            // Rate-limit after validation so garbage does not drain a real prober's bucket.
            if (!b.limiter.admit(host_key(peer), now_mono)) {
                counters_.rate_limited.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            int64_t rx = kernel_rx_timestamp(h);
            if (rx < 0) rx = now_real;
            bool stamp = (header.flags & kFlagStampRequest) != 0;
            if (holding) {
                if (held_count_ == held_.size()) {
                    counters_.send_failed.fetch_add(1, std::memory_order_relaxed);
                    continue;
                }
                Held& slot = held_[(held_head_ + held_count_) % held_.size()];
                ++held_count_;
                slot.socket_index = static_cast<int>(socket_index);
                // Hold relative to the kernel's receive time, converted to the monotonic clock.
                slot.release_mono = now_mono + config_.hold_ns - (now_real - rx);
                slot.rx_real = rx;
                std::memcpy(&slot.peer, peer, h.msg_namelen);
                slot.peer_len = h.msg_namelen;
                slot.size = static_cast<uint32_t>(size);
                slot.stamp = stamp;
                std::memcpy(slot.data, data, size);
                continue;
            }
            make_reply_in_place(data, stamp, rx, 0);
            b.out_iov[out] = {data, size};  // same bytes back: never larger than the request
            msghdr& o = b.out[out].msg_hdr;
            o = {};
            o.msg_name = &b.peers[i];
            o.msg_namelen = h.msg_namelen;
            o.msg_iov = &b.out_iov[out];
            o.msg_iovlen = 1;
            b.out_stamped[out] = stamp;
            ++out;
        }
        if (holding) {
            arm_hold_timer();
        } else if (out > 0) {
            // One send stamp for the batch, taken as late as possible.
            const int64_t tx = real_ns();
            uint64_t stamped = 0;
            for (unsigned k = 0; k < out; ++k) {
                if (b.out_stamped[k]) {
                    restamp_tx_in_place(static_cast<uint8_t*>(b.out_iov[k].iov_base), tx);
                    ++stamped;
                }
            }
            unsigned sent = 0;
            while (sent < out) {
                int r = sendmmsg(fd, b.out + sent, out - sent, MSG_DONTWAIT);
                if (r <= 0) {
                    counters_.send_failed.fetch_add(1, std::memory_order_relaxed);
                    ++sent;  // skip the failing one, keep the rest of the batch
                    continue;
                }
                sent += static_cast<unsigned>(r);
                counters_.answered.fetch_add(static_cast<uint64_t>(r), std::memory_order_relaxed);
            }
            counters_.stamped.fetch_add(stamped, std::memory_order_relaxed);
        }
        if (static_cast<unsigned>(got) < kBatch) return;
    }
}

void Responder::release_held(int64_t now_mono) {
    while (held_count_ > 0) {
        Held& slot = held_[held_head_];
        if (slot.release_mono > now_mono) return;
        int64_t tx = real_ns();
        make_reply_in_place(slot.data, slot.stamp, slot.rx_real, tx);
        ssize_t r = sendto(sockets_[static_cast<size_t>(slot.socket_index)].get(), slot.data, slot.size, MSG_DONTWAIT,
                           reinterpret_cast<const sockaddr*>(&slot.peer), slot.peer_len);
        if (r < 0) {
            counters_.send_failed.fetch_add(1, std::memory_order_relaxed);
        } else {
            counters_.answered.fetch_add(1, std::memory_order_relaxed);
            if (slot.stamp) counters_.stamped.fetch_add(1, std::memory_order_relaxed);
        }
        held_head_ = (held_head_ + 1) % held_.size();
        --held_count_;
    }
}

void Responder::arm_hold_timer() {
    if (held_count_ == 0) return;
    int64_t when = std::max<int64_t>(held_[held_head_].release_mono, 1);
    itimerspec spec{};
    spec.it_value.tv_sec = when / 1000000000;
    spec.it_value.tv_nsec = when % 1000000000;
    timerfd_settime(hold_timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
}

}  // namespace zzp::udp_echo

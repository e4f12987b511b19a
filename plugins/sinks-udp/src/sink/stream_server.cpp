#include "stream_server.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace zzp::stream {
namespace {

constexpr int64_t kMs = 1'000'000;
// With data unacknowledged this long, ask the viewer where it stands (heartbeat -> ack).
constexpr int64_t kProbeAfterNs = 200 * kMs;
// A datagram reported missing is sent again when the viewer has received something sent after
// its last copy (so that copy is lost, not queued), or when its last copy is this old.
constexpr int64_t kRetransmitTimeoutNs = 200 * kMs;
constexpr int64_t kCookieBucketNs = 10'000 * kMs;
constexpr int64_t kSendRetryNs = 1 * kMs;
constexpr size_t kMaxClosedSessions = 65536;
// A subscriber that leaves this many live datagrams unacknowledged is dropped (it can
// subscribe again and get the history), so one dead-but-keepalive viewer cannot grow memory.
constexpr uint64_t kMaxUnackedLive = 100'000;
constexpr uint32_t kMinWindow = 4;
constexpr uint32_t kMaxWindow = 16384;

int64_t mono_now() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string random_secret() {
    std::string s(32, '\0');
    random_bytes(s.data(), s.size());
    return s;
}

}  // namespace

StreamServer::StreamServer(ServerOptions options)
    : options_(std::move(options)), cookie_key_(random_secret()), history_(options_.history_window_ns) {
    stats_.struct_size = sizeof stats_;
}

StreamServer::~StreamServer() { stop(); }

void StreamServer::log(int level, const std::string& message) const {
    if (options_.log) options_.log(level, message);
}

void StreamServer::start() {
    const std::string where = format_address(options_.listen.get());
    auto fail = [&](const std::string& what) {
        int e = errno;
        stop();
        throw std::runtime_error(what + " for " + where + ": " + std::strerror(e));
    };
    socket_fd_ = ::socket(options_.listen.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (socket_fd_ < 0) fail("cannot create a UDP socket");
    // History replays burst; a large send buffer keeps them from failing with EAGAIN.
    int sndbuf = 4 << 20, rcvbuf = 1 << 20;
    setsockopt(socket_fd_, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    setsockopt(socket_fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (::bind(socket_fd_, options_.listen.get(), options_.listen.length) != 0)
        fail("cannot listen (is another instance using this port? change `listen`)");
    UdpAddress bound;
    bound.length = sizeof bound.storage;
    getsockname(socket_fd_, bound.get(), &bound.length);
    stats_.bound_port = address_port(bound.get());
    timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timer_fd_ < 0) fail("cannot create a timerfd");
    stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (stop_fd_ < 0) fail("cannot create an eventfd");
    log(1, "listening on udp " + format_address(bound.get()) +
               (options_.key ? " (authenticated)" : " (no secret: unauthenticated)"));
    thread_ = std::thread([this] { run(); });
}

void StreamServer::stop() {
    if (thread_.joinable()) {
        uint64_t one = 1;
        (void)!::write(stop_fd_, &one, sizeof one);
        thread_.join();
        std::lock_guard lock(mutex_);
        for (auto& [session, s] : subscribers_)
            send_to(s.peer, encode_refuse(session, ++s.tx_counter, RefuseReason::kShuttingDown, "sink stopping",
                                          options_.key.get()));
        subscribers_.clear();
        stats_.subscribers = 0;
    }
    for (int* fd : {&socket_fd_, &timer_fd_, &stop_fd_}) {
        if (*fd >= 0) ::close(*fd);
        *fd = -1;
    }
}

void StreamServer::run() {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        log(3, std::string("epoll_create1 failed: ") + std::strerror(errno) + "; the stream is not served");
        return;
    }
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
    UdpAddress from[kBatch];
    for (;;) {
        epoll_event events[3];
        int n = epoll_wait(ep, events, 3, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            log(3, std::string("epoll_wait failed: ") + std::strerror(errno));
            break;
        }
        bool stopping = false, timer = false, readable = false;
        for (int i = 0; i < n; ++i) {
            if (events[i].data.fd == stop_fd_) stopping = true;
            if (events[i].data.fd == timer_fd_) timer = true;
            if (events[i].data.fd == socket_fd_) readable = true;
        }
        if (stopping) break;
        if (timer) {
            uint64_t expirations;
            (void)!::read(timer_fd_, &expirations, sizeof expirations);
        }
        while (readable) {
            for (int i = 0; i < kBatch; ++i) {
                iovs[i] = {buffers.data() + i * 2048, 2048};
                from[i].length = sizeof from[i].storage;
                msgs[i].msg_hdr = msghdr{};
                msgs[i].msg_hdr.msg_name = from[i].get();
                msgs[i].msg_hdr.msg_namelen = from[i].length;
                msgs[i].msg_hdr.msg_iov = &iovs[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
            }
            int got = recvmmsg(socket_fd_, msgs, kBatch, MSG_DONTWAIT, nullptr);
            if (got <= 0) break;  // EAGAIN: drained
            std::lock_guard lock(mutex_);
            int64_t now = mono_now();
            for (int i = 0; i < got; ++i) {
                from[i].length = msgs[i].msg_hdr.msg_namelen;
                // A datagram larger than our buffer is truncated: it is over 1200 bytes anyway.
                size_t size = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? kMaxDatagramBytes + 1 : msgs[i].msg_len;
                handle_datagram(buffers.data() + i * 2048, std::min<size_t>(size, 2048), from[i], now);
            }
            rearm_timer_locked(now);
            if (got < kBatch) break;
        }
        if (timer) {
            std::lock_guard lock(mutex_);
            int64_t now = mono_now();
            on_timer(now);
            armed_deadline_ = 0;  // it fired; set it again
            rearm_timer_locked(now);
        }
    }
    ::close(ep);
}

void StreamServer::handle_datagram(const char* data, size_t size, const UdpAddress& from, int64_t now) {
    ++stats_.datagrams_received;
    Message m;
    switch (decode_datagram(std::string_view(data, size), options_.key.get(), m)) {
    case DecodeStatus::kOk: break;
    case DecodeStatus::kMalformed: ++stats_.dropped_malformed; return;
    case DecodeStatus::kVersion: ++stats_.dropped_version; return;
    case DecodeStatus::kMissingMac:
    case DecodeStatus::kUnexpectedMac: ++stats_.dropped_unauthenticated; return;
    case DecodeStatus::kBadMac: ++stats_.dropped_bad_mac; return;
    }
    if (m.type != MsgType::kSubscribe && m.type != MsgType::kAck && m.type != MsgType::kUnsubscribe) {
        ++stats_.dropped_malformed;  // a sink-to-viewer message sent to the sink
        return;
    }
    auto it = subscribers_.find(m.session);
    if (it == subscribers_.end()) {
        if (m.type == MsgType::kSubscribe) return handle_subscribe(m, from, now);
        ++stats_.dropped_unknown_session;
        // Tell the viewer to subscribe again, but only where the answer cannot be aimed at a
        // third party: an authenticated request, or one from this machine.
        if (m.type == MsgType::kAck && (options_.key || is_loopback(from.get())))
            send_to(from, encode_refuse(m.session, stateless_counter(), RefuseReason::kUnknownSession,
                                        "subscribe again", options_.key.get()));
        return;
    }
    Subscriber& s = it->second;
    if (!same_address(s.peer.get(), from.get())) {
        ++stats_.dropped_wrong_peer;
        return;
    }
    if (!s.rx_window.accept(m.counter)) {
        ++stats_.dropped_replayed;
        return;
    }
    s.last_heard_mono = now;
    switch (m.type) {
    case MsgType::kSubscribe:  // our welcome was lost: say it again
        send_raw(s, encode_welcome(s.session, ++s.tx_counter, s.history_count, keepalive_ns(),
                                   options_.subscriber_timeout_ns, options_.key.get()),
                 now);
        break;
    case MsgType::kAck: handle_ack(s, m, now); break;
    case MsgType::kUnsubscribe:
        ++stats_.subscribers_unsubscribed;
        remove_subscriber(m.session, "unsubscribed", now);
        break;
    default: break;
    }
}

void StreamServer::handle_subscribe(const Message& m, const UdpAddress& from, int64_t now) {
    const std::string who = format_address(from.get());
    if (options_.key) {
        // The tag proves who sent it; the timestamp and the closed-session list prove it is
        // not a recording of an earlier subscribe.
        int64_t skew = options_.wall_now_ns() - m.wall_ns;
        if (skew > options_.replay_window_ns || -skew > options_.replay_window_ns) {
            ++stats_.dropped_stale;
            send_to(from, encode_refuse(m.session, stateless_counter(), RefuseReason::kStale,
                                        "clock skew over replay_window", options_.key.get()));
            return;
        }
    } else if (!is_loopback(from.get())) {
        // Unauthenticated and remote: the source address could be forged. Before sending
        // anything larger than the request, make the sender prove it receives at that address.
        int64_t bucket = now / kCookieBucketNs;
        if (m.cookie != make_cookie(from, bucket) && m.cookie != make_cookie(from, bucket - 1)) {
            send_to(from, encode_cookie(m.session, stateless_counter(), make_cookie(from, bucket), nullptr));
            return;
        }
    }
    if (closed_sessions_.count(m.session)) {
        ++stats_.dropped_replayed;
        return;
    }
    if (subscribers_.size() >= options_.max_subscribers) {
        ++stats_.subscribes_refused_full;
        send_to(from, encode_refuse(m.session, stateless_counter(), RefuseReason::kFull, "max_subscribers reached",
                                    options_.key.get()));
        log(2, "refused subscriber " + who + ": max_subscribers (" + std::to_string(options_.max_subscribers) +
                   ") reached");
        return;
    }
    Subscriber& s = subscribers_[m.session];
    s.session = m.session;
    s.peer = from;
    s.rx_window.accept(m.counter);
    s.last_heard_mono = s.last_progress_mono = s.last_sent_mono = now;
    s.window = std::clamp(m.window, kMinWindow, kMaxWindow);
    for (ChunkPtr& c : history_.snapshot(m.history_ns)) s.log.push_back(OutEntry{std::move(c), 0});
    s.history_count = s.log.size();
    s.next_seq = s.history_count + 1;
    s.tokens = static_cast<double>(options_.replay_rate_bytes_per_s) / 10;
    s.tokens_mono = now;
    ++stats_.subscribes_accepted;
    stats_.subscribers = static_cast<uint32_t>(subscribers_.size());
    log(1, "subscriber " + who + " joined; history of " + std::to_string(s.history_count) + " datagrams");
    send_raw(s, encode_welcome(s.session, ++s.tx_counter, s.history_count, keepalive_ns(),
                               options_.subscriber_timeout_ns, options_.key.get()),
             now);
    pump_history(s, now);
}

void StreamServer::handle_ack(Subscriber& s, const Message& m, int64_t now) {
    s.window = std::clamp(m.window, kMinWindow, kMaxWindow);
    uint64_t cum = std::min(m.cum_ack, s.highest_sent);
    if (cum > s.cum_ack) {
        s.cum_ack = cum;
        s.last_progress_mono = now;
        while (!s.log.empty() && s.log_base <= s.cum_ack) {
            s.log.pop_front();
            ++s.log_base;
        }
    }
    refill_tokens(s, now);
    uint32_t budget = s.window;
    double tokens = s.tokens;  // what the queued retransmits will leave
    for (uint32_t r = 0; r < m.missing_count && budget > 0; ++r) {
        uint64_t first = std::max({m.missing[r].first, s.cum_ack + 1, s.log_base});
        uint64_t last = std::min(m.missing[r].last, s.highest_sent);
        for (uint64_t seq = first; seq <= last && budget > 0; ++seq) {
            if (seq >= s.history_next && seq <= s.history_count) {
                seq = s.history_count;  // not sent yet: pump_history will
                continue;
            }
            OutEntry& e = s.log[seq - s.log_base];
            bool overtaken = m.highest_received > e.sent_before;
            if (e.last_sent_mono != 0 && !overtaken && now - e.last_sent_mono < kRetransmitTimeoutNs) continue;
            if (tokens < static_cast<double>(kMaxDatagramBytes)) break;
            queue_entry(s, seq, e, now);
            tokens -= static_cast<double>(kMaxDatagramBytes);
            ++stats_.retransmits;
            --budget;
        }
    }
    flush_entries(now);
    pump_history(s, now);
}

void StreamServer::refill_tokens(Subscriber& s, int64_t now) {
    const double rate = static_cast<double>(options_.replay_rate_bytes_per_s);
    const double capacity = std::max(rate / 10, 64.0 * kMaxDatagramBytes);
    s.tokens = std::min(capacity, s.tokens + rate * static_cast<double>(now - s.tokens_mono) / 1e9);
    s.tokens_mono = now;
}

void StreamServer::pump_history(Subscriber& s, int64_t now) {
    if (s.history_next < s.log_base) s.history_next = s.log_base;  // acknowledged by a confused peer
    refill_tokens(s, now);
    s.pacing_until_mono = 0;
    const double rate = static_cast<double>(options_.replay_rate_bytes_per_s);
    while (s.history_next <= s.history_count) {
        // Queue what the viewer's window and the token bucket allow, up to one sendmmsg.
        uint64_t next = s.history_next;
        double tokens = s.tokens;
        const uint64_t acked = std::min(s.cum_ack, s.history_count);
        bool window_full = false;
        while (next <= s.history_count && queued_.size() < kSendBatch) {
            if (next - 1 - acked >= s.window) {  // wait for acks (or probe)
                window_full = true;
                break;
            }
            if (tokens < static_cast<double>(kMaxDatagramBytes)) break;
            queue_entry(s, next, s.log[next - s.log_base], now);
            tokens -= static_cast<double>(kMaxDatagramBytes);
            ++next;
        }
        const size_t queued = next - s.history_next;
        const size_t sent = flush_entries(now);
        stats_.history_datagrams_sent += sent;
        s.history_next += sent;
        if (sent < queued) {  // the socket is full: try again shortly
            s.pacing_until_mono = now + kSendRetryNs;
            return;
        }
        if (window_full || s.history_next > s.history_count) return;
        if (queued == 0 || s.tokens < static_cast<double>(kMaxDatagramBytes)) {
            // Out of tokens. Sleep until a whole batch worth has accumulated rather than one
            // datagram's worth: one wake-up per sendmmsg instead of one per few datagrams.
            const double want = static_cast<double>(std::min<uint64_t>(kSendBatch, s.window) * kMaxDatagramBytes);
            const double missing = std::max(want - s.tokens, 1.0);
            s.pacing_until_mono = now + 1 + static_cast<int64_t>(missing * 1e9 / rate);
            return;
        }
    }
}

void StreamServer::queue_entry(Subscriber& s, uint64_t seq, OutEntry& e, int64_t now) {
    if (queued_.size() == kSendBatch) flush_entries(now);
    std::string& buffer = send_buffers_[queued_.size()];
    encode_data(buffer, s.session, ++s.tx_counter, seq, e.chunk->records, options_.key.get());
    queued_.push_back(Queued{&s, seq, &e});
}

size_t StreamServer::flush_entries(int64_t now) {
    const size_t n = queued_.size();
    for (size_t i = 0; i < n; ++i) {
        send_iovs_[i] = {send_buffers_[i].data(), send_buffers_[i].size()};
        msghdr& h = send_msgs_[i].msg_hdr;
        h = msghdr{};
        h.msg_name = const_cast<sockaddr*>(queued_[i].subscriber->peer.get());
        h.msg_namelen = queued_[i].subscriber->peer.length;
        h.msg_iov = &send_iovs_[i];
        h.msg_iovlen = 1;
    }
    size_t done = 0;
    bool blocked = false;
    while (done < n && !blocked) {
        int r = ::sendmmsg(socket_fd_, send_msgs_.data() + done, static_cast<unsigned>(n - done), MSG_DONTWAIT);
        size_t ok = r > 0 ? static_cast<size_t>(r) : 0;
        if (r < 0) {
            ++stats_.send_errors;
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
                blocked = true;  // the rest stays unsent; it is retried
            } else if (errno != EINTR) {
                // Another error (peer unreachable) concerns this datagram only: treat it as sent;
                // the viewer asks again if it cares. Then go on with the next.
                ok = 1;
            }
        }
        for (size_t i = done; i < done + ok; ++i) {
            Subscriber& s = *queued_[i].subscriber;
            OutEntry& e = *queued_[i].entry;
            ++stats_.datagrams_sent;
            e.sent_before = s.highest_sent;
            e.last_sent_mono = now;
            s.last_sent_mono = now;
            s.highest_sent = std::max(s.highest_sent, queued_[i].seq);
            s.tokens -= static_cast<double>(send_buffers_[i].size());
        }
        done += ok;
    }
    queued_.clear();
    return done;
}

void StreamServer::send_raw(Subscriber& s, const std::string& datagram, int64_t now) {
    send_to(s.peer, datagram);
    s.last_sent_mono = now;
}

void StreamServer::send_to(const UdpAddress& to, const std::string& datagram) {
    if (::sendto(socket_fd_, datagram.data(), datagram.size(), MSG_DONTWAIT, to.get(), to.length) < 0)
        ++stats_.send_errors;
    else
        ++stats_.datagrams_sent;
}

void StreamServer::remove_subscriber(uint64_t session, const char* why, int64_t now) {
    auto it = subscribers_.find(session);
    if (it == subscribers_.end()) return;
    log(1, "subscriber " + format_address(it->second.peer.get()) + " left: " + why);
    subscribers_.erase(it);
    stats_.subscribers = static_cast<uint32_t>(subscribers_.size());
    if (closed_sessions_.size() >= kMaxClosedSessions) closed_sessions_.erase(closed_sessions_.begin());
    closed_sessions_[session] = now + 2 * std::max(options_.replay_window_ns, options_.subscriber_timeout_ns);
}

void StreamServer::on_timer(int64_t now) {
    std::vector<uint64_t> expired;
    for (auto& [session, s] : subscribers_) {
        if (now - s.last_heard_mono >= options_.subscriber_timeout_ns) {
            expired.push_back(session);
            continue;
        }
        if (s.highest_sent > s.cum_ack && now - s.last_progress_mono >= kProbeAfterNs) {
            send_raw(s, encode_heartbeat(session, ++s.tx_counter, s.highest_sent, options_.key.get()), now);
            s.last_progress_mono = now;
        } else if (now - s.last_sent_mono >= keepalive_ns()) {
            send_raw(s, encode_heartbeat(session, ++s.tx_counter, s.highest_sent, options_.key.get()), now);
        }
        if (s.pacing_until_mono != 0 && now >= s.pacing_until_mono) pump_history(s, now);
    }
    for (uint64_t session : expired) {
        ++stats_.subscribers_expired;
        remove_subscriber(session, "expired (no keepalive within subscriber_timeout)", now);
    }
    for (auto it = closed_sessions_.begin(); it != closed_sessions_.end();)
        it = it->second <= now ? closed_sessions_.erase(it) : std::next(it);
}

void StreamServer::rearm_timer_locked(int64_t now) {
    int64_t deadline = 0;
    auto consider = [&](int64_t t) {
        if (deadline == 0 || t < deadline) deadline = t;
    };
    for (const auto& [session, s] : subscribers_) {
        consider(s.last_heard_mono + options_.subscriber_timeout_ns);
        if (s.highest_sent > s.cum_ack)
            consider(s.last_progress_mono + kProbeAfterNs);
        else
            consider(s.last_sent_mono + keepalive_ns());
        if (s.pacing_until_mono != 0) consider(s.pacing_until_mono);
    }
    if (deadline == armed_deadline_ || timer_fd_ < 0) return;
    armed_deadline_ = deadline;
    itimerspec spec{};
    if (deadline != 0) {
        int64_t at = std::max(deadline, now + 1);
        spec.it_value.tv_sec = at / 1'000'000'000;
        spec.it_value.tv_nsec = at % 1'000'000'000;
    }
    timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
}

std::string StreamServer::make_cookie(const UdpAddress& peer, int64_t bucket) const {
    std::string input(reinterpret_cast<const char*>(&peer.storage), peer.length);
    input.append(reinterpret_cast<const char*>(&bucket), sizeof bucket);
    return cookie_key_.mac(input);
}

void StreamServer::publish_target(const TargetRecord& target) {
    std::lock_guard lock(mutex_);
    history_.set_target(target);
    ChunkPacker packer;
    packer.add(target);
    int64_t now = mono_now();
    for (ChunkPtr& chunk : packer.finish()) {
        for (auto& [session, s] : subscribers_) {
            uint64_t seq = s.next_seq++;
            s.log.push_back(OutEntry{chunk, 0});
            queue_entry(s, seq, s.log.back(), now);
        }
    }
    flush_entries(now);  // a live datagram the socket refused is resent on the viewer's report
    rearm_timer_locked(now);
}

void StreamServer::publish_frames(const zzp_frame* frames, size_t count) {
    std::lock_guard lock(mutex_);
    ChunkPacker packer;
    for (size_t i = 0; i < count; ++i) {
        history_.add_frame(frames[i]);
        packer.add(frames[i]);
    }
    int64_t now = mono_now();
    std::vector<uint64_t> behind;
    for (const ChunkPtr& chunk : packer.finish()) {
        for (auto& [session, s] : subscribers_) {
            uint64_t seq = s.next_seq++;
            // Queued, not sent one by one: a publication reaches every subscriber in one
            // sendmmsg. Log entries stay put (a deque grows at the back without moving them).
            s.log.push_back(OutEntry{chunk, 0});
            queue_entry(s, seq, s.log.back(), now);
            if (s.next_seq - 1 - s.cum_ack > s.history_count + kMaxUnackedLive) behind.push_back(session);
        }
    }
    flush_entries(now);
    for (uint64_t session : behind) {
        if (!subscribers_.count(session)) continue;
        ++stats_.subscribers_dropped_behind;
        remove_subscriber(session, "stopped acknowledging", now);
    }
    rearm_timer_locked(now);
}

void StreamServer::stats(zzp_udp_stream_stats* out) const {
    if (!out) return;
    std::lock_guard lock(mutex_);
    zzp_udp_stream_stats copy = stats_;
    copy.history_frames = history_.frame_count();
    copy.history_bytes = history_.bytes();
    size_t n = std::min<size_t>(out->struct_size, sizeof copy);
    copy.struct_size = static_cast<uint32_t>(n);
    std::memcpy(out, &copy, n);
}

}  // namespace zzp::stream

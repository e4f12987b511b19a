// The receiver thread: blocks in epoll on the IPv4/IPv6 sockets and the stop eventfd, reads
// replies in batches with recvmmsg (kernel receive timestamps), drains the error queue of
// datagram sockets (ICMP errors), validates every datagram and settles attempts.
// clang-format off
#include <time.h>  // before linux/errqueue.h, which uses struct timespec without including it
#include <linux/errqueue.h>
// clang-format on
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "packet.hpp"
#include "probe.hpp"
#include "receive_buffers.hpp"

namespace zzp::icmp {
namespace {

int64_t kernel_timestamp_ns(msghdr& h) {
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            timespec ts;
            std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
            return timespec_ns(ts);
        }
    }
    return -1;
}

}  // namespace

void IcmpProbe::handle_datagram(int f, const uint8_t* data, size_t length, const sockaddr* from, int64_t rx_real_ns,
                                int64_t rx_mono_ns, std::vector<zzp_sample>& out) {
    const bool raw = socket_raw_[f];
    const bool v6 = f == 1;
    ParsedPacket p = parse_icmp(v6, raw && !v6, data, length);
    if (p.kind == PacketKind::kIgnored) return;
    // Datagram sockets: the kernel rewrote the identifier to the socket's port and only gives us
    // our own replies. Raw sockets see everyone's: the identifier must be ours.
    if (raw && p.ident != raw_ident_) {
        ++receive_counters_.foreign;
        return;
    }
    Stamp stamp;
    bool stamped = read_stamp(p.payload, p.payload_length, nonce_, &stamp) && stamp.target < targets_.size();
    if (p.kind == PacketKind::kEchoReply) {
        if (!stamped) {
            ++receive_counters_.foreign;
            return;
        }
        if ((stamp.seq & 0xffff) != p.seq16) {
            ++receive_counters_.mismatched;
            return;
        }
        if (!same_address(targets_[stamp.target].address.address, from)) {
            ++receive_counters_.wrong_source;
            return;
        }
        table_->on_reply(stamp.target, stamp.seq, stamp.send_mono_ns, rx_real_ns, rx_mono_ns, out);
        return;
    }
    // An ICMP error about one of our requests: find the target by the stamp when the quote kept
    // it, else by the quoted destination address.
    if (stamped) {
        if (table_->on_net_error(stamp.target, p.seq16, p.error_type, p.error_code, out)) return;
    } else if (p.quoted_destination != nullptr) {
        for (uint32_t t = 0; t < targets_.size(); ++t)
            if (targets_[t].resolved &&
                same_raw_address(targets_[t].address.address, p.quoted_destination, v6 ? AF_INET6 : AF_INET) &&
                table_->on_net_error(t, p.seq16, p.error_type, p.error_code, out))
                return;
    }
    ++receive_counters_.errors_unmatched;
}

void IcmpProbe::drain_error_queue(int f, ReceiveBuffers& buf, std::vector<zzp_sample>& out) {
    for (;;) {
        buf.prepare();
        int got = recvmmsg(sockets_[f].fd, buf.messages, kRecvBatch, MSG_ERRQUEUE | MSG_DONTWAIT, nullptr);
        if (got <= 0) {
            if (got < 0 && errno == EINTR) continue;
            // Drained. A raw socket also keeps a pending error (sk_err) for "hard" ICMP errors
            // (e.g. administratively prohibited) that holds EPOLLERR up until read: read and clear
            // it here, or the receiver would wake in a loop.
            if (socket_raw_[f]) {
                int pending = 0;
                socklen_t length = sizeof pending;
                getsockopt(sockets_[f].fd, SOL_SOCKET, SO_ERROR, &pending, &length);
            }
            return;
        }
        std::lock_guard lock(mutex_);  // the counters too: the sender may be reading replies
        for (int m = 0; m < got; ++m) {
            msghdr& h = buf.messages[m].msg_hdr;
            const uint8_t* data = static_cast<const uint8_t*>(h.msg_iov->iov_base);
            const size_t n = buf.messages[m].msg_len;
            sock_extended_err ee{};
            bool have_ee = false;
            int64_t stamp_real_ns = -1;
            for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
                if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
                    (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
                    std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
                    have_ee = true;
                } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) {
                    scm_timestamping ts;
                    std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
                    stamp_real_ns = timespec_ns(ts.ts[0]);
                }
            }
            if (!have_ee) continue;
            if (ee.ee_origin == SO_EE_ORIGIN_TIMESTAMPING) {  // our transmit timestamp
                if (ee.ee_info == SCM_TSTAMP_SND && stamp_real_ns > 0) apply_tx_stamp(f, ee.ee_data, stamp_real_ns);
                continue;
            }
            // Local errors: the send call already returned them, and they became SEND_ERRORs.
            if (ee.ee_origin != SO_EE_ORIGIN_ICMP && ee.ee_origin != SO_EE_ORIGIN_ICMP6) continue;
            ParsedPacket p = parse_error_queue_quote(f == 1, data, n);
            Stamp stamp;
            bool stamped = p.kind == PacketKind::kError && read_stamp(p.payload, p.payload_length, nonce_, &stamp) &&
                           stamp.target < targets_.size();
            bool matched = false;
            if (p.kind != PacketKind::kError) {
                matched = false;
            } else if (stamped) {
                matched = table_->on_net_error(stamp.target, p.seq16, ee.ee_type, ee.ee_code, out);
            } else {
                // msg_name holds the destination of the request that failed.
                for (uint32_t t = 0; t < targets_.size() && !matched; ++t)
                    matched = targets_[t].resolved &&
                              same_address(targets_[t].address.address, reinterpret_cast<sockaddr*>(h.msg_name)) &&
                              table_->on_net_error(t, p.seq16, ee.ee_type, ee.ee_code, out);
            }
            if (!matched) ++receive_counters_.errors_unmatched;
        }
        if (static_cast<unsigned>(got) < kRecvBatch) return;
    }
}

void IcmpProbe::drain_socket(int f, ReceiveBuffers& buf, std::vector<zzp_sample>& out) {
    for (;;) {
        buf.prepare();
        int got = recvmmsg(sockets_[f].fd, buf.messages, kRecvBatch, MSG_DONTWAIT, nullptr);
        if (got <= 0) return;  // EAGAIN, or a pending socket error (errors come via the queue)
        int64_t rx_mono = mono_now_ns();
        {
            std::lock_guard lock(mutex_);
            for (int m = 0; m < got; ++m) {
                msghdr& h = buf.messages[m].msg_hdr;
                handle_datagram(f, static_cast<const uint8_t*>(h.msg_iov->iov_base), buf.messages[m].msg_len,
                                reinterpret_cast<const sockaddr*>(h.msg_name), kernel_timestamp_ns(h), rx_mono, out);
            }
        }
        if (static_cast<unsigned>(got) < kRecvBatch) return;
    }
}

void IcmpProbe::receiver_main() {
    ReceiveBuffers buf(std::max<size_t>(2048, kIcmpHeaderSize + config_.payload_size + 128));
    std::vector<zzp_sample> out;
    out.reserve(4 * kRecvBatch);
    epoll_event events[4];
    for (;;) {
        int n = epoll_wait(epoll_fd_, events, 4, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            host().log(ZZP_LOG_ERROR, "epoll_wait failed: %s; the receiver stops", std::strerror(errno));
            return;
        }
        out.clear();
        for (int i = 0; i < n; ++i) {
            uint32_t which = events[i].data.u32;
            if (which == 2) return;  // stop
            int f = static_cast<int>(which);
            if (events[i].events & EPOLLERR) drain_error_queue(f, buf, out);
            if (events[i].events & EPOLLIN) drain_socket(f, buf, out);
        }
        host().emit(out.data(), static_cast<uint32_t>(out.size()));
    }
}

void IcmpProbe::resolver_main() {
    for (;;) {
        {
            std::unique_lock lock(wake_mutex_);
            wake_cv_.wait_for(lock, std::chrono::nanoseconds(config_.resolve_interval_ns), [&] { return stopping_; });
            if (stopping_) return;
        }
        for (size_t i = 0; i < targets_.size(); ++i) {
            std::string name;
            {
                std::lock_guard lock(mutex_);
                if (targets_[i].literal) continue;
                name = targets_[i].name;
            }
            ResolvedAddress fresh;
            std::string error;
            bool ok = resolve_name(name, config_.family, &fresh, &error);  // blocking, outside the lock
            std::lock_guard lock(mutex_);
            Target& t = targets_[i];
            if (!ok) {
                if (!t.resolve_failing)
                    host().log(ZZP_LOG_WARN, "target \"%s\" no longer resolves (%s); %s", name.c_str(), error.c_str(),
                               t.resolved ? "keeping its last address " : "its attempts fail with EDESTADDRREQ");
                t.resolve_failing = true;
                continue;
            }
            if (t.resolve_failing) host().log(ZZP_LOG_INFO, "target \"%s\" resolves again", name.c_str());
            t.resolve_failing = false;
            if (t.resolved && fresh.text == t.address.text) continue;
            host().log(ZZP_LOG_INFO, "target \"%s\" now resolves to %s (was %s)", name.c_str(), fresh.text.c_str(),
                       t.resolved ? t.address.text.c_str() : "unresolved");
            t.address = fresh;
            t.resolved = true;
            t.id = host().intern_target(t.name, t.address.text);
        }
    }
}

}  // namespace zzp::icmp

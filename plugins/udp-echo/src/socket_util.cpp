#include "socket_util.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace zzp::udp_echo {

Fd& Fd::operator=(Fd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
}

void Fd::reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

std::string errno_text(int err) {
    char buf[128];
    return std::string(strerror_r(err, buf, sizeof buf));
}

Fd open_udp_socket(int family, const Endpoint* bind_to, const SocketOptions& o, std::string* error) {
    Fd fd(::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        *error = std::string("cannot open a UDP ") + (family == AF_INET6 ? "IPv6" : "IPv4") +
                 " socket: " + errno_text(errno);
        return Fd();
    }
    int one = 1;
    int tos = o.dscp << 2;
    if (family == AF_INET6) {
        // A v6 socket only for v6: v4 targets get their own socket, so the error queue and the
        // TOS option are per family.
        setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (tos && setsockopt(fd.get(), IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos) != 0) {
            *error = "cannot set the IPv6 traffic class (dscp): " + errno_text(errno);
            return Fd();
        }
        if (o.receive_errors) setsockopt(fd.get(), IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof one);
    } else {
        if (tos && setsockopt(fd.get(), IPPROTO_IP, IP_TOS, &tos, sizeof tos) != 0) {
            *error = "cannot set the IPv4 TOS (dscp): " + errno_text(errno);
            return Fd();
        }
        if (o.receive_errors) setsockopt(fd.get(), IPPROTO_IP, IP_RECVERR, &one, sizeof one);
    }
    if (o.kernel_timestamps) setsockopt(fd.get(), SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    if (o.buffer_bytes > 0) {
        // Best effort: the kernel caps at net.core.rmem_max / wmem_max.
        setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &o.buffer_bytes, sizeof o.buffer_bytes);
        setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &o.buffer_bytes, sizeof o.buffer_bytes);
    }
    if (bind_to) {
        if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&bind_to->addr), bind_to->len) != 0) {
            *error = "cannot bind UDP " + bind_to->to_string() + ": " + errno_text(errno);
            return Fd();
        }
    }
    return fd;
}

Endpoint local_endpoint(int fd) {
    Endpoint e;
    e.len = sizeof e.addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&e.addr), &e.len) != 0) e.len = 0;
    return e;
}

int64_t kernel_rx_timestamp(const msghdr& msg) {
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(const_cast<msghdr*>(&msg), c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            timespec ts;
            std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
            return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
        }
    }
    return -1;
}

Fd make_eventfd() {
    return Fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
}

void signal_eventfd(int fd) {
    uint64_t one = 1;
    ssize_t n = ::write(fd, &one, sizeof one);
    (void)n;  // a full counter still wakes the reader
}

}  // namespace zzp::udp_echo

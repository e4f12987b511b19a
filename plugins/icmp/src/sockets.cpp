#include "sockets.hpp"

#include <arpa/inet.h>
#include <linux/icmp.h>
#include <linux/net_tstamp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace zzp::icmp {
namespace {

std::string read_ping_group_range() {
    std::ifstream in("/proc/sys/net/ipv4/ping_group_range");
    std::string lo, hi;
    if (!(in >> lo >> hi)) return "unknown";
    return lo + " " + hi;
}

std::string own_executable() {
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return "/usr/bin/zzprobe";
    return std::string(buf, static_cast<size_t>(n));
}

const char* family_name(int family) {
    return family == AF_INET6 ? "IPv6" : "IPv4";
}

bool set_int(int fd, int level, int name, int value, const char* what, std::string* error) {
    if (setsockopt(fd, level, name, &value, sizeof value) == 0) return true;
    *error = std::string("cannot set ") + what + ": " + std::strerror(errno);
    return false;
}

// Reporting of software timestamps, keys per stamped send, no copy of the packet on the error
// queue. No request flag: the sender asks per message (a control message) only while it reads
// the replies itself, so that low-rate probes do not wake the receiver for every send.
constexpr unsigned kTxStampFlags = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;

// Everything after socket(): fails with a message naming the option.
bool configure_socket(int fd, int family, bool raw, const IcmpConfig& c, std::string* error) {
    const bool v6 = family == AF_INET6;
    if (!set_int(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS", error)) return false;
    int buffer = 1 << 20;  // room for bursts of replies at high rates; the kernel caps it
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    if (!raw) {
        // Datagram sockets get ICMP errors (unreachable, time exceeded) only through the error queue.
        if (v6 ? !set_int(fd, IPPROTO_IPV6, IPV6_RECVERR, 1, "IPV6_RECVERR", error)
               : !set_int(fd, IPPROTO_IP, IP_RECVERR, 1, "IP_RECVERR", error))
            return false;
    } else if (!v6) {
        // A raw socket sees every ICMP packet of the host: pass only replies and errors (this also
        // keeps our own requests on loopback out).
        icmp_filter filter{};
        filter.data = ~((1u << 0) | (1u << 3) | (1u << 11) | (1u << 12));
        if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof filter) != 0) {
            *error = std::string("cannot set ICMP_FILTER: ") + std::strerror(errno);
            return false;
        }
    } else {
        icmp6_filter filter;
        ICMP6_FILTER_SETBLOCKALL(&filter);
        ICMP6_FILTER_SETPASS(129, &filter);
        ICMP6_FILTER_SETPASS(1, &filter);
        ICMP6_FILTER_SETPASS(2, &filter);
        ICMP6_FILTER_SETPASS(3, &filter);
        ICMP6_FILTER_SETPASS(4, &filter);
        if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter) != 0) {
            *error = std::string("cannot set ICMP6_FILTER: ") + std::strerror(errno);
            return false;
        }
    }
    if (c.ttl > 0 && (v6 ? !set_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, c.ttl, "the hop limit (ttl)", error)
                         : !set_int(fd, IPPROTO_IP, IP_TTL, c.ttl, "the TTL (ttl)", error)))
        return false;
    if (c.dscp > 0 && (v6 ? !set_int(fd, IPPROTO_IPV6, IPV6_TCLASS, c.dscp << 2, "the traffic class (dscp)", error)
                          : !set_int(fd, IPPROTO_IP, IP_TOS, c.dscp << 2, "the TOS byte (dscp)", error)))
        return false;
    if (!c.interface.empty() && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, c.interface.c_str(),
                                           static_cast<socklen_t>(c.interface.size())) != 0) {
        *error = "cannot bind to interface \"" + c.interface + "\" ('interface'): " + std::strerror(errno) +
                 (errno == ENODEV ? " (no such device)" : "");
        return false;
    }
    if (!c.source.empty()) {
        sockaddr_storage ss{};
        socklen_t len = 0;
        if (v6) {
            auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
            a->sin6_family = AF_INET6;
            if (inet_pton(AF_INET6, c.source.c_str(), &a->sin6_addr) != 1) return true;  // other family: skip
            len = sizeof *a;
        } else {
            auto* a = reinterpret_cast<sockaddr_in*>(&ss);
            a->sin_family = AF_INET;
            if (inet_pton(AF_INET, c.source.c_str(), &a->sin_addr) != 1) return true;
            len = sizeof *a;
        }
        if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
            *error = "cannot bind to source address " + c.source + " ('source'): " + std::strerror(errno);
            return false;
        }
    }
    return true;
}

int try_open(int family, bool raw, int* error_number) {
    int protocol = family == AF_INET6 ? int(IPPROTO_ICMPV6) : int(IPPROTO_ICMP);
    int fd = socket(family, (raw ? SOCK_RAW : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    *error_number = fd < 0 ? errno : 0;
    return fd;
}

}  // namespace

std::string permission_advice() {
    return "Either allow unprivileged ICMP sockets for the group running zzprobe with the sysctl "
           "net.ipv4.ping_group_range (now \"" +
           read_ping_group_range() +
           "\"; e.g. `sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"`, made permanent in "
           "/etc/sysctl.d/), or give the program the CAP_NET_RAW capability: `setcap cap_net_raw+ep " +
           own_executable() +
           "`, or under systemd the line `AmbientCapabilities=CAP_NET_RAW` in the [Service] section. "
           "socket_mode = \"dgram\" or \"raw\" forces one kind.";
}

bool reset_tx_stamp_keys(int fd) {
    unsigned off = kTxStampFlags & ~unsigned(SOF_TIMESTAMPING_OPT_ID), on = kTxStampFlags;
    return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &off, sizeof off) == 0 &&
           setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &on, sizeof on) == 0;
}

IcmpSocket open_icmp_socket(int family, SocketMode mode, const IcmpConfig& config, std::string* error) {
    IcmpSocket out;
    out.family = family;
    int dgram_errno = 0, raw_errno = 0;
    int fd = -1;
    if (mode != SocketMode::kRaw) fd = try_open(family, false, &dgram_errno);
    if (fd < 0 && mode != SocketMode::kDgram) {
        fd = try_open(family, true, &raw_errno);
        out.raw = fd >= 0;
    }
    if (fd < 0) {
        std::string what = std::string("cannot open an ICMP socket for ") + family_name(family) + ": ";
        if (mode != SocketMode::kRaw)
            what += std::string("unprivileged datagram socket refused (") + std::strerror(dgram_errno) +
                    (dgram_errno == EACCES ? ", this group is outside net.ipv4.ping_group_range" : "") + ")";
        if (mode == SocketMode::kAuto) what += "; ";
        if (mode != SocketMode::kDgram)
            what += std::string("raw socket refused (") + std::strerror(raw_errno) +
                    (raw_errno == EPERM ? ", the process lacks CAP_NET_RAW" : "") + ")";
        bool permission = dgram_errno == EACCES || dgram_errno == EPERM || raw_errno == EPERM || raw_errno == EACCES;
        *error = what + (permission ? ". " + permission_advice() : ".");
        return out;
    }
    if (!configure_socket(fd, family, out.raw, config, error)) {
        close(fd);
        return out;
    }
    // Best effort (and only when configured): without it RTTs start at the clock read right
    // before the send.
    unsigned stamp_flags = kTxStampFlags;
    out.tx_stamps = config.transmit_timestamps &&
                    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &stamp_flags, sizeof stamp_flags) == 0;
    out.fd = fd;
    return out;
}

}  // namespace zzp::icmp

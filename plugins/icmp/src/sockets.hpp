// Opening ICMP sockets: unprivileged datagram ("ping") sockets where net.ipv4.ping_group_range
// allows them, raw sockets with CAP_NET_RAW, and a refusal that says how to get either.
#pragma once

#include <cstdint>
#include <string>

#include "config.hpp"

namespace zzp::icmp {

struct IcmpSocket {
    int fd = -1;
    int family = 0;    // AF_INET or AF_INET6
    bool raw = false;  // raw sockets see the IPv4 header and all ICMP; datagram sockets only ours
    // Kernel transmit timestamps can be asked for per request (SO_TIMESTAMPING with OPT_ID: each
    // stamped send gets the next key of a per-socket counter, reported on the error queue);
    // false when the kernel refuses or `transmit_timestamps` is off.
    bool tx_stamps = false;
};

// Resets the socket's timestamp key counter to 0 (OPT_ID off, then on). False if unsupported.
bool reset_tx_stamp_keys(int fd);

// Opens and configures (non-blocking, kernel receive timestamps, error queue, TTL, DSCP, source,
// interface, filters) one socket for `family`. On failure returns fd -1 and a message that says
// what failed and what to do.
IcmpSocket open_icmp_socket(int family, SocketMode mode, const IcmpConfig& config, std::string* error);

// The advice when neither socket kind is permitted: the sysctl, setcap, and the systemd line.
std::string permission_advice();

}  // namespace zzp::icmp

// Small POSIX helpers shared by the prober, the responder and the test tools.
#pragma once

#include <sys/socket.h>
#include <time.h>

#include <cstdint>
#include <string>

#include "net_address.hpp"

namespace zzp::udp_echo {

inline int64_t clock_ns(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
inline int64_t mono_ns() {
    return clock_ns(CLOCK_MONOTONIC);
}
inline int64_t real_ns() {
    return clock_ns(CLOCK_REALTIME);
}

// Owns a file descriptor.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(o.release()) {}
    Fd& operator=(Fd&& o) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }
    int get() const { return fd_; }
    int release() {
        int f = fd_;
        fd_ = -1;
        return f;
    }
    void reset(int fd = -1);
    explicit operator bool() const { return fd_ >= 0; }

private:
    int fd_ = -1;
};

struct SocketOptions {
    int dscp = 0;                   // 0..63, written into the TOS / traffic class byte
    bool receive_errors = false;    // IP_RECVERR / IPV6_RECVERR: ICMP errors on the error queue
    bool kernel_timestamps = true;  // SO_TIMESTAMPNS
    int buffer_bytes = 4 << 20;     // SO_RCVBUF / SO_SNDBUF wish (the kernel may cap it)
};

// A non-blocking UDP socket of `family`, bound to `bind_to` (or the wildcard, port 0, when
// null). Returns an invalid Fd with *error set.
Fd open_udp_socket(int family, const Endpoint* bind_to, const SocketOptions& options, std::string* error);

// The local address a socket is bound to.
Endpoint local_endpoint(int fd);

// The SO_TIMESTAMPNS receive time (CLOCK_REALTIME ns) in a received message's control data,
// or -1 when absent.
int64_t kernel_rx_timestamp(const msghdr& msg);

// Control buffer big enough for a timestamp plus an extended error with its offender address.
inline constexpr size_t kControlSize = 256;

// eventfd used to wake a thread blocked in epoll.
Fd make_eventfd();
void signal_eventfd(int fd);

std::string errno_text(int err);

}  // namespace zzp::udp_echo

// A port on 127.0.0.1 that nothing listens on right now: bind port 0, read what the kernel
// chose, close. Racy by nature (another process may take it before the caller binds it), which
// is acceptable for loopback-only tests and benchmarks; header-only so benchmarks built without
// the test suites can use it too.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

namespace zzp::test {

// `type`: SOCK_DGRAM (UDP) or SOCK_STREAM (TCP).
inline uint16_t free_loopback_port(int type = SOCK_DGRAM) {
    int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

}  // namespace zzp::test

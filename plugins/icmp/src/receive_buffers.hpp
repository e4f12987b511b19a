// Preallocated buffers for one recvmmsg batch (one set per thread that reads the sockets).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <vector>

namespace zzp::icmp {

constexpr unsigned kRecvBatch = 32;
constexpr size_t kControlSize = 256;

struct ReceiveBuffers {
    explicit ReceiveBuffers(size_t datagram_size) : data(kRecvBatch * datagram_size), datagram_size(datagram_size) {
        for (unsigned i = 0; i < kRecvBatch; ++i) {
            iov[i] = {&data[i * datagram_size], datagram_size};
        }
    }
    void prepare() {
        for (unsigned i = 0; i < kRecvBatch; ++i) {
            msghdr& h = messages[i].msg_hdr;
            h.msg_name = &names[i];
            h.msg_namelen = sizeof names[i];
            h.msg_iov = &iov[i];
            h.msg_iovlen = 1;
            h.msg_control = control[i];
            h.msg_controllen = kControlSize;
            h.msg_flags = 0;
        }
    }
    std::vector<uint8_t> data;
    size_t datagram_size;
    mmsghdr messages[kRecvBatch]{};
    iovec iov[kRecvBatch]{};
    sockaddr_storage names[kRecvBatch]{};
    alignas(cmsghdr) uint8_t control[kRecvBatch][kControlSize]{};
};

}  // namespace zzp::icmp

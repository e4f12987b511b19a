// A test ICMP echo responder with impairments, run inside a test-created namespace whose kernel
// echo replies are off (net.ipv4.icmp_echo_ignore_all=1). For each echo request it drops,
// delays (delay ± jitter, uniform), duplicates, or holds back (reorders) the reply, at the
// given probabilities from a seeded generator, and logs what it actually did, in send order:
//   R <seq16> <copy: 0 first, 1 duplicate> <delay_ns actually applied>
//   D <seq16>
// Prints READY on stdout once listening; exits after --duration-ms.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "packet.hpp"
#include "probe.hpp"  // zzp::icmp::mono_now_ns

namespace {

struct Pending {
    int64_t due;
    int64_t received;
    int copy;
    uint64_t order;  // tie-break: FIFO
    std::vector<uint8_t> packet;
    sockaddr_in to;
    bool operator>(const Pending& o) const { return due != o.due ? due > o.due : order > o.order; }
};

}  // namespace

int main(int argc, char** argv) {
    std::map<std::string, std::string> opt = {{"--seed", "1"},
                                              {"--delay-us", "0"},
                                              {"--jitter-us", "0"},
                                              {"--drop", "0"},
                                              {"--dup", "0"},
                                              {"--reorder", "0"},
                                              {"--reorder-extra-us", "15000"},
                                              {"--duration-ms", "5000"},
                                              {"--log", "/dev/null"}};
    for (int i = 1; i + 1 < argc; i += 2) opt[argv[i]] = argv[i + 1];
    std::mt19937_64 rng(std::stoull(opt["--seed"]));
    std::uniform_real_distribution<double> unit(0, 1);
    const double delay = std::stod(opt["--delay-us"]) * 1000, jitter = std::stod(opt["--jitter-us"]) * 1000;
    const double p_drop = std::stod(opt["--drop"]), p_dup = std::stod(opt["--dup"]),
                 p_reorder = std::stod(opt["--reorder"]);
    const int64_t reorder_extra = std::stoll(opt["--reorder-extra-us"]) * 1000;
    const int64_t end = zzp::icmp::mono_now_ns() + std::stoll(opt["--duration-ms"]) * 1'000'000;
    FILE* log = std::fopen(opt["--log"].c_str(), "w");
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (fd < 0 || !log) {
        std::perror("responder");
        return 1;
    }
    std::printf("READY\n");
    std::fflush(stdout);
    std::priority_queue<Pending, std::vector<Pending>, std::greater<>> queue;
    uint64_t order = 0;
    uint8_t buf[65536];
    for (;;) {
        int64_t now = zzp::icmp::mono_now_ns();
        while (!queue.empty() && queue.top().due <= now) {
            const Pending& p = queue.top();
            // The delay logged is read before the send: a stall after sendto (a busy machine)
            // must not make the log claim more delay than the reply really had.
            const int64_t held = zzp::icmp::mono_now_ns() - p.received;
            sendto(fd, p.packet.data(), p.packet.size(), 0, reinterpret_cast<const sockaddr*>(&p.to), sizeof p.to);
            std::fprintf(log, "R %u %d %lld\n", unsigned(p.packet[6] << 8 | p.packet[7]), p.copy,
                         static_cast<long long>(held));
            queue.pop();
        }
        if (now >= end && queue.empty()) break;
        int64_t wake = queue.empty() ? end : std::min(end, queue.top().due);
        int timeout_ms = int(std::max<int64_t>(0, (wake - now + 999'999) / 1'000'000));
        pollfd pfd{fd, POLLIN, 0};
        if (poll(&pfd, 1, now >= end ? int(std::max<int64_t>(0, (queue.top().due - now) / 1'000'000)) : timeout_ms) <=
            0)
            continue;
        sockaddr_in from{};
        socklen_t from_len = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
        int64_t received = zzp::icmp::mono_now_ns();
        if (n < 28) continue;
        size_t ihl = size_t(buf[0] & 0x0f) * 4;
        if (size_t(n) < ihl + 8 || buf[ihl] != 8) continue;  // only echo requests
        std::vector<uint8_t> reply(buf + ihl, buf + n);
        reply[0] = 0;
        reply[2] = reply[3] = 0;
        uint16_t sum = zzp::icmp::internet_checksum(reply.data(), reply.size());
        reply[2] = uint8_t(sum >> 8);
        reply[3] = uint8_t(sum);
        unsigned seq = unsigned(reply[6] << 8 | reply[7]);
        if (unit(rng) < p_drop) {
            std::fprintf(log, "D %u\n", seq);
            continue;
        }
        int64_t d = int64_t(delay + (unit(rng) * 2 - 1) * jitter);
        if (unit(rng) < p_reorder) d += reorder_extra;
        queue.push({received + d, received, 0, order++, reply, from});
        if (unit(rng) < p_dup)
            queue.push({received + d + int64_t(delay / 2) + 100'000, received, 1, order++, reply, from});
    }
    std::fclose(log);
    return 0;
}

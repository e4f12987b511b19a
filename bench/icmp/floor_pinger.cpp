#include "floor_pinger.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/icmp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "packet.hpp"
#include "probe.hpp"  // zzp::icmp::mono_now_ns

namespace zzp::bench {
namespace {

// What the child writes back through the pipe.
struct Report {
    double late_p50_us, late_p99_us;
    uint64_t echoes, replies;
    int error_number;
};

Report ping_loop(const std::vector<sockaddr_in>& to, double rate, double seconds, bool raw) {
    Report r{};
    int fd = socket(AF_INET, raw ? SOCK_RAW : SOCK_DGRAM, IPPROTO_ICMP);
    if (fd < 0) {
        r.error_number = errno;
        return r;
    }
    if (raw) {  // like zzprobe's raw socket: echo replies only, not every ICMP packet of the host
        icmp_filter filter{~(1u << ICMP_ECHOREPLY)};
        setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof filter);
    }
    const size_t n = to.size();
    const int64_t slot_ns = std::llround(1e9 / rate / double(n));
    const uint64_t slots = uint64_t(std::llround(rate * seconds)) * n;
    std::vector<double> late;
    late.reserve(slots);
    uint8_t packet[64] = {};
    uint8_t reply[512];
    auto* h = reinterpret_cast<icmphdr*>(packet);
    h->type = ICMP_ECHO;
    h->un.echo.id = htons(uint16_t(getpid()));
    const int64_t start = zzp::icmp::mono_now_ns();
    for (uint64_t k = 0; k < slots; ++k) {
        const int64_t due = start + int64_t(k) * slot_ns;
        timespec ts{time_t(due / 1'000'000'000), long(due % 1'000'000'000)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
        }
        late.push_back(double(zzp::icmp::mono_now_ns() - due) / 1e3);
        h->un.echo.sequence = htons(uint16_t(k / n));
        if (raw) {
            h->checksum = 0;
            h->checksum = htons(zzp::icmp::internet_checksum(packet, sizeof packet));
        }
        if (sendto(fd, packet, sizeof packet, 0, reinterpret_cast<const sockaddr*>(&to[k % n]), sizeof to[0]) > 0)
            ++r.echoes;
        while (recv(fd, reply, sizeof reply, MSG_DONTWAIT) > 0) ++r.replies;
    }
    close(fd);
    std::sort(late.begin(), late.end());
    if (!late.empty()) {
        r.late_p50_us = late[late.size() / 2];
        r.late_p99_us = late[std::min(late.size() - 1, late.size() * 99 / 100)];
    }
    return r;
}

}  // namespace

FloorResult run_floor_pinger(const std::vector<std::string>& targets, double rate_per_target, double seconds,
                             bool raw) {
    FloorResult out;
    std::vector<sockaddr_in> to;
    for (const auto& t : targets) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        if (inet_pton(AF_INET, t.c_str(), &a.sin_addr) != 1) {
            out.error = "not an IPv4 literal: " + t;
            return out;
        }
        to.push_back(a);
    }
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) {
        out.error = std::strerror(errno);
        return out;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(pipe_fds[0]);
        Report r = ping_loop(to, rate_per_target, seconds, raw);
        ssize_t written = write(pipe_fds[1], &r, sizeof r);
        _exit(written == ssize_t(sizeof r) ? 0 : 1);
    }
    close(pipe_fds[1]);
    Report r{};
    ssize_t got = read(pipe_fds[0], &r, sizeof r);
    close(pipe_fds[0]);
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    if (got != ssize_t(sizeof r) || r.error_number != 0) {
        out.error = r.error_number ? std::strerror(r.error_number) : "the floor pinger failed";
        return out;
    }
    const double cpu_s = double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                         double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    out.echoes = r.echoes;
    out.replies = r.replies;
    out.cpu_us_per_echo = r.echoes ? cpu_s * 1e6 / double(r.echoes) : 0;
    out.late_p50_us = r.late_p50_us;
    out.late_p99_us = r.late_p99_us;
    out.ok = true;
    return out;
}

}  // namespace zzp::bench

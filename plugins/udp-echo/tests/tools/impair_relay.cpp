// udp_impair_relay: a UDP relay between one prober and one echo server that impairs the requests
// (drop, duplicate, delay with jitter, occasional extra delay that reorders or makes a reply late)
// and logs, per request, what it did — the ground truth the impairment tests compare against.
// Replies pass back untouched. Deterministic for a given --seed.
//
//   udp_impair_relay --listen 127.0.0.1:0 --forward 127.0.0.1:7790 --log FILE
//       [--drop P] [--dup P] [--delay-ms D] [--jitter-ms J] [--extra P --extra-ms E]
//       [--late P --late-ms L] [--seed S]
// Log lines: "<seq> <copies> <delay_ns>" (copies 0 = dropped; 2 = duplicated, second copy 1 ms
// after the first). It prints "listening on ADDR:PORT" once ready. SIGTERM ends it.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "net_address.hpp"
#include "socket_util.hpp"
#include "wire.hpp"

using namespace zzp::udp_echo;

namespace {

volatile sig_atomic_t g_stop = 0;
void on_signal(int) {
    g_stop = 1;
}

struct Pending {
    int64_t due_mono;
    uint64_t order;
    std::vector<uint8_t> data;
    bool operator>(const Pending& o) const { return due_mono != o.due_mono ? due_mono > o.due_mono : order > o.order; }
};

}  // namespace

int main(int argc, char** argv) {
    std::string listen = "127.0.0.1:0", forward, log_path;
    double drop = 0, dup = 0, delay_ms = 0, jitter_ms = 0, extra = 0, extra_ms = 0, late = 0, late_ms = 0;
    unsigned seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i], v = argv[i + 1];
        if (k == "--listen")
            listen = v;
        else if (k == "--forward")
            forward = v;
        else if (k == "--log")
            log_path = v;
        else if (k == "--drop")
            drop = std::atof(v.c_str());
        else if (k == "--dup")
            dup = std::atof(v.c_str());
        else if (k == "--delay-ms")
            delay_ms = std::atof(v.c_str());
        else if (k == "--jitter-ms")
            jitter_ms = std::atof(v.c_str());
        else if (k == "--extra")
            extra = std::atof(v.c_str());
        else if (k == "--extra-ms")
            extra_ms = std::atof(v.c_str());
        else if (k == "--late")
            late = std::atof(v.c_str());
        else if (k == "--late-ms")
            late_ms = std::atof(v.c_str());
        else if (k == "--seed")
            seed = static_cast<unsigned>(std::atoi(v.c_str()));
        else {
            std::fprintf(stderr, "udp_impair_relay: unknown option %s\n", k.c_str());
            return 2;
        }
    }
    Endpoint listen_ep, forward_ep;
    std::string error;
    if (!parse_endpoint(listen, false, &listen_ep, &error, true) ||
        !parse_endpoint(forward, false, &forward_ep, &error)) {
        std::fprintf(stderr, "udp_impair_relay: %s\n", error.c_str());
        return 2;
    }
    FILE* log = std::fopen(log_path.c_str(), "w");
    if (!log) {
        std::fprintf(stderr, "udp_impair_relay: cannot write %s\n", log_path.c_str());
        return 2;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    SocketOptions options;
    options.kernel_timestamps = false;
    Fd front = open_udp_socket(listen_ep.family(), &listen_ep, options, &error);
    Fd back = open_udp_socket(forward_ep.family(), nullptr, options, &error);
    if (!front || !back) {
        std::fprintf(stderr, "udp_impair_relay: %s\n", error.c_str());
        return 1;
    }
    std::fprintf(stderr, "listening on %s\n", local_endpoint(front.get()).to_string().c_str());
    std::fflush(stderr);

    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> uni(0, 1);
    std::priority_queue<Pending, std::vector<Pending>, std::greater<>> queue;
    uint64_t order = 0;
    sockaddr_storage client{};
    socklen_t client_len = 0;
    std::vector<uint8_t> buf(65536);
    while (!g_stop) {
        int timeout = -1;
        if (!queue.empty())
            timeout = static_cast<int>(std::max<int64_t>(0, (queue.top().due_mono - mono_ns() + 999999) / 1000000));
        pollfd fds[2] = {{front.get(), POLLIN, 0}, {back.get(), POLLIN, 0}};
        // Sub-millisecond precision is not needed here: delays are in whole milliseconds.
        int n = poll(fds, 2, timeout);
        if (n < 0 && errno != EINTR) break;
        if (fds[0].revents & POLLIN) {
            for (;;) {
                sockaddr_storage from{};
                socklen_t from_len = sizeof from;
                ssize_t got = recvfrom(front.get(), buf.data(), buf.size(), MSG_DONTWAIT,
                                       reinterpret_cast<sockaddr*>(&from), &from_len);
                if (got < 0) break;
                client = from;
                client_len = from_len;
                Header h;
                uint64_t seq = decode(buf.data(), static_cast<size_t>(got), &h) == DecodeError::kNone ? h.seq : 0;
                int copies = uni(rng) < drop ? 0 : (uni(rng) < dup ? 2 : 1);
                double d = delay_ms + jitter_ms * uni(rng);
                if (uni(rng) < extra) d += extra_ms;
                if (uni(rng) < late) d += late_ms;
                int64_t delay_ns = static_cast<int64_t>(d * 1e6);
                std::fprintf(log, "%llu %d %lld\n", static_cast<unsigned long long>(seq), copies,
                             static_cast<long long>(delay_ns));
                int64_t now = mono_ns();
                for (int c = 0; c < copies; ++c)
                    queue.push(Pending{now + delay_ns + c * 1000000, order++,
                                       std::vector<uint8_t>(buf.begin(), buf.begin() + got)});
            }
            std::fflush(log);
        }
        if (fds[1].revents & POLLIN) {
            for (;;) {
                ssize_t got = recv(back.get(), buf.data(), buf.size(), MSG_DONTWAIT);
                if (got < 0) break;
                if (client_len)
                    sendto(front.get(), buf.data(), static_cast<size_t>(got), 0, reinterpret_cast<sockaddr*>(&client),
                           client_len);
            }
        }
        int64_t now = mono_ns();
        while (!queue.empty() && queue.top().due_mono <= now) {
            const Pending& p = queue.top();
            sendto(back.get(), p.data.data(), p.data.size(), 0, reinterpret_cast<const sockaddr*>(&forward_ep.addr),
                   forward_ep.len);
            queue.pop();
        }
    }
    std::fclose(log);
    return 0;
}

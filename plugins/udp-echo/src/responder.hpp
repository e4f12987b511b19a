// The bundled udp-echo responder: answers zzprobe echo requests from allowed sources, stamps its
// own receive and send times when asked, never answers with more bytes than it got, rate-limits
// each source and counts every refusal by reason. One thread, epoll over the listening sockets,
// recvmmsg/sendmmsg in batches. Used by the "udp-echo-responder" plugin and by the standalone
// zzprobe-udp-responder executable.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net_address.hpp"
#include "socket_util.hpp"

namespace zzp::udp_echo {

struct ResponderConfig {
    std::vector<Endpoint> listen;    // port 0 picks a free port (tests)
    AllowList allow;                 // empty: nobody is answered
    double rate_per_source = 2000;   // datagrams/s per source address; <= 0: unlimited
    double burst = 200;              // bucket depth
    size_t max_request = 9000;       // larger requests are refused (reason "oversized")
    int64_t hold_ns = 0;             // answer each request this long after it arrived (benchmarks)
    int64_t report_interval_ns = 0;  // call `report` this often (0: never)
    std::function<void()> report;    // called on the responder thread
};

struct ResponderCounters {
    uint64_t received = 0;             // datagrams read
    uint64_t answered = 0;             // replies sent
    uint64_t stamped = 0;              // replies that carried our receive and send times
    uint64_t refused_not_allowed = 0;  // source outside the allow-list
    uint64_t refused_rate_limited = 0;
    uint64_t refused_malformed = 0;  // not a zzprobe echo request (short, bad magic/version/flags)
    uint64_t refused_reply = 0;      // a reply, not a request: never answered (no ping-pong loops)
    uint64_t refused_oversized = 0;  // larger than max_request
    uint64_t send_failed = 0;
    uint64_t refused() const {
        return refused_not_allowed + refused_rate_limited + refused_malformed + refused_reply + refused_oversized;
    }
    std::string to_string() const;
};

class Responder {
public:
    Responder();
    ~Responder();
    Responder(const Responder&) = delete;
    Responder& operator=(const Responder&) = delete;

    // Opens and binds every listening socket. False with *error when one fails.
    bool open(ResponderConfig config, std::string* error);
    // The addresses actually bound (ports filled in), in `listen` order.
    const std::vector<Endpoint>& bound() const { return bound_; }
    void start();
    void stop();  // wakes the thread, joins it; idempotent
    ResponderCounters counters() const;

private:
    struct Counters {
        std::atomic<uint64_t> received{0}, answered{0}, stamped{0}, not_allowed{0}, rate_limited{0}, malformed{0},
            reply{0}, oversized{0}, send_failed{0};
    };
    struct Held;
    void run();
    void drain_socket(size_t socket_index);
    void release_held(int64_t now_mono);
    void arm_hold_timer();

    ResponderConfig config_;
    std::vector<Fd> sockets_;
    std::vector<Endpoint> bound_;
    Fd epoll_, stop_event_, hold_timer_;
    std::thread thread_;
    Counters counters_;
    std::vector<uint8_t> buffers_;  // batch x max_request, allocated once in open()
    std::vector<Held> held_;        // ring of requests waiting for hold_ns (only when hold_ns > 0)
    size_t held_head_ = 0, held_count_ = 0;
    struct Batch;
    std::unique_ptr<Batch> batch_;  // recvmmsg/sendmmsg scratch, allocated once in open()
};

}  // namespace zzp::udp_echo

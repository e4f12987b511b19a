// Test support: a UDP relay on loopback that drops and reorders datagrams in both directions
// (this kernel has no `tc netem`). The first peer that sends to local_port() becomes "the
// client"; everything it sends goes to the upstream port, everything upstream answers goes back.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <random>
#include <thread>
#include <vector>

namespace zzp::stream::test {

class LossyRelay {
public:
    struct Impairment {
        double loss = 0.2;      // probability a datagram is dropped
        double reorder = 0.2;   // probability a datagram is held back
        int hold_ms = 3;        // how long a held datagram waits (later ones overtake it)
    };
    LossyRelay(uint16_t upstream_port, Impairment impairment, uint32_t seed);
    ~LossyRelay();
    uint16_t local_port() const { return local_port_; }
    uint64_t dropped() const { return dropped_; }
    uint64_t reordered() const { return reordered_; }
    uint64_t forwarded() const { return forwarded_; }

private:
    struct Held {
        int64_t release_mono;
        int fd;
        bool to_client;
        std::vector<char> bytes;
    };
    void run();
    void forward(int fd, bool to_client, const char* data, size_t size, int64_t now);
    void send_now(int fd, bool to_client, const char* data, size_t size);
    void arm(int64_t now);

    Impairment impairment_;
    std::mt19937_64 random_;
    int client_side_ = -1;    // bound on 127.0.0.1:0, talks to the client
    int upstream_side_ = -1;  // connected to 127.0.0.1:upstream
    int timer_ = -1, stop_ = -1;
    uint16_t local_port_ = 0;
    bool have_client_ = false;
    std::vector<char> client_addr_;
    std::vector<Held> held_;
    std::atomic<uint64_t> dropped_{0}, reordered_{0}, forwarded_{0};
    std::thread thread_;
};

}  // namespace zzp::stream::test

// The receiving side of the udp-stream protocol, as a plain C++ library for viewers, tests and
// relays (never across the plugin ABI).
//
// One StreamClient subscribes to one sink, receives the history it asked for and then live
// frames, acknowledges what arrived, asks again for what did not, keeps the subscription alive
// and subscribes again when the sink forgot it or restarted. It owns one thread that blocks on
// its socket, a timerfd and an eventfd; callbacks run on that thread, in arrival order (a
// repaired datagram arrives late: consumers key frames by (target_id, start_wall_ns) and keep
// the highest revision).
#pragma once

#include <zzprobe/frame.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "protocol/auth.hpp"
#include "protocol/messages.hpp"
#include "protocol/udp_address.hpp"

namespace zzp::stream {

struct ClientOptions {
    UdpAddress server;                   // the sink's listen address
    std::shared_ptr<const AuthKey> key;  // the shared secret, if the sink has one
    int64_t history_ns = 3600'000'000'000;  // history to ask for on subscribe
    int receive_buffer_bytes = 4 << 20;     // socket buffer; bounds the flow-control window
    // Wall clock for subscribe timestamps (the sink checks them against its replay window).
    std::function<int64_t()> wall_now_ns;
    // Called on the client thread after each burst of received datagrams has gone through the
    // target and frame callbacks, before the thread blocks again: lets a consumer hand on in one
    // call what the per-frame callbacks collected (the relay publishes to its host this way).
    std::function<void()> on_burst_end;
};

struct ClientStats {
    bool subscribed = false;      // a welcome arrived for the current session
    bool history_complete = false;  // every history datagram of the current session arrived
    uint64_t history_count = 0;   // history datagrams the sink announced
    uint64_t cum_ack = 0;         // every seq up to here arrived
    uint64_t highest_seq = 0;     // highest seq seen or announced by a heartbeat
    uint64_t subscriptions = 0;   // welcomes received (> 1 after re-subscribing)
    uint64_t refusals = 0;
    int last_refusal = 0;         // RefuseReason of the last refusal, 0 if none
    uint64_t datagrams = 0;       // accepted DATA datagrams (new seqs only)
    uint64_t duplicates = 0;      // DATA for a seq already received (repairs crossing)
    uint64_t gaps = 0;            // times a seq arrived past a hole
    uint64_t repair_requests = 0; // acks that listed missing ranges
    uint64_t frames = 0;
    uint64_t targets = 0;
    uint64_t acks_sent = 0;
    uint64_t dropped_malformed = 0;
    uint64_t dropped_unauthenticated = 0;  // no tag, unexpected tag or bad tag
    uint64_t dropped_replayed = 0;
    uint64_t dropped_foreign_session = 0;
    uint32_t window = 0;          // datagrams advertised to the sink (from the receive buffer)
};

class StreamClient {
public:
    using TargetCallback = std::function<void(const TargetRecord&)>;
    using FrameCallback = std::function<void(const zzp_frame&)>;

    StreamClient(ClientOptions options, TargetCallback on_target, FrameCallback on_frame);
    ~StreamClient();
    StreamClient(const StreamClient&) = delete;
    StreamClient& operator=(const StreamClient&) = delete;

    // Open the socket and subscribe. Throws std::runtime_error if the socket cannot be made.
    void start();
    // Stop and join. With `unsubscribe`, tell the sink first (otherwise it expires us).
    void stop(bool unsubscribe = true);

    ClientStats stats() const;
    // Block until pred(stats) holds or the timeout passes; returns whether it held.
    bool wait_for(const std::function<bool(const ClientStats&)>& pred, std::chrono::milliseconds timeout) const;
    uint16_t local_port() const { return local_port_; }

private:
    void run();
    void handle(std::string_view datagram, int64_t now);
    void on_data(const Message& m, int64_t now);
    void new_session(int64_t now);
    void send_subscribe(int64_t now);
    void send_ack(int64_t now);
    void send(const std::string& datagram);
    void on_timer(int64_t now);
    void arm_timer(int64_t now);
    std::vector<SeqRange> missing_ranges() const;
    void publish_stats();

    ClientOptions options_;
    TargetCallback on_target_;
    FrameCallback on_frame_;
    int socket_fd_ = -1, timer_fd_ = -1, stop_fd_ = -1;
    uint16_t local_port_ = 0;
    uint32_t window_ = 64;
    uint32_t ack_every_ = 16;
    std::thread thread_;

    // Protocol state: touched only by the client thread (and by start/stop around it).
    uint64_t session_ = 0;
    uint64_t tx_counter_ = 0;
    ReplayWindow rx_window_;
    std::string cookie_;
    bool subscribed_ = false;
    uint64_t cum_ack_ = 0;
    std::set<uint64_t> received_above_;  // received seqs > cum_ack_
    uint64_t highest_ = 0;           // highest seq received or announced by a heartbeat
    uint64_t highest_received_ = 0;  // highest seq received
    uint32_t unacked_ = 0;
    int64_t keepalive_ns_ = 2'500'000'000;
    int64_t timeout_ns_ = 10'000'000'000;
    int64_t next_subscribe_ = 0;  // resend subscribe at (0: not subscribing)
    int64_t subscribe_backoff_ = 0;
    int64_t next_keepalive_ = 0;
    int64_t ack_due_ = 0;
    int64_t last_heard_ = 0;
    int64_t newest_frame_start_ = INT64_MIN;
    DecodedRecords records_;  // of the datagram being handled
    ClientStats local_;

    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    ClientStats shared_;
};

}  // namespace zzp::stream

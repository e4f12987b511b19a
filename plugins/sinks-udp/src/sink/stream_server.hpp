// The udp-stream sink's network side, free of the plugin ABI: one UDP socket, the subscribers,
// the history store, and a network thread that blocks on the socket, a timerfd (expiry,
// probes, pacing) and an eventfd (stop). Live frames are sent from the caller's thread
// (the sink's dispatcher) straight away, so they leave within microseconds of write().
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>
#include <zzp_stream/udp_stream_stats.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "history_store.hpp"
#include "protocol/auth.hpp"
#include "protocol/messages.hpp"
#include "protocol/udp_address.hpp"

namespace zzp::stream {

struct ServerOptions {
    UdpAddress listen;
    int64_t history_window_ns = 3600'000'000'000;
    uint32_t max_subscribers = 16;
    std::shared_ptr<const AuthKey> key;  // nullptr: no authentication
    int64_t subscriber_timeout_ns = 10'000'000'000;
    uint64_t replay_rate_bytes_per_s = 128ull << 20;  // history replay + repairs, per subscriber
    int64_t replay_window_ns = 60'000'000'000;        // accepted age of an authenticated subscribe
    std::function<void(int level, const std::string& message)> log;
    std::function<int64_t()> wall_now_ns;
};

class StreamServer {
public:
    explicit StreamServer(ServerOptions options);
    ~StreamServer();
    StreamServer(const StreamServer&) = delete;
    StreamServer& operator=(const StreamServer&) = delete;

    // Bind and start the network thread. Throws std::runtime_error (with the address and what
    // to do) when the socket cannot be set up.
    void start();
    // Say goodbye to subscribers, stop and join the thread. Idempotent.
    void stop();

    void publish_target(const TargetRecord& target);
    void publish_frames(const zzp_frame* frames, size_t count);

    void stats(zzp_udp_stream_stats* out) const;

private:
    struct OutEntry {
        ChunkPtr chunk;
        int64_t last_sent_mono = 0;  // 0: never sent
        uint64_t sent_before = 0;    // highest seq sent when this one was last sent
    };
    struct Subscriber {
        uint64_t session = 0;
        UdpAddress peer;
        uint64_t tx_counter = 0;
        ReplayWindow rx_window;
        int64_t last_heard_mono = 0;
        int64_t last_sent_mono = 0;
        int64_t last_progress_mono = 0;  // last ack advance or probe
        uint64_t history_count = 0;      // seqs 1..history_count are the snapshot
        uint64_t history_next = 1;       // next history seq to send
        uint64_t next_seq = 1;           // next seq to assign to live data
        uint64_t highest_sent = 0;
        uint64_t cum_ack = 0;
        uint32_t window = 64;
        uint64_t log_base = 1;  // seq of log.front()
        std::deque<OutEntry> log;
        double tokens = 0;
        int64_t tokens_mono = 0;
        int64_t pacing_until_mono = 0;  // history waits for tokens until then (0: not waiting)
        std::string welcome;            // resent when the subscribe is repeated
    };

    void run();
    void handle_datagram(const char* data, size_t size, const UdpAddress& from, int64_t now);
    void handle_subscribe(const Message& m, const UdpAddress& from, int64_t now);
    void handle_ack(Subscriber& s, const Message& m, int64_t now);
    void on_timer(int64_t now);
    void pump_history(Subscriber& s, int64_t now);
    // DATA goes out in batches through one sendmmsg (history replay, retransmits, and a live
    // publication to every subscriber): queue_entry encodes into the next free buffer (flushing
    // when all are taken); flush_entries sends what is queued and records, per datagram, that it
    // left. A datagram the socket refuses (EAGAIN) stays unsent (last_sent_mono == 0). Returns
    // how many of the queued ones were sent. No subscriber may be added or removed between
    // queueing and flushing (entries point at them).
    void queue_entry(Subscriber& s, uint64_t seq, OutEntry& e, int64_t now);
    size_t flush_entries(int64_t now);
    void send_raw(Subscriber& s, const std::string& datagram, int64_t now);
    void send_to(const UdpAddress& to, const std::string& datagram);
    void remove_subscriber(uint64_t session, const char* why, int64_t now);
    void refill_tokens(Subscriber& s, int64_t now);
    void rearm_timer_locked(int64_t now);
    std::string make_cookie(const UdpAddress& peer, int64_t bucket) const;
    uint64_t stateless_counter() { return (1ull << 62) + ++stateless_counter_; }
    void log(int level, const std::string& message) const;
    int64_t keepalive_ns() const { return options_.subscriber_timeout_ns / 4; }

    ServerOptions options_;
    AuthKey cookie_key_;  // random per start: cookies prove an unauthenticated remote's address
    int socket_fd_ = -1;
    int timer_fd_ = -1;
    int stop_fd_ = -1;
    std::thread thread_;

    mutable std::mutex mutex_;  // guards everything below
    HistoryStore history_;
    std::unordered_map<uint64_t, Subscriber> subscribers_;
    // Sessions that ended recently: a replayed subscribe of theirs must not start them again.
    std::map<uint64_t, int64_t> closed_sessions_;  // session -> forget after (mono)
    int64_t armed_deadline_ = 0;
    struct Queued {
        Subscriber* subscriber;
        uint64_t seq;
        OutEntry* entry;
    };
    static constexpr size_t kSendBatch = 64;
    std::vector<std::string> send_buffers_{kSendBatch};  // encoded DATA, reused (capacity kept)
    std::vector<Queued> queued_;
    std::vector<mmsghdr> send_msgs_{kSendBatch};
    std::vector<iovec> send_iovs_{kSendBatch};
    uint64_t stateless_counter_ = 0;  // for answers to datagrams that belong to no subscriber
    zzp_udp_stream_stats stats_{};
};

}  // namespace zzp::stream

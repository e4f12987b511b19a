// The udp-echo prober engine: one sender thread on an absolute schedule, one receiver thread
// blocking in epoll on the sockets (plus an eventfd for stop and a timerfd that settles
// timeouts), batched sendmmsg/recvmmsg, a fixed ring of attempts per target. It reports every
// attempt through ProbeOutput as zzp_sample records (sample.h semantics).
#pragma once

#include <zzprobe/host.h>
#include <zzprobe/sample.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net_address.hpp"
#include "socket_util.hpp"

namespace zzp::udp_echo {

// Where the prober's samples and logs go (the plugin adapts zzp::Host; tests may record).
class ProbeOutput {
public:
    virtual ~ProbeOutput() = default;
    virtual void emit(const zzp_sample* samples, uint32_t count) = 0;
    virtual int64_t wall_now_ns() = 0;
    virtual void log(int level, const std::string& message) = 0;  // zzp_log_level
};

struct ProbeTargetSpec {
    std::string name;   // as configured: "127.0.0.1:7790", "echo.lan:7"
    Endpoint endpoint;  // resolved
    uint32_t id = 0;    // host target id
};

struct ProberConfig {
    std::vector<ProbeTargetSpec> targets;
    double rate = 10;          // requests per second per target
    size_t payload_size = 64;  // bytes of UDP payload, >= kHeaderSize
    int64_t timeout_ns = 1000000000;
    int dscp = 0;
    bool stamp = true;  // ask the responder to stamp its own delay
};

struct ProberCounters {
    uint64_t sent = 0, replies = 0, lost = 0, send_errors = 0, net_errors = 0, late = 0, duplicates = 0, reordered = 0,
             remote_corrected = 0, kernel_ts = 0, foreign = 0, stale = 0, skipped_slots = 0;
    std::string to_string() const;
};

class Prober {
public:
    Prober(ProberConfig config, ProbeOutput* output);
    ~Prober();
    Prober(const Prober&) = delete;
    Prober& operator=(const Prober&) = delete;

    // Continue sequences of a predecessor: name|address -> next seq. Before start().
    void set_next_seqs(const std::map<std::string, uint64_t>& next);
    std::map<std::string, uint64_t> next_seqs() const;  // after stop()
    static std::string seq_key(const ProbeTargetSpec& t) { return t.name + "|" + t.endpoint.to_string(); }

    // Opens the sockets and starts both threads. False with *error (socket failures).
    bool start(std::string* error);
    // Stops sending, lets what is in flight settle (reply or timeout) for at most
    // settle_budget_ns, settles the rest as LOST, joins both threads. Idempotent.
    void stop(int64_t settle_budget_ns);
    ProberCounters counters() const;

private:
    struct Attempt;
    struct Target;
    struct SendScratch;
    struct RecvScratch;

    void sender_loop();
    void receiver_loop();
    void send_due(int64_t now_mono);
    void flush_family(int family_index);
    void receive_from(size_t socket_index);
    void receive_errors(size_t socket_index);
    void handle_reply(const uint8_t* data, size_t size, bool truncated, const sockaddr* from, int64_t kernel_rx_real,
                      int64_t now_mono, int64_t now_real);
    void settle_expired_locked(int64_t now_mono, bool force);
    void rearm_settle_timer_locked();
    void emit_pending_samples();
    int64_t settle_slack_ns() const;

    ProberConfig config_;
    ProbeOutput* output_;
    uint64_t nonce_ = 0;
    int64_t send_ahead_ns_ = 0;  // send what is due within this much in the same batch
    std::vector<Target> targets_;
    Fd sockets_[2];  // [0] IPv4, [1] IPv6; only opened when a target needs it
    Fd epoll_, stop_event_, settle_timer_;

    // Sender side.
    std::thread sender_;
    std::mutex schedule_mutex_;
    std::condition_variable schedule_cv_;
    bool stop_sending_ = false;
    std::unique_ptr<SendScratch> send_;

    // Receiver side.
    std::thread receiver_;
    std::unique_ptr<RecvScratch> recv_;
    int64_t last_drain_mono_ = 0;  // receiver only

    // Attempt table, shared by both threads.
    mutable std::mutex table_mutex_;
    std::condition_variable all_settled_cv_;
    uint64_t pending_ = 0;
    bool settle_timer_armed_ = false;
    int64_t highest_deadline_ = 0;

    struct AtomicCounters;
    std::unique_ptr<AtomicCounters> counters_;
    bool started_ = false;
};

}  // namespace zzp::udp_echo

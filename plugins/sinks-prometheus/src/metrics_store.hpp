// Per-target metrics kept in memory: exact counters, an RTT histogram, a sliding window of RTTs
// for the summary quantiles, the last RTT and the time of the last reply.
//
// Threads: apply()/on_target() run on the sink's dispatcher; snapshot() on the HTTP thread.
// Each series has its own mutex, held only to add one sample (dispatcher) or to copy the series
// (HTTP); the list of series has another, held to add a series or copy the list of pointers.
// So a scrape never holds a lock while it renders or sends, and write() never waits for one.
#pragma once

#include <zzprobe/zzprobe.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace zzp::prom {

struct TargetMeta {
    std::string probe;    // probe instance id
    std::string name;     // target as configured
    std::string address;  // resolved address
    std::string method;   // probe plugin id
};

struct Counters {
    uint64_t requests = 0;    // settled attempts: REPLY + LOST + SEND_ERROR + NET_ERROR
    uint64_t replies = 0;     // REPLY
    uint64_t lost = 0;        // LOST
    uint64_t errors = 0;      // SEND_ERROR + NET_ERROR
    uint64_t late = 0;        // LATE events
    uint64_t duplicates = 0;  // DUPLICATE events
    uint64_t rtt_count = 0;   // replies observed in the histogram (== replies)
    double rtt_sum_s = 0;     // sum of their RTTs, seconds
    int64_t last_rtt_ns = -1;         // RTT of the most recent reply, -1: none yet
    int64_t last_reply_wall_ns = 0;   // when it arrived (send time + RTT), 0: never
    std::vector<uint64_t> buckets;    // per bucket (not cumulative), last one is +Inf
};

inline constexpr std::array<double, 3> kQuantiles = {0.5, 0.9, 0.99};

struct StoreOptions {
    std::vector<double> bucket_bounds_s;  // strictly increasing, +Inf implied
    int64_t window_ns = 60'000'000'000;
    uint32_t window_max_samples = 20000;
    int64_t up_window_ns = 10'000'000'000;
    std::string static_labels;  // already rendered: `,site="paris"` (leading comma) or empty
};

// One target as a scrape sees it.
struct TargetSnapshot {
    std::shared_ptr<const std::string> labels;  // `probe="..",target="..",address="..",method=".."` + static
    Counters counters;
    std::array<double, kQuantiles.size()> quantiles_s{};  // NaN when the window is empty
    uint64_t window_count = 0;
    bool up = false;
};

class MetricsStore {
public:
    explicit MetricsStore(StoreOptions options);

    // [dispatcher]
    void on_target(uint32_t id, const TargetMeta& meta);
    void apply(const zzp_sample* samples, uint32_t count);

    // [any thread] Every series, with quantiles computed over the window ending at now_wall_ns.
    std::vector<TargetSnapshot> snapshot(int64_t now_wall_ns) const;
    // Bumped by every change; lets the HTTP side reuse a rendering while nothing changed.
    uint64_t version() const { return version_.load(std::memory_order_acquire); }
    size_t size() const;

    // Hot swap: the whole store, and a successor's load (before any on_target). Format 1.
    std::string save() const;
    void load(const std::string& bytes);

    const StoreOptions& options() const { return options_; }

private:
    struct WindowEntry {
        int64_t at_wall_ns;
        int64_t rtt_ns;
    };
    struct Series {
        mutable std::mutex mutex;
        TargetMeta meta;
        std::shared_ptr<const std::string> labels;
        Counters counters;
        std::deque<WindowEntry> window;
    };
    std::shared_ptr<Series> make_series(const TargetMeta& meta);
    std::shared_ptr<const std::string> render_labels(const TargetMeta& meta) const;
    void observe_reply(Series& s, const zzp_sample& sample);
    static std::string identity(const TargetMeta& m);

    StoreOptions options_;
    std::vector<int64_t> bounds_ns_;
    std::atomic<uint64_t> version_{0};

    // The dispatcher's index (only the dispatcher, or main while not started, touches it).
    std::unordered_map<uint32_t, std::shared_ptr<Series>> by_id_;
    std::map<std::string, std::shared_ptr<Series>> by_identity_;

    mutable std::mutex list_mutex_;
    std::vector<std::shared_ptr<Series>> list_;  // what scrapes see, in first-seen order
};

// Linear interpolation between the closest ranks (the frame rule of frame.h); sorts nothing
// it does not need to. `values` is reordered. NaN when empty.
std::array<double, kQuantiles.size()> window_quantiles(std::vector<int64_t>& values);

}  // namespace zzp::prom

// The host's data pipeline: host tables, routing, the frame builder thread and one SinkRunner
// per sink or viewer.
//
//   probe ─emit→ ingest ─┬─ settled samples → SinkRunner queues of the sinks routed to the probe
//                        └─ all samples → pipeline thread → FrameBuilder → frames → SinkRunners
//
// Routing: samples and frames of probe P go to the sinks and viewers whose inputs name P
// (empty inputs: every probe). Lifecycle ([main]): open() creates every instance (host tables
// first; they outlive the instances) and configures them, collecting every error with the
// instance and the config key; start() starts sinks and viewers, then probes; wait() returns
// once request_stop() was called (by a plugin through its host table, or by the CLI on a
// signal); stop(deadline) stops probes, finalises every open frame, drains every sink queue up
// to the deadline, flushes, stops sinks and viewers and destroys everything, reporting what
// could not be written.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/clock.hpp"
#include "pipeline/frame_builder.hpp"
#include "pipeline/host_table.hpp"
#include "pipeline/instance_handle.hpp"
#include "pipeline/sink_runner.hpp"
#include "pipeline/target_registry.hpp"

namespace zzp::host {

struct InstanceSpec {
    zzp_plugin_kind kind = ZZP_KIND_PROBE;
    std::string instance_id;
    std::string plugin_id;
    std::vector<std::string> inputs;  // probe instance ids; empty: all probes (sinks, viewers)
    InstanceFactory create;
    const zzp_config* config = nullptr;  // valid during open()
};

struct PipelineOptions {
    int64_t frame_interval_ns = 100'000'000;
    int64_t settle_timeout_ns = 5'000'000'000;
    uint64_t queue_limit_bytes = 64ull << 20;  // per sink, host.queue_limit
    uint32_t max_batch_records = 4096;
    // Periodic flush while data flows (also at stop, swap and queue pressure). Sinks decide
    // their own durability cadence between flushes (the recorder's fsync_interval), so this is
    // long: a 1 s flush would cut the recorder's chunks to 1 s and cost a third more space.
    int64_t flush_interval_ns = 10'000'000'000;
    // With no live consumer (viewer or sink taking live frames), final frames and samples are
    // handed to sinks once per batch_delay rather than once per frame interval ([host]
    // batch_delay): an idle host then wakes its frame thread and each sink once a second.
    // Values up to the frame interval mean "every interval". Never applies with a manual clock.
    int64_t batch_delay_ns = 1'000'000'000;
    std::shared_ptr<Clock> clock;       // nullptr: the real clock
    TargetRegistry* registry = nullptr;  // nullptr: TargetRegistry::global()
};

// One problem with one instance. `key` is the config key at fault (zzp_error.key), so the CLI
// can point at the TOML line; empty when not about a key.
struct PipelineError {
    std::string instance_id;
    std::string origin;
    std::string key;
    std::string message;
    std::string text() const;
};

struct StopReport {
    bool clean = true;                  // everything written, acknowledged, stopped in time
    std::vector<std::string> problems;  // one line each, with the instance's origin
    uint64_t unwritten_records = 0;     // records no sink took (per sink, summed)
};

struct PipelineCounters {
    uint64_t ingested = 0;         // samples accepted from probes
    uint64_t rejected = 0;         // samples refused (bad target id or status)
    uint64_t ignored_emits = 0;    // emit calls outside start/stop
    FrameBuilderCounters frames;
};

class Pipeline final : private HostServices {
public:
    Pipeline(std::vector<InstanceSpec> specs, PipelineOptions options);
    ~Pipeline() override;
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    bool open(std::vector<PipelineError>& errors);
    bool start(std::vector<PipelineError>& errors);  // on failure the pipeline is stopped
    void wait();
    bool wait_for_stop_request(int64_t timeout_ns);  // true when a stop was requested
    void request_stop(const std::string& origin, const std::string& reason) override;
    bool stop_requested() const;
    std::string stop_reason() const;
    StopReport stop(int64_t deadline_mono_ns);

    PipelineCounters counters() const;
    // Per sink or viewer instance id, for `status`.
    std::vector<std::pair<std::string, SinkRunnerCounters>> sink_counters() const;
    const Clock& clock() const { return *clock_; }

    // Hot swap support (host/control/hot_swap.*), [main]. Slots are stable for the pipeline's
    // life; a slot keeps its host table and runner while its instance is replaced.
    size_t slot_count() const { return nodes_.size(); }
    std::optional<size_t> find_slot(const std::string& instance_id) const;
    const InstanceSpec& spec(size_t slot) const { return nodes_[slot].spec; }
    InstanceHandle* instance(size_t slot) const { return nodes_[slot].instance.get(); }
    HostTable* host_table(size_t slot) const { return nodes_[slot].host.get(); }
    SinkRunner* runner(size_t slot) const { return nodes_[slot].runner.get(); }
    bool started(size_t slot) const { return nodes_[slot].started; }
    bool running() const { return opened_ && !stopped_; }
    // Puts `successor` (created on host_table(slot), configured, started) in the slot and returns
    // the instance that was there; the caller keeps it until it may be destroyed.
    std::unique_ptr<InstanceHandle> exchange_instance(size_t slot, std::unique_ptr<InstanceHandle> successor);
    // Forget every spec's factory once open() is done (a factory may hold a library loaded).
    void release_factories();

private:
    struct Node {
        InstanceSpec spec;
        std::unique_ptr<HostTable> host;
        std::unique_ptr<InstanceHandle> instance;
        std::unique_ptr<SinkRunner> runner;  // sinks and viewers
        bool started = false;
        std::vector<SinkRunner*> sample_routes;  // probes: runners taking this probe's samples
    };

    // HostServices (called through the host tables, any thread).
    uint32_t intern_target(size_t slot, const zzp_target_desc& desc) override;
    void ingest(size_t slot, const zzp_sample* samples, uint32_t count) override;
    int64_t wall_ns() const override { return clock_->wall_ns(); }
    int64_t mono_ns() const override { return clock_->mono_ns(); }
    bool offers_frames() const override;  // zzp.frames/1, in pipeline_frames.cpp
    zzp_status publish_frames(size_t slot, const zzp_frame* frames, uint32_t count, uint32_t* rejected) override;

    bool routes(const Node& sink, size_t probe_slot) const;
    void build_routes();
    void frame_loop();
    void publish(const std::vector<zzp_frame>& frames);
    void report_late_events(bool force);
    void stop_thread();

    std::vector<Node> nodes_;
    PipelineOptions options_;
    std::shared_ptr<Clock> clock_;
    TargetRegistry* registry_;
    uint64_t clock_listener_ = 0;

    // target id → probe slot that interned it (-1: none)
    mutable std::shared_mutex targets_mutex_;
    std::vector<int32_t> target_owner_;
    std::vector<std::vector<uint8_t>> routes_;  // routes_[sink slot][probe slot]

    // Ingest: probes append, the pipeline thread swaps the buffer out.
    std::mutex ingest_mutex_;
    std::condition_variable ingest_cv_;       // wakes the pipeline thread
    std::condition_variable ingest_room_cv_;  // wakes producers waiting for the thread
    std::vector<zzp_sample> ingest_;
    bool thread_stop_ = false;
    bool untimed_wait_ = false;  // the pipeline thread sleeps with no deadline
    int64_t producer_deadline_ = INT64_MAX;
    std::atomic<uint64_t> clock_generation_{0};
    std::thread thread_;

    // Pipeline thread only.
    FrameBuilder builder_;
    std::vector<zzp_sample> work_;
    std::vector<zzp_frame> frames_out_;
    std::vector<zzp_frame> frames_scratch_;
    FrameBuilderCounters reported_;
    int64_t last_late_report_mono_ = 0;
    int64_t last_work_wall_ = INT64_MIN / 2;  // when samples last arrived (pipeline clock, lagged)
    bool live_consumers_ = true;                 // set by build_routes: some runner shows frames live
    int64_t last_pass_wall_ = 0;                 // `now` of the last pass of frame_loop

    mutable std::mutex status_mutex_;
    FrameBuilderCounters builder_counters_;
    std::atomic<uint64_t> ingested_{0};
    std::atomic<uint64_t> rejected_{0};

    mutable std::mutex stop_mutex_;
    std::condition_variable stop_cv_;
    bool stop_requested_ = false;
    std::string stop_reason_;

    bool opened_ = false;
    bool stopped_ = false;
    StopReport stop_report_;
};

}  // namespace zzp::host

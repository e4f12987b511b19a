// One sink or viewer instance's queue and dispatcher thread.
//
// Producers (probe threads through emit, the pipeline thread with frames) append records to a
// bounded, host-owned queue; the dispatcher calls the instance with one batch at a time:
//   - seq = 1, 2, 3... per runner, continuous (assigned when a batch is first handed over);
//   - on_target before the first batch that carries a target id;
//   - write: OK → next batch; ZZP_E_RETRY or an error → the same batch again after a back-off
//     (exponential, capped at max_backoff, cut short by pause/finish); errors are logged with
//     the instance's origin;
//   - batches are freed only up to sink_durable_seq(), read after every write and flush;
//   - flush every flush_interval while something was written, when unacknowledged batches use
//     half the queue, and at the end.
// A sink's queue never drops: a producer blocks while it is full (backpressure; warned about
// and counted) until the stop deadline set by set_producer_deadline, after which what cannot be
// queued is counted as unwritten and reported. A viewer's queue is lossy: the oldest frames not
// yet handed over are dropped, counted and reported through viewer_frames_dropped.
//
// Hot swap (issue 9): pause() waits for a quiescent point (no call in flight),
// replace_instance() points the runner at the successor and rewinds to the first batch after
// what the successor restored as durable (every batch with seq > durable is still queued),
// resume() continues. Nothing is lost or duplicated as long as the successor reports its
// restored durable_seq truthfully.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/clock.hpp"
#include "pipeline/instance_handle.hpp"
#include "pipeline/sink_queue_batch.hpp"
#include "pipeline/target_registry.hpp"

namespace zzp::host {

struct SinkRunnerOptions {
    uint64_t queue_limit_bytes = 64ull << 20;
    uint32_t max_batch_records = 4096;
    // Periodic flush while data flows (also at stop, swap and queue pressure). Sinks decide
    // their own durability cadence between flushes (the recorder's fsync_interval), so this is
    // long: a 1 s flush would cut the recorder's chunks to 1 s and cost a third more space.
    int64_t flush_interval_ns = 10'000'000'000;
    int64_t min_backoff_ns = 10'000'000;
    int64_t max_backoff_ns = 1'000'000'000;
    bool lossy = false;  // viewers
    // false: a new batch of samples does not wake the dispatcher by itself; the owner calls
    // kick() once per frame interval instead (the pipeline does), so an idle pipeline wakes a
    // sink once per interval rather than once per sample. A full batch, a full queue and any
    // frame still wake it at once.
    bool wake_on_samples = true;
    std::function<const TargetRecord*(uint32_t)> find_target;
    std::shared_ptr<Clock> clock;  // nullptr: the real clock
};

// For a future `status` command. Records, not bytes, unless named so.
struct SinkRunnerCounters {
    uint64_t queued = 0;           // records accepted into the queue
    uint64_t written = 0;          // records the instance took (write returned OK)
    uint64_t written_batches = 0;
    uint64_t retries = 0;          // writes answered with ZZP_E_RETRY
    uint64_t errors = 0;           // writes, on_target and flush calls answered with an error
    uint64_t dropped = 0;          // frames a lossy viewer queue dropped
    uint64_t unwritten = 0;        // records given up on at the stop deadline (reported)
    uint64_t backpressure_waits = 0;  // times a producer blocked on a full queue
    uint64_t depth_batches = 0;
    uint64_t depth_bytes = 0;
    uint64_t last_seq = 0;         // highest seq handed to the instance
    uint64_t durable_seq = 0;
};

struct SinkDrainReport {
    bool complete = false;          // everything queued was written and acknowledged durable
    bool hung = false;              // the dispatcher is stuck in a plugin call past the deadline
    uint64_t unwritten_records = 0; // never taken by the sink
    uint64_t unacknowledged_records = 0;  // taken but not reported durable
};

class SinkRunner {
public:
    // `instance` must outlive the runner (or be replaced first); it has been started.
    SinkRunner(InstanceHandle* instance, SinkRunnerOptions options);
    ~SinkRunner();
    SinkRunner(const SinkRunner&) = delete;
    SinkRunner& operator=(const SinkRunner&) = delete;

    const std::string& origin() const { return origin_; }
    uint32_t accepts() const { return accepts_; }
    bool lossy() const { return options_.lossy; }

    void start();

    // Queue settled samples (SENT announcements are skipped). Blocks while a sink's queue is
    // full. [thread-safe]
    void push_samples(const zzp_sample* samples, size_t count);
    // Queue the frames this instance accepts (FINAL ones for ACCEPT_FRAMES_FINAL, every
    // publication for ACCEPT_FRAMES_LIVE). [thread-safe]
    void push_frames(const zzp_frame* frames, size_t count);
    // Wake the dispatcher if something is queued and not yet written. [thread-safe]
    void kick();
    bool wants_samples() const { return accepts_ & ZZP_ACCEPT_SAMPLES; }
    // A viewer, or a sink that takes every live publication: it wants frames as they happen.
    bool takes_live_frames() const { return options_.lossy || (accepts_ & ZZP_ACCEPT_FRAMES_LIVE); }
    bool wants_frame(const zzp_frame& f) const {
        return (accepts_ & ZZP_ACCEPT_FRAMES_LIVE) || ((accepts_ & ZZP_ACCEPT_FRAMES_FINAL) && (f.flags & ZZP_FRAME_F_FINAL));
    }

    // Producers blocked on a full queue give up at this monotonic time (the stop deadline).
    void set_producer_deadline(int64_t deadline_mono_ns);

    // Deliver everything queued (until the deadline), flush, and end the dispatcher thread.
    void begin_finish(int64_t deadline_mono_ns);
    SinkDrainReport wait_finished(int64_t deadline_mono_ns);
    bool hung() const;

    // Hot swap support (see the header comment). pause() returns false if a call is still in
    // flight at the deadline.
    bool pause(int64_t deadline_mono_ns);
    void replace_instance(InstanceHandle* successor);
    void resume();
    InstanceHandle* instance() const;

    // Hot swap probation: `on_result` is called once, on the dispatcher thread and without the
    // runner's lock, either with ok = true when `batches` more batches have been written since
    // this call (batches == 0: never), or with ok = false and the reason at the first write,
    // flush or on_target that fails (ZZP_E_RETRY is not a failure). Replaces an earlier watch.
    using ProbationCallback = std::function<void(bool ok, const std::string& why)>;
    void watch_probation(uint64_t batches, ProbationCallback on_result);
    void clear_probation_watch();

    SinkRunnerCounters counters() const;

private:
    using Lock = std::unique_lock<std::mutex>;
    void push_samples_locked(Lock& lock, const zzp_sample* samples, size_t count);
    void push_frames_locked(Lock& lock, const zzp_frame* frames, size_t count);
    void notify_after_unlock(Lock& lock);
    void dispatch_loop();
    QueuedBatch& writable_tail(Lock& lock, uint32_t kind);
    bool wait_for_room(Lock& lock, size_t bytes);
    void drop_oldest_frames(size_t bytes_needed);
    void free_durable(uint64_t durable_seq);
    bool announce_targets(const QueuedBatch& batch);
    void flush_now();
    void log_failure(const char* call, zzp_status status, const zzp_error& err);
    void probation_failed(const char* call, zzp_status status, const zzp_error& err);
    template <class Pred>
    void wait_mono_until(Lock& lock, std::condition_variable& cv, int64_t deadline_mono_ns, Pred pred);
    int64_t mono_now() const { return clock_->mono_ns(); }

    InstanceHandle* instance_;
    SinkRunnerOptions options_;
    std::shared_ptr<Clock> clock_;
    std::string origin_;
    uint32_t accepts_ = 0;

    mutable std::mutex mutex_;
    std::condition_variable data_cv_;   // the dispatcher waits for data, pause, finish
    std::condition_variable room_cv_;   // producers wait for room
    std::condition_variable state_cv_;  // pause() and wait_finished() wait for the dispatcher
    std::deque<std::unique_ptr<QueuedBatch>> queue_;
    size_t written_ = 0;  // queue_[0, written_) were taken, waiting to become durable
    std::vector<std::unique_ptr<QueuedBatch>> pool_;
    uint64_t bytes_ = 0;
    uint64_t unacked_bytes_ = 0;  // bytes of queue_[0, written_)
    uint64_t next_seq_ = 1;
    uint64_t pending_drop_notice_ = 0;
    std::vector<uint8_t> announced_;  // by target id
    bool written_since_flush_ = false;
    int64_t next_flush_mono_ = 0;
    int64_t flush_retry_mono_ = 0;  // earliest early flush after a failed one
    int64_t producer_deadline_ = INT64_MAX;
    int64_t last_full_warning_mono_ = INT64_MIN;
    bool paused_ = false;
    bool in_flight_ = false;
    bool wake_dispatcher_ = false;  // a producer queued something the dispatcher must see now
    bool finishing_ = false;
    int64_t finish_deadline_ = INT64_MAX;
    bool exited_ = false;
    bool hung_ = false;
    SinkRunnerCounters counters_;
    ProbationCallback probation_cb_;
    uint64_t probation_until_batches_ = 0;  // counters_.written_batches that ends it (0: none)
    std::thread thread_;
};

}  // namespace zzp::host

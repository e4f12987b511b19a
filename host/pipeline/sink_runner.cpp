#include "pipeline/sink_runner.hpp"

#include <algorithm>
#include <chrono>

#include "common/log.hpp"

namespace zzp::host {
namespace {

// How long past a finish deadline we wait for a dispatcher stuck in a plugin call before we
// declare it hung.
constexpr int64_t kHungGraceNs = 500'000'000;

std::string mib(uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    return text;
}

zzp_error fresh_error() {
    zzp_error e{};
    e.struct_size = sizeof e;
    return e;
}

}  // namespace

SinkRunner::SinkRunner(InstanceHandle* instance, SinkRunnerOptions options)
    : instance_(instance), options_(std::move(options)), clock_(options_.clock ? options_.clock : real_clock()) {
    origin_ = instance_->origin();
    accepts_ = instance_->has_sink() ? instance_->sink_accepts() : 0;
    if (options_.lossy) accepts_ &= ~ZZP_ACCEPT_SAMPLES;  // viewers take frames only
    if (options_.max_batch_records == 0) options_.max_batch_records = 1;
}

SinkRunner::~SinkRunner() {
    if (thread_.joinable()) {
        begin_finish(mono_now());
        SinkDrainReport r = wait_finished(mono_now());
        if (r.hung) thread_.detach();  // the owner must not destroy the instance then (hung())
    }
}

void SinkRunner::start() {
    {
        std::lock_guard lock(mutex_);
        next_flush_mono_ = mono_now() + options_.flush_interval_ns;
    }
    thread_ = std::thread([this] { dispatch_loop(); });
}

template <class Pred>
void SinkRunner::wait_mono_until(Lock& lock, std::condition_variable& cv, int64_t deadline_mono_ns, Pred pred) {
    if (deadline_mono_ns == INT64_MAX) {
        cv.wait(lock, pred);
        return;
    }
    const int64_t left = deadline_mono_ns - mono_now();
    cv.wait_until(lock, std::chrono::steady_clock::now() + std::chrono::nanoseconds(std::max<int64_t>(left, 0)), pred);
}

QueuedBatch& SinkRunner::writable_tail(Lock&, uint32_t kind) {
    if (!queue_.empty()) {
        QueuedBatch& tail = *queue_.back();
        if (!tail.sealed && tail.kind == kind && tail.count() < options_.max_batch_records) return tail;
    }
    std::unique_ptr<QueuedBatch> batch;
    if (!pool_.empty()) {
        batch = std::move(pool_.back());
        pool_.pop_back();
    } else {
        batch = std::make_unique<QueuedBatch>();
    }
    batch->kind = kind;
    if (kind == ZZP_BATCH_SAMPLES) batch->samples.reserve(options_.max_batch_records);
    else batch->frames.reserve(std::min<uint32_t>(options_.max_batch_records, 1024));
    queue_.push_back(std::move(batch));
    // Frames are what live consumers wait for: wake at once. Samples wait for the next kick()
    // unless a whole batch is already waiting behind this one.
    // The caller notifies after unlocking, so the woken dispatcher does not block on our lock.
    if (kind != ZZP_BATCH_SAMPLES || options_.wake_on_samples || queue_.size() - written_ >= 2) wake_dispatcher_ = true;
    return *queue_.back();
}

// Backpressure: wait until `bytes` fit. Returns false when the producer deadline passed (the
// caller counts the records as unwritten). An empty queue always takes one record.
bool SinkRunner::wait_for_room(Lock& lock, size_t bytes) {
    if (bytes_ + bytes <= options_.queue_limit_bytes || bytes_ == 0) return true;
    wake_dispatcher_ = false;
    data_cv_.notify_one();  // the dispatcher may be waiting for a kick that this producer holds up
    ++counters_.backpressure_waits;
    const int64_t now = mono_now();
    if (last_full_warning_mono_ == INT64_MIN || now - last_full_warning_mono_ >= 10'000'000'000) {
        last_full_warning_mono_ = now;
        log_warn(origin_, "sink queue full (" + std::to_string(queue_.size()) + " batches, " + mib(bytes_) + " of " +
                              mib(options_.queue_limit_bytes) + "): probes wait until this sink catches up; raise "
                              "host.queue_limit or check the sink");
    }
    wait_mono_until(lock, room_cv_, producer_deadline_, [&] {
        return bytes_ + bytes <= options_.queue_limit_bytes || bytes_ == 0 || mono_now() >= producer_deadline_;
    });
    return bytes_ + bytes <= options_.queue_limit_bytes || bytes_ == 0;
}

void SinkRunner::notify_after_unlock(Lock& lock) {
    const bool wake = std::exchange(wake_dispatcher_, false);
    lock.unlock();
    if (wake) data_cv_.notify_one();
}

void SinkRunner::push_samples(const zzp_sample* samples, size_t count) {
    if (!wants_samples()) return;
    Lock lock(mutex_);
    push_samples_locked(lock, samples, count);
    notify_after_unlock(lock);
}

void SinkRunner::push_samples_locked(Lock& lock, const zzp_sample* samples, size_t count) {
    for (size_t i = 0; i < count; ++i) {
        if (samples[i].status == ZZP_SAMPLE_SENT) continue;
        if (exited_ || !wait_for_room(lock, sizeof(zzp_sample))) {
            size_t left = 0;
            for (size_t j = i; j < count; ++j) left += samples[j].status != ZZP_SAMPLE_SENT;
            counters_.unwritten += left;
            log_error(origin_, "sink did not take samples before the stop deadline; " + std::to_string(left) +
                                   " samples were not delivered to it (see the stop report)");
            return;
        }
        writable_tail(lock, ZZP_BATCH_SAMPLES).samples.push_back(samples[i]);
        bytes_ += sizeof(zzp_sample);
        ++counters_.queued;
    }
}

void SinkRunner::kick() {
    bool wake;
    {
        std::lock_guard lock(mutex_);
        wake = written_ < queue_.size();
    }
    if (wake) data_cv_.notify_one();
}

void SinkRunner::drop_oldest_frames(size_t bytes_needed) {
    // Only batches not yet handed over may go: a sealed batch is in the sink's hands.
    size_t i = 0;
    while (i < queue_.size() && queue_[i]->sealed) ++i;
    while (i < queue_.size() && bytes_ + bytes_needed > options_.queue_limit_bytes) {
        QueuedBatch& b = *queue_[i];
        counters_.dropped += b.count();
        pending_drop_notice_ += b.count();
        bytes_ -= b.bytes();
        b.recycle();
        pool_.push_back(std::move(queue_[i]));
        queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(i));
    }
}

void SinkRunner::push_frames(const zzp_frame* frames, size_t count) {
    if (!(accepts_ & (ZZP_ACCEPT_FRAMES_LIVE | ZZP_ACCEPT_FRAMES_FINAL))) return;
    Lock lock(mutex_);
    push_frames_locked(lock, frames, count);
    notify_after_unlock(lock);
}

void SinkRunner::push_frames_locked(Lock& lock, const zzp_frame* frames, size_t count) {
    for (size_t i = 0; i < count; ++i) {
        if (!wants_frame(frames[i])) continue;
        if (options_.lossy) {
            if (bytes_ + sizeof(zzp_frame) > options_.queue_limit_bytes) drop_oldest_frames(sizeof(zzp_frame));
            if (bytes_ + sizeof(zzp_frame) > options_.queue_limit_bytes && bytes_ > 0) {
                ++counters_.dropped;  // only batches in the viewer's hands left: drop this one
                ++pending_drop_notice_;
                continue;
            }
        } else if (exited_ || !wait_for_room(lock, sizeof(zzp_frame))) {
            counters_.unwritten += count - i;
            log_error(origin_, "sink did not take frames before the stop deadline; " + std::to_string(count - i) +
                                   " frames were not delivered to it (see the stop report)");
            return;
        }
        writable_tail(lock, ZZP_BATCH_FRAMES).frames.push_back(frames[i]);
        bytes_ += sizeof(zzp_frame);
        ++counters_.queued;
    }
}

void SinkRunner::set_producer_deadline(int64_t deadline_mono_ns) {
    std::lock_guard lock(mutex_);
    producer_deadline_ = deadline_mono_ns;
    room_cv_.notify_all();
}

void SinkRunner::log_failure(const char* call, zzp_status status, const zzp_error& err) {
    std::string text = std::string(call) + " failed (" + zzp_status_name(status) + ")";
    if (err.message[0]) text += std::string(": ") + err.message;
    text += "; the data stays queued and is retried";
    log_error(origin_, text);
}

void SinkRunner::probation_failed(const char* call, zzp_status status, const zzp_error& err) {
    // [unlocked]
    ProbationCallback cb;
    {
        std::lock_guard lock(mutex_);
        cb = std::move(probation_cb_);
        probation_cb_ = nullptr;
    }
    if (!cb) return;
    std::string why = std::string(call) + " failed (" + zzp_status_name(status) + ")";
    if (err.message[0]) why += std::string(": ") + err.message;
    cb(false, why);
}

void SinkRunner::watch_probation(uint64_t batches, ProbationCallback on_result) {
    std::lock_guard lock(mutex_);
    probation_cb_ = std::move(on_result);
    probation_until_batches_ = batches ? counters_.written_batches + batches : 0;
}

void SinkRunner::clear_probation_watch() {
    std::lock_guard lock(mutex_);
    probation_cb_ = nullptr;
    probation_until_batches_ = 0;
}

InstanceHandle* SinkRunner::instance() const {
    std::lock_guard lock(mutex_);
    return instance_;
}

void SinkRunner::free_durable(uint64_t durable_seq) {
    // [locked]
    counters_.durable_seq = std::max(counters_.durable_seq, durable_seq);
    bool freed = false;
    while (written_ > 0 && queue_.front()->seq <= durable_seq) {
        QueuedBatch& b = *queue_.front();
        bytes_ -= b.bytes();
        unacked_bytes_ -= b.bytes();
        b.recycle();
        pool_.push_back(std::move(queue_.front()));
        queue_.pop_front();
        --written_;
        freed = true;
    }
    if (freed) room_cv_.notify_all();
}

bool SinkRunner::announce_targets(const QueuedBatch& batch) {
    // [dispatcher, unlocked; announced_ is only touched by the dispatcher and while paused]
    auto announce = [&](uint32_t id) {
        if (id < announced_.size() && announced_[id]) return true;
        const TargetRecord* record = options_.find_target ? options_.find_target(id) : nullptr;
        if (!record) return true;  // unknown to the registry: nothing to tell
        zzp_target_info info = record->info();
        zzp_error err = fresh_error();
        zzp_status s = instance_->sink_on_target(info, &err);
        if (s != ZZP_OK && s != ZZP_E_UNSUPPORTED) {
            {
                std::lock_guard lock(mutex_);
                ++counters_.errors;
            }
            log_failure("on_target", s, err);
            probation_failed("on_target", s, err);
            return false;
        }
        if (id >= announced_.size()) announced_.resize(static_cast<size_t>(id) + 1, 0);
        announced_[id] = 1;
        return true;
    };
    uint32_t last = 0;
    if (batch.kind == ZZP_BATCH_SAMPLES) {
        for (const zzp_sample& s : batch.samples)
            if (s.target_id != last && !announce(last = s.target_id)) return false;
    } else {
        for (const zzp_frame& f : batch.frames)
            if (f.target_id != last && !announce(last = f.target_id)) return false;
    }
    return true;
}

void SinkRunner::flush_now() {
    // [dispatcher, unlocked]
    zzp_error err = fresh_error();
    zzp_status s = instance_->sink_flush(&err);
    uint64_t durable = instance_->sink_durable_seq();
    const bool failed = s != ZZP_OK && s != ZZP_E_UNSUPPORTED;
    {
        std::lock_guard lock(mutex_);
        const int64_t now = mono_now();
        if (failed) {
            ++counters_.errors;
            log_failure("flush", s, err);
            flush_retry_mono_ = now + std::max<int64_t>(options_.min_backoff_ns, 100'000'000);
            next_flush_mono_ = flush_retry_mono_;
        } else {
            written_since_flush_ = false;
            flush_retry_mono_ = 0;
            next_flush_mono_ = now + options_.flush_interval_ns;
        }
        free_durable(durable);
    }
    if (failed) probation_failed("flush", s, err);
}

void SinkRunner::dispatch_loop() {
    int64_t backoff = 0;
    Lock lock(mutex_);
    for (;;) {
        if (paused_) {
            state_cv_.notify_all();
            data_cv_.wait(lock, [&] { return !paused_; });
            continue;
        }
        const int64_t now = mono_now();
        const bool past_deadline = finishing_ && now >= finish_deadline_;
        QueuedBatch* next = written_ < queue_.size() ? queue_[written_].get() : nullptr;
        // Flush on the period, and early when unacknowledged batches fill half the queue or
        // when finishing with nothing left to write; after a failed flush, not before its back-off.
        const bool flush_pressure = unacked_bytes_ * 2 >= options_.queue_limit_bytes || (finishing_ && !next);
        const int64_t flush_at = flush_pressure ? flush_retry_mono_ : next_flush_mono_;
        if (written_since_flush_ && now >= flush_at && !past_deadline) {
            in_flight_ = true;
            lock.unlock();
            flush_now();
            lock.lock();
            in_flight_ = false;
            continue;
        }
        if (past_deadline || (finishing_ && !next && !written_since_flush_)) break;
        if (!next) {
            int64_t wake = written_since_flush_ ? flush_at : INT64_MAX;
            if (finishing_) wake = std::min(wake, finish_deadline_);
            wait_mono_until(lock, data_cv_, wake, [&] {
                return paused_ || finishing_ || written_ < queue_.size() || (wake != INT64_MAX && mono_now() >= wake);
            });
            continue;
        }

        if (!next->sealed) {
            next->sealed = true;
            next->seq = next_seq_++;
        }
        const uint64_t dropped_notice = std::exchange(pending_drop_notice_, 0);
        in_flight_ = true;
        lock.unlock();

        if (dropped_notice) instance_->viewer_frames_dropped(dropped_notice);
        zzp_status status = ZZP_E_STATE;
        zzp_error err = fresh_error();
        bool targets_ok = announce_targets(*next);
        if (targets_ok) {
            zzp_batch view = next->view();
            status = instance_->sink_write(view, &err);
        }
        uint64_t durable = 0;
        if (status == ZZP_OK) durable = instance_->sink_durable_seq();
        else if (targets_ok && status != ZZP_E_RETRY) {
            log_failure("write", status, err);
            probation_failed("write", status, err);
        }

        lock.lock();
        in_flight_ = false;
        counters_.last_seq = std::max(counters_.last_seq, next->seq);
        if (status == ZZP_OK) {
            backoff = 0;
            ++written_;
            unacked_bytes_ += next->bytes();
            counters_.written += next->count();
            ++counters_.written_batches;
            written_since_flush_ = true;
            free_durable(durable);
            if (probation_cb_ && probation_until_batches_ && counters_.written_batches >= probation_until_batches_) {
                ProbationCallback cb = std::move(probation_cb_);
                probation_cb_ = nullptr;
                probation_until_batches_ = 0;
                const std::string why = std::to_string(counters_.written_batches) + " batches written";
                lock.unlock();
                cb(true, why);
                lock.lock();
            }
            continue;
        }
        if (targets_ok) ++(status == ZZP_E_RETRY ? counters_.retries : counters_.errors);
        backoff = backoff == 0 ? options_.min_backoff_ns : std::min(backoff * 2, options_.max_backoff_ns);
        int64_t wake = mono_now() + backoff;
        if (finishing_) wake = std::min(wake, finish_deadline_);
        const bool was_finishing = finishing_;
        wait_mono_until(lock, data_cv_, wake, [&] { return paused_ || finishing_ != was_finishing || mono_now() >= wake; });
    }
    exited_ = true;
    room_cv_.notify_all();
    state_cv_.notify_all();
}

void SinkRunner::begin_finish(int64_t deadline_mono_ns) {
    std::lock_guard lock(mutex_);
    finishing_ = true;
    finish_deadline_ = deadline_mono_ns;
    paused_ = false;
    data_cv_.notify_all();
}

SinkDrainReport SinkRunner::wait_finished(int64_t deadline_mono_ns) {
    SinkDrainReport report;
    Lock lock(mutex_);
    if (thread_.joinable()) {
        wait_mono_until(lock, state_cv_, deadline_mono_ns + kHungGraceNs, [&] { return exited_; });
        if (!exited_) {
            hung_ = true;
            report.hung = true;
            log_error(origin_, "sink is stuck in a call past its stop deadline; it is abandoned with its queue");
        } else {
            lock.unlock();
            thread_.join();
            lock.lock();
        }
    }
    for (size_t i = 0; i < queue_.size(); ++i)
        (i < written_ ? report.unacknowledged_records : report.unwritten_records) += queue_[i]->count();
    report.unwritten_records += counters_.unwritten;
    report.complete = !report.hung && report.unwritten_records == 0 && report.unacknowledged_records == 0;
    return report;
}

bool SinkRunner::hung() const {
    std::lock_guard lock(mutex_);
    return hung_;
}

bool SinkRunner::pause(int64_t deadline_mono_ns) {
    Lock lock(mutex_);
    paused_ = true;
    data_cv_.notify_all();
    wait_mono_until(lock, state_cv_, deadline_mono_ns, [&] { return !in_flight_ || exited_; });
    return !in_flight_;
}

void SinkRunner::replace_instance(InstanceHandle* successor) {
    // Called while paused: no call is in flight, so the dispatcher's state is ours to change.
    const uint64_t restored = successor->sink_durable_seq();
    std::lock_guard lock(mutex_);
    instance_ = successor;  // origin_ stays: producers read it without the lock
    announced_.clear();
    // Everything after what the successor restored is sent again, under the same seq.
    while (!queue_.empty() && queue_.front()->sealed && queue_.front()->seq <= restored) {
        QueuedBatch& b = *queue_.front();
        bytes_ -= b.bytes();
        b.recycle();
        pool_.push_back(std::move(queue_.front()));
        queue_.pop_front();
    }
    written_ = 0;
    unacked_bytes_ = 0;
    counters_.durable_seq = restored;
    room_cv_.notify_all();
}

void SinkRunner::resume() {
    std::lock_guard lock(mutex_);
    paused_ = false;
    data_cv_.notify_all();
}

SinkRunnerCounters SinkRunner::counters() const {
    std::lock_guard lock(mutex_);
    SinkRunnerCounters c = counters_;
    c.depth_batches = queue_.size();
    c.depth_bytes = bytes_;
    return c;
}

}  // namespace zzp::host

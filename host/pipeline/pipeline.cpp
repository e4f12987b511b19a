#include "pipeline/pipeline.hpp"

#include <algorithm>
#include <chrono>

#include "common/log.hpp"

namespace zzp::host {
namespace {

// The pipeline thread buffers at most this many samples for the frame builder before emit
// waits for it (it only falls behind while a sink that takes frames is full).
constexpr size_t kMaxIngestSamples = size_t{1} << 20;
constexpr size_t kWakeIngestSamples = 16384;
// While samples keep coming (within this window), the pipeline thread wakes on every interval
// boundary instead of being woken by each emit.
constexpr int64_t kActiveWindowNs = 5'000'000'000;

zzp_error fresh_error() {
    zzp_error e{};
    e.struct_size = sizeof e;
    return e;
}

const char* kind_name(zzp_plugin_kind k) {
    switch (k) {
    case ZZP_KIND_PROBE: return "probe";
    case ZZP_KIND_SINK: return "sink";
    case ZZP_KIND_VIEWER: return "viewer";
    }
    return "plugin";
}

}  // namespace

std::string PipelineError::text() const {
    std::string t = (origin.empty() ? instance_id : origin) + ": ";
    if (!key.empty()) t += "key '" + key + "': ";
    return t + message;
}

Pipeline::Pipeline(std::vector<InstanceSpec> specs, PipelineOptions options)
    : options_(std::move(options)),
      clock_(options_.clock ? options_.clock : real_clock()),
      registry_(options_.registry ? options_.registry : &TargetRegistry::global()),
      builder_(FrameBuilderOptions{options_.frame_interval_ns, options_.settle_timeout_ns}) {
    nodes_.reserve(specs.size());
    for (auto& s : specs) nodes_.push_back(Node{std::move(s), nullptr, nullptr, nullptr, false, {}});
    if (clock_->is_manual()) {
        clock_listener_ = clock_->on_change([this] {
            // Bump first, then lock: the pipeline thread checks the generation under the lock,
            // so this wake-up cannot fall between its check and its wait.
            clock_generation_.fetch_add(1);
            std::lock_guard lock(ingest_mutex_);
            ingest_cv_.notify_all();
        });
    }
}

namespace {

// What a hung plugin may still be using is never freed, but it stays reachable from here: it is
// kept on purpose, not leaked (and LeakSanitizer can tell the difference).
struct Quarantine {
    std::mutex mutex;
    std::vector<std::unique_ptr<SinkRunner>> runners;
    std::vector<std::unique_ptr<InstanceHandle>> instances;
    std::vector<std::unique_ptr<HostTable>> hosts;
};

Quarantine& quarantine() {
    static Quarantine* q = new Quarantine();  // never destroyed: its contents must outlive exit
    return *q;
}

}  // namespace

Pipeline::~Pipeline() {
    if (opened_ && !stopped_) stop(clock_->mono_ns() + 5'000'000'000);
    stop_thread();
    if (clock_listener_) clock_->remove_listener(clock_listener_);
    // Instances first (their host tables must outlive them), then the rest.
    for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) {
        if (it->runner && it->runner->hung()) {
            std::lock_guard lock(quarantine().mutex);  // its thread still runs in the plugin: keep both alive
            quarantine().runners.push_back(std::move(it->runner));
            quarantine().instances.push_back(std::move(it->instance));
            quarantine().hosts.push_back(std::move(it->host));
            continue;
        }
        it->runner.reset();
        if (it->instance && it->instance->hung()) {
            std::lock_guard lock(quarantine().mutex);  // never destroy an instance that missed its stop
            quarantine().instances.push_back(std::move(it->instance));
            quarantine().hosts.push_back(std::move(it->host));
            continue;
        }
        it->instance.reset();
    }
    nodes_.clear();
}

bool Pipeline::open(std::vector<PipelineError>& errors) {
    const size_t before = errors.size();
    opened_ = true;
    // Host tables first: each must exist before its instance and outlive it.
    for (size_t i = 0; i < nodes_.size(); ++i)
        nodes_[i].host = std::make_unique<HostTable>(static_cast<HostServices*>(this), i, nodes_[i].spec.instance_id, nodes_[i].spec.plugin_id);
    for (Node& n : nodes_) {
        if (!n.spec.create) {
            errors.push_back({n.spec.instance_id, "", "", "no plugin factory (plugin '" + n.spec.plugin_id + "' not loaded)"});
            continue;
        }
        std::string error;
        n.instance = n.spec.create(n.host->table(), &error);
        if (!n.instance) {
            errors.push_back({n.spec.instance_id, n.host->origin(), "",
                              "could not create the instance: " + (error.empty() ? std::string("no reason given") : error)});
            continue;
        }
        n.host->set_origin(n.instance->origin());
        if (n.instance->kind() != n.spec.kind) {
            errors.push_back({n.spec.instance_id, n.instance->origin(), "plugin",
                              std::string("plugin '") + n.spec.plugin_id + "' is a " + kind_name(n.instance->kind()) +
                                  ", but the config uses it as a " + kind_name(n.spec.kind)});
            continue;
        }
        if (n.spec.kind != ZZP_KIND_PROBE && !n.instance->has_sink()) {
            errors.push_back({n.spec.instance_id, n.instance->origin(), "",
                              "the plugin does not offer the sink extension (" ZZP_EXT_SINK ")"});
        }
    }
    for (Node& n : nodes_) {
        for (const std::string& in : n.spec.inputs) {
            bool found = std::any_of(nodes_.begin(), nodes_.end(), [&](const Node& p) {
                return p.spec.kind == ZZP_KIND_PROBE && p.spec.instance_id == in;
            });
            if (!found)
                errors.push_back({n.spec.instance_id, n.host->origin(), "inputs",
                                  "input '" + in + "' is not a probe instance of this pipeline; list probe ids"});
        }
    }
    if (errors.size() != before) return false;
    for (Node& n : nodes_) {
        zzp_error err = fresh_error();
        zzp_status s = n.instance->configure(n.spec.config, &err);
        if (s != ZZP_OK)
            errors.push_back({n.spec.instance_id, n.instance->origin(), err.key,
                              std::string(zzp_status_name(s)) + ": " + (err.message[0] ? err.message : "configure failed")});
    }
    if (errors.size() != before) return false;
    build_routes();
    return true;
}

void Pipeline::build_routes() {
    routes_.assign(nodes_.size(), std::vector<uint8_t>(nodes_.size(), 0));
    live_consumers_ = false;
    for (size_t s = 0; s < nodes_.size(); ++s) {
        Node& sink = nodes_[s];
        if (sink.spec.kind == ZZP_KIND_PROBE) continue;
        SinkRunnerOptions ro;
        ro.queue_limit_bytes = options_.queue_limit_bytes;
        ro.max_batch_records = options_.max_batch_records;
        ro.flush_interval_ns = options_.flush_interval_ns;
        ro.lossy = sink.spec.kind == ZZP_KIND_VIEWER;
        ro.wake_on_samples = false;  // frame_loop kicks every runner once per pass
        ro.clock = clock_;
        ro.find_target = [reg = registry_](uint32_t id) { return reg->find(id); };
        sink.runner = std::make_unique<SinkRunner>(sink.instance.get(), std::move(ro));
        if (sink.runner->takes_live_frames()) live_consumers_ = true;
        for (size_t p = 0; p < nodes_.size(); ++p) {
            const Node& probe = nodes_[p];
            if (probe.spec.kind != ZZP_KIND_PROBE) continue;
            const auto& in = sink.spec.inputs;
            if (in.empty() || std::find(in.begin(), in.end(), probe.spec.instance_id) != in.end()) {
                routes_[s][p] = 1;
                if (sink.runner->wants_samples()) nodes_[p].sample_routes.push_back(sink.runner.get());
            }
        }
    }
}

bool Pipeline::routes(const Node& sink, size_t probe_slot) const {
    return routes_[static_cast<size_t>(&sink - nodes_.data())][probe_slot] != 0;
}

bool Pipeline::start(std::vector<PipelineError>& errors) {
    thread_ = std::thread([this] { frame_loop(); });
    auto fail = [&](Node& n, zzp_status s, const zzp_error& err) {
        errors.push_back({n.spec.instance_id, n.instance->origin(), err.key,
                          std::string("start failed (") + zzp_status_name(s) + "): " + err.message});
        log_error(n.instance->origin(), "start failed: " + std::string(err.message) + "; stopping the pipeline");
        stop(clock_->mono_ns() + 5'000'000'000);
        return false;
    };
    for (Node& n : nodes_) {
        if (n.spec.kind == ZZP_KIND_PROBE) continue;
        zzp_error err = fresh_error();
        zzp_status s = n.instance->start(&err);
        if (s != ZZP_OK) return fail(n, s, err);
        n.started = true;
        n.runner->start();
    }
    for (Node& n : nodes_) {
        if (n.spec.kind != ZZP_KIND_PROBE) continue;
        zzp_error err = fresh_error();
        n.host->set_accepting(true);  // a probe may emit from its threads before start returns
        n.started = true;
        zzp_status s = n.instance->start(&err);
        if (s != ZZP_OK) return fail(n, s, err);
    }
    return true;
}

uint32_t Pipeline::intern_target(size_t slot, const zzp_target_desc& desc) {
    const Node& n = nodes_[slot];
    uint32_t id = registry_->intern(n.spec.instance_id, n.spec.plugin_id, desc.name, desc.address ? desc.address : "",
                                    options_.frame_interval_ns);
    if (id == 0) return 0;
    std::unique_lock lock(targets_mutex_);
    if (id >= target_owner_.size()) target_owner_.resize(static_cast<size_t>(id) + 1, -1);
    target_owner_[id] = static_cast<int32_t>(slot);
    return id;
}

void Pipeline::ingest(size_t slot, const zzp_sample* samples, uint32_t count) {
    const zzp_sample* data = samples;
    std::vector<zzp_sample> valid;  // only filled when something is wrong (not the hot path)
    {
        std::shared_lock lock(targets_mutex_);
        auto ok = [&](const zzp_sample& s) {
            return s.status < ZZP_SAMPLE_STATUS_COUNT && s.target_id < target_owner_.size() &&
                   target_owner_[s.target_id] == static_cast<int32_t>(slot);
        };
        uint32_t first_bad = 0;
        while (first_bad < count && ok(samples[first_bad])) ++first_bad;
        if (first_bad < count) {
            valid.assign(samples, samples + first_bad);
            for (uint32_t i = first_bad; i < count; ++i)
                if (ok(samples[i])) valid.push_back(samples[i]);
            const uint64_t bad = count - valid.size();
            rejected_.fetch_add(bad);
            log_warn(nodes_[slot].host->origin(), "dropped samples with a target id this probe did not intern or an "
                                                  "unknown status (counted as rejected); fix the probe");
            data = valid.data();
            count = static_cast<uint32_t>(valid.size());
            if (count == 0) return;
        }
    }
    ingested_.fetch_add(count, std::memory_order_relaxed);
    for (SinkRunner* r : nodes_[slot].sample_routes) r->push_samples(data, count);

    std::unique_lock lock(ingest_mutex_);
    if (ingest_.size() >= kMaxIngestSamples && !thread_stop_) {
        const int64_t left = producer_deadline_ == INT64_MAX ? INT64_MAX : producer_deadline_ - clock_->mono_ns();
        auto room = [&] { return ingest_.size() < kMaxIngestSamples || thread_stop_; };
        if (left == INT64_MAX) ingest_room_cv_.wait(lock, room);
        else ingest_room_cv_.wait_for(lock, std::chrono::nanoseconds(std::max<int64_t>(left, 0)), room);
    }
    ingest_.insert(ingest_.end(), data, data + count);
    // Frames only change at interval ends, so a thread that sleeps until the next one need not
    // be woken for every emit (half the wake-ups of an idle pipeline); it is woken when it has
    // no deadline, or when the buffer grows large.
    if (untimed_wait_ || ingest_.size() >= kWakeIngestSamples) ingest_cv_.notify_one();
}

void Pipeline::frame_loop() {
    // Frames are published this long after their interval ends: a probe reads the clock, then
    // emits, so a sample sent just before a boundary may reach the ingest just after it. Kept
    // short because live viewers wait for it (a frame on a subscriber within 2 ms of its
    // interval's end); a sample later than this only makes the next live revision.
    const int64_t publish_lag = std::min<int64_t>(options_.frame_interval_ns / 4, 250'000);
    for (;;) {
        const uint64_t generation = clock_generation_.load();
        // Read before the swap (and never under ingest_mutex_, see the clock listener).
        const int64_t now = clock_->wall_ns() - publish_lag;
        bool stopping = false;
        {
            std::unique_lock lock(ingest_mutex_);
            int64_t due = builder_.next_deadline();
            // The builder's deadline only knows the frames already open (an open frame's settle
            // deadline can be seconds away); samples waiting in ingest_ open new ones, and their
            // emitters do not wake this thread. So while samples flow, the next interval end is
            // due as well.
            const bool real_time = !clock_->is_manual();
            if (real_time && now - last_work_wall_ < kActiveWindowNs)
                due = std::min(due, builder_.interval_start(now) + builder_.interval_ns());
            if (real_time && !live_consumers_ && due != FrameBuilder::kNever && options_.batch_delay_ns > builder_.interval_ns()) {
                // Nobody watches frames live: wait for the next batch_delay boundary (wall-clock
                // aligned) and do every interval that ended meanwhile in one pass.
                due = std::max(due, align_down(last_pass_wall_, options_.batch_delay_ns) + options_.batch_delay_ns);
            }
            if (ingest_.empty() && !thread_stop_ && now < due) {
                auto woken = [&] { return !ingest_.empty() || thread_stop_ || clock_generation_.load() != generation; };
                untimed_wait_ = clock_->is_manual() || due == FrameBuilder::kNever;
                if (untimed_wait_) ingest_cv_.wait(lock, woken);
                else ingest_cv_.wait_for(lock, std::chrono::nanoseconds(due - now), woken);
                untimed_wait_ = false;
                continue;
            }
            const bool producers_may_wait = ingest_.size() >= kMaxIngestSamples;
            work_.swap(ingest_);
            stopping = thread_stop_;
            if (producers_may_wait) ingest_room_cv_.notify_all();
        }
        if (!work_.empty()) last_work_wall_ = now;
        last_pass_wall_ = now;
        builder_.push(work_.data(), work_.size());
        work_.clear();
        builder_.advance(now, frames_out_);
        if (stopping) builder_.finalize_all(frames_out_);
        if (!frames_out_.empty()) publish(frames_out_);
        frames_out_.clear();
        // Samples queued for sinks since the last pass go out now (see wake_on_samples).
        for (Node& n : nodes_)
            if (n.runner) n.runner->kick();
        {
            std::lock_guard lock(status_mutex_);
            builder_counters_ = builder_.counters();
        }
        report_late_events(stopping);
        if (stopping) return;
    }
}

void Pipeline::publish(const std::vector<zzp_frame>& frames) {
    for (Node& sink : nodes_) {
        if (!sink.runner) continue;
        frames_scratch_.clear();
        {
            std::shared_lock lock(targets_mutex_);
            for (const zzp_frame& f : frames) {
                const int32_t owner = f.target_id < target_owner_.size() ? target_owner_[f.target_id] : -1;
                if (owner >= 0 && routes(sink, static_cast<size_t>(owner)) && sink.runner->wants_frame(f))
                    frames_scratch_.push_back(f);
            }
        }
        if (!frames_scratch_.empty()) sink.runner->push_frames(frames_scratch_.data(), frames_scratch_.size());
    }
}

// Events that reached a frame already final are counted, not lost: say so once a minute.
void Pipeline::report_late_events(bool force) {
    const FrameBuilderCounters& c = builder_.counters();
    const int64_t now = clock_->mono_ns();
    if (!force && now - last_late_report_mono_ < 60'000'000'000) return;
    const uint64_t late = c.late_after_final - reported_.late_after_final;
    const uint64_t dup = c.duplicates_after_final - reported_.duplicates_after_final;
    const uint64_t settled = c.settled_after_final - reported_.settled_after_final;
    const uint64_t repeated = c.repeated_records - reported_.repeated_records;
    if (late + dup + settled + repeated == 0) return;
    last_late_report_mono_ = now;
    reported_ = c;
    log_info("host", "frames: " + std::to_string(late) + " LATE and " + std::to_string(dup) + " DUPLICATE events and " +
                         std::to_string(settled) + " settles arrived after their frame was final, " +
                         std::to_string(repeated) + " records repeated a seq; counted here, not in frames "
                         "(the samples themselves reached the sinks)");
}

void Pipeline::request_stop(const std::string& origin, const std::string& reason) {
    {
        std::lock_guard lock(stop_mutex_);
        if (stop_requested_) return;
        stop_requested_ = true;
        stop_reason_ = origin + ": " + reason;
    }
    log_info(origin, "stop requested: " + reason);
    stop_cv_.notify_all();
}

bool Pipeline::stop_requested() const {
    std::lock_guard lock(stop_mutex_);
    return stop_requested_;
}

std::string Pipeline::stop_reason() const {
    std::lock_guard lock(stop_mutex_);
    return stop_reason_;
}

void Pipeline::wait() {
    std::unique_lock lock(stop_mutex_);
    stop_cv_.wait(lock, [&] { return stop_requested_; });
}

bool Pipeline::wait_for_stop_request(int64_t timeout_ns) {
    std::unique_lock lock(stop_mutex_);
    return stop_cv_.wait_for(lock, std::chrono::nanoseconds(timeout_ns), [&] { return stop_requested_; });
}

void Pipeline::stop_thread() {
    {
        std::lock_guard lock(ingest_mutex_);
        thread_stop_ = true;
        ingest_cv_.notify_all();
        ingest_room_cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
}

StopReport Pipeline::stop(int64_t deadline_mono_ns) {
    if (stopped_) return stop_report_;
    stopped_ = true;
    StopReport& report = stop_report_;
    const int64_t now = clock_->mono_ns();
    const int64_t span = std::max<int64_t>(deadline_mono_ns - now, 0);
    const int64_t probes_deadline = now + span * 4 / 10;  // probes settle what is in flight
    const int64_t drain_deadline = now + span * 8 / 10;   // sinks drain their queues
    auto problem = [&](const std::string& origin, const std::string& text) {
        report.clean = false;
        report.problems.push_back(origin + ": " + text);
        log_error(origin, text);
    };

    // Producers blocked on a full queue give up at the drain deadline (counted, reported).
    for (Node& n : nodes_)
        if (n.runner) n.runner->set_producer_deadline(drain_deadline);
    {
        std::lock_guard lock(ingest_mutex_);
        producer_deadline_ = drain_deadline;
    }

    // 1. Probes: they stop sending, settle or time out what is in flight and emit it.
    for (Node& n : nodes_) {
        if (n.spec.kind != ZZP_KIND_PROBE || !n.started) continue;
        zzp_error err = fresh_error();
        zzp_status s = n.instance->stop(probes_deadline, &err);
        n.host->set_accepting(false);
        n.started = false;
        if (s != ZZP_OK) problem(n.instance->origin(), std::string("stop failed (") + zzp_status_name(s) + "): " + err.message);
    }

    // 2. Frames: the pipeline thread takes the last samples and finalises every open frame.
    stop_thread();
    {
        std::lock_guard lock(status_mutex_);
        builder_counters_ = builder_.counters();
    }

    // 3. Drain every sink queue in parallel, flush, end the dispatchers.
    for (Node& n : nodes_)
        if (n.runner) n.runner->begin_finish(drain_deadline);
    for (Node& n : nodes_) {
        if (!n.runner) continue;
        SinkDrainReport d = n.runner->wait_finished(drain_deadline);
        report.unwritten_records += d.unwritten_records;
        if (d.hung) problem(n.runner->origin(), "stuck in a call at the stop deadline; its queue was abandoned");
        if (d.unwritten_records)
            problem(n.runner->origin(), std::to_string(d.unwritten_records) + " records were not written before the stop deadline");
        if (d.unacknowledged_records)
            problem(n.runner->origin(), std::to_string(d.unacknowledged_records) +
                                            " records were written but never reported durable");
    }

    // 4. Sinks and viewers.
    for (Node& n : nodes_) {
        if (n.spec.kind == ZZP_KIND_PROBE || !n.started) continue;
        n.started = false;
        if (n.runner && n.runner->hung()) continue;  // a call is still in flight: stop would race it
        zzp_error err = fresh_error();
        zzp_status s = n.instance->stop(deadline_mono_ns, &err);
        if (s != ZZP_OK) problem(n.instance->origin(), std::string("stop failed (") + zzp_status_name(s) + "): " + err.message);
    }
    for (Node& n : nodes_)
        if (n.instance && n.instance->hung()) problem(n.instance->origin(), "missed its stop deadline; left loaded, not destroyed");
    return report;
}

std::optional<size_t> Pipeline::find_slot(const std::string& instance_id) const {
    for (size_t i = 0; i < nodes_.size(); ++i)
        if (nodes_[i].spec.instance_id == instance_id) return i;
    return std::nullopt;
}

std::unique_ptr<InstanceHandle> Pipeline::exchange_instance(size_t slot, std::unique_ptr<InstanceHandle> successor) {
    Node& n = nodes_[slot];
    if (n.host && successor) n.host->set_origin(successor->origin());
    std::swap(n.instance, successor);
    return successor;
}

void Pipeline::release_factories() {
    for (Node& n : nodes_) n.spec.create = nullptr;
}

PipelineCounters Pipeline::counters() const {
    PipelineCounters c;
    c.ingested = ingested_.load();
    c.rejected = rejected_.load();
    for (const Node& n : nodes_)
        if (n.host) c.ignored_emits += n.host->ignored_emits();
    std::lock_guard lock(status_mutex_);
    c.frames = builder_counters_;
    return c;
}

std::vector<std::pair<std::string, SinkRunnerCounters>> Pipeline::sink_counters() const {
    std::vector<std::pair<std::string, SinkRunnerCounters>> out;
    for (const Node& n : nodes_)
        if (n.runner) out.emplace_back(n.spec.instance_id, n.runner->counters());
    return out;
}

}  // namespace zzp::host

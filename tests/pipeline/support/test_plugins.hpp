// In-process test plugins for the pipeline tests. Each instance finds its script and records
// its observations in TestWorld under its instance id, so tests set behaviour before the
// pipeline creates the instance and read results after (the pipeline owns the handles).
#pragma once

#include <zzprobe/plugin.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace zzp::test {

struct ProbeScript {
    std::vector<std::pair<std::string, std::string>> targets;  // name, address; script id = index + 1
    std::vector<std::vector<zzp_sample>> emits;  // target_id = script id, mapped at start
    std::vector<zzp_sample> emit_in_stop;        // what "settles in flight" during stop
    // Filled by the probe.
    std::vector<uint32_t> interned;  // script id - 1 → host id
    const zzp_host* host = nullptr;
    bool done = false;
};

struct SinkBehaviour {
    uint32_t accepts = ZZP_ACCEPT_SAMPLES | ZZP_ACCEPT_FRAMES_FINAL;
    int retry_first = 0;   // answer ZZP_E_RETRY to the first N writes
    int throw_first = 0;   // throw from the first N writes
    int write_delay_ms = 0;
    bool hang_in_stop = false;  // block in stop until release_hang
    bool fail_start = false;
};

struct SinkRecord {
    uint64_t seq;
    uint32_t kind;
    std::vector<zzp_sample> samples;
    std::vector<zzp_frame> frames;
};

struct SinkLog {
    std::vector<SinkRecord> taken;          // batches taken (write returned OK)
    std::vector<int64_t> taken_at_ns;       // steady clock at each taken batch
    std::vector<uint64_t> attempted_seqs;   // every write call's seq, in order
    std::vector<uint32_t> on_target_ids;
    std::vector<uint64_t> first_seq_per_target;  // unused by default
    uint64_t flushes = 0;
    uint64_t frames_dropped = 0;
    bool stopped = false;
};

class TestWorld {
public:
    static TestWorld& get() {
        static TestWorld w;
        return w;
    }
    std::mutex mutex;
    std::condition_variable cv;
    std::map<std::string, std::shared_ptr<ProbeScript>> probes;
    std::map<std::string, SinkBehaviour> sinks;
    std::map<std::string, std::shared_ptr<SinkLog>> logs;
    bool release_hang = false;

    void reset() {
        std::lock_guard lock(mutex);
        probes.clear();
        sinks.clear();
        logs.clear();
        release_hang = false;
    }
    std::shared_ptr<SinkLog> log(const std::string& id) {
        std::lock_guard lock(mutex);
        auto& l = logs[id];
        if (!l) l = std::make_shared<SinkLog>();
        return l;
    }
};

// Emits its script from a thread started in start(); emits emit_in_stop during stop().
class ScriptedProbe : public zzp::Plugin {
public:
    void start() override {
        {
            std::lock_guard lock(TestWorld::get().mutex);
            script_ = TestWorld::get().probes.at(host().instance_id());
        }
        script_->host = host().raw();
        for (auto& [name, address] : script_->targets) script_->interned.push_back(host().intern_target(name, address));
        thread_ = std::thread([this] {
            for (auto& chunk : script_->emits) host().emit(mapped(chunk));
            std::lock_guard lock(TestWorld::get().mutex);
            script_->done = true;
            TestWorld::get().cv.notify_all();
        });
    }
    void stop(int64_t) override {
        if (thread_.joinable()) thread_.join();
        if (script_ && !script_->emit_in_stop.empty()) host().emit(mapped(script_->emit_in_stop));
    }

private:
    std::vector<zzp_sample> mapped(std::vector<zzp_sample> chunk) const {
        for (auto& s : chunk)
            if (s.target_id >= 1 && s.target_id <= script_->interned.size()) s.target_id = script_->interned[s.target_id - 1];
        return chunk;
    }
    std::shared_ptr<ProbeScript> script_;
    std::thread thread_;
};

// Records what it takes; misbehaves as its SinkBehaviour says.
template <class Base>
class CapturingSinkT : public Base {
public:
    CapturingSinkT() = default;
    uint32_t accepts() const override { return behaviour().accepts; }
    void start() override {
        log_ = TestWorld::get().log(this->host().instance_id());
        if (behaviour().fail_start) throw zzp::Error(ZZP_E_IO, "output", "cannot open the test output");
    }
    void on_target(const zzp_target_info& t) override {
        std::lock_guard lock(TestWorld::get().mutex);
        log_->on_target_ids.push_back(t.id);
    }
    zzp_status write(const zzp_batch& b) override {
        SinkBehaviour be = behaviour();
        {
            std::lock_guard lock(TestWorld::get().mutex);
            log_->attempted_seqs.push_back(b.seq);
        }
        if (be.write_delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(be.write_delay_ms));
        if (retries_++ < be.retry_first) return ZZP_E_RETRY;
        if (throws_++ < be.throw_first) throw std::runtime_error("test sink exploded");
        SinkRecord r{b.seq, b.kind, {}, {}};
        if (b.kind == ZZP_BATCH_SAMPLES) r.samples.assign(b.samples, b.samples + b.count);
        else r.frames.assign(b.frames, b.frames + b.count);
        std::lock_guard lock(TestWorld::get().mutex);
        log_->taken.push_back(std::move(r));
        log_->taken_at_ns.push_back(std::chrono::steady_clock::now().time_since_epoch().count());
        TestWorld::get().cv.notify_all();
        return ZZP_OK;
    }
    void flush() override {
        std::lock_guard lock(TestWorld::get().mutex);
        ++log_->flushes;
    }
    void stop(int64_t) override {
        if (behaviour().hang_in_stop) {
            std::unique_lock lock(TestWorld::get().mutex);
            TestWorld::get().cv.wait(lock, [] { return TestWorld::get().release_hang; });
        }
        std::lock_guard lock(TestWorld::get().mutex);
        log_->stopped = true;
    }

protected:
    SinkBehaviour behaviour() const {
        std::lock_guard lock(TestWorld::get().mutex);
        auto it = TestWorld::get().sinks.find(this->host().instance_id());
        return it == TestWorld::get().sinks.end() ? SinkBehaviour{} : it->second;
    }
    std::shared_ptr<SinkLog> log_;
    int retries_ = 0;
    int throws_ = 0;
};

using CapturingSink = CapturingSinkT<zzp::Sink>;

class CapturingViewer : public CapturingSinkT<zzp::Viewer> {
public:
    void frames_dropped(uint64_t count) override {
        std::lock_guard lock(TestWorld::get().mutex);
        log_->frames_dropped += count;
    }
};

inline const zzp_config_key kNoKeys[] = {zzp::key("unused", ZZP_CFG_INT, "0", "no keys")};
inline const zzp_plugin_descriptor kProbeDescriptor =
    zzp::describe(ZZP_KIND_PROBE, "test-probe", "Scripted probe", "1.0.0", "Emits a script.", kNoKeys, "");
inline const zzp_plugin_descriptor kSinkDescriptor =
    zzp::describe(ZZP_KIND_SINK, "test-sink", "Capturing sink", "1.0.0", "Records batches.", kNoKeys, "");
inline const zzp_plugin_descriptor kViewerDescriptor =
    zzp::describe(ZZP_KIND_VIEWER, "test-viewer", "Capturing viewer", "1.0.0", "Records frames.", kNoKeys, "");

}  // namespace zzp::test

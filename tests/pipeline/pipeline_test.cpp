#include "pipeline/pipeline.hpp"

#include <gtest/gtest.h>

#include "common/log.hpp"
#include "frame_matchers.hpp"
#include "reference_frames.hpp"
#include "support/in_process_instance.hpp"
#include "support/test_plugins.hpp"
#include "workload.hpp"

using namespace zzp::host;
using namespace zzp::test;

namespace {

constexpr int64_t kInterval = 100'000'000;
constexpr int64_t T0 = 1'700'000'000'000'000'000;

InstanceSpec probe(const std::string& id) {
    return {ZZP_KIND_PROBE, id, "test-probe", {}, InProcessInstance::factory(kProbeDescriptor, zzp::entry<ScriptedProbe>(kProbeDescriptor), id), nullptr};
}
InstanceSpec sink(const std::string& id, std::vector<std::string> inputs) {
    return {ZZP_KIND_SINK, id, "test-sink", std::move(inputs), InProcessInstance::factory(kSinkDescriptor, zzp::entry<CapturingSink>(kSinkDescriptor), id), nullptr};
}
InstanceSpec viewer(const std::string& id) {
    return {ZZP_KIND_VIEWER, id, "test-viewer", {}, InProcessInstance::factory(kViewerDescriptor, zzp::entry<CapturingViewer>(kViewerDescriptor), id), nullptr};
}

int64_t mono_now() { return real_clock()->mono_ns(); }

void wait_probe_done(const std::string& id) {
    std::unique_lock lock(TestWorld::get().mutex);
    auto script = TestWorld::get().probes[id];
    ASSERT_TRUE(TestWorld::get().cv.wait_for(lock, std::chrono::seconds(20), [&] { return script->done; }));
}

struct LogCapture {
    LogCapture() { set_log_sink(&LogCapture::sink, this); }
    ~LogCapture() { set_log_sink(nullptr, nullptr); }
    static void sink(LogLevel, std::string_view line, void* self) {
        auto* c = static_cast<LogCapture*>(self);
        std::lock_guard lock(c->mutex);
        c->lines.emplace_back(line);
    }
    bool contains(const std::string& text) {
        std::lock_guard lock(mutex);
        for (auto& l : lines)
            if (l.find(text) != std::string::npos) return true;
        return false;
    }
    std::mutex mutex;
    std::vector<std::string> lines;
};

std::shared_ptr<ProbeScript> script_for(uint32_t seed, uint32_t targets, const std::string& name_prefix) {
    auto s = std::make_shared<ProbeScript>();
    WorkloadOptions o;
    o.targets = targets;
    o.attempts_per_target = 150;
    o.seed = seed;
    o.start_wall_ns = T0;
    auto samples = make_workload(o);
    for (uint32_t t = 0; t < targets; ++t) s->targets.push_back({name_prefix + std::to_string(t), "127.0.0." + std::to_string(t + 1)});
    for (size_t i = 0; i < samples.size(); i += 37)
        s->emits.emplace_back(samples.begin() + static_cast<std::ptrdiff_t>(i),
                              samples.begin() + static_cast<std::ptrdiff_t>(std::min(samples.size(), i + 37)));
    return s;
}

std::vector<zzp_sample> emitted(const ProbeScript& s) {
    std::vector<zzp_sample> all;
    for (auto& chunk : s.emits)
        for (zzp_sample x : chunk) {
            x.target_id = s.interned[x.target_id - 1];
            all.push_back(x);
        }
    return all;
}

}  // namespace

TEST(Pipeline, RoutesEverySampleOnceInOrderAndFramesMatchTheReference) {
    TestWorld::get().reset();
    TestWorld::get().probes["p1"] = script_for(1, 3, "a");
    TestWorld::get().probes["p2"] = script_for(2, 2, "b");
    auto clock = std::make_shared<ManualClock>(T0);
    TargetRegistry registry;
    PipelineOptions o;
    o.frame_interval_ns = kInterval;
    o.settle_timeout_ns = 2'000'000'000;
    o.clock = clock;
    o.registry = &registry;
    Pipeline p({probe("p1"), probe("p2"), sink("only-p1", {"p1"}), sink("all", {})}, o);
    std::vector<PipelineError> errors;
    ASSERT_TRUE(p.open(errors));
    ASSERT_TRUE(p.start(errors)) << (errors.empty() ? "" : errors[0].text());
    wait_probe_done("p1");
    wait_probe_done("p2");
    clock->advance_ns(3600'000'000'000);  // every interval ends and settles
    StopReport report = p.stop(mono_now() + 20'000'000'000);
    EXPECT_TRUE(report.clean) << (report.problems.empty() ? "" : report.problems[0]);

    auto settled_only = [](std::vector<zzp_sample> v) {
        std::erase_if(v, [](const zzp_sample& s) { return s.status == ZZP_SAMPLE_SENT; });
        return v;
    };
    const auto p1 = emitted(*TestWorld::get().probes["p1"]);
    const auto p2 = emitted(*TestWorld::get().probes["p2"]);
    auto collect = [](const SinkLog& log, std::vector<zzp_sample>& samples, std::vector<zzp_frame>& frames) {
        for (size_t i = 0; i < log.taken.size(); ++i) {
            EXPECT_EQ(log.taken[i].seq, i + 1);
            samples.insert(samples.end(), log.taken[i].samples.begin(), log.taken[i].samples.end());
            frames.insert(frames.end(), log.taken[i].frames.begin(), log.taken[i].frames.end());
        }
    };
    std::vector<zzp_sample> only_samples, all_samples;
    std::vector<zzp_frame> only_frames, all_frames;
    collect(*TestWorld::get().log("only-p1"), only_samples, only_frames);
    collect(*TestWorld::get().log("all"), all_samples, all_frames);

    // Routing by inputs; each probe's samples exactly once and in its emit order.
    auto of_probe = [](const std::vector<zzp_sample>& v, const std::vector<zzp_sample>& ref) {
        std::vector<zzp_sample> out;
        for (auto& s : v)
            for (auto& r : ref)
                if (r.target_id == s.target_id) {
                    out.push_back(s);
                    break;
                }
        return out;
    };
    auto same = [](const std::vector<zzp_sample>& a, const std::vector<zzp_sample>& b) {
        if (a.size() != b.size()) return false;
        for (size_t i = 0; i < a.size(); ++i)
            if (a[i].target_id != b[i].target_id || a[i].seq != b[i].seq || a[i].status != b[i].status) return false;
        return true;
    };
    EXPECT_TRUE(same(only_samples, settled_only(p1)));
    EXPECT_TRUE(same(of_probe(all_samples, p1), settled_only(p1)));
    EXPECT_TRUE(same(of_probe(all_samples, p2), settled_only(p2)));
    EXPECT_EQ(all_samples.size(), settled_only(p1).size() + settled_only(p2).size());

    // Frames: final only (the sinks accept FINAL), equal to the reference.
    std::vector<zzp_sample> both = p1;
    both.insert(both.end(), p2.begin(), p2.end());
    auto reference = reference_frames(both, kInterval);
    std::map<FrameKey, zzp_frame> got;
    for (auto& f : all_frames) EXPECT_TRUE(got.emplace(FrameKey{f.target_id, f.start_wall_ns}, f).second);
    ASSERT_EQ(got.size(), reference.size());
    for (auto& [key, expected] : reference) expect_same_statistics(got.at(key), expected);
    size_t p1_frames = 0;
    for (auto& [key, f] : reference) p1_frames += std::count(TestWorld::get().probes["p1"]->interned.begin(),
                                                           TestWorld::get().probes["p1"]->interned.end(), key.first);
    EXPECT_EQ(only_frames.size(), p1_frames);

    // on_target came before data, once per target.
    auto targets = TestWorld::get().log("all")->on_target_ids;
    std::sort(targets.begin(), targets.end());
    EXPECT_EQ(targets.size(), 5u);
    EXPECT_TRUE(std::adjacent_find(targets.begin(), targets.end()) == targets.end());
    EXPECT_TRUE(TestWorld::get().log("all")->stopped);
}

TEST(Pipeline, EmitAfterStopIsIgnoredAndLogged) {
    TestWorld::get().reset();
    auto s = std::make_shared<ProbeScript>();
    s->targets = {{"t", "127.0.0.1"}};
    s->emits = {{sample(1, 1, T0, ZZP_SAMPLE_REPLY, 10)}};
    s->emit_in_stop = {sample(1, 2, T0 + 1, ZZP_SAMPLE_LOST)};
    TestWorld::get().probes["p"] = s;
    TargetRegistry registry;
    PipelineOptions o;
    o.registry = &registry;
    LogCapture logs;
    {
        Pipeline p({probe("p"), sink("k", {})}, o);
        std::vector<PipelineError> errors;
        ASSERT_TRUE(p.open(errors));
        ASSERT_TRUE(p.start(errors));
        wait_probe_done("p");
        EXPECT_TRUE(p.stop(mono_now() + 10'000'000'000).clean);
        zzp_sample after = sample(s->interned[0], 3, T0 + 2, ZZP_SAMPLE_REPLY, 1);
        s->host->emit(s->host, &after, 1);
        EXPECT_EQ(p.counters().ignored_emits, 1u);
        EXPECT_EQ(p.counters().ingested, 2u) << "the sample emitted during stop still counted";
    }
    EXPECT_TRUE(logs.contains("emit outside start/stop ignored"));
    size_t taken = 0;
    for (auto& r : TestWorld::get().log("k")->taken) taken += r.samples.size();
    EXPECT_EQ(taken, 2u);
}

TEST(Pipeline, SinkHangingInStopDoesNotHangTheHost) {
    TestWorld::get().reset();
    auto s = std::make_shared<ProbeScript>();
    s->targets = {{"t", "127.0.0.1"}};
    TestWorld::get().probes["p"] = s;
    SinkBehaviour hang;
    hang.hang_in_stop = true;
    TestWorld::get().sinks["hanger"] = hang;
    TargetRegistry registry;
    PipelineOptions o;
    o.registry = &registry;
    {
        Pipeline p({probe("p"), sink("hanger", {})}, o);
        std::vector<PipelineError> errors;
        ASSERT_TRUE(p.open(errors));
        ASSERT_TRUE(p.start(errors));
        const int64_t begin = mono_now();
        StopReport r = p.stop(begin + 500'000'000);
        const int64_t took = mono_now() - begin;
        EXPECT_FALSE(r.clean);
        EXPECT_LT(took, 5'000'000'000) << "the deadline (0.5 s + grace) bounds stop";
        bool mentions = false;
        for (auto& line : r.problems) mentions |= line.find("stop deadline") != std::string::npos;
        EXPECT_TRUE(mentions);
    }
    // Let the abandoned plugin thread finish so the test process exits cleanly.
    std::lock_guard lock(TestWorld::get().mutex);
    TestWorld::get().release_hang = true;
    TestWorld::get().cv.notify_all();
}

TEST(Pipeline, FailedSinkStartIsReportedAndThePipelineStops) {
    TestWorld::get().reset();
    TestWorld::get().probes["p"] = std::make_shared<ProbeScript>();
    SinkBehaviour bad;
    bad.fail_start = true;
    TestWorld::get().sinks["broken"] = bad;
    TargetRegistry registry;
    PipelineOptions o;
    o.registry = &registry;
    Pipeline p({probe("p"), sink("broken", {})}, o);
    std::vector<PipelineError> errors;
    ASSERT_TRUE(p.open(errors));
    EXPECT_FALSE(p.start(errors));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].instance_id, "broken");
    EXPECT_EQ(errors[0].key, "output");
    EXPECT_NE(errors[0].text().find("cannot open the test output"), std::string::npos);
    EXPECT_EQ(TestWorld::get().probes["p"]->host, nullptr) << "the probe was never started";
}

TEST(Pipeline, UnknownInputIsAConfigErrorWithItsKey) {
    TestWorld::get().reset();
    TargetRegistry registry;
    PipelineOptions o;
    o.registry = &registry;
    Pipeline p({probe("p"), sink("k", {"nope"})}, o);
    std::vector<PipelineError> errors;
    EXPECT_FALSE(p.open(errors));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].key, "inputs");
    EXPECT_NE(errors[0].message.find("nope"), std::string::npos);
}

TEST(Pipeline, RequestStopFromAPluginWakesWait) {
    TestWorld::get().reset();
    auto s = std::make_shared<ProbeScript>();
    TestWorld::get().probes["p"] = s;
    TargetRegistry registry;
    PipelineOptions o;
    o.registry = &registry;
    Pipeline p({probe("p"), viewer("v")}, o);
    std::vector<PipelineError> errors;
    ASSERT_TRUE(p.open(errors));
    ASSERT_TRUE(p.start(errors));
    EXPECT_FALSE(p.wait_for_stop_request(1'000'000));
    std::thread closer([&] { s->host->request_stop(s->host, "window closed"); });
    p.wait();
    closer.join();
    EXPECT_NE(p.stop_reason().find("window closed"), std::string::npos);
    EXPECT_TRUE(p.stop(mono_now() + 5'000'000'000).clean);
}

namespace {

// Emits SENT then REPLY for one target every 20 ms for `seconds` through the probe's host table,
// with real wall times, then stops the pipeline; returns how many distinct moments (writes more
// than 30 ms apart) the sink `sink_id` was handed data at.
struct CadenceResult {
    size_t moments = 0;
    size_t replies = 0;
};

CadenceResult run_paced(Pipeline& p, const std::shared_ptr<ProbeScript>& script, const std::string& sink_id, double seconds) {
    std::vector<PipelineError> errors;
    EXPECT_TRUE(p.open(errors));
    EXPECT_TRUE(p.start(errors));
    wait_probe_done("p");
    const zzp_host* h = script->host;
    const auto start = std::chrono::steady_clock::now();
    uint64_t seq = 0;
    while (std::chrono::steady_clock::now() - start < std::chrono::duration<double>(seconds)) {
        zzp_sample s[2]{};
        s[0].target_id = s[1].target_id = script->interned[0];
        s[0].seq = s[1].seq = ++seq;
        s[0].sent_wall_ns = s[1].sent_wall_ns = real_clock()->wall_ns();
        s[0].status = ZZP_SAMPLE_SENT;
        s[0].rtt_ns = -1;
        s[1].status = ZZP_SAMPLE_REPLY;
        s[1].rtt_ns = 1'000'000;
        h->emit(h, s, 2);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(p.stop(mono_now() + 5'000'000'000).clean);
    CadenceResult r;
    auto log = TestWorld::get().log(sink_id);
    std::lock_guard lock(TestWorld::get().mutex);
    int64_t last = INT64_MIN / 2;
    for (size_t i = 0; i < log->taken.size(); ++i) {
        if (log->taken_at_ns[i] - last > 30'000'000) ++r.moments;
        last = log->taken_at_ns[i];
        for (const zzp_sample& s : log->taken[i].samples) r.replies += s.status == ZZP_SAMPLE_REPLY;
    }
    return r;
}

std::shared_ptr<ProbeScript> one_target_script() {
    auto s = std::make_shared<ProbeScript>();
    s->targets.push_back({"paced", "127.0.0.1"});
    TestWorld::get().probes["p"] = s;
    return s;
}

}  // namespace

TEST(PipelineCadence, WithoutLiveConsumersSinksAreHandedDataOncePerBatchDelay) {
    // Rule M4: nobody shows frames live, so final frames and samples reach the sink in one
    // hand-over per batch_delay (here 500 ms) instead of one per 100 ms interval, and nothing is
    // lost by waiting: every reply is there after stop.
    TestWorld::get().reset();
    auto script = one_target_script();
    TargetRegistry registry;
    PipelineOptions o;
    o.registry = &registry;
    o.batch_delay_ns = 500'000'000;
    Pipeline p({probe("p"), sink("final", {})}, o);
    CadenceResult r = run_paced(p, script, "final", 2.5);
    std::printf("hand-overs: %zu, replies: %zu\n", r.moments, r.replies);
    EXPECT_GE(r.replies, 100u);
    EXPECT_GE(r.moments, 3u);
    EXPECT_LE(r.moments, 9u) << "2.5 s at a 500 ms batch delay: about 5 hand-overs plus the one at stop";
}

TEST(PipelineCadence, ALiveConsumerGetsEveryIntervalAndSoDoEveryOtherSink) {
    // The same pipeline with a sink that takes live frames: frames are published at every
    // interval end, and the recorder-like sink is handed its data at that cadence too.
    TestWorld::get().reset();
    auto script = one_target_script();
    {
        std::lock_guard lock(TestWorld::get().mutex);
        TestWorld::get().sinks["live"].accepts = ZZP_ACCEPT_FRAMES_LIVE | ZZP_ACCEPT_FRAMES_FINAL;
    }
    TargetRegistry registry;
    PipelineOptions o;
    o.registry = &registry;
    o.batch_delay_ns = 500'000'000;
    Pipeline p({probe("p"), sink("final", {}), sink("live", {})}, o);
    CadenceResult r = run_paced(p, script, "live", 2.5);
    std::printf("hand-overs: %zu\n", r.moments);
    EXPECT_GE(r.moments, 12u) << "one hand-over per 100 ms interval expected (25), allowing for a loaded machine";
}

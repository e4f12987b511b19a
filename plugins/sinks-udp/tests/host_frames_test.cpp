// The host extension "zzp.frames/1" (sdk/include/zzprobe/host_frames.h) in a real Pipeline with
// in-process test plugins (tests/pipeline/support): frames a probe publishes reach the sinks
// routed to it, FINAL-only sinks get finals only, frames of targets the probe did not intern
// are refused and counted, and nothing is taken outside start..stop.
#include <gtest/gtest.h>
#include <zzprobe/host_frames.h>

#include <cstring>

#include "pipeline/host_table.hpp"
#include "pipeline/pipeline.hpp"
#include "support/in_process_instance.hpp"
#include "support/test_plugins.hpp"

using namespace zzp::host;
using namespace zzp::test;

namespace {

constexpr int64_t kInterval = 100'000'000;
constexpr int64_t T0 = 1'700'000'000'000'000'000;

InstanceSpec probe(const std::string& id) {
    return {ZZP_KIND_PROBE, id, "test-probe", {},
            InProcessInstance::factory(kProbeDescriptor, zzp::entry<ScriptedProbe>(kProbeDescriptor), id), nullptr};
}
InstanceSpec sink(const std::string& id, std::vector<std::string> inputs) {
    return {ZZP_KIND_SINK, id, "test-sink", std::move(inputs),
            InProcessInstance::factory(kSinkDescriptor, zzp::entry<CapturingSink>(kSinkDescriptor), id), nullptr};
}

std::shared_ptr<ProbeScript> silent_probe(const std::string& name) {
    auto s = std::make_shared<ProbeScript>();
    s->targets.push_back({name, "192.0.2.1"});
    return s;
}

void wait_started(const std::string& id) {
    std::unique_lock lock(TestWorld::get().mutex);
    auto script = TestWorld::get().probes[id];
    ASSERT_TRUE(TestWorld::get().cv.wait_for(lock, std::chrono::seconds(20), [&] { return script->done; }));
}

zzp_frame frame(uint32_t target, int64_t start, uint32_t revision, bool final) {
    zzp_frame f{};
    f.start_wall_ns = start;
    f.interval_ns = kInterval;
    f.target_id = target;
    f.revision = revision;
    f.flags = final ? ZZP_FRAME_F_FINAL : 0;
    f.sent = 10;
    f.received = final ? 10 : 9;
    f.pending = final ? 0 : 1;
    for (int64_t& q : f.rtt_ns) q = 1'000'000;
    f.rtt_mean_ns = 1'000'000;
    f.rtt_jitter_ns = 0;
    return f;
}

std::vector<zzp_frame> frames_taken(const std::string& sink_id) {
    std::vector<zzp_frame> out;
    auto log = TestWorld::get().log(sink_id);
    std::lock_guard lock(TestWorld::get().mutex);
    for (const SinkRecord& r : log->taken) out.insert(out.end(), r.frames.begin(), r.frames.end());
    return out;
}

// A HostServices that keeps the defaults for frames (like `zzprobe view`'s).
class PlainServices final : public HostServices {
public:
    uint32_t intern_target(size_t, const zzp_target_desc&) override { return 1; }
    void ingest(size_t, const zzp_sample*, uint32_t) override {}
    int64_t wall_ns() const override { return T0; }
    int64_t mono_ns() const override { return 0; }
    void request_stop(const std::string&, const std::string&) override {}
};

}  // namespace

TEST(HostFramesExtension, ProbeFramesReachTheSinksRoutedToItLikeBuiltFrames) {
    TestWorld::get().reset();
    TestWorld::get().probes["relay"] = silent_probe("router");
    TestWorld::get().probes["other"] = silent_probe("isp");
    TestWorld::get().sinks["every-revision"].accepts = ZZP_ACCEPT_FRAMES_LIVE | ZZP_ACCEPT_FRAMES_FINAL;
    TestWorld::get().sinks["finals"].accepts = ZZP_ACCEPT_FRAMES_FINAL;
    TestWorld::get().sinks["other-only"].accepts = ZZP_ACCEPT_FRAMES_LIVE | ZZP_ACCEPT_FRAMES_FINAL;
    TargetRegistry registry;
    PipelineOptions o;
    o.frame_interval_ns = kInterval;
    o.registry = &registry;
    Pipeline p({probe("relay"), probe("other"), sink("every-revision", {"relay"}), sink("finals", {}),
                sink("other-only", {"other"})},
               o);
    std::vector<PipelineError> errors;
    ASSERT_TRUE(p.open(errors));
    ASSERT_TRUE(p.start(errors)) << (errors.empty() ? "" : errors[0].text());
    wait_started("relay");
    wait_started("other");
    auto relay = TestWorld::get().probes["relay"];
    const uint32_t mine = relay->interned.at(0);
    const uint32_t theirs = TestWorld::get().probes["other"]->interned.at(0);
    const zzp_host* host = relay->host;
    ASSERT_TRUE(ZZP_STRUCT_HAS(host, zzp_host, get_extension));
    auto* ext = static_cast<const zzp_host_frames_ext*>(host->get_extension(host, ZZP_HOST_EXT_FRAMES));
    ASSERT_NE(ext, nullptr);
    ASSERT_TRUE(ZZP_STRUCT_HAS(ext, zzp_host_frames_ext, publish_frames));
    EXPECT_EQ(host->get_extension(host, "zzp.frames/2"), nullptr);

    zzp_error err{};
    err.struct_size = sizeof err;
    const std::vector<zzp_frame> good = {frame(mine, T0, 0, false), frame(mine, T0, 1, true),
                                         frame(mine, T0 + kInterval, 0, true)};
    EXPECT_EQ(ext->publish_frames(host, good.data(), static_cast<uint32_t>(good.size()), &err), ZZP_OK) << err.message;

    // Another probe's target, no interval, a reserved field set: refused, the good one still goes.
    std::vector<zzp_frame> mixed = {frame(theirs, T0 + 2 * kInterval, 0, true), frame(mine, T0 + 3 * kInterval, 0, true),
                                    frame(mine, T0 + 4 * kInterval, 0, true), frame(mine, T0 + 5 * kInterval, 0, true)};
    mixed[2].interval_ns = 0;
    mixed[3].reserved = 1;
    EXPECT_EQ(ext->publish_frames(host, mixed.data(), static_cast<uint32_t>(mixed.size()), &err), ZZP_E_INVALID);
    EXPECT_NE(std::string(err.message).find("3 of 4 frames refused"), std::string::npos) << err.message;
    EXPECT_EQ(p.host_table(*p.find_slot("relay"))->rejected_frames(), 3u);
    EXPECT_EQ(ext->publish_frames(host, nullptr, 0, nullptr), ZZP_OK);  // nothing to do

    StopReport report = p.stop(real_clock()->mono_ns() + 20'000'000'000);
    EXPECT_TRUE(report.clean) << (report.problems.empty() ? "" : report.problems[0]);
    // After stop, like emit: ignored and reported.
    EXPECT_EQ(ext->publish_frames(host, good.data(), 1, &err), ZZP_E_STATE);

    auto every = frames_taken("every-revision");
    ASSERT_EQ(every.size(), 4u);  // the three good ones, then the good one of the mixed call
    for (size_t i = 0; i < good.size(); ++i) EXPECT_EQ(std::memcmp(&every[i], &good[i], sizeof(zzp_frame)), 0) << i;
    EXPECT_EQ(every[3].start_wall_ns, T0 + 3 * kInterval);
    auto finals = frames_taken("finals");
    ASSERT_EQ(finals.size(), 3u);
    for (const zzp_frame& f : finals) EXPECT_TRUE(f.flags & ZZP_FRAME_F_FINAL);
    EXPECT_TRUE(frames_taken("other-only").empty());
    // Sinks learn the target before its first frame, as with built frames.
    auto log = TestWorld::get().log("every-revision");
    ASSERT_FALSE(log->on_target_ids.empty());
    EXPECT_EQ(log->on_target_ids[0], mine);
}

TEST(HostFramesExtension, AHostThatCannotRouteFramesOffersNoTable) {
    PlainServices services;
    HostTable table(&services, 0, "relay", "test-probe");
    const zzp_host* host = table.table();
    EXPECT_EQ(host->get_extension(host, ZZP_HOST_EXT_FRAMES), nullptr);
    EXPECT_EQ(host->get_extension(host, "org.example.unknown/1"), nullptr);
}

// The instance wrapper: lifecycle and extension calls on real libraries and in-process tables,
// guarded calls (exceptions, unknown statuses, NULL functions), the stop deadline
// (docs/PLUGIN_ABI.md rules G1, S1–S3, T3, C1–C4, K1–K2, X1).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>

#include "abi_test_support.hpp"
#include "fake_host.hpp"
#include "loader/plugin_instance.hpp"
#include "loader/plugin_library.hpp"

const zzp_plugin* zzp_header_check_cxx17_create_sink(const zzp_host* host, zzp_error* err);

namespace zzp::host {
namespace {
namespace fs = std::filesystem;
using abi_test::plugin;
using ::testing::HasSubstr;

std::shared_ptr<PluginLibrary> open_ok(const std::string& name) {
    LoadError err;
    auto lib = PluginLibrary::open(plugin(name), {}, &err);
    EXPECT_NE(lib, nullptr) << err.text();
    return lib;
}

int64_t mono_now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

zzp_error empty_error() {
    zzp_error e{};
    e.struct_size = sizeof e;
    return e;
}

zzp_batch sample_batch(uint64_t seq, const std::vector<zzp_sample>& samples) {
    zzp_batch b{};
    b.seq = seq;
    b.kind = ZZP_BATCH_SAMPLES;
    b.count = static_cast<uint32_t>(samples.size());
    b.samples = samples.data();
    return b;
}

TEST(Instance, GoodProbeRunsItsLifecycle) {
    auto lib = open_ok("good");
    ASSERT_NE(lib, nullptr);
    test::FakeHost host("probe-1");
    std::string why;
    auto probe = lib->create("abi-test.good-probe", "probe-1", host.table(), &why);
    ASSERT_NE(probe, nullptr) << why;
    EXPECT_EQ(probe->kind(), ZZP_KIND_PROBE);
    EXPECT_EQ(probe->instance_id(), "probe-1");
    EXPECT_EQ(probe->origin(), "abi-test.good-probe/probe-1 (" + plugin("good").string() + " gen " +
                                   std::to_string(lib->generation()) + ")");
    EXPECT_FALSE(probe->has_sink());
    EXPECT_FALSE(probe->has_state());
    test::FakeConfig config("target = \"127.0.0.2\"");
    zzp_error err = empty_error();
    ASSERT_EQ(probe->configure(config.table(), &err), ZZP_OK) << err.message;
    ASSERT_EQ(probe->start(&err), ZZP_OK) << err.message;
    ASSERT_EQ(probe->stop(mono_now_ns() + 2'000'000'000, &err), ZZP_OK) << err.message;
    EXPECT_FALSE(probe->hung());
    ASSERT_EQ(host.samples().size(), 1u);
    EXPECT_EQ(host.samples()[0].status, ZZP_SAMPLE_REPLY);
    EXPECT_EQ(host.targets().begin()->second, "127.0.0.2|127.0.0.2");
}

TEST(Instance, GoodSinkTakesBatchesAndHandsStateOver) {
    auto lib = open_ok("good");
    ASSERT_NE(lib, nullptr);
    test::FakeHost host("sink-1");
    std::string why;
    auto old_sink = lib->create("abi-test.good-sink", "sink-1", host.table(), &why);
    ASSERT_NE(old_sink, nullptr) << why;
    ASSERT_TRUE(old_sink->has_sink());
    EXPECT_EQ(old_sink->sink_accepts(), ZZP_ACCEPT_SAMPLES);
    ASSERT_TRUE(old_sink->has_state());
    EXPECT_EQ(old_sink->state_format(), 3u);
    zzp_error err = empty_error();
    std::vector<zzp_sample> samples(5);
    ASSERT_EQ(old_sink->sink_write(sample_batch(1, samples), &err), ZZP_OK) << err.message;
    ASSERT_EQ(old_sink->sink_write(sample_batch(2, samples), &err), ZZP_OK) << err.message;
    EXPECT_EQ(old_sink->sink_flush(&err), ZZP_OK);
    EXPECT_EQ(old_sink->sink_durable_seq(), 2u);
    zzp_batch frames{};
    frames.seq = 3;
    frames.kind = ZZP_BATCH_FRAMES;
    EXPECT_EQ(old_sink->sink_write(frames, &err), ZZP_E_INVALID);
    EXPECT_STREQ(err.message, "expected samples");

    std::string state;
    ASSERT_EQ(old_sink->state_save(&state, &err), ZZP_OK) << err.message;
    EXPECT_EQ(state.size(), 8u);
    auto successor = lib->create("abi-test.good-sink", "sink-1", host.table(), &why);
    ASSERT_NE(successor, nullptr) << why;
    EXPECT_TRUE(successor->state_accepts(3));
    EXPECT_FALSE(successor->state_accepts(4));
    ASSERT_EQ(successor->state_load(3, state, &err), ZZP_OK) << err.message;
    std::string again;
    ASSERT_EQ(successor->state_save(&again, &err), ZZP_OK);
    EXPECT_EQ(again, state) << "the successor did not restore the count";
}

TEST(Instance, OlderMinorShortTableIsNeverReadPastItsSize) {
    // The library's get_extension slot (beyond struct_size) holds a function that aborts.
    auto lib = open_ok("older-minor");
    ASSERT_NE(lib, nullptr);
    test::FakeHost host;
    std::string why;
    auto probe = lib->create("abi-test.older-minor", "old", host.table(), &why);
    ASSERT_NE(probe, nullptr) << why;
    EXPECT_FALSE(probe->has_sink());
    EXPECT_FALSE(probe->has_state());
    zzp_error err = empty_error();
    EXPECT_EQ(probe->configure(nullptr, &err), ZZP_OK);
    EXPECT_EQ(probe->start(&err), ZZP_OK);
    EXPECT_EQ(probe->stop(mono_now_ns() + 1'000'000'000, &err), ZZP_OK);
    EXPECT_EQ(probe->sink_write(sample_batch(1, std::vector<zzp_sample>(1)), &err), ZZP_E_UNSUPPORTED);
    EXPECT_THAT(err.message, HasSubstr(ZZP_EXT_SINK));
    EXPECT_EQ(probe->sink_durable_seq(), 0u);
    probe->viewer_frames_dropped(3);  // not offered: a no-op, not a call
}

TEST(Instance, ExceptionsEscapingAPluginBecomeInternalErrors) {
    auto lib = open_ok("throwing");
    ASSERT_NE(lib, nullptr);
    test::FakeHost host;
    std::string why;
    auto sink = lib->create("abi-test.throwing", "t", host.table(), &why);
    ASSERT_NE(sink, nullptr) << why;
    abi_test::LogCapture log;
    zzp_error err = empty_error();
    EXPECT_EQ(sink->configure(nullptr, &err), ZZP_E_INTERNAL);
    EXPECT_THAT(err.message, HasSubstr("configure exploded"));
    EXPECT_THAT(err.message, HasSubstr("escaped the plugin's configure"));
    err = empty_error();
    EXPECT_EQ(sink->start(&err), ZZP_E_INTERNAL);
    EXPECT_THAT(err.message, HasSubstr("unknown type"));
    err = empty_error();
    EXPECT_EQ(sink->sink_write(sample_batch(1, std::vector<zzp_sample>(1)), &err), ZZP_E_INTERNAL);
    EXPECT_THAT(err.message, HasSubstr("write exploded"));
    EXPECT_EQ(sink->sink_durable_seq(), 0u);
    EXPECT_TRUE(log.contains("durable_seq exploded"));
    // The host is still fine and the instance still usable.
    EXPECT_EQ(sink->stop(mono_now_ns() + 1'000'000'000, &err), ZZP_OK);
}

TEST(Instance, HangInStopReturnsNearTheDeadlineAndQuarantinesTheLibrary) {
    auto lib = open_ok("hang-in-stop");
    ASSERT_NE(lib, nullptr);
    fs::path copy = lib->loaded_path();
    test::FakeHost host;
    std::string why;
    auto probe = lib->create("abi-test.hang-in-stop", "h", host.table(), &why);
    ASSERT_NE(probe, nullptr) << why;
    abi_test::LogCapture log;
    zzp_error err = empty_error();
    ASSERT_EQ(probe->start(&err), ZZP_OK);

    constexpr int64_t kDeadlineMs = 200;
    auto began = std::chrono::steady_clock::now();
    zzp_status s = probe->stop(mono_now_ns() + kDeadlineMs * 1'000'000, &err);
    auto took_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count();

    EXPECT_EQ(s, ZZP_E_INTERNAL);
    EXPECT_THAT(err.message, HasSubstr("missed its stop deadline"));
    EXPECT_THAT(err.message, HasSubstr("abi-test.hang-in-stop/h"));
    EXPECT_TRUE(probe->hung());
    // Deadline + grace (500 ms), with a generous allowance for a loaded machine; the plugin
    // itself sleeps 30 s.
    EXPECT_GE(took_ms, kDeadlineMs);
    EXPECT_LT(took_ms, kDeadlineMs + PluginInstance::kStopGrace.count() + 4000);
    EXPECT_EQ(probe->configure(nullptr, &err), ZZP_E_STATE);
    EXPECT_TRUE(lib->leaked());
    EXPECT_TRUE(log.contains("missed its stop deadline"));
    EXPECT_TRUE(log.contains("never unloaded"));

    std::string refusal;
    EXPECT_EQ(lib->create("abi-test.hang-in-stop", "h2", host.table(), &refusal), nullptr);
    EXPECT_THAT(refusal, HasSubstr("quarantined"));

    probe.reset();  // not destroyed: the plugin is still inside stop
    lib.reset();
    EXPECT_TRUE(PluginLibrary::is_mapped(copy)) << "a library whose code may still run was unloaded";
}

// ---- in-process instances (no library) ---------------------------------------------------------

TEST(Instance, WrapsAnInProcessHelperInstance) {
    test::FakeHost host("s");
    zzp_error err = empty_error();
    const zzp_plugin* raw = zzp_header_check_cxx17_create_sink(host.table(), &err);
    ASSERT_NE(raw, nullptr) << err.message;
    std::string why;
    auto sink = PluginInstance::wrap(raw, "s", nullptr, &why);
    ASSERT_NE(sink, nullptr) << why;
    EXPECT_EQ(sink->origin(), "abi-test.cxx17-sink/s (in-process)");
    EXPECT_EQ(sink->library(), nullptr);

    test::FakeConfig missing("");
    EXPECT_EQ(sink->configure(missing.table(), &err), ZZP_E_CONFIG);
    EXPECT_STREQ(err.key, "limit");

    test::FakeConfig config("limit = 4");
    ASSERT_EQ(sink->configure(config.table(), &err), ZZP_OK) << err.message;
    std::vector<zzp_sample> two(2);
    EXPECT_EQ(sink->sink_write(sample_batch(1, two), &err), ZZP_OK);
    EXPECT_EQ(sink->sink_write(sample_batch(7, two), &err), ZZP_E_RETRY);
    EXPECT_EQ(sink->sink_durable_seq(), 1u) << "a retried batch counted as taken";
    EXPECT_EQ(sink->sink_write(sample_batch(2, two), &err), ZZP_OK);
    EXPECT_EQ(sink->sink_write(sample_batch(3, two), &err), ZZP_E_IO);
    EXPECT_STREQ(err.message, "limit reached");
}

// A hand-written C table, to break rules the helper never breaks.
struct RawTable {
    zzp_plugin plugin{};
    zzp_plugin_descriptor descriptor{};
    int destroyed = 0;
};

zzp_status returns_unknown_status(const zzp_plugin*, const zzp_config*, zzp_error*) {
    return static_cast<zzp_status>(42);
}
zzp_status fails_without_message(const zzp_plugin*, zzp_error*) {
    return ZZP_E_IO;
}
void count_destroy(const zzp_plugin* p) {
    ++static_cast<RawTable*>(p->plugin_data)->destroyed;
}

RawTable make_table(zzp_plugin_kind kind) {
    RawTable t;
    t.descriptor.struct_size = sizeof t.descriptor;
    t.descriptor.kind = kind;
    t.descriptor.id = "abi-test.raw";
    t.plugin.struct_size = sizeof t.plugin;
    return t;
}

TEST(Instance, UnknownStatusAndMissingMessageAreReported) {
    RawTable t = make_table(ZZP_KIND_PROBE);
    t.plugin.plugin_data = &t;
    t.plugin.descriptor = &t.descriptor;
    t.plugin.configure = returns_unknown_status;
    t.plugin.start = fails_without_message;
    t.plugin.destroy = count_destroy;
    std::string why;
    auto probe = PluginInstance::wrap(&t.plugin, "r", nullptr, &why);
    ASSERT_NE(probe, nullptr) << why;
    zzp_error err = empty_error();
    EXPECT_EQ(probe->configure(nullptr, &err), ZZP_E_INTERNAL);
    EXPECT_THAT(err.message, HasSubstr("unknown status 42"));
    EXPECT_EQ(probe->start(&err), ZZP_E_IO);
    EXPECT_THAT(err.message, HasSubstr("gave no message"));
    // NULL lifecycle functions are no-ops, never calls.
    EXPECT_EQ(probe->stop(mono_now_ns() + 1'000'000'000, &err), ZZP_OK);
    probe.reset();
    EXPECT_EQ(t.destroyed, 1);
}

TEST(Instance, SinkWithoutSinkExtensionIsRefusedAndDestroyed) {
    RawTable t = make_table(ZZP_KIND_SINK);
    t.plugin.plugin_data = &t;
    t.plugin.descriptor = &t.descriptor;
    t.plugin.destroy = count_destroy;
    std::string why;
    EXPECT_EQ(PluginInstance::wrap(&t.plugin, "r", nullptr, &why), nullptr);
    EXPECT_THAT(why, HasSubstr(ZZP_EXT_SINK));
    EXPECT_EQ(t.destroyed, 1);
}

TEST(Instance, NewerInstanceTableWithUnknownMembersIsRefused) {
    struct Longer {
        zzp_plugin base;
        void* future;
    };
    RawTable t = make_table(ZZP_KIND_PROBE);
    Longer longer{};
    longer.base.struct_size = sizeof longer;
    longer.base.plugin_data = &t;
    longer.base.descriptor = &t.descriptor;
    longer.base.destroy = count_destroy;
    longer.future = &t;
    std::string why;
    EXPECT_EQ(PluginInstance::wrap(&longer.base, "r", nullptr, &why), nullptr);
    EXPECT_THAT(why, HasSubstr(std::to_string(sizeof(Longer)) + " bytes"));
    EXPECT_THAT(why, HasSubstr(std::to_string(sizeof(zzp_plugin)) + " bytes"));
    EXPECT_EQ(t.destroyed, 1) << "the refused instance was leaked";
}

}  // namespace
}  // namespace zzp::host

#include "pipeline/sink_runner.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "support/in_process_instance.hpp"
#include "support/test_plugins.hpp"
#include "workload.hpp"

using namespace zzp::host;
using namespace zzp::test;

namespace {

int64_t mono_now() { return real_clock()->mono_ns(); }

struct Fixture {
    explicit Fixture(const std::string& id, SinkBehaviour behaviour, bool viewer = false, uint64_t limit = 64ull << 20) {
        TestWorld::get().reset();
        TestWorld::get().sinks[id] = behaviour;
        host.struct_size = sizeof host;
        instance_id = id;
        host.instance_id = instance_id.c_str();
        std::string error;
        instance = viewer ? InProcessInstance::create(kViewerDescriptor, zzp::entry<CapturingViewer>(kViewerDescriptor),
                                                      &host, id, &error)
                          : InProcessInstance::create(kSinkDescriptor, zzp::entry<CapturingSink>(kSinkDescriptor), &host,
                                                      id, &error);
        zzp_error err{};
        EXPECT_EQ(instance->start(&err), ZZP_OK);
        registry.intern("p", "test-probe", "t1", "127.0.0.1", 100);
        registry.intern("p", "test-probe", "t2", "127.0.0.2", 100);
        SinkRunnerOptions o;
        o.queue_limit_bytes = limit;
        o.max_batch_records = 64;
        o.min_backoff_ns = 1'000'000;
        o.max_backoff_ns = 20'000'000;
        o.lossy = viewer;
        o.find_target = [this](uint32_t id) { return registry.find(id); };
        runner = std::make_unique<SinkRunner>(instance.get(), o);
        runner->start();
    }
    SinkDrainReport finish() {
        runner->begin_finish(mono_now() + 10'000'000'000);
        return runner->wait_finished(mono_now() + 10'000'000'000);
    }
    std::string instance_id;
    zzp_host host{};
    TargetRegistry registry;
    std::unique_ptr<InProcessInstance> instance;
    std::unique_ptr<SinkRunner> runner;
};

std::vector<zzp_sample> settled(size_t n, uint32_t target = 1) {
    std::vector<zzp_sample> v;
    for (size_t i = 0; i < n; ++i) v.push_back(sample(target, i + 1, 1000 + static_cast<int64_t>(i), ZZP_SAMPLE_REPLY, 42));
    return v;
}

// Every sample taken, in order, exactly once; batch seqs 1, 2, 3...
void expect_all_in_order(const SinkLog& log, const std::vector<zzp_sample>& sent) {
    std::vector<uint64_t> seqs;
    std::vector<zzp_sample> got;
    for (auto& r : log.taken) {
        seqs.push_back(r.seq);
        got.insert(got.end(), r.samples.begin(), r.samples.end());
    }
    for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], i + 1);
    ASSERT_EQ(got.size(), sent.size());
    for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].seq, sent[i].seq);
        EXPECT_EQ(got[i].target_id, sent[i].target_id);
    }
}

}  // namespace

TEST(SinkRunner, SentAnnouncementsNeverReachSinksAndTargetsAreAnnouncedFirst) {
    Fixture f("s1", SinkBehaviour{});
    std::vector<zzp_sample> in = {sample(1, 1, 10, ZZP_SAMPLE_SENT), sample(1, 1, 10, ZZP_SAMPLE_REPLY, 5),
                                  sample(2, 1, 11, ZZP_SAMPLE_LOST)};
    f.runner->push_samples(in.data(), in.size());
    EXPECT_TRUE(f.finish().complete);
    auto log = TestWorld::get().log("s1");
    ASSERT_EQ(log->taken.size(), 1u);
    ASSERT_EQ(log->taken[0].samples.size(), 2u);
    EXPECT_EQ(log->taken[0].samples[0].status, ZZP_SAMPLE_REPLY);
    EXPECT_EQ(log->on_target_ids, (std::vector<uint32_t>{1, 2}));
    EXPECT_GE(log->flushes, 1u) << "flushed at the end";
    EXPECT_EQ(f.runner->counters().written, 2u);
}

TEST(SinkRunner, RetryKeepsTheBatchAndDeliversItAgainUnderTheSameSeq) {
    SinkBehaviour b;
    b.retry_first = 3;
    Fixture f("retry", b);
    auto in = settled(10);
    f.runner->push_samples(in.data(), in.size());
    EXPECT_TRUE(f.finish().complete);
    auto log = TestWorld::get().log("retry");
    ASSERT_GE(log->attempted_seqs.size(), 4u);
    EXPECT_EQ(log->attempted_seqs[0], 1u);
    EXPECT_EQ(log->attempted_seqs[3], 1u) << "the fourth attempt is still batch 1";
    expect_all_in_order(*log, in);
    EXPECT_EQ(f.runner->counters().retries, 3u);
}

TEST(SinkRunner, ThrowingSinkKeepsDataQueuedAndHostSurvives) {
    SinkBehaviour b;
    b.throw_first = 2;
    Fixture f("thrower", b);
    auto in = settled(100);
    f.runner->push_samples(in.data(), in.size());
    EXPECT_TRUE(f.finish().complete);
    expect_all_in_order(*TestWorld::get().log("thrower"), in);
    EXPECT_EQ(f.runner->counters().errors, 2u);
}

TEST(SinkRunner, SlowSinkWithTinyQueueBlocksTheProducerAndDropsNothing) {
    SinkBehaviour b;
    b.write_delay_ms = 2;
    Fixture f("slow", b, false, 16 * sizeof(zzp_sample));
    auto in = settled(400);
    std::thread producer([&] {
        for (size_t i = 0; i < in.size(); i += 8) f.runner->push_samples(in.data() + i, 8);
    });
    producer.join();
    EXPECT_GT(f.runner->counters().backpressure_waits, 0u) << "the producer had to wait";
    EXPECT_LE(f.runner->counters().depth_bytes, 16 * sizeof(zzp_sample));
    EXPECT_TRUE(f.finish().complete);
    expect_all_in_order(*TestWorld::get().log("slow"), in);
    EXPECT_EQ(f.runner->counters().dropped, 0u);
}

TEST(SinkRunner, LossyViewerDropsOldestFramesAndIsTold) {
    SinkBehaviour b;
    b.accepts = ZZP_ACCEPT_FRAMES_LIVE;
    b.write_delay_ms = 5;
    Fixture f("viewer", b, true, 8 * sizeof(zzp_frame));
    for (uint32_t i = 0; i < 400; ++i) {
        zzp_frame fr{};
        fr.target_id = 1;
        fr.start_wall_ns = i;
        f.runner->push_frames(&fr, 1);
    }
    EXPECT_TRUE(f.finish().complete);
    auto c = f.runner->counters();
    auto log = TestWorld::get().log("viewer");
    EXPECT_GT(c.dropped, 0u);
    uint64_t got = 0;
    int64_t last = -1;
    for (size_t i = 0; i < log->taken.size(); ++i) {
        EXPECT_EQ(log->taken[i].seq, i + 1) << "seqs stay continuous despite drops";
        for (auto& fr : log->taken[i].frames) {
            EXPECT_GT(fr.start_wall_ns, last) << "newer frames only, in order";
            last = fr.start_wall_ns;
            ++got;
        }
    }
    EXPECT_EQ(got + c.dropped, 400u);
    EXPECT_EQ(log->frames_dropped, c.dropped) << "the viewer learnt of every drop";
}

TEST(SinkRunner, SinkThatNeverTakesIsReportedAtTheDeadline) {
    SinkBehaviour b;
    b.retry_first = 1'000'000;
    Fixture f("stuck", b);
    auto in = settled(5);
    f.runner->push_samples(in.data(), in.size());
    f.runner->begin_finish(mono_now() + 200'000'000);
    SinkDrainReport r = f.runner->wait_finished(mono_now() + 200'000'000);
    EXPECT_FALSE(r.complete);
    EXPECT_FALSE(r.hung);
    EXPECT_EQ(r.unwritten_records, 5u) << "reported, not silently dropped";
}

TEST(SinkRunner, ReplaceInstanceResendsEverythingNotDurableUnderTheSameSeqs) {
    Fixture f("swap-old", SinkBehaviour{});
    auto first = settled(10);
    f.runner->push_samples(first.data(), first.size());
    // Wait until batch 1 was taken by the old instance.
    {
        std::unique_lock lock(TestWorld::get().mutex);
        TestWorld::get().cv.wait_for(lock, std::chrono::seconds(10), [] { return !TestWorld::get().logs["swap-old"]->taken.empty(); });
    }
    ASSERT_TRUE(f.runner->pause(mono_now() + 5'000'000'000));
    auto more = settled(5, 2);
    f.runner->push_samples(more.data(), more.size());  // queued while paused
    zzp_host host2{};
    host2.struct_size = sizeof host2;
    host2.instance_id = "swap-new";
    std::string error;
    auto successor = InProcessInstance::create(kSinkDescriptor, zzp::entry<CapturingSink>(kSinkDescriptor), &host2, "swap-new", &error);
    zzp_error err{};
    ASSERT_EQ(successor->start(&err), ZZP_OK);
    f.runner->replace_instance(successor.get());  // the successor restored nothing: durable 0
    f.runner->resume();
    EXPECT_TRUE(f.finish().complete);
    auto log = TestWorld::get().log("swap-new");
    std::vector<uint64_t> seqs;
    size_t total = 0;
    for (auto& r : log->taken) seqs.push_back(r.seq), total += r.samples.size();
    ASSERT_FALSE(seqs.empty());
    EXPECT_EQ(seqs.front(), 2u) << "batch 1 was durable at the old sink (it keeps nothing)";
    EXPECT_EQ(total, 5u);
    EXPECT_EQ(log->on_target_ids, (std::vector<uint32_t>{2})) << "the successor learns its targets again";
}

#include "pipeline/frame_builder.hpp"

#include <gtest/gtest.h>

#include "frame_matchers.hpp"
#include "reference_frames.hpp"
#include "workload.hpp"

using namespace zzp::host;
using zzp::test::sample;

namespace {

constexpr int64_t kInterval = 100'000'000;
constexpr int64_t kSettle = 2'000'000'000;
constexpr int64_t T0 = 1'700'000'000'000'000'000;  // aligned to 100 ms

FrameBuilder builder() { return FrameBuilder(FrameBuilderOptions{kInterval, kSettle}); }

std::vector<zzp_frame> advance(FrameBuilder& b, int64_t now) {
    std::vector<zzp_frame> out;
    b.advance(now, out);
    return out;
}

}  // namespace

TEST(FrameBuilder, FinalFramesMatchTheSortBasedReference) {
    zzp::test::WorkloadOptions o;
    o.targets = 4;
    o.attempts_per_target = 300;
    const auto samples = zzp::test::make_workload(o);
    FrameBuilder b = builder();
    b.push(samples.data(), samples.size());  // everything before any interval ends
    std::vector<zzp_frame> out;
    b.advance(T0 + 3600'000'000'000, out);
    std::map<zzp::test::FrameKey, zzp_frame> finals;
    for (const zzp_frame& f : out) {
        ASSERT_TRUE(f.flags & ZZP_FRAME_F_FINAL);
        EXPECT_EQ(f.revision, 0u) << "everything had settled: one publication per frame";
        EXPECT_TRUE(finals.emplace(zzp::test::FrameKey{f.target_id, f.start_wall_ns}, f).second) << "published twice";
    }
    const auto reference = zzp::test::reference_frames(samples, kInterval);
    ASSERT_EQ(finals.size(), reference.size());
    for (auto& [key, expected] : reference) {
        auto it = finals.find(key);
        ASSERT_NE(it, finals.end());
        zzp::test::expect_same_statistics(it->second, expected);
    }
    EXPECT_EQ(b.open_frames(), 0u);
    EXPECT_EQ(b.next_deadline(), FrameBuilder::kNever);
}

TEST(FrameBuilder, LiveRevisionWithPendingThenFinalWhenSettled) {
    FrameBuilder b = builder();
    std::vector<zzp_sample> s = {sample(1, 1, T0 + 10, ZZP_SAMPLE_SENT), sample(1, 2, T0 + 20, ZZP_SAMPLE_SENT),
                                 sample(1, 1, T0 + 10, ZZP_SAMPLE_REPLY, 5'000'000)};
    b.push(s.data(), s.size());
    EXPECT_TRUE(advance(b, T0 + kInterval - 1).empty()) << "nothing before the interval ends";
    EXPECT_EQ(b.next_deadline(), T0 + kInterval);
    auto live = advance(b, T0 + kInterval);
    ASSERT_EQ(live.size(), 1u);
    EXPECT_EQ(live[0].revision, 0u);
    EXPECT_EQ(live[0].flags, 0u);
    EXPECT_EQ(live[0].sent, 2u);
    EXPECT_EQ(live[0].received, 1u);
    EXPECT_EQ(live[0].pending, 1u);
    EXPECT_EQ(live[0].rtt_ns[ZZP_Q_P50], 5'000'000);

    zzp_sample lost = sample(1, 2, T0 + 20, ZZP_SAMPLE_LOST);
    b.push(&lost, 1);
    auto fin = advance(b, T0 + kInterval + 1);  // same tick: FINAL is not held back
    ASSERT_EQ(fin.size(), 1u);
    EXPECT_EQ(fin[0].revision, 1u);
    EXPECT_EQ(fin[0].flags, ZZP_FRAME_F_FINAL);
    EXPECT_EQ(fin[0].pending, 0u);
    EXPECT_EQ(fin[0].lost, 1u);
    EXPECT_EQ(fin[0].sent, 2u);
    EXPECT_EQ(b.open_frames(), 0u);
}

TEST(FrameBuilder, LiveChangesAreCoalescedToOneRevisionPerTick) {
    FrameBuilder b = builder();
    std::vector<zzp_sample> s;
    for (uint64_t q = 1; q <= 3; ++q) s.push_back(sample(1, q, T0 + static_cast<int64_t>(q), ZZP_SAMPLE_SENT));
    b.push(s.data(), s.size());
    ASSERT_EQ(advance(b, T0 + kInterval).size(), 1u);  // revision 0, pending 3
    zzp_sample r1 = sample(1, 1, T0 + 1, ZZP_SAMPLE_REPLY, 1000);
    zzp_sample r2 = sample(1, 2, T0 + 2, ZZP_SAMPLE_REPLY, 2000);
    b.push(&r1, 1);
    EXPECT_TRUE(advance(b, T0 + kInterval + 10).empty()) << "held until the next tick";
    b.push(&r2, 1);
    EXPECT_TRUE(advance(b, T0 + kInterval + 20).empty());
    EXPECT_EQ(b.next_deadline(), T0 + 2 * kInterval);
    auto rev = advance(b, T0 + 2 * kInterval);
    ASSERT_EQ(rev.size(), 1u);
    EXPECT_EQ(rev[0].revision, 1u);
    EXPECT_EQ(rev[0].received, 2u);
    EXPECT_EQ(rev[0].pending, 1u);
    EXPECT_EQ(rev[0].rtt_jitter_ns, 1000);
}

TEST(FrameBuilder, SettleTimeoutForcesFinalAndCountsUnsettledAsLost) {
    FrameBuilder b = builder();
    std::vector<zzp_sample> s = {sample(1, 1, T0 + 5, ZZP_SAMPLE_SENT), sample(1, 2, T0 + 6, ZZP_SAMPLE_SENT),
                                 sample(1, 2, T0 + 6, ZZP_SAMPLE_REPLY, 700)};
    b.push(s.data(), s.size());
    ASSERT_EQ(advance(b, T0 + kInterval).size(), 1u);
    EXPECT_TRUE(advance(b, T0 + kInterval + kSettle - 1).empty());
    auto forced = advance(b, T0 + kInterval + kSettle);
    ASSERT_EQ(forced.size(), 1u);
    EXPECT_EQ(forced[0].flags, ZZP_FRAME_F_FINAL | ZZP_FRAME_F_FORCED);
    EXPECT_EQ(forced[0].lost, 1u);
    EXPECT_EQ(forced[0].received, 1u);
    EXPECT_EQ(forced[0].pending, 0u);
    EXPECT_EQ(b.counters().forced_frames, 1u);
    // The straggler still arrives: counted by the host, the final frame is not reopened.
    zzp_sample late = sample(1, 1, T0 + 5, ZZP_SAMPLE_REPLY, 3'000'000'000);
    b.push(&late, 1);
    EXPECT_TRUE(advance(b, T0 + kInterval + kSettle + 1).empty());
    EXPECT_EQ(b.counters().settled_after_final, 1u);
    EXPECT_EQ(b.open_frames(), 0u);
}

TEST(FrameBuilder, LateAndDuplicateEventsCountWhileNotFinalThenInCounters) {
    FrameBuilder b = builder();
    std::vector<zzp_sample> s = {sample(1, 1, T0 + 5, ZZP_SAMPLE_SENT), sample(1, 2, T0 + 6, ZZP_SAMPLE_SENT),
                                 sample(1, 1, T0 + 5, ZZP_SAMPLE_LOST), sample(1, 1, T0 + 5, ZZP_SAMPLE_LATE, 1'500'000'000)};
    b.push(s.data(), s.size());
    ASSERT_EQ(advance(b, T0 + kInterval).size(), 1u);  // live: seq 2 pending
    std::vector<zzp_sample> more = {sample(1, 2, T0 + 6, ZZP_SAMPLE_REPLY, 900),
                                    sample(1, 2, T0 + 6, ZZP_SAMPLE_DUPLICATE, 950)};
    b.push(more.data(), more.size());
    auto fin = advance(b, T0 + kInterval + 1);
    ASSERT_EQ(fin.size(), 1u);
    EXPECT_TRUE(fin[0].flags & ZZP_FRAME_F_FINAL);
    EXPECT_EQ(fin[0].late, 1u);
    EXPECT_EQ(fin[0].duplicates, 1u);
    EXPECT_EQ(fin[0].lost, 1u);
    EXPECT_EQ(fin[0].received, 1u);
    std::vector<zzp_sample> after = {sample(1, 2, T0 + 6, ZZP_SAMPLE_DUPLICATE, 990),
                                     sample(1, 1, T0 + 5, ZZP_SAMPLE_LATE, 2'000'000'000)};
    b.push(after.data(), after.size());
    EXPECT_TRUE(advance(b, T0 + 5 * kInterval).empty());
    EXPECT_EQ(b.counters().duplicates_after_final, 1u);
    EXPECT_EQ(b.counters().late_after_final, 1u);
}

TEST(FrameBuilder, ReorderedFlagIsCounted) {
    FrameBuilder b = builder();
    std::vector<zzp_sample> s = {sample(1, 2, T0 + 2, ZZP_SAMPLE_REPLY, 100),
                                 sample(1, 1, T0 + 1, ZZP_SAMPLE_REPLY, 300, ZZP_SAMPLE_F_REORDERED)};
    b.push(s.data(), s.size());
    auto out = advance(b, T0 + kInterval);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].reordered, 1u);
    EXPECT_EQ(out[0].rtt_jitter_ns, 200);  // |100 - 300| in seq order
}

TEST(FrameBuilder, IntervalsWithoutAttemptsAreGapsNotZeros) {
    FrameBuilder b = builder();
    std::vector<zzp_sample> s = {sample(1, 1, T0 + 1, ZZP_SAMPLE_REPLY, 100),
                                 sample(1, 2, T0 + 2 * kInterval + 1, ZZP_SAMPLE_REPLY, 100)};
    b.push(s.data(), s.size());
    auto out = advance(b, T0 + 10 * kInterval);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].start_wall_ns, T0);
    EXPECT_EQ(out[1].start_wall_ns, T0 + 2 * kInterval);
}

TEST(FrameBuilder, UnannouncedSettleCountsAsSentAndOutcome) {
    FrameBuilder b = builder();
    std::vector<zzp_sample> s = {sample(2, 10, T0 + 1, ZZP_SAMPLE_SEND_ERROR), sample(2, 11, T0 + 2, ZZP_SAMPLE_NET_ERROR),
                                 sample(2, 12, T0 + 3, ZZP_SAMPLE_LOST)};
    b.push(s.data(), s.size());
    auto out = advance(b, T0 + kInterval);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].flags, ZZP_FRAME_F_FINAL);
    EXPECT_EQ(out[0].sent, 3u);
    EXPECT_EQ(out[0].errors, 2u);
    EXPECT_EQ(out[0].lost, 1u);
    EXPECT_EQ(out[0].rtt_ns[ZZP_Q_MIN], -1);
    EXPECT_EQ(out[0].rtt_mean_ns, -1);
}

TEST(FrameBuilder, FinalizeAllForcesWhatIsStillOpen) {
    FrameBuilder b = builder();
    std::vector<zzp_sample> s = {sample(1, 1, T0 + 1, ZZP_SAMPLE_REPLY, 100), sample(1, 2, T0 + kInterval + 1, ZZP_SAMPLE_SENT)};
    b.push(s.data(), s.size());
    std::vector<zzp_frame> out;
    b.finalize_all(out);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].flags, ZZP_FRAME_F_FINAL);
    EXPECT_EQ(out[1].flags, ZZP_FRAME_F_FINAL | ZZP_FRAME_F_FORCED);
    EXPECT_EQ(out[1].lost, 1u);
    EXPECT_EQ(b.open_frames(), 0u);
}

TEST(FrameBuilder, RepeatedAndInvalidRecordsAreCountedNotCrashing) {
    FrameBuilder b = builder();
    std::vector<zzp_sample> s = {sample(1, 1, T0 + 1, ZZP_SAMPLE_SENT), sample(1, 1, T0 + 1, ZZP_SAMPLE_SENT),
                                 sample(1, 1, T0 + 1, ZZP_SAMPLE_REPLY, 5), sample(1, 1, T0 + 1, ZZP_SAMPLE_REPLY, 5),
                                 sample(0, 3, T0 + 1, ZZP_SAMPLE_REPLY, 5)};
    zzp_sample bad = sample(1, 4, T0, ZZP_SAMPLE_REPLY);
    bad.status = 99;
    s.push_back(bad);
    b.push(s.data(), s.size());
    auto out = advance(b, T0 + kInterval);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].sent, 1u);
    EXPECT_EQ(out[0].received, 1u);
    EXPECT_EQ(b.counters().repeated_records, 2u);
    EXPECT_EQ(b.counters().invalid, 2u);
}

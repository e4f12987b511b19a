// FrameWindow: the console's statistics over a window of frames, fed directly.
#include "frame_window.hpp"

#include <gtest/gtest.h>

#include "frame_builder.hpp"
#include "summary_format.hpp"

namespace zzp::console {
namespace {

using namespace zzp::console::test;

// 5 s window of 100 ms frames: 50 frames ending at end_of(49).
FrameWindow five_second_window() {
    FrameWindow w(5 * kSecond);
    w.set_target(1, "router", "192.0.2.1");
    return w;
}

TEST(FrameWindow, OnePercentRealLossShowsAsOnePercent) {
    FrameWindow w = five_second_window();
    // 200 attempts/s: 20 per frame; one frame in five loses one attempt... 10 of 1000 in all.
    for (int64_t i = 0; i < 50; ++i) w.add(make_frame(1, i, 20, i % 5 == 0 ? 19 : 20, i % 5 == 0 ? 1 : 0));
    auto rows = w.summarize(end_of(49) + 50 * kMs);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_TRUE(rows[0].has_data);
    EXPECT_DOUBLE_EQ(rows[0].loss_fraction, 10.0 / 1000.0);
    EXPECT_EQ(format_loss(rows[0].loss_fraction), "1.0%");
    EXPECT_DOUBLE_EQ(rows[0].sent_per_s, 200.0);
    EXPECT_DOUBLE_EQ(rows[0].replies_per_s, 990.0 / 5.0);
    EXPECT_EQ(rows[0].settled, 1000u);
    EXPECT_EQ(rows[0].in_flight, 0u);
}

TEST(FrameWindow, LossLeavesOutTheStretchThatHasNotSettledYet) {
    // Replies settle at once, losses only at the timeout: counting the recent pending frames'
    // replies without their future losses would understate loss (the original tool's mistake).
    FrameWindow w = five_second_window();
    for (int64_t i = 0; i < 40; ++i) w.add(make_frame(1, i, 20, 19, 1));                 // 5 % loss, settled
    for (int64_t i = 40; i < 50; ++i) w.add(make_live(make_frame(1, i, 20, 19, 0), 1));  // loss not known yet
    auto rows = w.summarize(end_of(49));
    EXPECT_DOUBLE_EQ(rows[0].loss_fraction, 0.05);
    EXPECT_EQ(rows[0].in_flight, 10u);
    EXPECT_DOUBLE_EQ(rows[0].replies_per_s, 50 * 19 / 5.0);
}

TEST(FrameWindow, LaterRevisionsReplaceEarlierOnesAndFinalStays) {
    FrameWindow w = five_second_window();
    w.add(make_live(make_frame(1, 0, 20, 15, 0), 5, 0));
    w.add(make_live(make_frame(1, 0, 20, 17, 0), 3, 1));
    w.add(make_frame(1, 0, 20, 17, 3));                   // final: 3 lost
    w.add(make_live(make_frame(1, 0, 20, 15, 0), 5, 0));  // a stale live copy arriving late
    auto rows = w.summarize(end_of(0));
    EXPECT_DOUBLE_EQ(rows[0].sent_per_s, 200.0);  // counted once, over the 100 ms covered
    EXPECT_DOUBLE_EQ(rows[0].loss_fraction, 3.0 / 20.0);
    EXPECT_EQ(rows[0].in_flight, 0u);
}

TEST(FrameWindow, RatesAtStartUpUseTheTimeCoveredNotTheWholeWindow) {
    FrameWindow w = five_second_window();
    for (int64_t i = 0; i < 10; ++i) w.add(make_frame(1, i, 10, 10, 0));  // 1 s of 100/s
    auto rows = w.summarize(end_of(9));
    EXPECT_DOUBLE_EQ(rows[0].sent_per_s, 100.0);
    EXPECT_DOUBLE_EQ(rows[0].replies_per_s, 100.0);
}

TEST(FrameWindow, OnlyTheLastWindowCounts) {
    FrameWindow w = five_second_window();
    for (int64_t i = 0; i < 100; ++i) w.add(make_frame(1, i, 10, i < 50 ? 0 : 10, i < 50 ? 10 : 0));
    auto rows = w.summarize(end_of(99));
    EXPECT_DOUBLE_EQ(rows[0].loss_fraction, 0.0);  // the lossy first 5 s left the window
    EXPECT_DOUBLE_EQ(rows[0].replies_per_s, 100.0);
}

TEST(FrameWindow, TargetThatStopsReplyingShowsFullLossAndGrowingAge) {
    FrameWindow w = five_second_window();
    for (int64_t i = 0; i < 50; ++i) w.add(make_frame(1, i, 10, i < 20 ? 10 : 0, i < 20 ? 0 : 10));
    auto rows = w.summarize(end_of(49));
    EXPECT_DOUBLE_EQ(rows[0].replies_per_s, 20 * 10 / 5.0);
    EXPECT_EQ(rows[0].since_last_reply_ns, 3 * kSecond);  // last reply in frame 19, now = end of 49
    for (int64_t i = 50; i < 100; ++i) w.add(make_frame(1, i, 10, 0, 10));
    rows = w.summarize(end_of(99));
    EXPECT_DOUBLE_EQ(rows[0].loss_fraction, 1.0);
    EXPECT_DOUBLE_EQ(rows[0].replies_per_s, 0.0);
    EXPECT_EQ(rows[0].rtt_p50_ns, -1);
    EXPECT_EQ(rows[0].rtt_mean_ns, -1);
    EXPECT_EQ(rows[0].since_last_reply_ns, 8 * kSecond);
    EXPECT_EQ(format_rtt(rows[0].rtt_p50_ns), "-");
}

TEST(FrameWindow, WhenFramesStopArrivingTheTargetAgesOutToNoData) {
    FrameWindow w = five_second_window();
    for (int64_t i = 0; i < 50; ++i) w.add(make_frame(1, i, 10, 10, 0));
    // Shortly after: still the last window of data.
    EXPECT_TRUE(w.summarize(end_of(49) + 500 * kMs)[0].has_data);
    // 20 s of silence: nothing in the window, the age keeps growing, no division by zero.
    auto rows = w.summarize(end_of(49) + 20 * kSecond);
    EXPECT_FALSE(rows[0].has_data);
    EXPECT_EQ(rows[0].since_last_reply_ns, 20 * kSecond);
    EXPECT_EQ(rows[0].loss_fraction, -1);
}

TEST(FrameWindow, KnownTargetWithoutAnyFrameIsNoDataAndNeverReplied) {
    FrameWindow w = five_second_window();
    auto rows = w.summarize(kEpoch);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_FALSE(rows[0].has_data);
    EXPECT_EQ(rows[0].since_last_reply_ns, -1);
    EXPECT_EQ(format_age(rows[0].since_last_reply_ns), "never");
}

TEST(FrameWindow, FramesOfAnUnnamedTargetAreShownByIdAndBadFramesCounted) {
    FrameWindow w(5 * kSecond);
    w.add(make_frame(7, 0, 10, 10, 0));
    zzp_frame bad = make_frame(7, 1, 10, 10, 0);
    bad.interval_ns = 0;
    w.add(bad);
    auto rows = w.summarize(end_of(0));
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].name, "#7");
    EXPECT_EQ(w.malformed_frames(), 1u);
}

TEST(FrameWindow, RttStatisticsOverTheWindow) {
    FrameWindow w = five_second_window();
    zzp_frame fast = make_frame(1, 0, 10, 10, 0, 1 * kMs);
    zzp_frame slow = make_frame(1, 1, 30, 30, 0, 3 * kMs);
    slow.rtt_ns[ZZP_Q_P87] = 4 * kMs;
    slow.rtt_ns[ZZP_Q_MAX] = 9 * kMs;
    w.add(fast);
    w.add(slow);
    auto rows = w.summarize(end_of(1));
    EXPECT_EQ(rows[0].rtt_mean_ns, (10 * 1 + 30 * 3) * kMs / 40);  // weighted by replies
    EXPECT_EQ(rows[0].rtt_p99ish_ns, 4 * kMs);                     // max of the frames' p87.5
    EXPECT_EQ(rows[0].rtt_p50_ns, 3 * kMs);                        // 30 of 40 replies at 3 ms
}

TEST(PooledRttQuantile, OneFrameGivesItsOwnQuantiles) {
    zzp_frame f = make_frame(1, 0, 8, 8, 0);
    const int64_t q[] = {1, 2, 3, 4, 5, 6, 8};
    for (int i = 0; i < ZZP_QUANTILE_COUNT; ++i) f.rtt_ns[i] = q[i] * kMs;
    EXPECT_EQ(pooled_rtt_quantile({&f}, 0.5), 4 * kMs);
    EXPECT_EQ(pooled_rtt_quantile({&f}, 0.875), 6 * kMs);
    EXPECT_EQ(pooled_rtt_quantile({&f}, 0.375), 3500 * 1000);  // halfway between p25 and p50
    EXPECT_EQ(pooled_rtt_quantile({&f, &f}, 0.5), 4 * kMs);    // the same distribution twice
}

TEST(PooledRttQuantile, NoRepliesIsUnknown) {
    zzp_frame f = make_frame(1, 0, 8, 0, 8);
    EXPECT_EQ(pooled_rtt_quantile({&f}, 0.5), -1);
    EXPECT_EQ(pooled_rtt_quantile({}, 0.5), -1);
}

}  // namespace
}  // namespace zzp::console

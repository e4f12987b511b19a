#include "pipeline/rtt_summary.hpp"

#include <gtest/gtest.h>

#include <random>

#include "reference_frames.hpp"

using namespace zzp::host;

TEST(RttSummary, QuantilesMeanAndJitterOfKnownValues) {
    // seq order: 30, 10, 40, 20 → jitter = (20 + 30 + 20) / 3 = 23.33 → 23
    std::vector<RttPoint> points = {{3, 40}, {1, 30}, {4, 20}, {2, 10}};
    std::vector<int64_t> scratch;
    zzp_frame f{};
    summarize_rtt(points, scratch, &f);
    // sorted 10 20 30 40: p12.5 pos 0.375 → 13.75 → 14; p25 pos .75 → 17.5 → 18; p50 25;
    // p75 pos 2.25 → 32.5 → 33 (round half away from zero); p87.5 pos 2.625 → 36.25 → 36.
    const int64_t expected[ZZP_QUANTILE_COUNT] = {10, 14, 18, 25, 33, 36, 40};
    for (int q = 0; q < ZZP_QUANTILE_COUNT; ++q) EXPECT_EQ(f.rtt_ns[q], expected[q]) << q;
    EXPECT_EQ(f.rtt_mean_ns, 25);
    EXPECT_EQ(f.rtt_jitter_ns, 23);
}

TEST(RttSummary, NoRepliesGiveMinusOneAndOneReplyHasNoJitter) {
    std::vector<RttPoint> none;
    std::vector<int64_t> scratch;
    zzp_frame f{};
    summarize_rtt(none, scratch, &f);
    for (int64_t q : f.rtt_ns) EXPECT_EQ(q, -1);
    EXPECT_EQ(f.rtt_mean_ns, -1);
    EXPECT_EQ(f.rtt_jitter_ns, -1);
    std::vector<RttPoint> one = {{7, 1234}};
    summarize_rtt(one, scratch, &f);
    for (int64_t q : f.rtt_ns) EXPECT_EQ(q, 1234);
    EXPECT_EQ(f.rtt_mean_ns, 1234);
    EXPECT_EQ(f.rtt_jitter_ns, -1);
}

TEST(RttSummary, MatchesSortBasedReferenceOnRandomData) {
    std::mt19937 rng(7);
    std::vector<int64_t> scratch;
    for (int round = 0; round < 200; ++round) {
        const size_t n = 1 + rng() % 60;
        std::vector<RttPoint> points;
        std::vector<int64_t> values;
        for (size_t i = 0; i < n; ++i) {
            int64_t v = 1'000'000 + static_cast<int64_t>(rng() % 90'000'000);
            points.push_back({i, v});
            values.push_back(v);
        }
        std::shuffle(points.begin(), points.end(), rng);
        zzp_frame f{};
        summarize_rtt(points, scratch, &f);
        for (int q = 0; q < ZZP_QUANTILE_COUNT; ++q)
            ASSERT_EQ(f.rtt_ns[q], zzp::test::reference_quantile(values, kFrameQuantiles[q])) << "n=" << n << " q=" << q;
    }
}

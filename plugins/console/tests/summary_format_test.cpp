// The console's text: number formats, the table and the line format.
#include "summary_format.hpp"

#include <gtest/gtest.h>

#include "frame_builder.hpp"

namespace zzp::console {
namespace {

using namespace zzp::console::test;

TEST(SummaryFormat, Numbers) {
    EXPECT_EQ(format_rtt(850'000), "850us");
    EXPECT_EQ(format_rtt(2'014'000), "2.01ms");
    EXPECT_EQ(format_rtt(12'500'000), "12.5ms");
    EXPECT_EQ(format_rtt(1'200'000'000), "1.20s");
    EXPECT_EQ(format_rtt(-1), "-");
    EXPECT_EQ(format_loss(0.0), "0.0%");
    EXPECT_EQ(format_loss(0.01), "1.0%");
    EXPECT_EQ(format_loss(0.0005), "0.05%");
    EXPECT_EQ(format_loss(1.0), "100.0%");
    EXPECT_EQ(format_loss(-1), "-");
    EXPECT_EQ(format_age(300 * kMs), "0.3s");
    EXPECT_EQ(format_age(42 * kSecond), "42s");
    EXPECT_EQ(format_age(184 * kSecond), "3m04s");
    EXPECT_EQ(format_age(7500 * kSecond), "2h05m");
    EXPECT_EQ(format_age(-1), "never");
    EXPECT_EQ(format_utc(kEpoch), "2023-11-14T22:13:20Z");
}

std::vector<TargetSummary> two_rows() {
    TargetSummary live;
    live.id = 1;
    live.name = "router";
    live.address = "192.0.2.1";
    live.has_data = true;
    live.sent_per_s = 100;
    live.replies_per_s = 99;
    live.rtt_p50_ns = 2'010'000;
    live.rtt_p99ish_ns = 3'500'000;
    live.rtt_mean_ns = 2'100'000;
    live.loss_fraction = 0.01;
    live.since_last_reply_ns = 100 * kMs;
    live.in_flight = 1;
    TargetSummary silent;
    silent.id = 2;
    silent.name = "isp";
    silent.address = "198.51.100.7";
    silent.since_last_reply_ns = 12 * kSecond;
    return {live, silent};
}

TEST(SummaryFormat, TableHasAHeaderAndAlignedRows) {
    std::string text = render_table(two_rows(), kEpoch, 5 * kSecond);
    EXPECT_EQ(text,
              "zzprobe console  2023-11-14T22:13:20Z  window 5.0s\n"
              "TARGET  ADDRESS       SENT/s  RECV/s     P50    P99~    MEAN  LOSS  LAST  INFL\n"
              "router  192.0.2.1      100.0    99.0  2.01ms  3.50ms  2.10ms  1.0%  0.1s     1\n"
              "isp     198.51.100.7  no data                                        12s     0\n");
    EXPECT_EQ(text.find('\x1b'), std::string::npos);
}

TEST(SummaryFormat, LinesAreSelfContained) {
    std::string text = render_lines(two_rows(), kEpoch);
    EXPECT_EQ(text,
              "2023-11-14T22:13:20Z router (192.0.2.1) sent 100.0/s recv 99.0/s p50 2.01ms p99~ 3.50ms "
              "mean 2.10ms loss 1.0% last 0.1s inflight 1\n"
              "2023-11-14T22:13:20Z isp (198.51.100.7) no data last 12s inflight 0\n");
}

TEST(SummaryFormat, NoTargetsYet) {
    EXPECT_NE(render_table({}, kEpoch, kSecond).find("(no targets yet)"), std::string::npos);
    EXPECT_NE(render_lines({}, kEpoch).find("(no targets yet)"), std::string::npos);
}

}  // namespace
}  // namespace zzp::console

// Comparing frames field by field with readable failures.
#pragma once

#include <gtest/gtest.h>
#include <zzprobe/frame.h>

#include <string>

namespace zzp::test {

inline std::string describe(const zzp_frame& f) {
    std::string s = "target " + std::to_string(f.target_id) + " start " + std::to_string(f.start_wall_ns) + " rev " +
                    std::to_string(f.revision) + " flags " + std::to_string(f.flags) + " sent " + std::to_string(f.sent) +
                    " recv " + std::to_string(f.received) + " lost " + std::to_string(f.lost) + " err " +
                    std::to_string(f.errors) + " late " + std::to_string(f.late) + " dup " + std::to_string(f.duplicates) +
                    " reord " + std::to_string(f.reordered) + " pending " + std::to_string(f.pending) + " rtt [";
    for (int64_t q : f.rtt_ns) s += std::to_string(q) + " ";
    return s + "] mean " + std::to_string(f.rtt_mean_ns) + " jitter " + std::to_string(f.rtt_jitter_ns);
}

// Statistics equal (revision and the FORCED flag are not compared).
inline void expect_same_statistics(const zzp_frame& actual, const zzp_frame& expected) {
    EXPECT_EQ(actual.target_id, expected.target_id);
    EXPECT_EQ(actual.start_wall_ns, expected.start_wall_ns);
    EXPECT_EQ(actual.interval_ns, expected.interval_ns);
    EXPECT_TRUE(actual.flags & ZZP_FRAME_F_FINAL);
    EXPECT_EQ(actual.sent, expected.sent);
    EXPECT_EQ(actual.received, expected.received);
    EXPECT_EQ(actual.lost, expected.lost);
    EXPECT_EQ(actual.errors, expected.errors);
    EXPECT_EQ(actual.late, expected.late);
    EXPECT_EQ(actual.duplicates, expected.duplicates);
    EXPECT_EQ(actual.reordered, expected.reordered);
    EXPECT_EQ(actual.pending, 0u);
    for (int q = 0; q < ZZP_QUANTILE_COUNT; ++q) EXPECT_EQ(actual.rtt_ns[q], expected.rtt_ns[q]) << "quantile " << q;
    EXPECT_EQ(actual.rtt_mean_ns, expected.rtt_mean_ns);
    EXPECT_EQ(actual.rtt_jitter_ns, expected.rtt_jitter_ns);
    if (::testing::Test::HasFailure()) ADD_FAILURE() << "actual:   " << describe(actual) << "\nexpected: " << describe(expected);
}

}  // namespace zzp::test

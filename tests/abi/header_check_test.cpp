// The SDK headers compile as strict C11 and C++17 (the objects header_check.c and
// header_check_cxx17.cpp are built with -Wall -Wextra -pedantic -Werror; the build fails if they
// don't), and C and C++ agree on the layout the ABI fingerprint covers (docs/PLUGIN_ABI.md
// rules F1, R1).
#include <gtest/gtest.h>
#include <zzprobe/zzprobe.h>

extern "C" uint64_t zzp_header_check_c_fingerprint(void);
extern "C" size_t zzp_header_check_c_sizeof(int which);
uint64_t zzp_header_check_cxx17_fingerprint();

namespace {

TEST(HeaderCheck, CAndCxxComputeTheSameFingerprint) {
    EXPECT_EQ(zzp_header_check_c_fingerprint(), ZZP_ABI_FINGERPRINT);
    EXPECT_EQ(zzp_header_check_cxx17_fingerprint(), ZZP_ABI_FINGERPRINT);
}

TEST(HeaderCheck, CAndCxxAgreeOnStructSizes) {
    EXPECT_EQ(zzp_header_check_c_sizeof(0), sizeof(zzp_sample));
    EXPECT_EQ(zzp_header_check_c_sizeof(1), sizeof(zzp_frame));
    EXPECT_EQ(zzp_header_check_c_sizeof(2), sizeof(zzp_batch));
    EXPECT_EQ(zzp_header_check_c_sizeof(3), sizeof(zzp_plugin_library));
    EXPECT_EQ(zzp_header_check_c_sizeof(4), sizeof(zzp_plugin));
    EXPECT_EQ(zzp_header_check_c_sizeof(5), sizeof(zzp_plugin_descriptor));
    EXPECT_EQ(zzp_header_check_c_sizeof(6), sizeof(zzp_error));
    EXPECT_EQ(zzp_header_check_c_sizeof(7), sizeof(zzp_host));
}

TEST(HeaderCheck, DataPlaneRecordsHaveTheDocumentedLayout) {
    // The table in docs/PLUGIN_ABI.md ("Data-plane records"); fingerprint.h static-asserts the
    // same numbers, this test keeps the doc and the test suite honest together.
    EXPECT_EQ(sizeof(zzp_sample), 40u);
    EXPECT_EQ(offsetof(zzp_sample, rtt_ns), 16u);
    EXPECT_EQ(offsetof(zzp_sample, status), 28u);
    EXPECT_EQ(offsetof(zzp_sample, reserved), 36u);
    EXPECT_EQ(sizeof(zzp_frame), 136u);
    EXPECT_EQ(offsetof(zzp_frame, revision), 20u);
    EXPECT_EQ(offsetof(zzp_frame, flags), 24u);
    EXPECT_EQ(offsetof(zzp_frame, reserved), 60u);
    EXPECT_EQ(sizeof(zzp_batch), 32u);
    EXPECT_EQ(offsetof(zzp_batch, kind), 8u);
    EXPECT_EQ(offsetof(zzp_batch, count), 12u);
}

}  // namespace

// Import of the original tool's FrameData and FrameDataQ recordings from hand-built bytes, and
// the FDQ export round trip.
#include <gtest/gtest.h>

#include "recording/legacy.hpp"
#include "recording/quantizer.hpp"
#include "test_data.hpp"

namespace zzp::rec {
namespace {

// Hand-written MessagePack, byte by byte, as the format description says.
struct Bytes {
    std::string b;
    Bytes& u8(uint8_t v) { b.push_back(static_cast<char>(v)); return *this; }
    Bytes& be(uint64_t v, int n) { for (int i = n - 1; i >= 0; --i) u8(static_cast<uint8_t>(v >> (8 * i))); return *this; }
    Bytes& str(const std::string& s) { u8(static_cast<uint8_t>(0xa0 | s.size())); b += s; return *this; }
    Bytes& str8(const std::string& s) { u8(0xd9).u8(static_cast<uint8_t>(s.size())); b += s; return *this; }
    Bytes& fix(uint8_t v) { return u8(v); }
    Bytes& u16(uint16_t v) { return u8(0xcd).be(v, 2); }
    Bytes& u32(uint32_t v) { return u8(0xce).be(v, 4); }
    Bytes& u64(uint64_t v) { return u8(0xcf).be(v, 8); }
    Bytes& arr(uint8_t n) { return u8(static_cast<uint8_t>(0x90 | n)); }
};

TEST(ImportFrameData, KeyFramesOffsetsAndAnyIntegerWidth) {
    Bytes d;
    // Key frame: RFC 3339 string (32 chars -> str8), then offset 0; inflight/lost as cd, RTTs as ce.
    d.str8("2024-05-01T13:00:00.000000+00:00").fix(0).u16(1).u16(0).arr(3).u32(1000).u32(3000).u32(2000);
    // Relative frame with other widths: offset as u64, inflight fixint, lost u32, RTTs fixint/u16.
    d.u64(20000).fix(0).u32(2).arr(2).fix(100).u16(300);
    // A frame with no replies.
    d.u32(40000).u16(0).u16(5).arr(0);
    // Truncated tail: a time and inflight, then the file ends.
    d.u32(60000).u16(0);
    LegacyImport imp = read_legacy(d.b, "/x/pingd-log-192.0.2.7-20240501T13.log");
    EXPECT_EQ(imp.kind, "FrameData");
    EXPECT_EQ(imp.host, "192.0.2.7");
    EXPECT_TRUE(imp.truncated_tail);
    ASSERT_EQ(imp.frames.size(), 3u);
    int64_t t0;
    ASSERT_TRUE(parse_rfc3339("2024-05-01T13:00:00.000000+00:00", t0));
    EXPECT_EQ(imp.frames[0].start_wall_ns, t0);
    EXPECT_EQ(imp.frames[1].start_wall_ns, t0 + 20'000'000);
    EXPECT_EQ(imp.frames[2].start_wall_ns, t0 + 40'000'000);
    EXPECT_EQ(imp.interval_ns, 20'000'000);
    const auto& f = imp.frames[0];
    EXPECT_EQ(f.received, 3u);
    EXPECT_EQ(f.rtt_ns[ZZP_Q_MIN], 1'000'000);
    EXPECT_EQ(f.rtt_ns[ZZP_Q_P50], 2'000'000);
    EXPECT_EQ(f.rtt_ns[ZZP_Q_MAX], 3'000'000);
    EXPECT_EQ(f.rtt_ns[ZZP_Q_P25], 1'500'000);  // interpolated
    EXPECT_EQ(f.rtt_mean_ns, 2'000'000);
    EXPECT_EQ(f.rtt_jitter_ns, 1'500'000);  // |3000-1000|, |2000-3000| in arrival order
    EXPECT_EQ(imp.frames[1].lost, 2u);        // the sliding count rose by 2
    EXPECT_EQ(imp.frames[2].lost, 3u);        // ... then by 3 more
    EXPECT_EQ(imp.frames[2].received, 0u);
    EXPECT_EQ(imp.frames[2].rtt_ns[0], -1);
}

TEST(ImportFrameData, RelativeFrameBeforeAnyKeyFrameIsRefused) {
    Bytes d;
    d.u32(100).u16(0).u16(0).arr(0);
    EXPECT_THROW(read_legacy(d.b, "pingd-log-h-20240501T13.log"), FormatError);
}

Bytes fdq_header(bool quantized, bool delta_enc, int version = 101) {
    Bytes d;
    d.u8(0x85).str("schema").str("FDCodec").str("version").fix(static_cast<uint8_t>(version));
    d.str("full_encode_secs").fix(60).str("recv_llq");
    if (quantized) d.u8(0xcb).be(0x3F847AE147AE147Bull, 8);  // 0.01 as float64
    else d.u8(0xc0);
    d.str("delta_enc").u8(delta_enc ? 0xc3 : 0xc2);
    return d;
}

TEST(ImportFdq, QuantizedFramesDecodeAndTruncatedTailIsDropped) {
    Quantizer q(0.01);
    Bytes d = fdq_header(true, false);
    // Frame 1: ts 1714568400, subsec 250 ms, ff (no inflight/lost), n=3, codes of [1000,1000,2000,2000,5000,5000,20000].
    d.u32(1714568400).u8(0xcc).u8(250).u8(0xff).fix(3).arr(7);
    int64_t prev = 0;
    for (int64_t v : {1000, 1000, 2000, 2000, 5000, 5000, 20000}) {
        int64_t c = q.encode(v);
        d.u16(static_cast<uint16_t>(c - prev));  // wide markers on purpose
        prev = c;
    }
    // Frame 2: relative, +20 ms, inflight 1 lost 2, n=0.
    d.u8(0xc0).fix(20).fix(1).fix(2).fix(0);
    // Frame 3 cut inside its percentile array.
    d.u8(0xc0).fix(20).u8(0xff).fix(1).arr(7).fix(5);
    LegacyImport imp = read_legacy(d.b, "/tmp/whatever.fdq");
    EXPECT_EQ(imp.kind, "FrameDataQ");
    EXPECT_TRUE(imp.truncated_tail);
    ASSERT_EQ(imp.frames.size(), 2u);
    EXPECT_EQ(imp.frames[0].start_wall_ns, 1714568400'250'000'000);
    EXPECT_EQ(imp.frames[1].start_wall_ns, 1714568400'270'000'000);
    EXPECT_EQ(imp.frames[0].received, 3u);
    EXPECT_EQ(imp.frames[0].rtt_ns[0], 996'000);
    EXPECT_EQ(imp.frames[0].rtt_ns[6], 19'905'000);
    EXPECT_EQ(imp.frames[1].pending, 1u);
    EXPECT_EQ(imp.frames[1].lost, 2u);
    EXPECT_EQ(imp.frames[1].rtt_ns[0], -1);
}

TEST(ImportFdq, BrokenDeltaEncodingAndNewerVersionsAreRefused) {
    Bytes d = fdq_header(true, true);
    try {
        read_legacy(d.b, "x.fdq");
        FAIL();
    } catch (const FormatError& e) {
        EXPECT_NE(std::string(e.what()).find("delta_enc"), std::string::npos);
    }
    Bytes v = fdq_header(false, false, 102);
    EXPECT_THROW(read_legacy(v.b, "x.fdq"), FormatError);
}

TEST(ExportFdq, ReimportGivesTheSameFramesAtMillisecondAndQuantizerResolution) {
    auto frames = test::random_frames(1, 1'714'568'400'000'000'000, 3000, 5);
    for (auto& f : frames) f.pending = f.lost % 3;  // inflight survives too
    for (std::optional<double> p : {std::optional<double>(0.01), std::optional<double>()}) {
        std::string bytes = write_fdq(frames, p);
        LegacyImport back = read_fdq(bytes, "x.fdq");
        ASSERT_EQ(back.frames.size(), frames.size());
        EXPECT_FALSE(back.truncated_tail);
        for (size_t i = 0; i < frames.size(); ++i) {
            const auto &a = frames[i], &b = back.frames[i];
            EXPECT_EQ(a.start_wall_ns / 1'000'000, b.start_wall_ns / 1'000'000);
            EXPECT_EQ(a.lost, b.lost);
            EXPECT_EQ(a.pending, b.pending);
            bool has = a.received > 0 && a.rtt_ns[0] != -1;
            EXPECT_EQ(b.received, has ? a.received : 0u);
            for (int q = 0; q < 7 && has; ++q) {
                int64_t us = (a.rtt_ns[q] + 500) / 1000;
                int64_t expect = (p ? Quantizer(*p).round_trip(us) : us) * 1000;
                EXPECT_EQ(b.rtt_ns[q], expect);
            }
        }
    }
}

}  // namespace
}  // namespace zzp::rec

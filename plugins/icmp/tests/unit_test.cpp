// Pure parts of the probe: packets, schedule, attempt bookkeeping.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "attempts.hpp"
#include "packet.hpp"
#include "schedule.hpp"

namespace zzp::icmp {
namespace {

std::vector<uint8_t> request(bool v6, uint64_t seq, uint32_t target = 0, uint64_t nonce = 42) {
    std::vector<uint8_t> p(kIcmpHeaderSize + 56);
    build_echo_request(v6, 0x1234, Stamp{nonce, seq, 777, target}, 56, p.data());
    return p;
}

TEST(Packet, V4RequestHasValidChecksumAndStamp) {
    auto p = request(false, 70000);
    EXPECT_EQ(internet_checksum(p.data(), p.size()), 0);
    EXPECT_EQ(p[0], kV4EchoRequest);
    EXPECT_EQ((p[6] << 8) | p[7], 70000 & 0xffff);  // 16-bit field wraps, 64-bit seq in the stamp
    Stamp s;
    ASSERT_TRUE(read_stamp(p.data() + 8, p.size() - 8, 42, &s));
    EXPECT_EQ(s.seq, 70000u);
    EXPECT_EQ(s.send_mono_ns, 777);
    EXPECT_FALSE(read_stamp(p.data() + 8, p.size() - 8, 43, &s)) << "another run's nonce is foreign";
    p[8 + 17] ^= 1;  // forge the send time
    EXPECT_FALSE(read_stamp(p.data() + 8, p.size() - 8, 42, &s));
}

TEST(Packet, OwnRequestOnLoopbackIsIgnoredReplyIsParsed) {
    auto p = request(false, 5);
    EXPECT_EQ(parse_icmp(false, false, p.data(), p.size()).kind, PacketKind::kIgnored);
    p[0] = kV4EchoReply;
    ParsedPacket r = parse_icmp(false, false, p.data(), p.size());
    EXPECT_EQ(r.kind, PacketKind::kEchoReply);
    EXPECT_EQ(r.seq16, 5);
    EXPECT_EQ(r.ident, 0x1234);
    // The same behind an IPv4 header (raw socket).
    std::vector<uint8_t> ip(20, 0);
    ip[0] = 0x45;
    ip.insert(ip.end(), p.begin(), p.end());
    EXPECT_EQ(parse_icmp(false, true, ip.data(), ip.size()).kind, PacketKind::kEchoReply);
    auto v6 = request(true, 9);
    EXPECT_EQ(parse_icmp(true, false, v6.data(), v6.size()).kind, PacketKind::kIgnored);
}

TEST(Packet, ErrorQuotingOurRequestIsParsed) {
    auto req = request(false, 11);
    std::vector<uint8_t> error = {kV4TimeExceeded, 0, 0, 0, 0, 0, 0, 0};
    std::vector<uint8_t> quoted_ip(20, 0);
    quoted_ip[0] = 0x45;
    quoted_ip[9] = 1;  // ICMP
    uint8_t dst[4] = {10, 0, 0, 9};
    std::memcpy(&quoted_ip[16], dst, 4);
    error.insert(error.end(), quoted_ip.begin(), quoted_ip.end());
    error.insert(error.end(), req.begin(), req.begin() + 8);  // only the header quoted
    ParsedPacket p = parse_icmp(false, false, error.data(), error.size());
    ASSERT_EQ(p.kind, PacketKind::kError);
    EXPECT_EQ(p.error_type, kV4TimeExceeded);
    EXPECT_EQ(p.seq16, 11);
    EXPECT_EQ(std::memcmp(p.quoted_destination, dst, 4), 0);
    // Someone else's quoted echo reply is not ours.
    error[8 + 20] = kV4EchoReply;
    EXPECT_EQ(parse_icmp(false, false, error.data(), error.size()).kind, PacketKind::kIgnored);
}

TEST(Schedule, TargetsArePhaseSpreadAndNeverDrift) {
    Schedule s(4, 100'000'000, 1'000'000'000);  // 4 targets at 10/s
    for (uint64_t k = 0; k < 8; ++k) {
        EXPECT_EQ(s.slot_time(k), 1'000'000'000 + int64_t(k) * 25'000'000);
        EXPECT_EQ(s.slot_target(k), k % 4);
    }
    EXPECT_EQ(s.slot_time(4'000'000), 1'000'000'000 + 100'000'000'000'000);  // exact after 1e6 periods
}

TEST(Schedule, AfterAStallAtMostOneSendPerTargetNoBurst) {
    Schedule s(2, 10'000'000, 0);  // 2 targets at 100/s: a slot every 5 ms
    uint64_t first, end;
    s.take_due(0, &first, &end);
    EXPECT_EQ(end - first, 1u);
    s.take_due(1'000'000'000, &first, &end);  // stalled for a second
    EXPECT_EQ(end - first, 2u) << "one send per target, not the 199 missed ones";
    EXPECT_EQ(s.slot_target(first) + s.slot_target(end - 1), 1u);
    EXPECT_EQ(s.skipped(), 198u);
    // A short hiccup (under kMaxLateness) is absorbed: late, but nothing skipped.
    int64_t t = s.next_time();
    s.take_due(t + 2'000'000, &first, &end);
    EXPECT_EQ(end - first, 1u);
    EXPECT_EQ(s.skipped(), 198u);
    EXPECT_GT(s.next_time(), 1'000'000'000);
    s.take_due(s.next_time() - 1, &first, &end);
    EXPECT_EQ(end - first, 0u);
}

SendRecord record(uint64_t seq, int64_t mono) {
    return SendRecord{seq, mono, mono + 1'000'000'000'000, 5, 7};
}

TEST(Attempts, ReplyDuplicateLateLostAndReorder) {
    AttemptTable table(1, 64, 1'000'000'000, 10'000'000);
    std::vector<zzp_sample> out;
    table.record_send(0, record(0, 0));
    table.record_send(0, record(1, 10));
    table.record_send(0, record(2, 20));
    // seq 1 first, then seq 0: 0 is reordered.
    ASSERT_TRUE(table.on_reply(0, 1, 10, -1, 5'000'010, out));
    ASSERT_TRUE(table.on_reply(0, 0, 0, -1, 6'000'000, out));
    ASSERT_TRUE(table.on_reply(0, 0, 0, -1, 7'000'000, out));  // again: duplicate
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].status, ZZP_SAMPLE_REPLY);
    EXPECT_EQ(out[0].rtt_ns, 5'000'000);
    EXPECT_EQ(out[0].flags & ZZP_SAMPLE_F_REORDERED, 0);
    EXPECT_EQ(out[1].status, ZZP_SAMPLE_REPLY);
    EXPECT_NE(out[1].flags & ZZP_SAMPLE_F_REORDERED, 0);
    EXPECT_EQ(out[2].status, ZZP_SAMPLE_DUPLICATE);
    out.clear();
    EXPECT_TRUE(table.has_pending());
    table.expire(1'010'000'019, out);  // seq 2's deadline + grace not yet passed
    EXPECT_TRUE(out.empty());
    table.expire(1'010'000'020, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].status, ZZP_SAMPLE_LOST);
    EXPECT_EQ(out[0].seq, 2u);
    EXPECT_EQ(out[0].rtt_ns, -1);
    EXPECT_FALSE(table.has_pending());
    out.clear();
    table.on_reply(0, 2, 20, -1, 1'500'000'000, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].status, ZZP_SAMPLE_LATE);
    EXPECT_EQ(out[0].rtt_ns, 1'499'999'980);
}

TEST(Attempts, ReplyAfterTimeoutBeforeExpiryIsLostThenLate) {
    AttemptTable table(1, 64, 1'000'000, 10'000'000);
    std::vector<zzp_sample> out;
    table.record_send(0, record(0, 0));
    table.on_reply(0, 0, 0, -1, 2'000'000, out);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].status, ZZP_SAMPLE_LOST);
    EXPECT_EQ(out[1].status, ZZP_SAMPLE_LATE);
}

TEST(Attempts, KernelTimestampUsedWhenConsistentWithMonotonic) {
    AttemptTable table(1, 64, 1'000'000'000, 0);
    std::vector<zzp_sample> out;
    SendRecord r = record(0, 1000);
    table.record_send(0, r);
    table.on_reply(0, 0, 1000, r.send_real_ns + 300'000, 1000 + 400'000, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].rtt_ns, 300'000);
    EXPECT_NE(out[0].flags & ZZP_SAMPLE_F_KERNEL_TS, 0);
    // A wall-clock step makes the kernel stamp nonsense: fall back to the monotonic RTT.
    table.record_send(0, record(1, 2000));
    out.clear();
    table.on_reply(0, 1, 2000, r.send_real_ns + 60'000'000'000, 2000 + 400'000, out);
    EXPECT_EQ(out[0].rtt_ns, 400'000);
    EXPECT_EQ(out[0].flags & ZZP_SAMPLE_F_KERNEL_TS, 0);
}

TEST(Attempts, ForgedStaleErrorsAndSendFailures) {
    AttemptTable table(2, 64, 1'000'000'000, 0);
    std::vector<zzp_sample> out;
    table.record_send(1, record(65537, 50));
    EXPECT_FALSE(table.on_reply(1, 65537, 51, -1, 100, out)) << "send time differs from what we recorded";
    EXPECT_FALSE(table.on_reply(1, 1, 50, -1, 100, out)) << "not the sequence in that slot";
    EXPECT_FALSE(table.on_reply(0, 65537, 50, -1, 100, out)) << "other target";
    EXPECT_EQ(table.counters().forged, 1u);
    EXPECT_EQ(table.counters().stale, 2u);
    EXPECT_TRUE(table.on_net_error(1, 1, 3, 1, out));  // 16-bit seq of 65537 is 1
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].status, ZZP_SAMPLE_NET_ERROR);
    EXPECT_EQ(out[0].detail, (3u << 8) | 1u);
    EXPECT_FALSE(table.on_net_error(1, 1, 3, 1, out)) << "already settled";
    table.record_send(0, record(3, 60));
    out.clear();
    table.on_send_error(0, 3, 101, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].status, ZZP_SAMPLE_SEND_ERROR);
    EXPECT_EQ(out[0].detail, 101u);
    EXPECT_FALSE(table.has_pending());
}

TEST(Attempts, RingSizeCoversFourTimeouts) {
    EXPECT_EQ(AttemptTable::ring_size_for(10, 1'000'000'000), 128u);
    EXPECT_EQ(AttemptTable::ring_size_for(1000, 1'000'000'000), 4096u);
    EXPECT_EQ(AttemptTable::ring_size_for(1000, 60'000'000'000), 65536u);
}

}  // namespace
}  // namespace zzp::icmp

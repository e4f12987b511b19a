// The udp-echo header codec: round trip, byte layout, and every way a datagram can be wrong.
#include "wire.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace zzp::udp_echo;

namespace {

Header sample_header() {
    Header h;
    h.flags = kFlagStampRequest;
    h.nonce = 0x0102030405060708ull;
    h.target_slot = 7;
    h.seq = 123456789012345ull;
    h.send_real_ns = 1700000000123456789;
    return h;
}

}  // namespace

TEST(Wire, RoundTripKeepsEveryField) {
    std::vector<uint8_t> buf(kHeaderSize);
    Header in = sample_header();
    in.remote_rx_ns = 11;
    in.remote_tx_ns = 22;
    encode(in, buf.data());
    Header out;
    ASSERT_EQ(decode(buf.data(), buf.size(), &out), DecodeError::kNone);
    EXPECT_EQ(out.flags, in.flags);
    EXPECT_EQ(out.nonce, in.nonce);
    EXPECT_EQ(out.target_slot, in.target_slot);
    EXPECT_EQ(out.seq, in.seq);
    EXPECT_EQ(out.send_real_ns, in.send_real_ns);
    EXPECT_EQ(out.remote_rx_ns, 11);
    EXPECT_EQ(out.remote_tx_ns, 22);
}

TEST(Wire, LayoutIsBigEndianAsDocumented) {
    std::vector<uint8_t> buf(kHeaderSize);
    encode(sample_header(), buf.data());
    EXPECT_EQ(buf[0], 'Z');
    EXPECT_EQ(buf[1], 'Z');
    EXPECT_EQ(buf[2], 'P');
    EXPECT_EQ(buf[3], 'E');
    EXPECT_EQ(buf[4], kVersion);
    EXPECT_EQ(buf[5], kFlagStampRequest);
    EXPECT_EQ(buf[8], 0x01);  // nonce, most significant byte first
    EXPECT_EQ(buf[15], 0x08);
    EXPECT_EQ(buf[19], 7);  // target slot
}

TEST(Wire, TruncatedInputIsRejectedAtEveryLength) {
    std::vector<uint8_t> buf(kHeaderSize);
    encode(sample_header(), buf.data());
    Header out;
    for (size_t n = 0; n < kHeaderSize; ++n) EXPECT_EQ(decode(buf.data(), n, &out), DecodeError::kTooShort) << n;
    EXPECT_EQ(decode(nullptr, 100, &out), DecodeError::kTooShort);
}

TEST(Wire, GarbageIsRejectedWithTheReason) {
    std::vector<uint8_t> buf(kHeaderSize);
    Header out;
    encode(sample_header(), buf.data());
    buf[0] ^= 0xff;
    EXPECT_EQ(decode(buf.data(), buf.size(), &out), DecodeError::kBadMagic);
    encode(sample_header(), buf.data());
    buf[4] = 2;
    EXPECT_EQ(decode(buf.data(), buf.size(), &out), DecodeError::kBadVersion);
    encode(sample_header(), buf.data());
    buf[5] = 0x80;
    EXPECT_EQ(decode(buf.data(), buf.size(), &out), DecodeError::kBadFlags);
    // Pseudo-random bytes never decode by accident (the magic guards it).
    uint32_t x = 12345;
    for (int round = 0; round < 1000; ++round) {
        for (auto& b : buf) {
            x = x * 1664525u + 1013904223u;
            b = static_cast<uint8_t>(x >> 24);
        }
        if (buf[0] == 'Z' && buf[1] == 'Z' && buf[2] == 'P' && buf[3] == 'E') continue;
        EXPECT_NE(decode(buf.data(), buf.size(), &out), DecodeError::kNone);
    }
    EXPECT_STRNE(decode_error_name(DecodeError::kBadMagic), "ok");
}

TEST(Wire, ReplyInPlaceChangesOnlyTheHeaderAndStampsWhenAsked) {
    std::vector<uint8_t> buf(200, 0xAB);
    encode(sample_header(), buf.data());
    std::vector<uint8_t> before = buf;
    make_reply_in_place(buf.data(), true, 1000, 0);
    restamp_tx_in_place(buf.data(), 1500);
    Header out;
    ASSERT_EQ(decode(buf.data(), buf.size(), &out), DecodeError::kNone);
    EXPECT_EQ(out.flags, kFlagStampRequest | kFlagReply | kFlagStamped);
    EXPECT_EQ(out.remote_rx_ns, 1000);
    EXPECT_EQ(out.remote_tx_ns, 1500);
    EXPECT_EQ(out.seq, sample_header().seq);
    EXPECT_TRUE(std::equal(buf.begin() + kHeaderSize, buf.end(), before.begin() + kHeaderSize));

    std::vector<uint8_t> plain(kHeaderSize);
    encode(sample_header(), plain.data());
    make_reply_in_place(plain.data(), false, 1000, 2000);
    ASSERT_EQ(decode(plain.data(), plain.size(), &out), DecodeError::kNone);
    EXPECT_EQ(out.flags, kFlagStampRequest | kFlagReply);
    EXPECT_EQ(out.remote_rx_ns, 0);
}

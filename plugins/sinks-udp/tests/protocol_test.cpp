// The wire codec on its own: round trips, the 1200-byte bound, MessagePack conformance (checked
// with msgpack-c as an independent decoder), authentication and the replay window.
#include <gtest/gtest.h>
#include <msgpack.hpp>

#include "loaded_sink.hpp"
#include "protocol/messages.hpp"
#include "protocol/msgpack_lite.hpp"
#include "protocol/udp_address.hpp"

namespace zzp::stream {
namespace {

using test::make_frame;
using test::same_frame;

const AuthKey& test_key() {
    static AuthKey key("0123456789abcdef-test-secret");
    return key;
}

TEST(StreamProtocol, ControlMessagesRoundTripWithAndWithoutKey) {
    for (const AuthKey* key : {static_cast<const AuthKey*>(nullptr), &test_key()}) {
        Message m;
        ASSERT_EQ(decode_datagram(encode_subscribe(7, 1, 123456789, 3600, 512, "", key), key, m), DecodeStatus::kOk);
        EXPECT_EQ(m.type, MsgType::kSubscribe);
        EXPECT_EQ(m.session, 7u);
        EXPECT_EQ(m.wall_ns, 123456789);
        EXPECT_EQ(m.history_ns, 3600);
        EXPECT_EQ(m.window, 512u);
        EXPECT_GE(encode_subscribe(7, 1, 0, 0, 0, "", key).size(), kMinSubscribeBytes);

        std::vector<SeqRange> missing = {{3, 5}, {9, 9}, {1ull << 40, (1ull << 40) + 2}};
        ASSERT_EQ(decode_datagram(encode_ack(7, 2, 2, 1ull << 40, 64, missing, key), key, m), DecodeStatus::kOk);
        EXPECT_EQ(m.type, MsgType::kAck);
        EXPECT_EQ(m.cum_ack, 2u);
        EXPECT_EQ(m.highest_received, 1ull << 40);
        ASSERT_EQ(m.missing_count, 3u);
        EXPECT_EQ(m.missing[2].first, 1ull << 40);
        EXPECT_EQ(m.missing[2].last, (1ull << 40) + 2);

        ASSERT_EQ(decode_datagram(encode_welcome(7, 3, 99, 2'500'000'000, 10'000'000'000, key), key, m),
                  DecodeStatus::kOk);
        EXPECT_EQ(m.history_count, 99u);
        EXPECT_EQ(m.timeout_ns, 10'000'000'000);
        const std::string refuse = encode_refuse(7, 4, RefuseReason::kFull, "full", key);  // m views into it
        ASSERT_EQ(decode_datagram(refuse, key, m), DecodeStatus::kOk);
        EXPECT_EQ(m.reason, RefuseReason::kFull);
        EXPECT_EQ(m.text, "full");
        ASSERT_EQ(decode_datagram(encode_heartbeat(7, 5, 42, key), key, m), DecodeStatus::kOk);
        EXPECT_EQ(m.seq, 42u);
        ASSERT_EQ(decode_datagram(encode_unsubscribe(7, 6, key), key, m), DecodeStatus::kOk);
        EXPECT_EQ(m.type, MsgType::kUnsubscribe);
    }
}

TEST(StreamProtocol, DataRecordsRoundTripAndEveryDatagramFits1200Bytes) {
    RecordListBuilder builder;
    std::vector<zzp_frame> given;
    // Worst case for size: every field at its widest.
    zzp_frame wide{};
    wide.start_wall_ns = INT64_MIN;
    wide.interval_ns = INT64_MAX;
    wide.target_id = wide.revision = wide.flags = wide.sent = wide.received = wide.lost = UINT32_MAX;
    wide.errors = wide.late = wide.duplicates = wide.reordered = wide.pending = UINT32_MAX;
    for (int64_t& q : wide.rtt_ns) q = INT64_MIN;
    wide.rtt_mean_ns = wide.rtt_jitter_ns = INT64_MAX;
    std::vector<std::string> lists;
    for (int i = 0; i < 200; ++i) {
        zzp_frame f = i % 7 == 0 ? wide : make_frame(1 + i % 3, 1'700'000'000'000'000'000 + int64_t{i} * 100'000'000, i % 2, i % 2);
        given.push_back(f);
        if (!builder.add_frame(f)) {
            lists.push_back(builder.take());
            ASSERT_TRUE(builder.add_frame(f));
        }
    }
    TargetRecord long_target{9, std::string(1000, 'n'), "192.0.2.1", "icmp", "p", 100'000'000};
    if (!builder.add_target(long_target)) {
        lists.push_back(builder.take());
        ASSERT_TRUE(builder.add_target(long_target));
    }
    lists.push_back(builder.take());

    std::vector<zzp_frame> decoded;
    std::vector<TargetRecord> targets;
    for (const std::string& list : lists) {
        std::string datagram;
        encode_data(datagram, UINT64_MAX, UINT64_MAX, UINT64_MAX, list, &test_key());
        EXPECT_LE(datagram.size(), kMaxDatagramBytes);
        Message m;
        ASSERT_EQ(decode_datagram(datagram, &test_key(), m), DecodeStatus::kOk);
        std::vector<zzp_frame> frames;
        std::vector<TargetRecord> t;
        ASSERT_TRUE(decode_records(m.records, t, frames));
        decoded.insert(decoded.end(), frames.begin(), frames.end());
        targets.insert(targets.end(), t.begin(), t.end());
    }
    ASSERT_EQ(decoded.size(), given.size());
    for (size_t i = 0; i < given.size(); ++i) EXPECT_TRUE(same_frame(decoded[i], given[i])) << i;
    ASSERT_EQ(targets.size(), 1u);
    EXPECT_EQ(targets[0].name, std::string(kMaxTargetStringBytes, 'n'));  // cut so it always fits
    EXPECT_EQ(targets[0].address, "192.0.2.1");
}

TEST(StreamProtocol, DatagramsAreStandardMessagePack) {
    RecordListBuilder builder;
    zzp_frame f = make_frame(3, 1'700'000'000'000'000'000, 2, true);
    ASSERT_TRUE(builder.add_frame(f));
    std::string datagram;
    encode_data(datagram, 11, 12, 13, builder.take(), &test_key());
    // msgpack-c reads the message and then the tag as two consecutive objects.
    size_t offset = 0;
    msgpack::object_handle message = msgpack::unpack(datagram.data(), datagram.size(), offset);
    auto fields = message.get().as<std::vector<msgpack::object>>();
    ASSERT_EQ(fields.size(), 6u);
    EXPECT_EQ(fields[0].as<int>(), 1);                                 // version
    EXPECT_EQ(fields[1].as<int>(), static_cast<int>(MsgType::kData));  // type
    EXPECT_EQ(fields[4].as<uint64_t>(), 13u);                          // seq
    auto records = fields[5].as<std::vector<std::vector<int64_t>>>();
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0][2], f.start_wall_ns);
    EXPECT_EQ(records[0][20], f.rtt_ns[ZZP_Q_MAX]);
    msgpack::object_handle tag = msgpack::unpack(datagram.data(), datagram.size(), offset);
    EXPECT_EQ(tag.get().type, msgpack::type::BIN);
    EXPECT_EQ(tag.get().via.bin.size, kMacBytes);
    EXPECT_EQ(offset, datagram.size());
}

TEST(StreamProtocol, ReaderAcceptsAnyIntegerWidth) {
    // 5 as uint64, as int8, and -3 as int32: all valid MessagePack.
    const unsigned char bytes[] = {0xcf, 0, 0, 0, 0, 0, 0, 0, 5, 0xd0, 5, 0xd2, 0xff, 0xff, 0xff, 0xfd};
    MsgReader r(bytes, sizeof bytes);
    int64_t a, b, c;
    ASSERT_TRUE(r.sint(a) && r.sint(b) && r.sint(c));
    EXPECT_EQ(a, 5);
    EXPECT_EQ(b, 5);
    EXPECT_EQ(c, -3);
    EXPECT_TRUE(r.at_end());
}

TEST(StreamProtocol, AnyTamperedByteOrWrongKeyFailsAuthentication) {
    std::string good = encode_ack(5, 9, 100, 121, 64, {{101, 120}}, &test_key());
    Message m;
    ASSERT_EQ(decode_datagram(good, &test_key(), m), DecodeStatus::kOk);
    for (size_t i = 0; i < good.size(); ++i) {
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ 0x01);
        EXPECT_NE(decode_datagram(bad, &test_key(), m), DecodeStatus::kOk) << "byte " << i;
    }
    AuthKey other("another-secret-of-enough-length");
    EXPECT_EQ(decode_datagram(good, &other, m), DecodeStatus::kBadMac);
    EXPECT_EQ(decode_datagram(encode_ack(5, 9, 1, 1, 1, {}, nullptr), &test_key(), m), DecodeStatus::kMissingMac);
    EXPECT_EQ(decode_datagram(good, nullptr, m), DecodeStatus::kUnexpectedMac);
    for (size_t len = 0; len < good.size(); ++len)
        EXPECT_NE(decode_datagram(good.substr(0, len), &test_key(), m), DecodeStatus::kOk) << "length " << len;
    EXPECT_THROW(AuthKey("short"), std::invalid_argument);
}

TEST(StreamProtocol, ReplayWindowAcceptsEachCounterOnce) {
    ReplayWindow w;
    EXPECT_FALSE(w.accept(0));
    EXPECT_TRUE(w.accept(1));
    EXPECT_FALSE(w.accept(1));
    EXPECT_TRUE(w.accept(5));
    EXPECT_TRUE(w.accept(3));  // reordered, inside the window
    EXPECT_FALSE(w.accept(3));
    EXPECT_TRUE(w.accept(5000));
    EXPECT_FALSE(w.accept(5000 - ReplayWindow::kWidth));  // too old to tell
    EXPECT_TRUE(w.accept(5000 - ReplayWindow::kWidth + 1));
    EXPECT_FALSE(w.accept(5));
}

TEST(StreamProtocol, AddressesParseAndLoopbackIsRecognised) {
    std::string why;
    auto v4 = parse_udp_address("127.0.0.1:7879", &why);
    ASSERT_TRUE(v4);
    EXPECT_TRUE(is_loopback(v4->get()));
    EXPECT_EQ(format_address(v4->get()), "127.0.0.1:7879");
    auto v6 = parse_udp_address("[::1]:0", &why);
    ASSERT_TRUE(v6);
    EXPECT_TRUE(is_loopback(v6->get()));
    auto any = parse_udp_address("0.0.0.0:7879", &why);
    ASSERT_TRUE(any);
    EXPECT_FALSE(is_loopback(any->get()));
    EXPECT_FALSE(parse_udp_address("localhost:7879", &why));
    EXPECT_NE(why.find("numeric"), std::string::npos);
    EXPECT_FALSE(parse_udp_address("127.0.0.1", &why));
    EXPECT_FALSE(parse_udp_address("127.0.0.1:70000", &why));
    EXPECT_FALSE(parse_udp_address("::1:7879", &why));
}

}  // namespace
}  // namespace zzp::stream

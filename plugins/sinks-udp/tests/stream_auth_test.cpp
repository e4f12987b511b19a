// The udp-stream sink with a shared secret: authenticated viewers are served; wrong secrets,
// tampered, replayed, stale, truncated and random datagrams are dropped and counted, and the
// sink keeps serving.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "test_helpers.hpp"

namespace zzp::stream::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "correct horse battery staple 42";

class AuthenticatedSink : public ::testing::Test {
protected:
    void SetUp() override {
        secret_path_ = std::string(ZZP_BUILD_DIR) + "/udp-stream-test-" + std::to_string(getpid()) + ".secret";
        std::ofstream(secret_path_) << kSecret << "\n";
        ASSERT_EQ(sink_.configure("listen = \"127.0.0.1:0\"\nsecret_file = \"" + secret_path_ +
                                  "\"\nsubscriber_timeout = \"5s\"\n"),
                  ZZP_OK)
            << sink_.last_error();
        ASSERT_EQ(sink_.start(), ZZP_OK) << sink_.last_error();
        sink_.target(1, "router", "192.0.2.1", kInterval);
        base_ = aligned_now_ns() - 100 * kInterval;
        work_ = make_workload(base_, 0, 50, 1);
        for (auto& b : work_.batches) sink_.write(b);
    }
    void TearDown() override { std::remove(secret_path_.c_str()); }

    // A correctly keyed viewer still gets the whole history.
    void expect_served() {
        Collector c;
        auto client = make_client(sink_.port(), c, key_);
        client->start();
        ASSERT_TRUE(client->wait_for([](const ClientStats& s) { return s.history_complete; }, 10s));
        EXPECT_TRUE(c.latest_equals(work_.latest));
        client->stop();
    }
    int64_t wall_now() const {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }

    std::string secret_path_;
    LoadedSink sink_;
    std::shared_ptr<const AuthKey> key_ = std::make_shared<AuthKey>(kSecret);
    int64_t base_ = 0;
    Workload work_;
};

TEST_F(AuthenticatedSink, ViewerWithTheSecretGetsEverything) { expect_served(); }

TEST_F(AuthenticatedSink, WrongSecretIsDroppedAndCounted) {
    Collector c;
    auto client = make_client(sink_.port(), c, std::make_shared<AuthKey>("a different secret, long enough"));
    client->start();
    EXPECT_TRUE(eventually([&] { return sink_.stats().dropped_bad_mac >= 2; }, 5s));  // it keeps retrying
    EXPECT_FALSE(client->stats().subscribed);
    EXPECT_EQ(sink_.stats().subscribers, 0u);
    EXPECT_TRUE(c.latest().empty());
    client->stop();
    expect_served();
}

TEST_F(AuthenticatedSink, MissingTagIsDroppedAndCounted) {
    Collector c;
    auto client = make_client(sink_.port(), c, nullptr);
    client->start();
    EXPECT_TRUE(eventually([&] { return sink_.stats().dropped_unauthenticated >= 1; }, 5s));
    EXPECT_EQ(sink_.stats().subscribers, 0u);
    client->stop();
}

TEST_F(AuthenticatedSink, TamperedBytesAreDroppedAndCounted) {
    RawPeer peer(sink_.port());
    std::string good = encode_subscribe(77, 1, wall_now(), 3600'000'000'000, 64, "", key_.get());
    for (size_t i = 0; i < good.size(); i += 7) {
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ 0x20);
        peer.send(bad);
    }
    size_t sent = (good.size() + 6) / 7;
    ASSERT_TRUE(eventually([&] { return sink_.stats().datagrams_received >= sent; }, 5s));
    auto s = sink_.stats();
    EXPECT_EQ(s.dropped_bad_mac + s.dropped_malformed + s.dropped_version, sent);
    EXPECT_GT(s.dropped_bad_mac, 0u);
    EXPECT_EQ(s.subscribers, 0u);
    EXPECT_EQ(peer.receive(), "");  // nothing answers a forgery
}

TEST_F(AuthenticatedSink, ReplayedDatagramsAreDroppedAndCounted) {
    RawPeer peer(sink_.port());
    std::string subscribe = encode_subscribe(78, 1, wall_now(), 3600'000'000'000, 64, "", key_.get());
    peer.send(subscribe);
    ASSERT_TRUE(eventually([&] { return sink_.stats().subscribers == 1; }, 5s));
    peer.send(subscribe);  // the same datagram again, while the session lives
    ASSERT_TRUE(eventually([&] { return sink_.stats().dropped_replayed == 1; }, 5s));
    std::string ack = encode_ack(78, 2, 0, 0, 64, {}, key_.get());
    peer.send(ack);
    peer.send(ack);
    ASSERT_TRUE(eventually([&] { return sink_.stats().dropped_replayed == 2; }, 5s));
    peer.send(encode_unsubscribe(78, 3, key_.get()));
    ASSERT_TRUE(eventually([&] { return sink_.stats().subscribers == 0; }, 5s));
    peer.send(subscribe);  // a recording of the subscribe must not start the session again
    ASSERT_TRUE(eventually([&] { return sink_.stats().dropped_replayed == 3; }, 5s));
    EXPECT_EQ(sink_.stats().subscribers, 0u);
    EXPECT_EQ(sink_.stats().subscribes_accepted, 1u);
}

TEST_F(AuthenticatedSink, StaleSubscribeIsDroppedAndCounted) {
    RawPeer peer(sink_.port());
    peer.send(encode_subscribe(79, 1, wall_now() - 3600'000'000'000, 0, 64, "", key_.get()));
    ASSERT_TRUE(eventually([&] { return sink_.stats().dropped_stale == 1; }, 5s));
    EXPECT_EQ(sink_.stats().subscribers, 0u);
}

TEST_F(AuthenticatedSink, TruncatedAndRandomDatagramsAreDroppedAndCountedAndTheSinkKeepsServing) {
    RawPeer peer(sink_.port());
    std::string good = encode_subscribe(80, 1, wall_now(), 0, 64, "", key_.get());
    size_t sent = 0;
    for (size_t len = 1; len < good.size(); len += 3, ++sent) peer.send(good.substr(0, len));
    std::mt19937 random(7);
    for (int i = 0; i < 2000; ++i, ++sent) {
        std::string junk(1 + random() % 1400, '\0');
        for (char& ch : junk) ch = static_cast<char>(random());
        if (i % 2) junk[0] = static_cast<char>(0x94 + random() % 8);  // looks like an array: go deeper
        peer.send(junk);
    }
    peer.send(std::string(1500, '\x91'));  // over 1200 bytes
    ++sent;
    ASSERT_TRUE(eventually([&] { return sink_.stats().datagrams_received >= sent; }, 10s))
        << sink_.stats().datagrams_received << " of " << sent;
    auto s = sink_.stats();
    EXPECT_EQ(s.dropped_malformed + s.dropped_version + s.dropped_unauthenticated + s.dropped_bad_mac, sent);
    EXPECT_GT(s.dropped_malformed, 0u);
    EXPECT_EQ(s.subscribers, 0u);
    expect_served();
}

}  // namespace
}  // namespace zzp::stream::test

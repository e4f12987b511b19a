// The udp-stream sink end to end on loopback: plugin loaded through its C ABI, viewers using
// the receiving library.
#include <gtest/gtest.h>

#include "lossy_relay.hpp"
#include "test_helpers.hpp"

namespace zzp::stream::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kLoopbackConfig =
    "listen = \"127.0.0.1:0\"\nhistory = \"1h\"\nmax_subscribers = 8\nsubscriber_timeout = \"5s\"\n";

void start_sink(LoadedSink& sink, const std::string& config) {
    ASSERT_EQ(sink.configure(config), ZZP_OK) << sink.last_error();
    ASSERT_EQ(sink.start(), ZZP_OK) << sink.last_error();
    ASSERT_NE(sink.port(), 0);
    sink.target(1, "router", "192.0.2.1", kInterval);
    sink.target(2, "isp", "198.51.100.7", kInterval);
    sink.target(3, "v6", "2001:db8::1", kInterval);
}

TEST(UdpStreamSink, SeveralSubscribersGetHistoryThenLiveFramesIdenticalToInput) {
    LoadedSink sink;
    start_sink(sink, kLoopbackConfig);
    const int64_t base = aligned_now_ns() - 1000 * kInterval;
    Workload history = make_workload(base, 0, 600, 3);
    for (auto& batch : history.batches) sink.write(batch);

    Collector collected[3];
    std::vector<std::unique_ptr<StreamClient>> clients;
    for (auto& c : collected) clients.push_back(make_client(sink.port(), c));
    for (auto& client : clients) client->start();
    for (size_t i = 0; i < clients.size(); ++i) {
        ASSERT_TRUE(clients[i]->wait_for([](const ClientStats& s) { return s.history_complete; }, 20s)) << i;
        EXPECT_TRUE(collected[i].latest_equals(history.latest)) << "client " << i << " history differs";
        auto targets = collected[i].targets();
        ASSERT_EQ(targets.size(), 3u);
        EXPECT_EQ(targets[2].name, "isp");
        EXPECT_EQ(targets[3].address, "2001:db8::1");
        EXPECT_EQ(targets[1].method, "icmp");
        EXPECT_EQ(targets[1].interval_ns, kInterval);
    }
    EXPECT_EQ(sink.stats().subscribers, 3u);

    Workload live = make_workload(base, 600, 700, 3);
    for (auto& batch : live.batches) sink.write(batch);
    std::map<Collector::Key, zzp_frame> expected = history.latest;
    for (auto& [k, f] : live.latest) expected[k] = f;
    for (size_t i = 0; i < clients.size(); ++i) {
        // Every live revision arrives, not just the newest.
        EXPECT_TRUE(eventually([&] { return collected[i].has_all(live.all); }, 20s)) << "client " << i;
        EXPECT_TRUE(collected[i].latest_equals(expected)) << "client " << i;
    }
    for (auto& client : clients) client->stop();
    EXPECT_TRUE(eventually([&] { return sink.stats().subscribers == 0; }, 5s));
    EXPECT_EQ(sink.stats().subscribers_unsubscribed, 3u);
}

TEST(UdpStreamSink, HistoryIsBoundedByTheWindowAndFinalReplacesLive) {
    LoadedSink sink;
    start_sink(sink, "listen = \"127.0.0.1:0\"\nhistory = \"10s\"\n");
    const int64_t base = aligned_now_ns() - 1000 * kInterval;
    Workload w = make_workload(base, 0, 400, 1);  // 40 s of data, 10 s kept
    for (auto& batch : w.batches) sink.write(batch);
    // 10 s at 10 frames/s, rounded up to whole chunks, plus the two live-only intervals.
    EXPECT_LE(sink.stats().history_frames, 100u + 40u);
    EXPECT_GE(sink.stats().history_frames, 100u);

    Collector c;
    auto client = make_client(sink.port(), c);
    client->start();
    ASSERT_TRUE(client->wait_for([](const ClientStats& s) { return s.history_complete; }, 10s));
    auto latest = c.latest();
    ASSERT_FALSE(latest.empty());
    EXPECT_GE(latest.begin()->first.second, base + (400 - 100 - 30) * kInterval);  // nothing older than ~10 s
    for (const auto& [key, f] : latest) {
        // Finalised intervals come as their final revision only; the last two are still live.
        bool finalised = key.second <= base + 397 * kInterval;
        EXPECT_EQ((f.flags & ZZP_FRAME_F_FINAL) != 0, finalised);
        EXPECT_TRUE(same_frame(f, w.latest.at(key)));
    }
}

TEST(UdpStreamSink, RepairsMakeTheStreamCompleteThroughALossyReorderingRelay) {
    LoadedSink sink;
    start_sink(sink, kLoopbackConfig);
    const int64_t base = aligned_now_ns() - 1000 * kInterval;
    Workload history = make_workload(base, 0, 300, 3);
    for (auto& batch : history.batches) sink.write(batch);

    LossyRelay relay(sink.port(), LossyRelay::Impairment{0.2, 0.2, 3}, 12345);
    Collector c;
    auto client = make_client(relay.local_port(), c);
    client->start();
    // Live frames flow while the history is still being repaired.
    Workload live = make_workload(base, 300, 400, 3);
    for (auto& batch : live.batches) {
        sink.write(batch);
        std::this_thread::sleep_for(5ms);
    }
    std::map<Collector::Key, zzp_frame> expected = history.latest;
    for (auto& [k, f] : live.latest) expected[k] = f;
    EXPECT_TRUE(eventually([&] { return c.latest_equals(expected) && c.has_all(live.all); }, 60s))
        << "received " << c.latest().size() << " of " << expected.size() << " intervals";
    ClientStats s = client->stats();
    EXPECT_GT(relay.dropped(), 0u);
    EXPECT_GT(relay.reordered(), 0u);
    EXPECT_GT(s.gaps, 0u);
    EXPECT_GT(s.repair_requests, 0u);
    EXPECT_GT(sink.stats().retransmits, 0u);
    client->stop();
}

TEST(UdpStreamSink, SilentSubscribersExpire) {
    LoadedSink sink;
    start_sink(sink, "listen = \"127.0.0.1:0\"\nsubscriber_timeout = \"300ms\"\n");
    Collector c;
    auto client = make_client(sink.port(), c);
    client->start();
    ASSERT_TRUE(client->wait_for([](const ClientStats& s) { return s.subscribed; }, 5s));
    ASSERT_EQ(sink.stats().subscribers, 1u);
    // While the client runs, its keepalives hold the subscription well past the timeout.
    std::this_thread::sleep_for(900ms);
    EXPECT_EQ(sink.stats().subscribers, 1u);
    EXPECT_EQ(sink.stats().subscribers_expired, 0u);
    client->stop(/*unsubscribe=*/false);  // vanish without a word
    EXPECT_TRUE(eventually([&] { return sink.stats().subscribers == 0; }, 5s));
    EXPECT_EQ(sink.stats().subscribers_expired, 1u);
}

TEST(UdpStreamSink, SubscribersBeyondTheMaximumAreRefused) {
    LoadedSink sink;
    start_sink(sink, "listen = \"127.0.0.1:0\"\nmax_subscribers = 2\n");
    Collector c[3];
    auto a = make_client(sink.port(), c[0]);
    auto b = make_client(sink.port(), c[1]);
    a->start();
    b->start();
    ASSERT_TRUE(a->wait_for([](const ClientStats& s) { return s.subscribed; }, 5s));
    ASSERT_TRUE(b->wait_for([](const ClientStats& s) { return s.subscribed; }, 5s));
    auto third = make_client(sink.port(), c[2]);
    third->start();
    EXPECT_TRUE(third->wait_for([](const ClientStats& s) { return s.refusals > 0; }, 5s));
    EXPECT_EQ(third->stats().last_refusal, static_cast<int>(RefuseReason::kFull));
    EXPECT_FALSE(third->stats().subscribed);
    EXPECT_EQ(sink.stats().subscribers, 2u);
    EXPECT_GE(sink.stats().subscribes_refused_full, 1u);
    // A place frees up: the refused viewer's retry gets in.
    a->stop();
    EXPECT_TRUE(third->wait_for([](const ClientStats& s) { return s.subscribed; }, 10s));
}

TEST(UdpStreamSink, NonLoopbackListenNeedsASecretOrAnExplicitOptIn) {
    {
        LoadedSink sink;
        EXPECT_EQ(sink.configure("listen = \"0.0.0.0:7879\"\n"), ZZP_E_CONFIG);
        EXPECT_EQ(sink.last_key(), "listen");
        EXPECT_NE(sink.last_error().find("secret_file"), std::string::npos) << sink.last_error();
    }
    {
        LoadedSink sink;
        EXPECT_EQ(sink.configure("listen = \"[::]:7879\"\nallow_unauthenticated_remote = true\n"), ZZP_OK)
            << sink.last_error();
    }
    {
        LoadedSink sink;
        EXPECT_EQ(sink.configure("listen = \"0.0.0.0:7879\"\nsecret_file = \"/nonexistent/zzp.secret\"\n"),
                  ZZP_E_CONFIG);
        EXPECT_EQ(sink.last_key(), "secret_file");
        EXPECT_NE(sink.last_error().find("/nonexistent/zzp.secret"), std::string::npos);
    }
    {
        LoadedSink sink;
        EXPECT_EQ(sink.configure("listen = \"localhost:7879\"\n"), ZZP_E_CONFIG);
        EXPECT_EQ(sink.last_key(), "listen");
    }
}

}  // namespace
}  // namespace zzp::stream::test

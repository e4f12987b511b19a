#include "pipeline/target_registry.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

using namespace zzp::host;

TEST(TargetRegistry, SameNameAndAddressFromSameProbeGiveSameId) {
    TargetRegistry r;
    uint32_t a = r.intern("probe-1", "icmp", "router", "192.0.2.1", 100);
    EXPECT_EQ(a, 1u);
    EXPECT_EQ(r.intern("probe-1", "icmp", "router", "192.0.2.1", 100), a);
    EXPECT_NE(r.intern("probe-2", "icmp", "router", "192.0.2.1", 100), a);  // another probe
    EXPECT_NE(r.intern("probe-1", "icmp", "router", "192.0.2.2", 100), a);  // another address
    EXPECT_EQ(r.intern("probe-1", "icmp", "", "192.0.2.1", 100), 0u);       // invalid
    const TargetRecord* rec = r.find(a);
    ASSERT_NE(rec, nullptr);
    zzp_target_info info = rec->info();
    EXPECT_STREQ(info.name, "router");
    EXPECT_STREQ(info.address, "192.0.2.1");
    EXPECT_STREQ(info.method, "icmp");
    EXPECT_STREQ(info.probe, "probe-1");
    EXPECT_EQ(info.interval_ns, 100);
    EXPECT_EQ(r.find(0), nullptr);
    EXPECT_EQ(r.find(99), nullptr);
}

TEST(TargetRegistry, ConcurrentInternsAgreeOnIds) {
    TargetRegistry r;
    std::vector<std::vector<uint32_t>> seen(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 500; ++i) seen[t].push_back(r.intern("p", "m", "host" + std::to_string(i), "a", 1));
        });
    for (auto& th : threads) th.join();
    for (int t = 1; t < 4; ++t) EXPECT_EQ(seen[t], seen[0]);
    EXPECT_EQ(r.max_id(), 500u);
}

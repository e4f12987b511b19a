// Endpoint parsing, CIDR allow-lists and the per-source token bucket.
#include "net_address.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "rate_limiter.hpp"

using namespace zzp::udp_echo;

TEST(Endpoint, ParsesIpv4Ipv6AndNames) {
    Endpoint e;
    std::string err;
    ASSERT_TRUE(parse_endpoint("127.0.0.1:7", false, &e, &err)) << err;
    EXPECT_EQ(e.family(), AF_INET);
    EXPECT_EQ(e.to_string(), "127.0.0.1:7");
    ASSERT_TRUE(parse_endpoint("[::1]:7790", false, &e, &err)) << err;
    EXPECT_EQ(e.family(), AF_INET6);
    EXPECT_EQ(e.to_string(), "[::1]:7790");
    ASSERT_TRUE(parse_endpoint("localhost:9", true, &e, &err)) << err;
    EXPECT_EQ(e.port(), 9);
}

TEST(Endpoint, RejectsMalformedTextWithAHint) {
    Endpoint e;
    std::string err;
    for (const char* bad : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:70000", "::1:7", "[::1]7", "[::1]",
                            ":7", "127.0.0.1:x"}) {
        EXPECT_FALSE(parse_endpoint(bad, true, &e, &err)) << bad;
        EXPECT_NE(err.find(bad), std::string::npos) << err;
    }
    EXPECT_FALSE(parse_endpoint("localhost:9", false, &e, &err));
    EXPECT_FALSE(parse_endpoint("no-such-host.invalid:9", true, &e, &err));
}

TEST(Cidr, MatchesV4V6AndV4Mapped) {
    Cidr c;
    std::string err;
    AllowList allow;
    ASSERT_TRUE(parse_cidr("10.1.0.0/16", &c, &err));
    allow.add(c);
    ASSERT_TRUE(parse_cidr("2001:db8::/32", &c, &err));
    allow.add(c);
    ASSERT_TRUE(parse_cidr("192.0.2.7", &c, &err));  // a bare address is a /32
    allow.add(c);
    auto allowed = [&](const char* text) {
        Endpoint e;
        std::string error;
        EXPECT_TRUE(parse_endpoint(text, false, &e, &error)) << error;
        return allow.allows(reinterpret_cast<const sockaddr*>(&e.addr));
    };
    EXPECT_TRUE(allowed("10.1.255.3:1"));
    EXPECT_FALSE(allowed("10.2.0.1:1"));
    EXPECT_TRUE(allowed("[2001:db8:1::5]:1"));
    EXPECT_FALSE(allowed("[2001:db9::5]:1"));
    EXPECT_TRUE(allowed("192.0.2.7:1"));
    EXPECT_FALSE(allowed("192.0.2.8:1"));
    EXPECT_TRUE(allowed("[::ffff:10.1.2.3]:1"));  // v4-mapped source on a dual-stack socket
}

TEST(Cidr, RejectsBadPrefixes) {
    Cidr c;
    std::string err;
    for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0/8", "abc", "10.0.0.0/-1", "10.0.0.0/x"})
        EXPECT_FALSE(parse_cidr(bad, &c, &err)) << bad;
}

TEST(RateLimiter, AllowsTheBurstThenTheRate) {
    RateLimiter limiter(100, 10);  // 100/s, depth 10
    HostKey a{}, b{};
    a[15] = 1;
    b[15] = 2;
    int64_t t = 1000000000;
    int admitted = 0;
    for (int i = 0; i < 50; ++i) admitted += limiter.admit(a, t);
    EXPECT_EQ(admitted, 10);
    EXPECT_TRUE(limiter.admit(b, t));  // another source has its own bucket
    t += 100000000;                    // 100 ms later: 10 more tokens
    admitted = 0;
    for (int i = 0; i < 50; ++i) admitted += limiter.admit(a, t);
    EXPECT_EQ(admitted, 10);
}

TEST(RateLimiter, EvictsOldSourcesInsteadOfRefusingNewOnes) {
    RateLimiter limiter(1, 1, 64);
    HostKey k{};
    for (uint32_t i = 0; i < 100000; ++i) {
        std::memcpy(&k[12], &i, 4);
        EXPECT_TRUE(limiter.admit(k, 1));  // each new source starts with a full bucket
    }
    RateLimiter unlimited(0, 1);
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(unlimited.admit(k, 1));
}

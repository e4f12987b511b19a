// The probe behind our impairing relay on loopback: drops, duplicates, jittered and extra
// delays (reordering) and replies past the timeout, each checked against the relay's log.
#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>

#include "impair_checks.hpp"
#include "plugin_harness.hpp"
#include "responder.hpp"
#include "responder_options.hpp"
#include "subprocess.hpp"

using namespace zzp::udp_echo;
using namespace zzp::udp_echo::test;

TEST(ProbeImpaired, CountsAndRttsMatchTheRelayLog) {
    ResponderOptions o;
    o.listen = {"127.0.0.1:0"};
    o.rate_per_source = 0;
    ResponderConfig c;
    std::string key, error;
    ASSERT_TRUE(to_responder_config(o, &c, &key, &error));
    Responder responder;
    ASSERT_TRUE(responder.open(std::move(c), &error)) << error;
    responder.start();

    std::string log = "/tmp/zzp-udp-echo-relay-" + std::to_string(getpid()) + ".log";
    Subprocess relay({ZZP_RELAY_EXE, "--listen",   "127.0.0.1:0", "--forward",   responder.bound()[0].to_string(),
                      "--log",       log,          "--drop",      "0.05",        "--dup",
                      "0.05",        "--delay-ms", "2",           "--jitter-ms", "4",
                      "--extra",     "0.05",       "--extra-ms",  "40",          "--late",
                      "0.04",        "--late-ms",  "400",         "--seed",      "7"});
    std::string port;
    ASSERT_TRUE(relay.wait_for_text("listening on 127.0.0.1:", &port)) << relay.log();

    const int64_t timeout = 250000000;
    Library lib;
    zzp::test::FakeHost host;
    {
        Instance probe(lib, "udp-echo", host);
        ASSERT_EQ(probe.configure("targets = [\"127.0.0.1:" + port + "\"]\nrate = 100.0\ntimeout = \"250ms\"\n"),
                  ZZP_OK)
            << probe.error().message;
        ASSERT_EQ(probe.start(), ZZP_OK);
        std::this_thread::sleep_for(std::chrono::seconds(3));
        // Long enough for the last attempts to time out and their late replies to arrive.
        ASSERT_EQ(probe.stop(1000000000), ZZP_OK);
        auto counters = probe.counters();
        EXPECT_EQ(counters["foreign"], 0u);
        EXPECT_GT(counters["reordered"], 0u);
    }
    relay.stop();
    auto actions = read_relay_log(log);
    std::remove(log.c_str());
    ASSERT_GT(actions.size(), 200u);
    ImpairReport report = compare_with_relay(host.samples(), actions, timeout, 40000000, 20000000);
    EXPECT_TRUE(report.problems.empty()) << summary(report);
    // The impairments really happened (else the test proves nothing).
    EXPECT_GT(report.dropped, 3u) << summary(report);
    EXPECT_GT(report.duplicated, 3u) << summary(report);
    EXPECT_GT(report.late, 2u) << summary(report);
    EXPECT_GT(report.reordered_expected, 3u) << summary(report);
    EXPECT_LT(median(report.rtt_excess), 3000000) << summary(report);
    EXPECT_LE(report.rtt_outliers, report.checked / 50) << summary(report);
    EXPECT_LE(report.reorder_mismatches, 2u) << summary(report);
    std::printf("%s\n", summary(report).c_str());
}

TEST(ProbeImpaired, ForeignDatagramsAreCountedNotReported) {
    // A fake "echo server" that answers every request correctly and also sends garbage, a
    // reply with another run's nonce and a copy from another port: only the real replies count.
    std::string error;
    Endpoint any;
    ASSERT_TRUE(parse_endpoint("127.0.0.1:1", false, &any, &error));
    reinterpret_cast<sockaddr_in*>(&any.addr)->sin_port = 0;
    Fd server = open_udp_socket(AF_INET, &any, SocketOptions{}, &error);
    Fd other = open_udp_socket(AF_INET, &any, SocketOptions{}, &error);
    std::atomic<bool> done{false};
    std::thread echo([&] {
        std::vector<uint8_t> buf(2048);
        while (!done) {
            pollfd p{server.get(), POLLIN, 0};
            if (poll(&p, 1, 50) <= 0) continue;
            sockaddr_storage from{};
            socklen_t len = sizeof from;
            ssize_t n = recvfrom(server.get(), buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
            if (n <= 0) continue;
            auto* peer = reinterpret_cast<sockaddr*>(&from);
            sendto(server.get(), buf.data(), static_cast<size_t>(n), 0, peer, len);  // the real echo
            sendto(server.get(), "garbage", 7, 0, peer, len);                        // foreign: short
            std::vector<uint8_t> wrong = std::vector<uint8_t>(buf.begin(), buf.begin() + n);
            wrong[8] ^= 0xff;  // another nonce
            sendto(server.get(), wrong.data(), wrong.size(), 0, peer, len);
            sendto(other.get(), buf.data(), static_cast<size_t>(n), 0, peer, len);  // wrong source port
        }
    });
    std::string target = local_endpoint(server.get()).to_string();
    Library lib;
    zzp::test::FakeHost host;
    std::map<std::string, uint64_t> counters;
    {
        Instance probe(lib, "udp-echo", host);
        ASSERT_EQ(probe.configure("targets = [\"" + target + "\"]\nrate = 50.0\ntimeout = \"300ms\"\n"), ZZP_OK);
        ASSERT_EQ(probe.start(), ZZP_OK);
        std::this_thread::sleep_for(std::chrono::milliseconds(600));
        ASSERT_EQ(probe.stop(), ZZP_OK);
        counters = probe.counters();
    }
    done = true;
    echo.join();
    auto samples = host.samples();
    ASSERT_EQ(check_sample_stream(samples), "");
    uint64_t replies = counters["replies"];
    EXPECT_GT(replies, 15u);
    EXPECT_EQ(counters["duplicates"], 0u) << "a foreign datagram was taken for a duplicate";
    // Each answered request brings 3 foreign datagrams; around stop, one request's reply and its
    // foreign companions can fall on either side of the socket closing.
    EXPECT_GE(counters["foreign"] + 3, 3 * replies);
    EXPECT_LE(counters["foreign"], 3 * (replies + 1));
}

TEST(ProbeMarking, DscpIsWrittenIntoTosAndTrafficClass) {
    for (int family : {AF_INET, AF_INET6}) {
        std::string error;
        Endpoint any;
        ASSERT_TRUE(parse_endpoint(family == AF_INET ? "127.0.0.1:0" : "[::1]:0", false, &any, &error, true));
        Fd server = open_udp_socket(family, &any, SocketOptions{}, &error);
        ASSERT_TRUE(server) << error;
        int one = 1;
        if (family == AF_INET)
            setsockopt(server.get(), IPPROTO_IP, IP_RECVTOS, &one, sizeof one);
        else
            setsockopt(server.get(), IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof one);
        Library lib;
        zzp::test::FakeHost host;
        Instance probe(lib, "udp-echo", host);
        ASSERT_EQ(probe.configure("targets = [\"" + local_endpoint(server.get()).to_string() +
                                  "\"]\nrate = 20.0\ndscp = 46\ntimeout = \"100ms\"\n"),
                  ZZP_OK);
        ASSERT_EQ(probe.start(), ZZP_OK);
        pollfd p{server.get(), POLLIN, 0};
        ASSERT_EQ(poll(&p, 1, 2000), 1);
        uint8_t buf[256];
        alignas(cmsghdr) char control[256];
        iovec iov{buf, sizeof buf};
        msghdr m{};
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = control;
        m.msg_controllen = sizeof control;
        ASSERT_GT(recvmsg(server.get(), &m, 0), 0);
        int tos = -1;
        for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
            if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) tos = *reinterpret_cast<uint8_t*>(CMSG_DATA(c));
            if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS)
                std::memcpy(&tos, CMSG_DATA(c), sizeof tos);
        }
        EXPECT_EQ(tos >> 2, 46) << (family == AF_INET ? "IPv4 TOS" : "IPv6 traffic class");
        probe.stop();
    }
}

// The bundled responder: it answers allowed sources (stamped when asked), refuses everyone
// else, never replies with more bytes than it got, rate-limits floods, drops garbage — and
// counts each refusal by reason. Also the same through the plugin and the standalone program.
#include "responder.hpp"

#include <gtest/gtest.h>
#include <poll.h>

#include <vector>

#include "plugin_harness.hpp"
#include "responder_options.hpp"
#include "socket_util.hpp"
#include "subprocess.hpp"
#include "wire.hpp"

using namespace zzp::udp_echo;

namespace {

// A plain client socket bound to `from`, with helpers to send requests and collect replies.
class Client {
public:
    explicit Client(const char* from = "127.0.0.1:0") {
        Endpoint e;
        std::string error;
        EXPECT_TRUE(parse_endpoint(from, false, &e, &error, true)) << error;
        SocketOptions o;
        fd_ = open_udp_socket(e.family(), &e, o, &error);
        EXPECT_TRUE(fd_) << error;
    }
    void send_raw(const Endpoint& to, const std::vector<uint8_t>& bytes) {
        ASSERT_EQ(sendto(fd_.get(), bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&to.addr), to.len),
                  static_cast<ssize_t>(bytes.size()));
    }
    void send_request(const Endpoint& to, uint64_t seq, size_t size = 64, uint8_t flags = kFlagStampRequest) {
        std::vector<uint8_t> b(size, 0);
        Header h;
        h.flags = flags;
        h.nonce = 42;
        h.seq = seq;
        h.send_real_ns = real_ns();
        encode(h, b.data());
        send_raw(to, b);
    }
    // Replies until `quiet_ms` pass without one.
    std::vector<std::vector<uint8_t>> replies(int quiet_ms = 300) {
        std::vector<std::vector<uint8_t>> out;
        std::vector<uint8_t> buf(70000);
        for (;;) {
            pollfd p{fd_.get(), POLLIN, 0};
            if (poll(&p, 1, quiet_ms) <= 0) break;
            ssize_t n = recv(fd_.get(), buf.data(), buf.size(), MSG_DONTWAIT);
            if (n >= 0) out.emplace_back(buf.begin(), buf.begin() + n);
        }
        return out;
    }

private:
    Fd fd_;
};

// A responder on an ephemeral loopback port with the given options.
struct Running {
    Responder responder;
    Endpoint v4, v6;
    explicit Running(ResponderOptions o = {}) {
        o.listen = {"127.0.0.1:0", "[::1]:0"};
        ResponderConfig c;
        std::string key, error;
        EXPECT_TRUE(to_responder_config(o, &c, &key, &error)) << key << ": " << error;
        EXPECT_TRUE(responder.open(std::move(c), &error)) << error;
        v4 = responder.bound().at(0);
        v6 = responder.bound().at(1);
        responder.start();
    }
};

}  // namespace

TEST(Responder, AnswersAllowedSourcesWithStampedRepliesOfTheSameSize) {
    Running r;
    Client c4, c6("[::1]:0");
    c4.send_request(r.v4, 1, 64);
    c4.send_request(r.v4, 2, 300, 0);  // no stamp requested
    c6.send_request(r.v6, 3, 100);
    auto got4 = c4.replies();
    auto got6 = c6.replies();
    ASSERT_EQ(got4.size(), 2u);
    ASSERT_EQ(got6.size(), 1u);
    Header h;
    ASSERT_EQ(decode(got4[0].data(), got4[0].size(), &h), DecodeError::kNone);
    EXPECT_EQ(got4[0].size(), 64u);
    EXPECT_EQ(h.seq, 1u);
    EXPECT_TRUE(h.flags & kFlagReply);
    EXPECT_TRUE(h.flags & kFlagStamped);
    EXPECT_GE(h.remote_tx_ns, h.remote_rx_ns);
    EXPECT_LT(h.remote_tx_ns - h.remote_rx_ns, 1000000000);
    ASSERT_EQ(decode(got4[1].data(), got4[1].size(), &h), DecodeError::kNone);
    EXPECT_EQ(got4[1].size(), 300u);
    EXPECT_FALSE(h.flags & kFlagStamped);
    EXPECT_EQ(got6[0].size(), 100u);
    ResponderCounters n = r.responder.counters();
    EXPECT_EQ(n.answered, 3u);
    EXPECT_EQ(n.stamped, 2u);
    EXPECT_EQ(n.refused(), 0u);
}

TEST(Responder, SourceOutsideTheAllowListGetsNothing) {
    ResponderOptions o;
    o.allow = {"127.0.0.2/32", "2001:db8::/32"};
    Running r(o);
    Client from_1("127.0.0.1:0"), from_2("127.0.0.2:0"), from_v6("[::1]:0");
    for (int i = 0; i < 5; ++i) from_1.send_request(r.v4, static_cast<uint64_t>(i));
    from_2.send_request(r.v4, 99);
    from_v6.send_request(r.v6, 100);
    EXPECT_TRUE(from_1.replies().empty());
    EXPECT_TRUE(from_v6.replies().empty());
    EXPECT_EQ(from_2.replies().size(), 1u);
    ResponderCounters n = r.responder.counters();
    EXPECT_EQ(n.refused_not_allowed, 6u);
    EXPECT_EQ(n.answered, 1u);
}

TEST(Responder, DefaultAllowListIsLoopbackOnly) {
    ResponderOptions o;
    ResponderConfig c;
    std::string key, error;
    ASSERT_TRUE(to_responder_config(o, &c, &key, &error));
    Endpoint e;
    ASSERT_TRUE(parse_endpoint("127.9.9.9:1", false, &e, &error));
    EXPECT_TRUE(c.allow.allows(reinterpret_cast<const sockaddr*>(&e.addr)));
    ASSERT_TRUE(parse_endpoint("[::1]:1", false, &e, &error));
    EXPECT_TRUE(c.allow.allows(reinterpret_cast<const sockaddr*>(&e.addr)));
    for (const char* outside : {"10.0.0.1:1", "192.168.1.1:1", "[2001:db8::1]:1", "[::2]:1"}) {
        ASSERT_TRUE(parse_endpoint(outside, false, &e, &error));
        EXPECT_FALSE(c.allow.allows(reinterpret_cast<const sockaddr*>(&e.addr))) << outside;
    }
}

TEST(Responder, OversizedRequestGetsNoLargerReply) {
    ResponderOptions o;
    o.max_request = 512;
    Running r(o);
    Client c;
    c.send_request(r.v4, 1, 2000);  // over max_request: refused outright
    c.send_request(r.v4, 2, 512);   // at the limit: answered, same size
    auto got = c.replies();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].size(), 512u);
    EXPECT_EQ(r.responder.counters().refused_oversized, 1u);
}

TEST(Responder, FloodFromOneSourceIsRateLimited) {
    ResponderOptions o;
    o.rate_per_source = 50;
    o.burst = 20;
    Running r(o);
    Client flood, other("127.0.0.3:0");
    for (int i = 0; i < 500; ++i) flood.send_request(r.v4, static_cast<uint64_t>(i));
    other.send_request(r.v4, 1);
    auto got = flood.replies();
    // The burst plus what refills while 500 datagrams arrive (well under a second here).
    EXPECT_GE(got.size(), 20u);
    EXPECT_LE(got.size(), 80u);
    EXPECT_EQ(other.replies().size(), 1u);  // another source is not starved by the flood
    ResponderCounters n = r.responder.counters();
    EXPECT_EQ(n.refused_rate_limited + n.answered, 501u);
    EXPECT_EQ(n.answered, got.size() + 1);
}

TEST(Responder, MalformedDatagramsAndRepliesAreCountedAndDropped) {
    Running r;
    Client c;
    c.send_raw(r.v4, {});                              // empty
    c.send_raw(r.v4, std::vector<uint8_t>(20, 'x'));   // short
    c.send_raw(r.v4, std::vector<uint8_t>(100, 'x'));  // no magic
    std::vector<uint8_t> bad_version(64);
    encode(Header{}, bad_version.data());
    bad_version[4] = 9;
    c.send_raw(r.v4, bad_version);
    c.send_request(r.v4, 1, 64, kFlagReply);  // a reply: answering it could loop two responders
    EXPECT_TRUE(c.replies().empty());
    ResponderCounters n = r.responder.counters();
    EXPECT_EQ(n.refused_malformed, 4u);
    EXPECT_EQ(n.refused_reply, 1u);
    EXPECT_EQ(n.received, 5u);
    EXPECT_EQ(n.answered, 0u);
}

TEST(Responder, HoldDelaysTheReplyAndStampsTheHeldTime) {
    ResponderOptions o;
    o.hold_ns = 30000000;  // 30 ms
    Running r(o);
    Client c;
    int64_t t0 = mono_ns();
    c.send_request(r.v4, 1);
    auto got = c.replies(500);
    int64_t elapsed = mono_ns() - t0;
    ASSERT_EQ(got.size(), 1u);
    Header h;
    ASSERT_EQ(decode(got[0].data(), got[0].size(), &h), DecodeError::kNone);
    EXPECT_GE(h.remote_tx_ns - h.remote_rx_ns, 29000000);
    EXPECT_LT(h.remote_tx_ns - h.remote_rx_ns, 200000000);
    EXPECT_GE(elapsed, 29000000);
}

TEST(ResponderOptions, BadValuesNameTheKey) {
    struct Case {
        void (*mutate)(ResponderOptions&);
        const char* key;
    } cases[] = {
        {[](ResponderOptions& o) { o.listen = {}; }, "listen"},
        {[](ResponderOptions& o) { o.listen = {"127.0.0.1"}; }, "listen[0]"},
        {[](ResponderOptions& o) {
             o.listen = {"127.0.0.1:1", "localhost:7"};
         },
         "listen[1]"},
        {[](ResponderOptions& o) {
             o.allow = {"::1/128", "10.0.0.0/40"};
         },
         "allow[1]"},
        {[](ResponderOptions& o) { o.rate_per_source = -1; }, "rate_per_source"},
        {[](ResponderOptions& o) { o.burst = 0; }, "burst"},
        {[](ResponderOptions& o) { o.max_request = 10; }, "max_request"},
        {[](ResponderOptions& o) { o.hold_ns = -5; }, "hold"},
    };
    for (const Case& c : cases) {
        ResponderOptions o;
        c.mutate(o);
        ResponderConfig out;
        std::string key, error;
        EXPECT_FALSE(to_responder_config(o, &out, &key, &error));
        EXPECT_EQ(key, c.key) << error;
        EXPECT_FALSE(error.empty());
    }
}

TEST(ResponderPlugin, AnswersAndReportsCountersThroughTheAbi) {
    test::Library lib;
    zzp::test::FakeHost host;
    test::Instance responder(lib, "udp-echo-responder", host);
    ASSERT_EQ(responder.configure(R"(listen = ["127.0.0.1:0"]
allow = ["127.0.0.0/8"]
rate_per_source = 1000.0
burst = 100
max_request = 9000
hold = "0s"
report_interval = "0s"
)"),
              ZZP_OK)
        << responder.error().message;
    ASSERT_EQ(responder.start(), ZZP_OK) << responder.error().message;
    std::string port;
    for (const std::string& line : host.logs()) {
        auto at = line.find("listening on 127.0.0.1:");
        if (at != std::string::npos) port = line.substr(at + 23);
    }
    ASSERT_FALSE(port.empty());
    Endpoint to;
    std::string error;
    ASSERT_TRUE(parse_endpoint("127.0.0.1:" + port, false, &to, &error));
    Client c;
    c.send_request(to, 5);
    c.send_raw(to, std::vector<uint8_t>(10, 0));
    EXPECT_EQ(c.replies().size(), 1u);
    auto counters = responder.counters();
    EXPECT_EQ(counters["answered"], 1u);
    EXPECT_EQ(counters["refused_malformed"], 1u);
    EXPECT_EQ(responder.stop(), ZZP_OK);
    EXPECT_EQ(responder.counters()["answered"], 1u);  // still readable after stop
}

TEST(ResponderPlugin, BadAllowEntryIsAConfigErrorWithTheKey) {
    test::Library lib;
    zzp::test::FakeHost host;
    test::Instance responder(lib, "udp-echo-responder", host);
    EXPECT_EQ(responder.configure("allow = [\"127.0.0.0/8\", \"not-a-network\"]\n"), ZZP_E_CONFIG);
    EXPECT_STREQ(responder.error().key, "allow[1]");
    EXPECT_NE(std::string(responder.error().message).find("not-a-network"), std::string::npos);
}

TEST(ResponderProgram, RunsFromTheCommandLineAndPrintsCountersOnExit) {
    test::Subprocess proc({ZZP_RESPONDER_EXE, "--listen", "127.0.0.1:0", "--allow", "127.0.0.1/32", "--rate", "0"});
    std::string port;
    ASSERT_TRUE(proc.wait_for_text("listening on 127.0.0.1:", &port)) << proc.log();
    Endpoint to;
    std::string error;
    ASSERT_TRUE(parse_endpoint("127.0.0.1:" + port, false, &to, &error));
    Client c;
    for (int i = 0; i < 3; ++i) c.send_request(to, static_cast<uint64_t>(i));
    EXPECT_EQ(c.replies().size(), 3u);
    int status = proc.stop(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << proc.log();
    EXPECT_NE(proc.log().find("answered 3"), std::string::npos) << proc.log();
}

TEST(ResponderProgram, BadOptionExitsWithStatus2AndSaysWhich) {
    test::Subprocess proc({ZZP_RESPONDER_EXE, "--allow", "300.1.1.1/8"});
    EXPECT_TRUE(proc.wait_for_text("option allow[0]: '300.1.1.1/8'")) << proc.log();
    int status = proc.stop(0);  // signal 0: just reap it
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 2);
}

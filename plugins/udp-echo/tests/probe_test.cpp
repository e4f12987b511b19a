// The udp-echo probe through the C ABI against FakeHost: loopback v4/v6 against the bundled
// responder and a real echo server (socat), ICMP port unreachable, stop semantics, the hot-swap
// state, and config errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "plugin_harness.hpp"
#include "responder.hpp"
#include "responder_options.hpp"
#include "sample_checks.hpp"
#include "subprocess.hpp"

using namespace zzp::udp_echo;
using namespace zzp::udp_echo::test;

namespace {

std::string probe_toml(const std::vector<std::string>& targets, const std::string& extra = "") {
    std::string t = "targets = [";
    for (size_t i = 0; i < targets.size(); ++i) t += (i ? ", \"" : "\"") + targets[i] + "\"";
    return t + "]\n" + extra;
}

// Runs the probe for `seconds`, then stops it; returns the samples.
std::vector<zzp_sample> run_probe(const std::string& toml, double seconds, std::map<std::string, uint64_t>* counters,
                                  zzp::test::FakeHost* host_out = nullptr) {
    Library lib;
    zzp::test::FakeHost local;
    zzp::test::FakeHost& host = host_out ? *host_out : local;
    Instance probe(lib, "udp-echo", host);
    EXPECT_EQ(probe.configure(toml), ZZP_OK) << probe.error().key << ": " << probe.error().message;
    EXPECT_EQ(probe.start(), ZZP_OK) << probe.error().message;
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    EXPECT_EQ(probe.stop(), ZZP_OK) << probe.error().message;
    if (counters) *counters = probe.counters();
    return host.samples();
}

struct LoopbackResponder {
    Responder responder;
    std::string v4, v6;
    LoopbackResponder() {
        ResponderOptions o;
        o.listen = {"127.0.0.1:0", "[::1]:0"};
        o.rate_per_source = 0;
        ResponderConfig c;
        std::string key, error;
        EXPECT_TRUE(to_responder_config(o, &c, &key, &error));
        EXPECT_TRUE(responder.open(std::move(c), &error)) << error;
        v4 = responder.bound()[0].to_string();
        v6 = responder.bound()[1].to_string();
        responder.start();
    }
};

size_t count(const std::vector<zzp_sample>& s, uint16_t status) {
    return static_cast<size_t>(
        std::count_if(s.begin(), s.end(), [&](const zzp_sample& x) { return x.status == status; }));
}

// A free UDP port on loopback (bound and released; fine for a test that starts a server on it).
int free_port(int family) {
    std::string error;
    Endpoint any;
    parse_endpoint(family == AF_INET6 ? "[::1]:1" : "127.0.0.1:1", false, &any, &error);
    reinterpret_cast<sockaddr_in*>(&any.addr)->sin_port = 0;
    if (family == AF_INET6) reinterpret_cast<sockaddr_in6*>(&any.addr)->sin6_port = 0;
    Fd fd = open_udp_socket(family, &any, SocketOptions{}, &error);
    return local_endpoint(fd.get()).port();
}

}  // namespace

TEST(Probe, LoopbackV4AndV6AgainstTheBundledResponder) {
    LoopbackResponder r;
    std::map<std::string, uint64_t> counters;
    zzp::test::FakeHost host;
    auto samples = run_probe(probe_toml({r.v4, r.v6}, "rate = 200.0\ntimeout = \"500ms\"\n"), 1.0, &counters, &host);
    Lives lives;
    ASSERT_EQ(check_sample_stream(samples, &lives), "");
    // 200/s for ~1 s per target, two targets: generous bounds for a loaded machine.
    size_t sent = count(samples, ZZP_SAMPLE_SENT);
    EXPECT_GE(sent, 2u * 150);
    EXPECT_LE(sent, 2u * 220);
    EXPECT_EQ(count(samples, ZZP_SAMPLE_REPLY), sent);
    EXPECT_EQ(counters["lost"], 0u);
    EXPECT_EQ(counters["foreign"], 0u);
    EXPECT_EQ(counters["replies"], sent);
    auto targets = host.targets();
    ASSERT_EQ(targets.size(), 2u);
    EXPECT_EQ(targets.begin()->second, r.v4 + "|" + r.v4);
    for (const auto& [key, a] : lives) {
        EXPECT_TRUE(a.flags & ZZP_SAMPLE_F_KERNEL_TS) << key.second;
        EXPECT_TRUE(a.flags & ZZP_SAMPLE_F_REMOTE_CORRECTED) << key.second;
        EXPECT_LT(a.rtt, 50000000) << "loopback RTT above 50 ms";
    }
    EXPECT_EQ(r.responder.counters().answered, sent);
}

TEST(Probe, LoopbackAgainstSocatEcho) {
    // A real RFC 862 echo from Debian: socat returns each datagram unchanged (no stamps).
    for (int family : {AF_INET, AF_INET6}) {
        int port = free_port(family);
        std::string listen = family == AF_INET ? "UDP4-LISTEN:" + std::to_string(port) + ",bind=127.0.0.1"
                                               : "UDP6-LISTEN:" + std::to_string(port) + ",bind=[::1]";
        Subprocess socat({"socat", listen, "PIPE"});
        // Wait until socat's socket exists (it locks onto the first peer, so no test datagram).
        std::string hex_port = [&] {
            char b[8];
            std::snprintf(b, sizeof b, ":%04X", port);
            return std::string(b);
        }();
        const char* table = family == AF_INET ? "/proc/net/udp" : "/proc/net/udp6";
        bool ready = false;
        for (int i = 0; i < 100 && !ready; ++i) {
            ready = run("grep -q '" + hex_port + " ' " + table) == 0;
            if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        ASSERT_TRUE(ready) << "socat did not bind: " << socat.log();
        std::string target = family == AF_INET ? "127.0.0.1:" + std::to_string(port) : "[::1]:" + std::to_string(port);
        std::map<std::string, uint64_t> counters;
        auto samples = run_probe(probe_toml({target}, "rate = 100.0\ntimeout = \"1s\"\n"), 1.0, &counters);
        Lives lives;
        ASSERT_EQ(check_sample_stream(samples, &lives), "");
        size_t sent = count(samples, ZZP_SAMPLE_SENT);
        EXPECT_GE(sent, 70u);
        // socat is a forking, unbuffered peer on a shared machine: allow a stray loss, no more.
        size_t replies = count(samples, ZZP_SAMPLE_REPLY);
        EXPECT_GE(replies, sent * 98 / 100) << socat.log() << " counters: lost " << counters["lost"];
        EXPECT_EQ(replies + count(samples, ZZP_SAMPLE_LOST), sent);
        EXPECT_EQ(counters["foreign"], 0u);
        for (const auto& [key, a] : lives) {
            if (a.settle_status != ZZP_SAMPLE_REPLY) continue;
            EXPECT_FALSE(a.flags & ZZP_SAMPLE_F_REMOTE_CORRECTED) << "socat does not stamp";
            EXPECT_GT(a.rtt, 0);
            EXPECT_LT(a.rtt, 100000000);
        }
    }
}

TEST(Probe, HighRateIsBatchedWithoutLossOrDrift) {
    // 5000/s takes the batched path (sendmmsg of what is due within 1 ms, coalesced reads).
    LoopbackResponder r;
    std::map<std::string, uint64_t> counters;
    auto samples = run_probe(probe_toml({r.v4}, "rate = 5000.0\ntimeout = \"1s\"\n"), 1.0, &counters);
    Lives lives;
    ASSERT_EQ(check_sample_stream(samples, &lives), "");
    size_t sent = count(samples, ZZP_SAMPLE_SENT);
    EXPECT_GE(sent + counters["skipped_slots"], 4500u);
    EXPECT_LE(sent, 5300u);
    EXPECT_GE(count(samples, ZZP_SAMPLE_REPLY), sent * 99 / 100);
    for (const auto& [key, a] : lives) {
        if (a.settle_status == ZZP_SAMPLE_REPLY) {
            EXPECT_LT(a.rtt, 100000000) << key.second;
        }
    }
}

TEST(Probe, ClosedPortIsNetErrorFromIcmpUnreachable) {
    int p4 = free_port(AF_INET), p6 = free_port(AF_INET6);
    std::map<std::string, uint64_t> counters;
    zzp::test::FakeHost host;
    auto samples = run_probe(probe_toml({"127.0.0.1:" + std::to_string(p4), "[::1]:" + std::to_string(p6)},
                                        "rate = 20.0\ntimeout = \"300ms\"\n"),
                             0.6, &counters, &host);
    ASSERT_EQ(check_sample_stream(samples), "");
    size_t sent = count(samples, ZZP_SAMPLE_SENT);
    ASSERT_GE(sent, 10u);
    // Every attempt settles as NET_ERROR (ICMP port unreachable) or, when the kernel reported
    // the pending ICMP error on a later send, as a SEND_ERROR with ECONNREFUSED — never LOST.
    EXPECT_EQ(count(samples, ZZP_SAMPLE_LOST), 0u);
    EXPECT_GE(count(samples, ZZP_SAMPLE_NET_ERROR), sent * 8 / 10);
    for (const zzp_sample& s : samples) {
        if (s.status != ZZP_SAMPLE_NET_ERROR) continue;
        bool v6 = host.targets()[s.target_id].find('[') != std::string::npos;
        EXPECT_EQ(s.detail, v6 ? (1u << 8 | 4u) : (3u << 8 | 3u)) << "ICMP type/code";
    }
}

TEST(Probe, StopSettlesEverythingInFlight) {
    // A socket that reads and never answers: every attempt must end LOST, none left pending.
    std::string error;
    Endpoint hole;
    ASSERT_TRUE(parse_endpoint("127.0.0.1:1", false, &hole, &error));
    reinterpret_cast<sockaddr_in*>(&hole.addr)->sin_port = 0;
    Fd sink = open_udp_socket(AF_INET, &hole, SocketOptions{}, &error);
    std::string target = local_endpoint(sink.get()).to_string();
    std::map<std::string, uint64_t> counters;
    Library lib;
    zzp::test::FakeHost host;
    Instance probe(lib, "udp-echo", host);
    ASSERT_EQ(probe.configure(probe_toml({target}, "rate = 100.0\ntimeout = \"10s\"\n")), ZZP_OK);
    ASSERT_EQ(probe.start(), ZZP_OK);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    int64_t t0 = mono_now();
    ASSERT_EQ(probe.stop(500000000), ZZP_OK);  // deadline far shorter than the timeout
    EXPECT_LT(mono_now() - t0, 1000000000) << "stop overran its deadline";
    auto samples = host.samples();
    ASSERT_EQ(check_sample_stream(samples), "");
    EXPECT_GE(count(samples, ZZP_SAMPLE_SENT), 30u);
    EXPECT_EQ(count(samples, ZZP_SAMPLE_LOST), count(samples, ZZP_SAMPLE_SENT));
    size_t after = host.samples().size();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(host.samples().size(), after) << "nothing may be emitted after stop returns";
}

TEST(Probe, StateCarriesSequencesAcrossAHotSwap) {
    LoopbackResponder r;
    Library lib;
    zzp::test::FakeHost host;
    std::string toml = probe_toml({r.v4}, "rate = 100.0\ntimeout = \"500ms\"\n");
    std::string state;
    uint64_t last_seq = 0;
    {
        Instance old_probe(lib, "udp-echo", host);
        ASSERT_EQ(old_probe.configure(toml), ZZP_OK);
        ASSERT_EQ(old_probe.start(), ZZP_OK);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        ASSERT_EQ(old_probe.stop(), ZZP_OK);
        for (const zzp_sample& s : host.samples()) last_seq = std::max(last_seq, s.seq);
        const zzp_state_ext* ext = old_probe.state();
        ASSERT_NE(ext, nullptr);
        zzp_ostream out{sizeof(zzp_ostream), 0, &state, [](const zzp_ostream* s, const void* d, uint64_t n) {
                            static_cast<std::string*>(s->host_data)->append(static_cast<const char*>(d), n);
                            return ZZP_OK;
                        }};
        zzp_error err{};
        err.struct_size = sizeof err;
        ASSERT_EQ(ext->save(old_probe.raw(), &out, &err), ZZP_OK) << err.message;
    }
    ASSERT_GT(last_seq, 10u);
    size_t before = host.samples().size();
    Instance new_probe(lib, "udp-echo", host);
    ASSERT_EQ(new_probe.configure(toml), ZZP_OK);
    const zzp_state_ext* ext = new_probe.state();
    ASSERT_TRUE(ext->accepts_format(new_probe.raw(), ext->format));
    EXPECT_FALSE(ext->accepts_format(new_probe.raw(), ext->format + 1));
    struct Reader {
        std::string bytes;
        size_t pos = 0;
    } reader{state};
    zzp_istream in{sizeof(zzp_istream), 0, &reader, [](const zzp_istream* s, void* buf, uint64_t n) -> int64_t {
                       auto* r = static_cast<Reader*>(s->host_data);
                       size_t k = std::min<size_t>(n, r->bytes.size() - r->pos);
                       std::memcpy(buf, r->bytes.data() + r->pos, k);
                       r->pos += k;
                       return static_cast<int64_t>(k);
                   }};
    zzp_error err{};
    err.struct_size = sizeof err;
    ASSERT_EQ(ext->load(new_probe.raw(), ext->format, &in, &err), ZZP_OK) << err.message;
    ASSERT_EQ(new_probe.start(), ZZP_OK);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ASSERT_EQ(new_probe.stop(), ZZP_OK);
    auto all = host.samples();
    std::vector<zzp_sample> successor(all.begin() + static_cast<long>(before), all.end());
    ASSERT_FALSE(successor.empty());
    EXPECT_EQ(successor.front().status, ZZP_SAMPLE_SENT);
    EXPECT_EQ(successor.front().seq, last_seq + 1) << "the successor continues the sequence";
    EXPECT_EQ(check_sample_stream(all), "") << "one stream across the swap: no gap, no repeat";

    // A truncated state blob is refused with a message, not a crash.
    Instance third(lib, "udp-echo", host);
    ASSERT_EQ(third.configure(toml), ZZP_OK);
    Reader short_reader{state.substr(0, 12)};
    zzp_istream short_in = in;
    short_in.host_data = &short_reader;
    EXPECT_NE(third.state()->load(third.raw(), ext->format, &short_in, &err), ZZP_OK);
    EXPECT_NE(std::string(err.message).find("truncated"), std::string::npos) << err.message;
}

TEST(ProbeConfig, ErrorsNameTheKey) {
    struct Case {
        const char* toml;
        const char* key;
    } cases[] = {
        {"rate = 10.0\n", "targets"},
        {"targets = []\n", "targets"},
        {"targets = [\"127.0.0.1:7\", \"127.0.0.1\"]\n", "targets[1]"},
        {"targets = [\"::1:7\"]\n", "targets[0]"},
        {"targets = [\"127.0.0.1:99999\"]\n", "targets[0]"},
        {"targets = [\"no-such-host.invalid:7\"]\n", "targets[0]"},
        {"targets = [\"127.0.0.1:7\", \"127.0.0.1:7\"]\n", "targets[1]"},
        {"targets = [\"127.0.0.1:7\"]\nrate = 0.0\n", "rate"},
        {"targets = [\"127.0.0.1:7\"]\nrate = 20000.0\n", "rate"},
        {"targets = [\"127.0.0.1:7\"]\nrate = \"fast\"\n", "rate"},
        {"targets = [\"127.0.0.1:7\"]\npayload_size = 10\n", "payload_size"},
        {"targets = [\"127.0.0.1:7\"]\npayload_size = 70000\n", "payload_size"},
        {"targets = [\"127.0.0.1:7\"]\ntimeout = \"100us\"\n", "timeout"},
        {"targets = [\"127.0.0.1:7\"]\ntimeout = \"soon\"\n", "timeout"},
        {"targets = [\"127.0.0.1:7\"]\nrate = 10000.0\ntimeout = \"60s\"\n", "timeout"},
        {"targets = [\"127.0.0.1:7\"]\ndscp = 64\n", "dscp"},
        {"targets = [\"127.0.0.1:7\"]\nstamp = 1\n", "stamp"},
    };
    Library lib;
    for (const Case& c : cases) {
        zzp::test::FakeHost host;
        Instance probe(lib, "udp-echo", host);
        EXPECT_EQ(probe.configure(c.toml), ZZP_E_CONFIG) << c.toml;
        EXPECT_STREQ(probe.error().key, c.key) << c.toml << " -> " << probe.error().message;
        EXPECT_GT(std::strlen(probe.error().message), 10u);
    }
}

TEST(ProbeConfig, DescriptorsAndSampleConfigAreComplete) {
    Library lib;
    const zzp_plugin_library* t = lib.table();
    ASSERT_EQ(t->plugin_count(), 2u);
    EXPECT_STREQ(t->get_descriptor(0)->id, "udp-echo");
    EXPECT_STREQ(t->get_descriptor(1)->id, "udp-echo-responder");
    for (uint32_t i = 0; i < 2; ++i) {
        const zzp_plugin_descriptor* d = t->get_descriptor(i);
        EXPECT_EQ(d->kind, static_cast<uint32_t>(ZZP_KIND_PROBE));
        ASSERT_NE(d->sample_config, nullptr);
        EXPECT_NE(std::string(d->sample_config).find("plugin = \"udp-echo\""), std::string::npos);
        for (uint32_t k = 0; k < d->config_key_count; ++k) {
            const zzp_config_key& key = d->config_keys[k];
            bool required = key.flags & ZZP_KEY_REQUIRED;
            // Every optional key has a default and appears (commented) in the sample.
            if (!required) {
                EXPECT_NE(key.default_value, nullptr) << key.key;
                EXPECT_NE(std::string(d->sample_config).find(std::string("# ") + key.key + " = "), std::string::npos)
                    << key.key;
            }
        }
    }
    EXPECT_EQ(t->get_descriptor(2), nullptr);
}

// The probe against loopback: IPv4/IPv6, raw and unprivileged sockets, a foreign pinger, hot
// swap of the sequence, and the refusal when neither socket kind is allowed.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "netns.hpp"
#include "probe_harness.hpp"

namespace zzp::icmp::test {
namespace {

std::string config(const std::string& targets, double rate, const std::string& extra = "") {
    return "targets = [" + targets + "]\nrate = " + std::to_string(rate) + "\n" + extra;
}

// Runs a probe for `seconds` and returns everything it emitted (stop settles what is in flight).
std::vector<zzp_sample> run_for(ProbeRun& run, double seconds) {
    EXPECT_EQ(run.configure(), ZZP_OK) << run.error().message;
    EXPECT_EQ(run.start(), ZZP_OK) << run.error().message;
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    EXPECT_EQ(run.stop(), ZZP_OK) << run.error().message;
    return run.host().samples();
}

// Every attempt announced is settled exactly once, as a reply with a plausible loopback RTT.
void expect_all_replied(const std::vector<zzp_sample>& samples, size_t expected_per_target, size_t targets) {
    Counts c = count(samples);
    size_t sent = c.of(ZZP_SAMPLE_SENT);
    EXPECT_GE(sent, targets * expected_per_target * 8 / 10);
    EXPECT_LE(sent, targets * (expected_per_target + 2));
    EXPECT_EQ(c.settled(), sent);
    EXPECT_EQ(c.of(ZZP_SAMPLE_REPLY), sent)
        << "lost " << c.of(ZZP_SAMPLE_LOST) << " errors " << c.of(ZZP_SAMPLE_SEND_ERROR) + c.of(ZZP_SAMPLE_NET_ERROR);
    EXPECT_EQ(c.of(ZZP_SAMPLE_DUPLICATE), 0u);
    EXPECT_EQ(c.of(ZZP_SAMPLE_LATE), 0u);
    EXPECT_GE(c.kernel_ts, c.of(ZZP_SAMPLE_REPLY) * 9 / 10) << "kernel receive timestamps used";
    std::map<uint32_t, uint64_t> next_seq;
    for (const zzp_sample& s : samples) {
        if (s.status == ZZP_SAMPLE_SENT) {
            EXPECT_EQ(s.seq, next_seq[s.target_id]++) << "per-target sequence increases by one";
        }
        if (s.status == ZZP_SAMPLE_REPLY) {
            EXPECT_GT(s.rtt_ns, 0);
            EXPECT_LT(s.rtt_ns, 50'000'000);
        }
    }
    EXPECT_EQ(next_seq.size(), targets);
}

TEST(IcmpLoopback, Ipv4Raw) {
    ProbeRun run(config("\"127.0.0.1\"", 50, "socket_mode = \"raw\""));
    expect_all_replied(run_for(run, 1.0), 50, 1);
}

TEST(IcmpLoopback, Ipv6Raw) {
    ProbeRun run(config("\"::1\"", 50, "socket_mode = \"raw\""));
    expect_all_replied(run_for(run, 1.0), 50, 1);
}

// How many replies took their RTT from a kernel transmit timestamp, and how many stamps were out
// of step, as the probe's stop message reports them.
std::pair<long, long> transmit_stamps(ProbeRun& run) {
    for (const auto& line : run.host().logs()) {
        auto at = line.find("kernel transmit timestamps used ");
        if (at == std::string::npos) continue;
        long used = -1, out_of_step = -1;
        std::sscanf(line.c_str() + at, "kernel transmit timestamps used %ld, out of step %ld", &used, &out_of_step);
        return {used, out_of_step};
    }
    return {-1, -1};
}

// While the sender reads the replies (a send every 20 ms or more often) each request asks for a
// kernel transmit timestamp, and the RTT starts where the packet left; at lower rates none is
// asked for (the receiver would wake for each) and the RTT starts at the clock read before it.
TEST(IcmpLoopback, TransmitTimestampsStartTheRttWhereThePacketLeft) {
    for (const char* target : {"\"127.0.0.1\"", "\"::1\""}) {
        ProbeRun fast(config(target, 200, "socket_mode = \"raw\""));
        auto samples = run_for(fast, 1.0);
        expect_all_replied(samples, 200, 1);
        auto [used, out_of_step] = transmit_stamps(fast);
        EXPECT_GE(used, long(count(samples).of(ZZP_SAMPLE_REPLY) * 9 / 10)) << target;
        EXPECT_EQ(out_of_step, 0) << target;
    }
    ProbeRun slow(config("\"127.0.0.1\"", 10, "socket_mode = \"raw\""));
    expect_all_replied(run_for(slow, 1.0), 10, 1);
    auto [slow_used, slow_out_of_step] = transmit_stamps(slow);
    EXPECT_LE(slow_used, 1) << "only the very first send, made before the receiver took over";
    EXPECT_EQ(slow_out_of_step, 0);
}

TEST(IcmpLoopback, TwoTargetsAndHostName) {
    ProbeRun run(config("\"127.0.0.2\", \"localhost\"", 40, "family = \"ipv4\""));
    auto samples = run_for(run, 1.0);
    expect_all_replied(samples, 40, 2);
    auto targets = run.host().targets();
    ASSERT_EQ(targets.size(), 2u);
    EXPECT_EQ(targets.begin()->second, "127.0.0.2|127.0.0.2");
    EXPECT_EQ(std::next(targets.begin())->second, "localhost|127.0.0.1");
}

TEST(IcmpLoopback, UnprivilegedDatagramSocketsInANamespace) {
    NetNs ns("dgram");
    ZZP_REQUIRE_NETNS(ns);
    // Allow ping sockets for every group only inside this test's namespace.
    ASSERT_TRUE(ns.sysctl("net.ipv4.ping_group_range=\"0 2147483647\""));
    EnterNetNs inside(ns);
    ProbeRun run(config("\"127.0.0.1\", \"::1\"", 50, "socket_mode = \"dgram\""));
    auto samples = run_for(run, 1.0);
    expect_all_replied(samples, 50, 2);
    bool logged_dgram = false;
    for (const auto& line : run.host().logs()) logged_dgram |= line.find("datagram ICMP socket") != std::string::npos;
    EXPECT_TRUE(logged_dgram);
}

TEST(IcmpLoopback, ForeignPingerDoesNotDisturbCounts) {
    ProbeRun run(config("\"127.0.0.1\"", 50, "socket_mode = \"raw\""));
    ASSERT_EQ(run.configure(), ZZP_OK);
    ASSERT_EQ(run.start(), ZZP_OK);
    // Another ICMP echo sender to the same target at a higher rate, raw and datagram.
    int a = std::system("ping -q -c 100 -i 0.01 127.0.0.1 >/dev/null 2>&1");
    int b = std::system("fping -q -c 50 -p 10 127.0.0.1 >/dev/null 2>&1");
    EXPECT_EQ(a, 0);
    EXPECT_EQ(b, 0);
    ASSERT_EQ(run.stop(), ZZP_OK);
    Counts c = count(run.host().samples());
    EXPECT_GT(c.of(ZZP_SAMPLE_SENT), 20u);
    EXPECT_EQ(c.of(ZZP_SAMPLE_REPLY), c.of(ZZP_SAMPLE_SENT));
    EXPECT_EQ(c.of(ZZP_SAMPLE_DUPLICATE) + c.of(ZZP_SAMPLE_LATE), 0u);
    bool counted = false;  // the foreign replies were seen and dropped as such
    for (const auto& line : run.host().logs())
        counted |= line.find("dropped datagrams:") != std::string::npos && line.find(" 0 foreign") == std::string::npos;
    EXPECT_TRUE(counted);
}

// A host name that does not resolve is reported and its attempts are SEND_ERROR; the other
// target carries on. Inside an empty namespace so the lookup cannot leave the machine.
TEST(IcmpLoopback, UnresolvableNameIsReportedNotFatal) {
    NetNs ns("resolve");
    ZZP_REQUIRE_NETNS(ns);
    EnterNetNs inside(ns);
    ProbeRun run(config("\"127.0.0.1\", \"no-such-host.invalid\"", 20, "socket_mode = \"raw\""));
    auto samples = run_for(run, 1.0);
    std::map<uint32_t, std::string> names = run.host().targets();
    size_t replies = 0, unresolved_errors = 0;
    for (const zzp_sample& s : samples) {
        if (s.status == ZZP_SAMPLE_REPLY && names[s.target_id] == "127.0.0.1|127.0.0.1") ++replies;
        if (s.status == ZZP_SAMPLE_SEND_ERROR && names[s.target_id] == "no-such-host.invalid|unresolved") {
            EXPECT_EQ(s.detail, uint32_t(EDESTADDRREQ));
            ++unresolved_errors;
        }
    }
    EXPECT_GT(replies, 12u);
    EXPECT_GT(unresolved_errors, 12u);
    bool reported = false;
    for (const auto& line : run.host().logs())
        reported |= line.find("\"no-such-host.invalid\" does not resolve") != std::string::npos;
    EXPECT_TRUE(reported);
}

// Hot swap: the successor continues the sequence, across the 16-bit ICMP wrap.
TEST(IcmpLoopback, StateCarriesSequenceAcrossSwapAndWrap) {
    std::string state;
    uint64_t last_seq = 0;
    {
        ProbeRun first(config("\"127.0.0.1\"", 100, "socket_mode = \"raw\""));
        ASSERT_EQ(first.configure(), ZZP_OK);
        auto* ext = static_cast<const zzp_state_ext*>(first.plugin()->get_extension(first.plugin(), ZZP_EXT_STATE));
        ASSERT_NE(ext, nullptr);
        ASSERT_EQ(first.start(), ZZP_OK);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        ASSERT_EQ(first.stop(), ZZP_OK);
        for (const auto& s : first.host().samples()) last_seq = std::max(last_seq, s.seq);
        zzp_ostream out{sizeof out, 0, &state, [](const zzp_ostream* s, const void* d, uint64_t n) {
                            static_cast<std::string*>(s->host_data)->append(static_cast<const char*>(d), n);
                            return ZZP_OK;
                        }};
        zzp_error err{};
        ASSERT_EQ(ext->save(first.plugin(), &out, &err), ZZP_OK);
    }
    // Pretend the predecessor was just below the 16-bit wrap.
    zzp::StateReader reader(state);
    ASSERT_EQ(reader.u64(), 1u);
    std::string name = reader.str();
    EXPECT_EQ(reader.u64(), last_seq + 1);
    zzp::StateWriter near_wrap;
    near_wrap.u64(1);
    near_wrap.str(name);
    near_wrap.u64(65530);

    ProbeRun second(config("\"127.0.0.1\"", 100, "socket_mode = \"raw\""));
    ASSERT_EQ(second.configure(), ZZP_OK);
    auto* ext = static_cast<const zzp_state_ext*>(second.plugin()->get_extension(second.plugin(), ZZP_EXT_STATE));
    ASSERT_TRUE(ext->accepts_format(second.plugin(), ext->format));
    struct Source {
        std::string bytes;
        size_t pos = 0;
    } source{near_wrap.bytes()};
    zzp_istream in{sizeof in, 0, &source, [](const zzp_istream* s, void* buf, uint64_t n) -> int64_t {
                       auto* src = static_cast<Source*>(s->host_data);
                       size_t k = std::min<size_t>(n, src->bytes.size() - src->pos);
                       std::memcpy(buf, src->bytes.data() + src->pos, k);
                       src->pos += k;
                       return static_cast<int64_t>(k);
                   }};
    zzp_error err{};
    ASSERT_EQ(ext->load(second.plugin(), ext->format, &in, &err), ZZP_OK) << err.message;
    ASSERT_EQ(second.start(), ZZP_OK);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_EQ(second.stop(), ZZP_OK);
    auto samples = second.host().samples();
    Counts c = count(samples);
    uint64_t min_seq = UINT64_MAX, max_seq = 0;
    for (const auto& s : samples) {
        min_seq = std::min(min_seq, s.seq);
        max_seq = std::max(max_seq, s.seq);
    }
    EXPECT_EQ(min_seq, 65530u);
    EXPECT_GT(max_seq, 65536u) << "the 64-bit sequence keeps increasing past the 16-bit wrap";
    EXPECT_EQ(c.of(ZZP_SAMPLE_REPLY), c.of(ZZP_SAMPLE_SENT));
}

// Neither ping_group_range nor CAP_NET_RAW: configure refuses with advice.
TEST(IcmpLoopback, RefusalNamesSysctlAndCapability) {
    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    icmp_library();  // load before forking
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // A fresh namespace has the kernel default ping_group_range "1 0": nobody may use ping sockets.
        if (unshare(CLONE_NEWNET) != 0) _exit(3);
        __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
        __user_cap_data_struct data[2]{};
        if (syscall(SYS_capget, &header, data) != 0) _exit(4);
        data[0].effective &= ~(1u << CAP_NET_RAW);
        data[0].permitted &= ~(1u << CAP_NET_RAW);
        if (syscall(SYS_capset, &header, data) != 0) _exit(5);
        ProbeRun run("targets = [\"127.0.0.1\"]");
        zzp_status s = run.configure();
        std::string text = std::string(run.error().key) + "|" + run.error().message;
        (void)!write(pipe_fds[1], text.data(), text.size());
        _exit(s == ZZP_E_IO ? 0 : 1);
    }
    close(pipe_fds[1]);
    std::string message;
    char buf[512];
    ssize_t n;
    while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0) message.append(buf, size_t(n));
    close(pipe_fds[0]);
    int status = 0;
    waitpid(child, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 3) GTEST_SKIP() << "unshare(CLONE_NEWNET) not permitted";
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << message;
    EXPECT_NE(message.find("net.ipv4.ping_group_range"), std::string::npos) << message;
    EXPECT_NE(message.find("setcap cap_net_raw+ep"), std::string::npos) << message;
    EXPECT_NE(message.find("AmbientCapabilities=CAP_NET_RAW"), std::string::npos) << message;
    EXPECT_EQ(message.rfind("socket_mode|", 0), 0u) << message;
}

}  // namespace
}  // namespace zzp::icmp::test

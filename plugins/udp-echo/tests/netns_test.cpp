// The probe across two network namespaces this test creates (prober in one, relay and
// responder in the other, joined by a veth pair), with our impairing relay in the path.
// Both ends live in test-made namespaces, so no packet can leave the machine.
#include <gtest/gtest.h>

#include <fstream>

#include "impair_checks.hpp"
#include "subprocess.hpp"

using namespace zzp::udp_echo::test;

namespace {

class Namespaces : public ::testing::Test {
protected:
    void SetUp() override {
        std::string id = std::to_string(getpid());
        prober_ = "zzpue-p-" + id;
        far_ = "zzpue-r-" + id;
        // veth names are limited to 15 characters.
        std::string veth_p = "zue" + id + "p", veth_r = "zue" + id + "r";
        if (run("ip netns add " + prober_ + " 2>/dev/null") != 0)
            GTEST_SKIP() << "network namespaces are not permitted here (needs root / CAP_SYS_ADMIN)";
        created_ = true;
        ASSERT_EQ(run("ip netns add " + far_), 0);
        ASSERT_EQ(
            run("ip link add " + veth_p + " netns " + prober_ + " type veth peer name " + veth_r + " netns " + far_),
            0);
        ASSERT_EQ(run("ip -n " + prober_ + " addr add 10.77.0.1/24 dev " + veth_p), 0);
        ASSERT_EQ(run("ip -n " + far_ + " addr add 10.77.0.2/24 dev " + veth_r), 0);
        ASSERT_EQ(run("ip -n " + prober_ + " link set " + veth_p + " up && ip -n " + prober_ + " link set lo up"), 0);
        ASSERT_EQ(run("ip -n " + far_ + " link set " + veth_r + " up && ip -n " + far_ + " link set lo up"), 0);
    }
    void TearDown() override {
        if (!created_) return;
        run("ip netns del " + prober_ + " 2>/dev/null");  // deleting a namespace removes its veth end
        run("ip netns del " + far_ + " 2>/dev/null");
    }
    std::string prober_, far_;
    bool created_ = false;
};

}  // namespace

TEST_F(Namespaces, ImpairedPathCountsAndRttsMatchTheRelayLog) {
    std::string id = std::to_string(getpid());
    std::string relay_log = "/tmp/zzpue-relay-" + id + ".log";
    std::string config = "/tmp/zzpue-probe-" + id + ".toml";
    std::string out = "/tmp/zzpue-samples-" + id + ".txt";
    Subprocess responder({"ip", "netns", "exec", far_, ZZP_RESPONDER_EXE, "--listen", "127.0.0.1:7790", "--rate", "0"});
    ASSERT_TRUE(responder.wait_for_text("listening on")) << responder.log();
    Subprocess relay({"ip",
                      "netns",
                      "exec",
                      far_,
                      ZZP_RELAY_EXE,
                      "--listen",
                      "10.77.0.2:9000",
                      "--forward",
                      "127.0.0.1:7790",
                      "--log",
                      relay_log,
                      "--drop",
                      "0.05",
                      "--dup",
                      "0.05",
                      "--delay-ms",
                      "3",
                      "--jitter-ms",
                      "4",
                      "--extra",
                      "0.05",
                      "--extra-ms",
                      "40",
                      "--late",
                      "0.04",
                      "--late-ms",
                      "400",
                      "--seed",
                      "11"});
    ASSERT_TRUE(relay.wait_for_text("listening on")) << relay.log();
    {
        std::ofstream f(config);
        f << "targets = [\"10.77.0.2:9000\"]\nrate = 100.0\ntimeout = \"250ms\"\n";
    }
    int rc = run("ip netns exec " + prober_ + " " + ZZP_PROBE_RUNNER_EXE + " " + config + " 3 " + out);
    ASSERT_EQ(rc, 0);
    relay.stop();
    responder.stop();

    std::vector<zzp_sample> samples;
    std::ifstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("counters", 0) == 0) continue;
        std::istringstream ls(line);
        zzp_sample s{};
        unsigned long long seq;
        unsigned status, flags, detail;
        long long rtt, sent_wall;
        ls >> seq >> status >> flags >> rtt >> detail >> sent_wall;
        s.sent_wall_ns = sent_wall;
        s.seq = seq;
        s.status = static_cast<uint16_t>(status);
        s.flags = static_cast<uint16_t>(flags);
        s.rtt_ns = rtt;
        s.detail = detail;
        s.target_id = 1;
        samples.push_back(s);
    }
    auto actions = read_relay_log(relay_log);
    std::remove(relay_log.c_str());
    std::remove(config.c_str());
    std::remove(out.c_str());
    ASSERT_GT(actions.size(), 200u);
    ImpairReport report = compare_with_relay(samples, actions, 250000000, 40000000, 20000000);
    EXPECT_TRUE(report.problems.empty()) << summary(report);
    EXPECT_GT(report.dropped, 3u) << summary(report);
    EXPECT_GT(report.duplicated, 3u) << summary(report);
    EXPECT_GT(report.late, 2u) << summary(report);
    EXPECT_GT(report.reordered_expected, 3u) << summary(report);
    EXPECT_LT(median(report.rtt_excess), 3000000) << summary(report);
    EXPECT_LE(report.rtt_outliers, report.checked / 50) << summary(report);
    EXPECT_LE(report.reorder_mismatches, 2u) << summary(report);
    std::printf("%s\n", summary(report).c_str());
}

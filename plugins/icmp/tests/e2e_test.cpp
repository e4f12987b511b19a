// End to end through the real host binary: `zzprobe run` with the shipped sample, and a config
// error reported with file:line. Skips when the host has not been built in this tree.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace {

struct Outcome {
    int exit_code = -1;
    std::string output;
};

Outcome run_host(const std::string& args) {
    std::string cmd = std::string(ZZP_HOST_EXE) + " " + args + " --plugin-dir " + ZZP_PLUGIN_OUTPUT_DIR + " 2>&1";
    Outcome o;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return o;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) o.output.append(buf, n);
    int status = pclose(p);
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return o;
}

bool host_built() {
    return access(ZZP_HOST_EXE, X_OK) == 0;
}

std::string write_config(const std::string& name, const std::string& text) {
    std::string path = "/tmp/zzp-icmp-e2e-" + std::to_string(getpid()) + "-" + name + ".toml";
    std::ofstream(path) << text;
    return path;
}

TEST(IcmpEndToEnd, HostRunsTheSampleConfig) {
    if (!host_built()) GTEST_SKIP() << "the host binary is not built in this tree: " << ZZP_HOST_EXE;
    std::string sample = std::string(ZZP_SOURCE_DIR) + "/plugins/icmp/sample.toml";
    Outcome o = run_host("run -c " + sample + " --duration 2s");
    EXPECT_EQ(o.exit_code, 0) << o.output;
    // The probe's stop summary: it ran and no send failed. (Foreign datagrams may be counted:
    // other pingers on this machine's loopback are seen by a raw socket and dropped.)
    EXPECT_NE(o.output.find("icmp/ping-loopback"), std::string::npos) << o.output;
    EXPECT_NE(o.output.find("stopped; dropped datagrams:"), std::string::npos) << o.output;
    EXPECT_NE(o.output.find("0 send errors"), std::string::npos) << o.output;
}

TEST(IcmpEndToEnd, OutOfRangeRateIsAConfigErrorWithItsLine) {
    if (!host_built()) GTEST_SKIP() << "the host binary is not built in this tree: " << ZZP_HOST_EXE;
    std::string path = write_config("bad-rate",
                                    "[[probe]]\nid = \"ping\"\nplugin = \"icmp\"\n"
                                    "targets = [\"127.0.0.1\"]\nrate = 5000\n");
    Outcome o = run_host("run -c " + path + " --duration 1s");
    std::remove(path.c_str());
    EXPECT_EQ(o.exit_code, 2) << o.output;
    EXPECT_NE(o.output.find(":5:"), std::string::npos) << "points at the line of 'rate': " << o.output;
    EXPECT_NE(o.output.find("'rate' = 5000 is out of range"), std::string::npos) << o.output;
}

}  // namespace

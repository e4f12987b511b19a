// End to end through the real host binary: `zzprobe run` with the synthetic probe feeding the
// console sink for ~2 s, checking what the console prints on stdout.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

namespace {

struct RunResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

RunResult run_host(const std::string& config_text, const std::string& duration) {
    char dir[] = "/tmp/zzp-console-e2e-XXXXXX";
    EXPECT_NE(mkdtemp(dir), nullptr);
    const std::string config = std::string(dir) + "/pipeline.toml", err = std::string(dir) + "/stderr.txt";
    std::ofstream(config) << config_text;
    const std::string command =
        std::string(ZZP_HOST_EXE) + " run -c " + config + " --duration " + duration + " 2>" + err;
    RunResult result;
    if (FILE* pipe = popen(command.c_str(), "r")) {
        char buffer[4096];
        size_t n;
        while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
        int status = pclose(pipe);
        result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    result.err = read_file(err);
    std::remove(config.c_str());
    std::remove(err.c_str());
    rmdir(dir);
    return result;
}

TEST(ConsoleEndToEnd, SyntheticProbeThroughTheRealHostPrintsTheSummary) {
    RunResult r = run_host(
        "[[probe]]\n"
        "id = \"synthetic\"\n"
        "plugin = \"synthetic\"\n"
        "targets = [\"router\", \"isp\"]\n"
        "rate = 100\n"
        "rtt = \"5ms\"\n"
        "rtt_spread = 0.0\n"
        "timeout = \"200ms\"\n"
        "seed = 11\n"
        "\n"
        "[[sink]]\n"
        "id = \"console\"\n"
        "plugin = \"console\"\n"
        "refresh = \"500ms\"\n"
        "format = \"lines\"\n",
        "2s");
    ASSERT_EQ(r.exit_code, 0) << "stdout:\n" << r.out << "\nstderr:\n" << r.err;
    // Not a terminal: plain lines, no ANSI codes.
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos);

    const std::regex line(
        R"((\S+) router \(synthetic:router\) sent ([0-9.]+)/s recv ([0-9.]+)/s p50 ([0-9.]+)ms p99~ \S+ )"
        R"(mean \S+ loss ([0-9.]+)% last \S+ inflight \d+)");
    int router_lines = 0;
    double last_sent = 0, last_recv = 0, last_p50 = 0, last_loss = -1;
    std::istringstream lines(r.out);
    for (std::string text; std::getline(lines, text);) {
        std::smatch m;
        if (!std::regex_match(text, m, line)) continue;
        ++router_lines;
        last_sent = std::stod(m[2]);
        last_recv = std::stod(m[3]);
        last_p50 = std::stod(m[4]);
        last_loss = std::stod(m[5]);
    }
    // Every 500 ms for 2 s plus the summary at stop; generous on a busy machine.
    EXPECT_GE(router_lines, 2) << r.out;
    EXPECT_NE(r.out.find(" isp (synthetic:isp) sent "), std::string::npos) << r.out;
    // 100/s asked; partial first and last intervals read a little low.
    EXPECT_GT(last_sent, 80.0) << r.out;
    EXPECT_LE(last_sent, 101.0) << r.out;
    EXPECT_DOUBLE_EQ(last_recv, last_sent) << "no loss configured";
    EXPECT_NEAR(last_p50, 5.0, 0.05) << "constant 5 ms RTT";
    EXPECT_EQ(last_loss, 0.0);
}

}  // namespace

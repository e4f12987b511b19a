// End to end with a real Prometheus server (Debian's `prometheus` package) on loopback: the real
// host runs a udp-echo probe against its bundled responder (one target answered, one silently
// dropped by a responder's allow-list, one closed port), the prometheus sink exports it, and
// Prometheus scrapes it every second. The values read back through /api/v1/query must be what
// the probe produced. Label: prometheus. Skips when /usr/bin/prometheus is missing.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "loopback_port.hpp"
#include "sink_harness.hpp"

namespace zzp::prom {
namespace {

using namespace zzp::prom::test;
namespace fs = std::filesystem;

constexpr const char* kPrometheus = "/usr/bin/prometheus";

// A child process, killed (by its pid) and reaped when the object goes away.
class Child {
public:
    Child(std::vector<std::string> argv, const std::string& log_path) {
        pid_ = fork();
        if (pid_ == 0) {
            int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            dup2(fd, 1);
            dup2(fd, 2);
            std::vector<char*> args;
            for (auto& a : argv) args.push_back(a.data());
            args.push_back(nullptr);
            execv(args[0], args.data());
            _exit(127);
        }
    }
    ~Child() {
        if (pid_ <= 0 || exited_) return;
        kill(pid_, SIGTERM);
        for (int i = 0; i < 50 && !exited_; ++i) {
            if (waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
            else std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        if (!exited_) {
            kill(pid_, SIGKILL);
            waitpid(pid_, &status_, 0);
        }
    }
    // Waits up to timeout_ms for exit; returns the exit status or -1.
    int wait(int timeout_ms) {
        for (int waited = 0; !exited_ && waited < timeout_ms; waited += 50) {
            if (waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
            else std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return exited_ && WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
    }
    bool running() {
        if (!exited_ && waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
        return !exited_;
    }

private:
    pid_t pid_ = -1;
    int status_ = 0;
    bool exited_ = false;
};

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string url_encode(const std::string& s) {
    std::string out;
    char buf[4];
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        }
    }
    return out;
}

class PrometheusE2E : public ::testing::Test {
protected:
    void SetUp() override {
        if (access(kPrometheus, X_OK) != 0)
            GTEST_SKIP() << kPrometheus << " is not installed (apt-get install prometheus); this test needs a real server";
        char tmpl[] = "/tmp/zzp-prom-e2e-XXXXXX";
        dir_ = mkdtemp(tmpl);
    }
    void TearDown() override {
        if (!dir_.empty() && !HasFailure()) fs::remove_all(dir_);
        else if (!dir_.empty()) std::printf("kept %s for inspection\n", dir_.c_str());
    }

    // One number from an instant query that returns exactly one series; NaN otherwise.
    double query(const std::string& promql, double at_unix_s) {
        char t[64];
        std::snprintf(t, sizeof t, "%.3f", at_unix_s);
        Response r = get(prom_port_, "/api/v1/query?query=" + url_encode(promql) + "&time=" + t);
        last_answer_ = r.body;
        if (r.status != 200 || r.body.find("\"status\":\"success\"") == std::string::npos) return std::nan("");
        // {"status":"success","data":{...,"result":[{"metric":{...},"value":[1700000000.123,"42"]}]}}
        const std::string key = "\"value\":[";
        size_t at = r.body.find(key);
        if (at == std::string::npos || r.body.find(key, at + 1) != std::string::npos) return std::nan("");
        size_t open = r.body.find(",\"", at);
        size_t close = open == std::string::npos ? open : r.body.find('"', open + 2);
        if (close == std::string::npos) return std::nan("");
        return std::stod(r.body.substr(open + 2, close - open - 2));
    }

    std::string dir_;
    uint16_t prom_port_ = 0;
    std::string last_answer_;
};

TEST_F(PrometheusE2E, RealPrometheusScrapesTheUdpEchoPipeline) {
    const uint16_t metrics_port = zzp::test::free_loopback_port(SOCK_STREAM);
    prom_port_ = zzp::test::free_loopback_port(SOCK_STREAM);
    const uint16_t answered = zzp::test::free_loopback_port(SOCK_DGRAM);
    const uint16_t dropped = zzp::test::free_loopback_port(SOCK_DGRAM);
    const uint16_t closed = zzp::test::free_loopback_port(SOCK_DGRAM);
    const std::string ok_target = "127.0.0.1:" + std::to_string(answered);
    const std::string lost_target = "127.0.0.1:" + std::to_string(dropped);
    const std::string closed_target = "127.0.0.1:" + std::to_string(closed);
    constexpr double kRate = 20;

    std::ofstream(dir_ + "/pipeline.toml") << "[[probe]]\nid = \"responder\"\nplugin = \"udp-echo-responder\"\n"
                                              "listen = [\"" << ok_target << "\"]\n\n"
                                              "[[probe]]\nid = \"blackhole\"\nplugin = \"udp-echo-responder\"\n"
                                              "listen = [\"" << lost_target << "\"]\n"
                                              "allow = [\"192.0.2.1/32\"]   # never loopback: every request dropped\n\n"
                                              "[[probe]]\nid = \"echo\"\nplugin = \"udp-echo\"\n"
                                              "targets = [\"" << ok_target << "\", \"" << lost_target << "\", \""
                                           << closed_target << "\"]\nrate = " << kRate << "\ntimeout = \"200ms\"\n\n"
                                              "[[sink]]\nid = \"prom\"\nplugin = \"prometheus\"\ninputs = [\"echo\"]\n"
                                              "listen = \"127.0.0.1:" << metrics_port << "\"\nlabels = [\"site=e2e\"]\n";
    std::ofstream(dir_ + "/prometheus.yml") << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                                               "  evaluation_interval: 1s\nscrape_configs:\n  - job_name: zzprobe\n"
                                               "    static_configs:\n      - targets: ['127.0.0.1:" << metrics_port
                                            << "']\n";

    Child prometheus({kPrometheus, "--config.file=" + dir_ + "/prometheus.yml", "--storage.tsdb.path=" + dir_ + "/data",
                      "--web.listen-address=127.0.0.1:" + std::to_string(prom_port_), "--log.level=warn"},
                     dir_ + "/prometheus.log");
    bool ready = false;
    for (int i = 0; i < 200 && !ready; ++i) {
        ready = get(prom_port_, "/-/ready").status == 200;
        if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(ready) << "prometheus did not become ready:\n" << read_file(dir_ + "/prometheus.log");

    const auto run_start = std::chrono::system_clock::now();
    Child zzprobe({ZZP_HOST_EXE, "run", "-c", dir_ + "/pipeline.toml", "--duration", "10s"}, dir_ + "/zzprobe.log");
    // Mid-run: Prometheus has scraped for a few seconds.
    std::this_thread::sleep_for(std::chrono::seconds(7));
    const double mid = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() - 0.5;
    ASSERT_EQ(zzprobe.wait(30'000), 0) << read_file(dir_ + "/zzprobe.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // let the last scrape land
    const double end = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    const double run_s = std::chrono::duration<double>(std::chrono::system_clock::now() - run_start).count();
    const std::string log = read_file(dir_ + "/zzprobe.log");

    // What the probe says it did, over all three targets (logged at stop).
    double sent = 0, replies = 0, lost = 0, send_errors = 0, net_errors = 0;
    size_t at = log.find("udp-echo stopped: ");
    ASSERT_NE(at, std::string::npos) << log;
    ASSERT_EQ(std::sscanf(log.c_str() + at, "udp-echo stopped: sent %lf, replies %lf, lost %lf, send errors %lf, network errors %lf",
                          &sent, &replies, &lost, &send_errors, &net_errors),
              5)
        << log;
    const double errors = send_errors + net_errors;
    std::printf("probe: sent %.0f replies %.0f lost %.0f errors %.0f in %.1f s\n", sent, replies, lost, errors, run_s);

    // Prometheus really scraped us (OpenMetrics negotiated by Prometheus, parsed without error).
    EXPECT_EQ(query("up{job=\"zzprobe\"}", mid), 1) << last_answer_ << "\n" << read_file(dir_ + "/prometheus.log");

    auto last = [&](const std::string& metric, const std::string& target) {
        return query("max_over_time(" + metric + "{job=\"zzprobe\",site=\"e2e\",probe=\"echo\",method=\"udp-echo\",target=\"" +
                         target + "\"}[2m])",
                     end);
    };
    auto total = [&](const std::string& metric) {
        return query("sum(max_over_time(" + metric + "{job=\"zzprobe\"}[2m]))", end);
    };
    // Sent / lost / errors as the probe counted them. The last scrape precedes the probe's stop
    // by at most one scrape interval (1 s) plus the settle time, so a few attempts of the last
    // second may be missing, never extra.
    const double slack = 3 * kRate * 2.5;
    const double p_sent = total("zzprobe_echo_requests_total");
    const double p_replies = total("zzprobe_echo_replies_total");
    const double p_lost = total("zzprobe_echo_lost_total");
    const double p_errors = total("zzprobe_echo_errors_total");
    std::printf("prometheus: sent %.0f replies %.0f lost %.0f errors %.0f\n", p_sent, p_replies, p_lost, p_errors);
    EXPECT_LE(p_sent, sent);
    EXPECT_GE(p_sent, sent - slack) << last_answer_;
    EXPECT_LE(p_replies, replies);
    EXPECT_GE(p_replies, replies - slack / 3);
    EXPECT_LE(p_lost, lost);
    EXPECT_GE(p_lost, lost - slack / 3);
    EXPECT_LE(p_errors, errors);
    EXPECT_GE(p_errors, errors - slack / 3);
    EXPECT_GT(sent, kRate * 3 * 7);

    // Per target: the answered one has replies only, the dropped one losses only, the closed
    // port network errors (ICMP port unreachable) only. Every request is exactly one of them.
    EXPECT_GT(last("zzprobe_echo_replies_total", ok_target), kRate * 5);
    EXPECT_EQ(last("zzprobe_echo_lost_total", ok_target), 0);
    EXPECT_GT(last("zzprobe_echo_lost_total", lost_target), kRate * 5);
    EXPECT_EQ(last("zzprobe_echo_replies_total", lost_target), 0);
    EXPECT_GT(last("zzprobe_echo_errors_total", closed_target), kRate * 5);
    EXPECT_EQ(query("sum(zzprobe_echo_requests_total - zzprobe_echo_replies_total - zzprobe_echo_lost_total - "
                    "zzprobe_echo_errors_total)",
                    mid),
              0)
        << last_answer_;
    // Loss % over the whole run, from the counters themselves (rate windows need two scrapes in
    // the window, which a loaded CI machine does not always give): 100 for the dropped target.
    EXPECT_NEAR(query("100 * zzprobe_echo_lost_total{target=\"" + lost_target +
                          "\"} / zzprobe_echo_requests_total{target=\"" + lost_target + "\"}",
                      mid),
                100, 1e-9)
        << last_answer_;

    // RTT: the histogram holds every reply; loopback RTTs are well under 10 ms.
    EXPECT_EQ(query("sum(zzprobe_echo_rtt_seconds_count - zzprobe_echo_replies_total)", mid), 0) << last_answer_;
    // Over the whole run (cumulative buckets), for the same reason as above.
    const double p99_hist = query("histogram_quantile(0.99, sum by (le) (zzprobe_echo_rtt_seconds_bucket{target=\"" +
                                      ok_target + "\"}))",
                                  mid);
    const double p50_summary = query("zzprobe_echo_rtt_window_seconds{quantile=\"0.5\",target=\"" + ok_target + "\"}", mid);
    const double p99_summary = query("zzprobe_echo_rtt_window_seconds{quantile=\"0.99\",target=\"" + ok_target + "\"}", mid);
    const double last_rtt = query("zzprobe_echo_last_rtt_seconds{target=\"" + ok_target + "\"}", mid);
    std::printf("RTT: histogram p99 %.6f s, summary p50 %.6f s p99 %.6f s, last %.6f s\n", p99_hist, p50_summary,
                p99_summary, last_rtt);
    EXPECT_GT(p50_summary, 0);
    EXPECT_LE(p50_summary, p99_summary);
    EXPECT_LT(p99_summary, 0.010);
    EXPECT_GT(p99_hist, 0);
    EXPECT_LE(p99_hist, 0.010);
    EXPECT_GT(last_rtt, 0);
    EXPECT_LT(last_rtt, 0.010);
    // Up: answered 1, dropped and closed 0. Build info with the ABI version.
    EXPECT_EQ(query("zzprobe_target_up{target=\"" + ok_target + "\"}", mid), 1);
    EXPECT_EQ(query("zzprobe_target_up{target=\"" + lost_target + "\"}", mid), 0);
    EXPECT_EQ(query("zzprobe_target_up{target=\"" + closed_target + "\"}", mid), 0);
    EXPECT_EQ(query("zzprobe_build_info{abi_version=\"1.0\",plugin=\"prometheus\",site=\"e2e\"}", mid), 1) << last_answer_;
}

}  // namespace
}  // namespace zzp::prom

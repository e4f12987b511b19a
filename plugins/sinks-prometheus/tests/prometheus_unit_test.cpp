// The prometheus sink without the network: config validation, Accept negotiation, quantiles,
// exact counters, the exposition checked by a strict parser (and `promtool check metrics` when
// installed), and the state handed over in a hot swap.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>

#include "exposition_parser.hpp"
#include "sink_harness.hpp"

namespace zzp::prom {
namespace {

using namespace zzp::prom::test;

std::string temp_file(const std::string& content, mode_t mode = 0600) {
    char path[] = "/tmp/zzp-prom-test-XXXXXX";
    int fd = mkstemp(path);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    fchmod(fd, mode);
    close(fd);
    return path;
}

// Rejected with ZZP_E_CONFIG at `key`, with a message containing `text`.
void expect_config_error(const std::string& toml, const std::string& key, const std::string& text) {
    Harness h;
    EXPECT_EQ(h.configure(toml), ZZP_E_CONFIG) << toml;
    EXPECT_EQ(std::string(h.error.key), key) << toml << "\n" << h.error.message;
    EXPECT_NE(std::string(h.error.message).find(text), std::string::npos) << h.error.message;
}

TEST(PrometheusConfig, DefaultsApplyWithNoKeys) {
    Harness h;
    ASSERT_EQ(h.configure(""), ZZP_OK) << h.error.message;
    const Settings& s = h.sink().settings();
    EXPECT_EQ(s.listen_text, "127.0.0.1:9791");
    EXPECT_EQ(s.path, "/metrics");
    EXPECT_EQ(s.buckets, kDefaultBuckets);
    EXPECT_EQ(s.summary_window_ns, 60 * kSecondNs);
    ASSERT_EQ(s.allow.size(), 2u);
    EXPECT_FALSE(s.auth_required());
}

TEST(PrometheusConfig, SchemaDefaultsMatchSettingsAndSample) {
    // Every key in the schema appears (commented) in sample.toml with the schema's default.
    std::ifstream in(std::string(ZZP_SOURCE_DIR) + "/plugins/sinks-prometheus/sample.toml");
    std::string sample((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (uint32_t i = 0; i < kPrometheusDescriptor.config_key_count; ++i) {
        const zzp_config_key& k = kPrometheusDescriptor.config_keys[i];
        std::string line = "# " + std::string(k.key) + " = ";
        size_t at = sample.find(line);
        ASSERT_NE(at, std::string::npos) << k.key << " is missing from sample.toml";
        if (k.default_value) {
            EXPECT_EQ(sample.compare(at + line.size(), std::strlen(k.default_value), k.default_value), 0)
                << k.key << " default differs: schema " << k.default_value;
        }
    }
    // The schema's defaults, parsed as the host would hand them over, equal the built-in ones.
    std::string toml;
    for (uint32_t i = 0; i < kPrometheusDescriptor.config_key_count; ++i)
        if (kPrometheusDescriptor.config_keys[i].default_value)
            toml += std::string(kPrometheusDescriptor.config_keys[i].key) + " = " + kPrometheusDescriptor.config_keys[i].default_value + "\n";
    Harness a, b;
    ASSERT_EQ(a.configure(toml), ZZP_OK) << a.error.message;
    ASSERT_EQ(b.configure(""), ZZP_OK);
    EXPECT_EQ(a.sink().settings().buckets, b.sink().settings().buckets);
    EXPECT_EQ(a.sink().settings().summary_max_samples, b.sink().settings().summary_max_samples);
    EXPECT_EQ(a.sink().settings().up_window_ns, b.sink().settings().up_window_ns);
    EXPECT_EQ(a.sink().settings().max_connections, b.sink().settings().max_connections);
    EXPECT_EQ(a.sink().settings().request_timeout_ns, b.sink().settings().request_timeout_ns);
}

TEST(PrometheusConfig, BadValuesAreClearErrors) {
    expect_config_error("listen = \"localhost:9791\"", "listen", "not a numeric IP address");
    expect_config_error("listen = \"127.0.0.1\"", "listen", "no port");
    expect_config_error("listen = \"127.0.0.1:99999\"", "listen", "0 to 65535");
    expect_config_error("listen = \"::1:9791\"", "listen", "brackets");
    expect_config_error("listen = \"0.0.0.0:9791\"", "listen", "without authentication");
    expect_config_error("path = \"metrics\"", "path", "must start with '/'");
    expect_config_error("labels = [\"site\"]", "labels[0]", "NAME=VALUE");
    expect_config_error("labels = [\"site=a\", \"2x=b\"]", "labels[1]", "not a valid Prometheus label name");
    expect_config_error("labels = [\"target=x\"]", "labels[0]", "reserved");
    expect_config_error("labels = [\"__name__=x\"]", "labels[0]", "reserved for Prometheus");
    expect_config_error("labels = [\"site=a\", \"site=b\"]", "labels[1]", "twice");
    expect_config_error("labels = [\"site=\"]", "labels[0]", "empty value");
    expect_config_error("buckets = [0.1, 0.05]", "buckets[1]", "increase strictly");
    expect_config_error("buckets = [-1.0]", "buckets[0]", "above 0");
    expect_config_error("buckets = []", "buckets", "1 to 64");
    expect_config_error("summary_window = \"100ms\"", "summary_window", "between");
    expect_config_error("summary_max_samples = 5", "summary_max_samples", "between");
    expect_config_error("allow = [\"10.0.0.0/33\"]", "allow[0]", "at most 32");
    expect_config_error("allow = [\"lan\"]", "allow[0]", "not a network");
    expect_config_error("allow = []", "allow", "nobody could scrape");
    expect_config_error("basic_auth_user = \"p\"", "basic_auth_user", "needs both");
    expect_config_error("basic_auth_user = \"a:b\"\nbasic_auth_password_file = \"/etc/hostname\"", "basic_auth_user",
                        "':'");
    expect_config_error("bearer_token_file = \"/nonexistent/token\"", "bearer_token_file", "cannot read");
    expect_config_error("bearer_token_file = \"/tmp\"", "bearer_token_file", "not a regular file");
    std::string empty = temp_file("\n");
    expect_config_error("bearer_token_file = \"" + empty + "\"", "bearer_token_file", "is empty");
    unlink(empty.c_str());
    expect_config_error("max_connections = 0", "max_connections", "between 1 and 1024");
    expect_config_error("request_timeout = \"1ms\"", "request_timeout", "between");
    expect_config_error("listen = 5", "listen", "must be a string");
}

TEST(PrometheusConfig, SecretsComeFromFilesAndRemoteNeedsThem) {
    std::string token = temp_file("s3cret-token\n", 0644);
    Harness h;
    ASSERT_EQ(h.configure("listen = \"0.0.0.0:0\"\nallow = [\"0.0.0.0/0\"]\nbearer_token_file = \"" + token + "\""), ZZP_OK)
        << h.error.message;
    EXPECT_EQ(h.sink().settings().bearer_token, "s3cret-token");
    bool warned = false;
    for (const auto& l : h.host.logs()) warned |= l.find("chmod 600") != std::string::npos;
    EXPECT_TRUE(warned) << "a world-readable secret file is worth a warning";
    unlink(token.c_str());
}

TEST(PrometheusParsers, CidrAndListen) {
    std::string e;
    auto net = parse_cidr("10.1.0.0/16", &e);
    ASSERT_TRUE(net);
    EXPECT_TRUE(net->contains(boost::asio::ip::make_address("10.1.200.3")));
    EXPECT_FALSE(net->contains(boost::asio::ip::make_address("10.2.0.1")));
    EXPECT_TRUE(net->contains(boost::asio::ip::make_address("::ffff:10.1.0.9")));  // v4-mapped client
    auto v6 = parse_cidr("2001:db8::/32", &e);
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->contains(boost::asio::ip::make_address("2001:db8:1::5")));
    EXPECT_FALSE(v6->contains(boost::asio::ip::make_address("2001:db9::5")));
    auto host = parse_cidr("192.0.2.7", &e);
    ASSERT_TRUE(host);
    EXPECT_EQ(host->prefix, 32u);
    EXPECT_TRUE(parse_cidr("0.0.0.0/0", &e)->contains(boost::asio::ip::make_address("203.0.113.1")));
    boost::asio::ip::address a;
    uint16_t port = 0;
    EXPECT_TRUE(parse_listen("[::1]:9000", &a, &port, &e));
    EXPECT_TRUE(a.is_v6());
    EXPECT_EQ(port, 9000);
    EXPECT_FALSE(parse_listen("[127.0.0.1]:9000", &a, &port, &e));
    EXPECT_FALSE(parse_listen("127.0.0.1:", &a, &port, &e));
    EXPECT_FALSE(parse_listen("127.0.0.1:12x", &a, &port, &e));
}

TEST(PrometheusNegotiation, AcceptHeader) {
    // What Prometheus 2.x sends.
    EXPECT_EQ(negotiate("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                        "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
              Format::OpenMetrics);
    EXPECT_EQ(negotiate(""), Format::Text);
    EXPECT_EQ(negotiate("*/*"), Format::Text);
    EXPECT_EQ(negotiate("text/plain"), Format::Text);
    EXPECT_EQ(negotiate("application/openmetrics-text"), Format::OpenMetrics);
    EXPECT_EQ(negotiate("text/plain;version=0.0.4, application/openmetrics-text; version=1.0.0; q=0.2"), Format::Text);
    EXPECT_EQ(negotiate("application/openmetrics-text;version=2.0.0"), Format::Text);  // unknown version
    EXPECT_EQ(negotiate("application/openmetrics-text;q=0"), Format::Text);
    EXPECT_EQ(negotiate("application/json"), Format::Text);
    EXPECT_EQ(negotiate(",,;;=,q=,;q=abc"), Format::Text);  // garbage: no crash, default
}

TEST(PrometheusQuantiles, FrameRule) {
    std::vector<int64_t> none;
    auto q = window_quantiles(none);
    EXPECT_TRUE(std::isnan(q[0]));
    std::vector<int64_t> one = {5'000'000};
    q = window_quantiles(one);
    EXPECT_DOUBLE_EQ(q[0], 0.005);
    EXPECT_DOUBLE_EQ(q[2], 0.005);
    // 1..101 ms shuffled: p50 = 51 ms, p90 = 91 ms, p99 = 100 ms exactly.
    std::vector<int64_t> v;
    for (int i = 1; i <= 101; ++i) v.push_back(i * 1'000'000);
    std::shuffle(v.begin(), v.end(), std::mt19937(7));
    q = window_quantiles(v);
    EXPECT_DOUBLE_EQ(q[0], 0.051);
    EXPECT_DOUBLE_EQ(q[1], 0.091);
    EXPECT_DOUBLE_EQ(q[2], 0.100);
    // Interpolation: {10, 20}: p50 = 15, p90 = 19, p99 = 19.9.
    std::vector<int64_t> two = {20, 10};
    q = window_quantiles(two);
    EXPECT_DOUBLE_EQ(q[0], 15e-9);
    EXPECT_DOUBLE_EQ(q[1], 19e-9);
    EXPECT_DOUBLE_EQ(q[2], 20e-9);  // 19.9 ns rounded to whole ns like frames
}

TEST(PrometheusNumbers, Formatting) {
    auto f = [](double v) {
        std::string s;
        append_double(s, v);
        return s;
    };
    EXPECT_EQ(f(0.0001), "0.0001");
    EXPECT_EQ(f(1), "1.0");
    EXPECT_EQ(f(2.5), "2.5");
    EXPECT_EQ(f(0), "0.0");
    EXPECT_EQ(f(1e-9), "1e-09");
    EXPECT_EQ(f(std::nan("")), "NaN");
    EXPECT_EQ(f(INFINITY), "+Inf");
    std::string l;
    append_label(l, "target", "a\"b\\c\nd");
    EXPECT_EQ(l, "target=\"a\\\"b\\\\c\\nd\"");
}

TEST(ExpositionParser, CatchesWhatAScraperWouldTripOver) {
    // The parser is the oracle of the exposition tests: make sure it is strict.
    auto errors = [](const std::string& t, bool om) { return parse_exposition(t, om).errors.size(); };
    const std::string ok = "# HELP a_total x\n# TYPE a_total counter\na_total{l=\"v\"} 1\n";
    EXPECT_EQ(errors(ok, false), 0u);
    EXPECT_GT(errors("a_total 1\n", false), 0u);                                             // no TYPE
    EXPECT_GT(errors(ok + "a_total{l=\"v\"} 2\n", false), 0u);                             // duplicate series
    EXPECT_GT(errors("# TYPE a counter\na{l=\"a\\q\"} 1\n", false), 0u);               // bad escape
    EXPECT_GT(errors("# TYPE a gauge\na{1l=\"v\"} 1\n", false), 0u);                     // bad label name
    EXPECT_GT(errors("# TYPE a gauge\na{l=\"v\",l=\"w\"} 1\n", false), 0u);           // label twice
    EXPECT_GT(errors("# TYPE a gauge\na x\n", false), 0u);                                  // bad value
    EXPECT_GT(errors("# TYPE a gauge\na 1", false), 0u);                                     // no final newline
    EXPECT_GT(errors("# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# TYPE a gauge\n", false), 0u);  // regrouped
    EXPECT_GT(errors("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n", false), 0u);
    EXPECT_GT(errors("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_count 1\n", false), 0u);      // no +Inf
    EXPECT_GT(errors("# TYPE s summary\ns{quantile=\"2\"} 1\n", false), 0u);
    EXPECT_GT(errors("# TYPE a counter\na_total 1\n", true), 0u);                           // OM: no # EOF
    EXPECT_GT(errors("# TYPE a counter\na 1\n# EOF\n", true), 0u);                         // OM: counter needs _total
    EXPECT_GT(errors("# TYPE a counter\na_total 1\n# EOF\nx\n", true), 0u);              // after # EOF
    EXPECT_GT(errors("# TYPE a_ms gauge\n# UNIT a_ms seconds\na_ms 1\n# EOF\n", true), 0u);  // unit not a suffix
    EXPECT_EQ(errors("# TYPE a counter\na_total 1\n# EOF\n", true), 0u);
}

// A store fed with known samples: every counter and quantile is exact, and both formats parse.
class PrometheusExposition : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(h.configure("labels = [\"site=paris\", \"role=edge\"]\nsummary_window = \"1m\""), ZZP_OK) << h.error.message;
        h.target(1, "router", "192.0.2.1", "icmp", "lan");
        h.target(2, "we\"ird\\name\n", "[::1]:7", "udp-echo", "echo");
        const int64_t now = wall_now_ns();
        std::vector<zzp_sample> batch;
        // Target 1: 100 replies of 1..100 ms, 5 lost, 2 errors, 1 late, 3 duplicates.
        for (int i = 1; i <= 100; ++i)
            batch.push_back(sample(1, i, ZZP_SAMPLE_REPLY, i * 1'000'000, now - 2'000 * kMs + i * kMs));
        for (int i = 0; i < 5; ++i) batch.push_back(sample(1, 100 + i, ZZP_SAMPLE_LOST, -1, now - 1'500 * kMs));
        batch.push_back(sample(1, 200, ZZP_SAMPLE_SEND_ERROR, -1, now - kMs));
        batch.push_back(sample(1, 201, ZZP_SAMPLE_NET_ERROR, -1, now - kMs));
        batch.push_back(sample(1, 101, ZZP_SAMPLE_LATE, 1500 * kMs, now - 1'500 * kMs));
        for (int i = 0; i < 3; ++i) batch.push_back(sample(1, 5, ZZP_SAMPLE_DUPLICATE, 7 * kMs, now - 1'000 * kMs));
        ASSERT_EQ(h.write(batch), ZZP_OK);
        // Target 2: only lost so far.
        ASSERT_EQ(h.write({sample(2, 1, ZZP_SAMPLE_LOST, -1, now - 3'000 * kMs)}), ZZP_OK);
    }
    Exposition scrape(Format f) {
        text = *h.sink().render(f);
        Exposition e = parse_exposition(text, f == Format::OpenMetrics);
        for (const auto& err : e.errors) ADD_FAILURE() << err;
        return e;
    }
    Harness h;
    std::string text;
};

TEST_F(PrometheusExposition, CountersHistogramSummaryExact) {
    for (Format f : {Format::Text, Format::OpenMetrics}) {
        Exposition e = scrape(f);
        std::map<std::string, std::string> r = {{"target", "router"}, {"probe", "lan"}, {"address", "192.0.2.1"},
                                                {"method", "icmp"},   {"site", "paris"}, {"role", "edge"}};
        EXPECT_EQ(e.value("zzprobe_echo_requests_total", r), 107);
        EXPECT_EQ(e.value("zzprobe_echo_replies_total", r), 100);
        EXPECT_EQ(e.value("zzprobe_echo_lost_total", r), 5);
        EXPECT_EQ(e.value("zzprobe_echo_errors_total", r), 2);
        EXPECT_EQ(e.value("zzprobe_echo_late_replies_total", r), 1);
        EXPECT_EQ(e.value("zzprobe_echo_duplicate_replies_total", r), 3);
        EXPECT_EQ(e.value("zzprobe_echo_rtt_seconds_count", r), 100);
        EXPECT_NEAR(e.value("zzprobe_echo_rtt_seconds_sum", r), 5.050, 1e-9);
        auto bucket = [&](const char* le) {
            auto m = r;
            m["le"] = le;
            return e.value("zzprobe_echo_rtt_seconds_bucket", m);
        };
        EXPECT_EQ(bucket("0.001"), 1);   // le is inclusive: exactly 1 ms counts
        EXPECT_EQ(bucket("0.0025"), 2);
        EXPECT_EQ(bucket("0.01"), 10);
        EXPECT_EQ(bucket("0.05"), 50);
        EXPECT_EQ(bucket("0.1"), 100);
        EXPECT_EQ(bucket("+Inf"), 100);
        auto quantile = [&](const char* q) {
            auto m = r;
            m["quantile"] = q;
            return e.value("zzprobe_echo_rtt_window_seconds", m);
        };
        EXPECT_DOUBLE_EQ(quantile("0.5"), 0.0505);  // 1..100 ms: pos 49.5 between 50 and 51
        EXPECT_DOUBLE_EQ(quantile("0.9"), 0.0901);
        EXPECT_DOUBLE_EQ(quantile("0.99"), 0.09901);
        EXPECT_EQ(e.value("zzprobe_echo_rtt_window_seconds_count", r), 100);
        EXPECT_DOUBLE_EQ(e.value("zzprobe_echo_last_rtt_seconds", r), 0.1);
        EXPECT_EQ(e.value("zzprobe_target_up", r), 1);

        // The odd name survives escaping; no reply yet: no last RTT, quantiles NaN, up 0.
        std::map<std::string, std::string> w = {{"target", "we\"ird\\name\n"}};
        EXPECT_EQ(e.value("zzprobe_echo_lost_total", w), 1);
        EXPECT_EQ(e.value("zzprobe_target_up", w), 0);
        EXPECT_TRUE(std::isnan(e.value("zzprobe_echo_last_rtt_seconds", w)));
        auto wq = w;
        wq["quantile"] = "0.99";
        EXPECT_TRUE(std::isnan(e.value("zzprobe_echo_rtt_window_seconds", wq)));
        EXPECT_EQ(e.value(f == Format::OpenMetrics ? "zzprobe_build_info" : "zzprobe_build_info",
                          {{"plugin", "prometheus"}, {"abi_version", "1.0"}, {"site", "paris"}}),
                  1);
        // Help and type on every family; the OpenMetrics names drop _total and _info.
        ASSERT_NE(e.family(f == Format::OpenMetrics ? "zzprobe_echo_requests" : "zzprobe_echo_requests_total"), nullptr);
        for (const auto& fam : e.families) {
            EXPECT_FALSE(fam.help.empty()) << fam.name;
            EXPECT_FALSE(fam.type.empty()) << fam.name;
        }
        if (f == Format::OpenMetrics) {
            EXPECT_EQ(e.family("zzprobe_echo_rtt_seconds")->unit, "seconds");
            EXPECT_EQ(e.family("zzprobe_build")->type, "info");
        }
    }
}

TEST_F(PrometheusExposition, PromtoolAcceptsIt) {
    if (access("/usr/bin/promtool", X_OK) != 0) GTEST_SKIP() << "promtool is not installed (apt-get install prometheus)";
    scrape(Format::Text);
    std::string path = temp_file(text);
    std::string cmd = "/usr/bin/promtool check metrics < " + path + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string output;
    char buf[512];
    while (fgets(buf, sizeof buf, p)) output += buf;
    int rc = pclose(p);
    unlink(path.c_str());
    EXPECT_EQ(rc, 0) << "promtool check metrics (lint: naming conventions too):\n" << output;
}

TEST_F(PrometheusExposition, WindowForgetsOldRepliesAndUpFollowsTheLastReply) {
    // A reply far in the past: counted, but outside the 1 min window and the 10 s up window.
    Harness old;
    ASSERT_EQ(old.configure(""), ZZP_OK);
    old.target(1, "t", "a");
    ASSERT_EQ(old.write({sample(1, 1, ZZP_SAMPLE_REPLY, 3 * kMs, wall_now_ns() - 120'000 * kMs)}), ZZP_OK);
    std::string t = *old.sink().render(Format::Text);
    Exposition e = parse_exposition(t, false);
    EXPECT_TRUE(e.errors.empty());
    EXPECT_EQ(e.value("zzprobe_echo_replies_total", {{"target", "t"}}), 1);
    EXPECT_TRUE(std::isnan(e.value("zzprobe_echo_rtt_window_seconds", {{"target", "t"}, {"quantile", "0.5"}})));
    EXPECT_EQ(e.value("zzprobe_target_up", {{"target", "t"}}), 0);
}

TEST_F(PrometheusExposition, EmptyStoreIsValid) {
    Harness empty;
    ASSERT_EQ(empty.configure(""), ZZP_OK);
    for (Format f : {Format::Text, Format::OpenMetrics}) {
        Exposition e = parse_exposition(*empty.sink().render(f), f == Format::OpenMetrics);
        for (const auto& err : e.errors) ADD_FAILURE() << err;
        EXPECT_EQ(e.value("zzprobe_build_info", {}), 1);
    }
}

TEST(PrometheusState, CountersStayMonotonicAcrossASwap) {
    Harness old;
    ASSERT_EQ(old.configure(""), ZZP_OK);
    old.target(7, "router", "192.0.2.1");
    const int64_t now = wall_now_ns();
    ASSERT_EQ(old.write(1, {sample(7, 1, ZZP_SAMPLE_REPLY, 2 * kMs, now), sample(7, 2, ZZP_SAMPLE_LOST, -1, now)}), ZZP_OK);
    ASSERT_EQ(old.write(2, {sample(7, 3, ZZP_SAMPLE_REPLY, 4 * kMs, now)}), ZZP_OK);
    ASSERT_EQ(old.state()->format, 1u);

    // The host's order: successor configured, accepts_format, old saves, successor loads.
    Harness successor;
    ASSERT_EQ(successor.configure(""), ZZP_OK);
    ASSERT_TRUE(successor.state()->accepts_format(successor.raw(), old.state()->format));
    EXPECT_FALSE(successor.state()->accepts_format(successor.raw(), 2));
    std::string saved = old.sink().save_state();
    successor.sink().load_state(1, saved);
    EXPECT_EQ(successor.ext()->durable_seq(successor.raw()), 2u) << "the host resends only batches after this";

    // Before any on_target, a scrape already shows the restored series (no gap, no reset).
    Exposition e = parse_exposition(*successor.sink().render(Format::Text), false);
    EXPECT_TRUE(e.errors.empty());
    EXPECT_EQ(e.value("zzprobe_echo_requests_total", {{"target", "router"}}), 3);
    // A resent batch (seq 2) is skipped; the next ones count; the target id may differ.
    successor.target(9, "router", "192.0.2.1");
    ASSERT_EQ(successor.write(2, {sample(9, 3, ZZP_SAMPLE_REPLY, 4 * kMs, now)}), ZZP_OK);
    ASSERT_EQ(successor.write(3, {sample(9, 4, ZZP_SAMPLE_REPLY, 6 * kMs, now)}), ZZP_OK);
    e = parse_exposition(*successor.sink().render(Format::Text), false);
    EXPECT_EQ(e.value("zzprobe_echo_requests_total", {{"target", "router"}}), 4);
    EXPECT_EQ(e.value("zzprobe_echo_replies_total", {{"target", "router"}}), 3);
    EXPECT_EQ(e.value("zzprobe_echo_lost_total", {{"target", "router"}}), 1);
    EXPECT_EQ(e.value("zzprobe_echo_rtt_seconds_count", {{"target", "router"}}), 3);
    EXPECT_EQ(e.value("zzprobe_echo_rtt_seconds_bucket", {{"target", "router"}, {"le", "0.005"}}), 2);
    EXPECT_DOUBLE_EQ(e.value("zzprobe_echo_rtt_window_seconds", {{"target", "router"}, {"quantile", "0.5"}}), 0.004);
    EXPECT_EQ(successor.sink().store()->size(), 1u);
}

TEST(PrometheusState, CorruptOrMismatchedStateIsRefusedCleanly) {
    Harness old;
    ASSERT_EQ(old.configure(""), ZZP_OK);
    old.target(1, "a", "b");
    ASSERT_EQ(old.write({sample(1, 1, ZZP_SAMPLE_REPLY, kMs, wall_now_ns())}), ZZP_OK);
    std::string saved = old.sink().save_state();
    // Every truncation is an error, never a crash; the successor stays empty.
    for (size_t n = 0; n < saved.size(); n += 3) {
        Harness s;
        ASSERT_EQ(s.configure(""), ZZP_OK);
        EXPECT_THROW(s.sink().load_state(1, saved.substr(0, n)), zzp::Error) << n;
        EXPECT_EQ(s.sink().store()->size(), 0u);
    }
    std::string flipped = saved;
    flipped[17] ^= 0x55;  // the store's magic (after the seq and the length)
    Harness s;
    ASSERT_EQ(s.configure(""), ZZP_OK);
    EXPECT_THROW(s.sink().load_state(1, flipped), zzp::Error);
    // Other buckets: refused, naming the key.
    Harness other;
    ASSERT_EQ(other.configure("buckets = [0.001, 0.01]"), ZZP_OK);
    try {
        other.sink().load_state(1, saved);
        ADD_FAILURE() << "loaded state with other buckets";
    } catch (const zzp::Error& e) {
        EXPECT_EQ(e.key(), "buckets");
    }
}

}  // namespace
}  // namespace zzp::prom

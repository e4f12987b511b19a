// The prometheus sink's HTTP side, in-process on loopback: formats, keep-alive, HEAD, errors for
// bad requests, authentication, the allow-list, the connection cap, timeouts, and that slow or
// many scrapers never stall write().
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <random>
#include <thread>

#include "exposition_parser.hpp"
#include "sink_harness.hpp"

namespace zzp::prom {
namespace {

using namespace zzp::prom::test;
using Clock = std::chrono::steady_clock;

std::string temp_secret(const std::string& content) {
    char path[] = "/tmp/zzp-prom-secret-XXXXXX";
    int fd = mkstemp(path);
    EXPECT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    close(fd);
    return path;
}

void feed(Harness& h, uint32_t targets, int per_target) {
    const int64_t now = wall_now_ns();
    for (uint32_t t = 1; t <= targets; ++t) {
        std::string name = "target-" + std::to_string(t);
        std::string address = "192.0.2." + std::to_string(t % 250) + ":7";
        h.target(t, name.c_str(), address.c_str());
    }
    std::vector<zzp_sample> batch;
    for (uint32_t t = 1; t <= targets; ++t)
        for (int i = 0; i < per_target; ++i)
            batch.push_back(sample(t, static_cast<uint64_t>(i + 1), i % 10 == 9 ? ZZP_SAMPLE_LOST : ZZP_SAMPLE_REPLY,
                                   i % 10 == 9 ? -1 : (1 + i % 7) * kMs, now - (per_target - i) * 10 * kMs));
    ASSERT_EQ(h.write(batch), ZZP_OK);
}

class PrometheusHttp : public ::testing::Test {
protected:
    void start(const std::string& extra = "") {
        ASSERT_EQ(h.configure("listen = \"127.0.0.1:0\"\n" + extra), ZZP_OK) << h.error.message;
        ASSERT_EQ(h.start(), ZZP_OK) << h.error.message;
        port = h.port();
        ASSERT_NE(port, 0);
    }
    Harness h;
    uint16_t port = 0;
};

TEST_F(PrometheusHttp, ServesTextAndOpenMetricsWithKeepAliveAndHead) {
    start();
    feed(h, 3, 20);
    Response r = get(port);
    ASSERT_EQ(r.status, 200) << r.raw.substr(0, 300);
    EXPECT_EQ(r.headers["content-type"], kTextContentType);
    Exposition e = parse_exposition(r.body, false);
    for (const auto& err : e.errors) ADD_FAILURE() << err;
    EXPECT_EQ(e.value("zzprobe_echo_requests_total", {{"target", "target-2"}}), 20);
    EXPECT_EQ(e.value("zzprobe_echo_lost_total", {{"target", "target-2"}}), 2);

    r = get(port, "/metrics?x=1", "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.headers["content-type"], kOpenMetricsContentType);
    e = parse_exposition(r.body, true);
    for (const auto& err : e.errors) ADD_FAILURE() << err;

    // Two requests on one connection (what Prometheus does between scrapes).
    int fd = connect_to(port);
    ASSERT_GE(fd, 0);
    for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
        Response k = read_response(fd, 5000);
        EXPECT_EQ(k.status, 200) << i;
        EXPECT_EQ(parse_exposition(k.body, false).errors.size(), 0u);
    }
    close(fd);

    Response head = request(port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(head.status, 200);
    EXPECT_TRUE(head.body.empty());
    EXPECT_GT(std::stoul(head.headers["content-length"]), 1000u);

    Response index = get(port, "/");
    EXPECT_EQ(index.status, 200);
    EXPECT_NE(index.body.find("/metrics"), std::string::npos);

    // HTTP/1.0 without keep-alive: answered, then closed.
    Response old = request(port, "GET /metrics HTTP/1.0\r\n\r\n");
    EXPECT_EQ(old.status, 200);
}

TEST_F(PrometheusHttp, BadRequestsGetProperErrors) {
    start();
    Response r = request(port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.headers["allow"], "GET, HEAD");
    EXPECT_EQ(get(port, "/nope").status, 404);
    EXPECT_EQ(get(port, "/metricsx").status, 404);
    EXPECT_EQ(request(port, "BLAH\r\n\r\n").status, 400);
    EXPECT_EQ(request(port, "GET /metrics HTTP/9.9\r\n\r\n").status, 400);
    EXPECT_EQ(request(port, "GET /metrics HTTP/1.1\r\nBad Header\r\n\r\n").status, 400);
    EXPECT_EQ(request(port, "GET /metrics HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n").status, 431);
    EXPECT_EQ(request(port, "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n").status, 431);
    EXPECT_EQ(request(port, "GET /metrics HTTP/1.1\r\nContent-Length: 1000000000\r\n\r\n").status, 413);
    EXPECT_EQ(request(port, "GET /metrics HTTP/1.1\r\nContent-Length: -5\r\n\r\n").status, 400);
    EXPECT_EQ(request(port, "GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").status, 400);

    // Random garbage: every connection ends with an answer or a close, never a crash.
    std::mt19937 rng(42);
    for (int i = 0; i < 200; ++i) {
        std::string junk(static_cast<size_t>(rng() % 300), '\0');
        for (char& c : junk) c = static_cast<char>(rng() % 256);
        if (i % 2) junk = "GET " + junk;
        junk += "\r\n\r\n";
        Response j = request(port, junk, 2000);
        EXPECT_TRUE(j.status == 0 || (j.status >= 400 && j.status < 500) || j.status == 200) << j.status;
    }
    EXPECT_EQ(get(port).status, 200) << "still serving after the garbage";
    EXPECT_GT(h.sink().server_stats().client_errors, 10u);
}

TEST_F(PrometheusHttp, BasicAndBearerAuthentication) {
    std::string password = temp_secret("pa:ss word\n");
    std::string token = temp_secret("tok3n\n");
    start("basic_auth_user = \"prom\"\nbasic_auth_password_file = \"" + password + "\"\nbearer_token_file = \"" + token +
          "\"\n");
    Response r = get(port);
    EXPECT_EQ(r.status, 401);
    EXPECT_NE(r.headers["www-authenticate"].find("Basic realm=\"zzprobe\""), std::string::npos);
    EXPECT_NE(r.headers["www-authenticate"].find("Bearer"), std::string::npos);
    std::string good = "Authorization: Basic " + base64_encode("prom:pa:ss word") + "\r\n";
    EXPECT_EQ(get(port, "/metrics", good).status, 200);
    EXPECT_EQ(get(port, "/metrics", "Authorization: basic " + base64_encode("prom:pa:ss word") + "\r\n").status, 200);
    EXPECT_EQ(get(port, "/metrics", "Authorization: Basic " + base64_encode("prom:wrong") + "\r\n").status, 401);
    EXPECT_EQ(get(port, "/metrics", "Authorization: Basic !!!\r\n").status, 401);
    EXPECT_EQ(get(port, "/metrics", "Authorization: Bearer tok3n\r\n").status, 200);
    EXPECT_EQ(get(port, "/metrics", "Authorization: Bearer tok3\r\n").status, 401);
    EXPECT_EQ(get(port, "/metrics", "Authorization: Bearer\r\n").status, 401);
    EXPECT_EQ(get(port, "/metrics", "Authorization: Digest x\r\n").status, 401);
    EXPECT_EQ(get(port, "/nope").status, 401) << "no path probing without credentials";
    EXPECT_EQ(h.sink().server_stats().unauthorized, 7u);
    unlink(password.c_str());
    unlink(token.c_str());
}

TEST(Base64, Rfc4648Vectors) {
    EXPECT_EQ(base64_encode(""), "");
    EXPECT_EQ(base64_encode("f"), "Zg==");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
    EXPECT_EQ(base64_encode("Aladdin:open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

TEST_F(PrometheusHttp, AllowListRefusesOtherClients) {
    start("allow = [\"10.0.0.0/8\", \"::1/128\"]\n");
    Response r = get(port);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(h.sink().server_stats().forbidden, 1u);
}

TEST_F(PrometheusHttp, ConnectionCapAndRequestTimeout) {
    start("max_connections = 2\nrequest_timeout = \"300ms\"\n");
    int a = connect_to(port), b = connect_to(port);
    ASSERT_GE(a, 0);
    ASSERT_GE(b, 0);
    ASSERT_TRUE(send_all(a, "GET /met"));  // a slowloris: half a request, then nothing
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    Response busy = get(port);
    EXPECT_EQ(busy.status, 503);
    EXPECT_EQ(busy.headers["retry-after"], "1");
    // The deadline frees both slots.
    EXPECT_TRUE(closed_by_peer(a, 2000));
    EXPECT_TRUE(closed_by_peer(b, 2000));
    close(a);
    close(b);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(get(port).status, 200);
    ServerStats s = h.sink().server_stats();
    EXPECT_EQ(s.refused_busy, 1u);
    EXPECT_GE(s.timeouts, 2u);
}

TEST_F(PrometheusHttp, SlowAndManyScrapersNeverStallWrites) {
    start("max_connections = 64\n");
    feed(h, 1000, 10);  // a big exposition (megabytes), so unread answers fill socket buffers
    // 40 scrapers that ask and never read, 10 that send a byte a second.
    std::vector<int> stuck;
    for (int i = 0; i < 40; ++i) {
        int fd = connect_to(port);
        ASSERT_GE(fd, 0);
        int small = 4096;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        stuck.push_back(fd);
    }
    for (int i = 0; i < 10; ++i) {
        int fd = connect_to(port);
        ASSERT_GE(fd, 0);
        send_all(fd, "G");
        stuck.push_back(fd);
    }
    // Meanwhile the pipeline writes: every write() stays short.
    std::atomic<bool> done{false};
    std::thread scraper([&] {
        while (!done) {
            Response r = get(port);
            EXPECT_EQ(r.status, 200);
        }
    });
    int64_t worst_ns = 0;
    const int64_t now = wall_now_ns();
    for (int i = 0; i < 300; ++i) {
        std::vector<zzp_sample> batch;
        for (uint32_t t = 1; t <= 10; ++t)
            batch.push_back(sample(t, 100 + static_cast<uint64_t>(i), ZZP_SAMPLE_REPLY, 2 * kMs, now + i * kMs));
        auto t0 = Clock::now();
        ASSERT_EQ(h.write(batch), ZZP_OK);
        worst_ns = std::max<int64_t>(worst_ns, std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    done = true;
    scraper.join();
    std::printf("worst write() with 50 stuck scrapers and one busy one: %.3f ms\n", worst_ns / 1e6);
    EXPECT_LT(worst_ns, 20'000'000) << "write() waited for a scraper";
    // A normal scrape still works, and stop() does not wait for the stuck clients.
    EXPECT_EQ(get(port).status, 200);
    auto t0 = Clock::now();
    ASSERT_EQ(h.stop(), ZZP_OK);
    EXPECT_LT(Clock::now() - t0, std::chrono::seconds(2));
    for (int fd : stuck) close(fd);
}

TEST_F(PrometheusHttp, PortInUseIsAClearIoError) {
    start();
    Harness second;
    ASSERT_EQ(second.configure("listen = \"127.0.0.1:" + std::to_string(port) + "\""), ZZP_OK);
    EXPECT_EQ(second.start(), ZZP_E_IO);
    EXPECT_EQ(std::string(second.error.key), "listen");
    EXPECT_NE(std::string(second.error.message).find("cannot listen on 127.0.0.1:" + std::to_string(port)),
              std::string::npos)
        << second.error.message;
}

TEST_F(PrometheusHttp, IPv6Loopback) {
    Harness v6;
    ASSERT_EQ(v6.configure("listen = \"[::1]:0\""), ZZP_OK) << v6.error.message;
    if (v6.start() != ZZP_OK) GTEST_SKIP() << "no IPv6 loopback here: " << v6.error.message;
    int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(v6.port());
    a.sin6_addr = in6addr_loopback;
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(read_response(fd, 5000).status, 200);
    close(fd);
}

}  // namespace
}  // namespace zzp::prom

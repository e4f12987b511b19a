// Test helpers: the prometheus sink run in-process through its C tables against a FakeHost, and
// a tiny blocking HTTP client (raw sockets, so tests can also send what no real client would).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fake_host.hpp>

#include <chrono>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "prometheus_sink.hpp"

namespace zzp::prom::test {

inline constexpr int64_t kMs = 1'000'000;

class Harness {
public:
    Harness() {
        static const zzp::PluginEntry entry = zzp::entry<PrometheusSink>(kPrometheusDescriptor);
        plugin_ = zzp::detail::create_instance(entry, host.table(), &error);
        ext_ = static_cast<const zzp_sink_ext*>(plugin_->get_extension(plugin_, ZZP_EXT_SINK));
        state_ = static_cast<const zzp_state_ext*>(plugin_->get_extension(plugin_, ZZP_EXT_STATE));
    }
    ~Harness() {
        if (started_) stop();
        plugin_->destroy(plugin_);
    }
    zzp_status configure(const std::string& toml) {
        zzp::test::FakeConfig config(toml);
        return plugin_->configure(plugin_, config.table(), &error);
    }
    zzp_status start() {
        zzp_status s = plugin_->start(plugin_, &error);
        started_ = s == ZZP_OK;
        return s;
    }
    zzp_status stop() {
        started_ = false;
        return plugin_->stop(plugin_, host.table()->mono_now_ns(host.table()) + 2'000 * kMs, &error);
    }
    void target(uint32_t id, const char* name, const char* address, const char* method = "udp-echo",
                const char* probe = "echo") {
        zzp_target_info info{sizeof(zzp_target_info), id, name, address, method, probe, 100 * kMs};
        ext_->on_target(plugin_, &info, &error);
    }
    zzp_status write(const std::vector<zzp_sample>& samples) { return write(++seq_, samples); }
    zzp_status write(uint64_t seq, const std::vector<zzp_sample>& samples) {
        seq_ = seq;
        zzp_batch batch{seq, ZZP_BATCH_SAMPLES, static_cast<uint32_t>(samples.size()), samples.data(), nullptr};
        return ext_->write(plugin_, &batch, &error);
    }
    PrometheusSink& sink() { return *static_cast<PrometheusSink*>(zzp::detail::self(plugin_)->impl); }
    uint16_t port() { return sink().port(); }
    const zzp_plugin* raw() const { return plugin_; }
    const zzp_sink_ext* ext() const { return ext_; }
    const zzp_state_ext* state() const { return state_; }

    zzp::test::FakeHost host;
    zzp_error error{sizeof(zzp_error), 0, {}, {}};

private:
    const zzp_plugin* plugin_ = nullptr;
    const zzp_sink_ext* ext_ = nullptr;
    const zzp_state_ext* state_ = nullptr;
    uint64_t seq_ = 0;
    bool started_ = false;
};

inline zzp_sample sample(uint32_t target, uint64_t seq, uint16_t status, int64_t rtt_ns, int64_t sent_wall_ns) {
    zzp_sample s{};
    s.seq = seq;
    s.target_id = target;
    s.status = status;
    s.rtt_ns = rtt_ns;
    s.sent_wall_ns = sent_wall_ns;
    return s;
}

inline int64_t wall_now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct Response {
    int status = 0;  // 0: no response (connection closed or timed out)
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
    std::string raw;
};

// Connects to 127.0.0.1:port; -1 on failure.
inline int connect_to(uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Reads one response (Content-Length framed, else to EOF) within timeout_ms.
inline Response read_response(int fd, int timeout_ms, bool head = false) {
    Response r;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    size_t header_end = std::string::npos;
    size_t want = std::string::npos;
    char buf[65536];
    for (;;) {
        if (header_end != std::string::npos && want != std::string::npos && r.raw.size() >= header_end + want) break;
        int left = static_cast<int>(
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
        if (left <= 0) break;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, left) <= 0) break;
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        r.raw.append(buf, static_cast<size_t>(n));
        if (header_end == std::string::npos) {
            size_t e = r.raw.find("\r\n\r\n");
            if (e == std::string::npos) continue;
            header_end = e + 4;
            std::string head_text = r.raw.substr(0, e);
            size_t line_end = head_text.find("\r\n");
            std::string status_line = head_text.substr(0, line_end);
            if (status_line.size() >= 12) r.status = std::atoi(status_line.c_str() + 9);
            size_t p2 = line_end == std::string::npos ? head_text.size() : line_end + 2;
            while (p2 < head_text.size()) {
                size_t le = head_text.find("\r\n", p2);
                std::string h = head_text.substr(p2, le == std::string::npos ? std::string::npos : le - p2);
                p2 = le == std::string::npos ? head_text.size() : le + 2;
                size_t colon = h.find(':');
                if (colon == std::string::npos) continue;
                std::string name = h.substr(0, colon);
                for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                std::string value = h.substr(colon + 1);
                while (!value.empty() && value.front() == ' ') value.erase(0, 1);
                if (r.headers.count(name)) r.headers[name] += ", " + value;
                else r.headers[name] = value;
            }
            if (head) want = 0;
            else if (r.headers.count("content-length")) want = std::stoul(r.headers["content-length"]);
        }
    }
    if (header_end != std::string::npos) {
        r.body = r.raw.substr(header_end);
        if (want != std::string::npos && r.body.size() > want) r.body.resize(want);
    }
    return r;
}

inline bool send_all(int fd, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return false;
        off += static_cast<size_t>(n);
    }
    return true;
}

// One request on a fresh connection.
inline Response request(uint16_t port, const std::string& raw, int timeout_ms = 5000) {
    int fd = connect_to(port);
    if (fd < 0) return {};
    send_all(fd, raw);
    Response r = read_response(fd, timeout_ms, raw.rfind("HEAD ", 0) == 0);
    ::close(fd);
    return r;
}

inline Response get(uint16_t port, const std::string& path = "/metrics", const std::string& extra_headers = "") {
    return request(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers + "Connection: close\r\n\r\n");
}

// Is the connection closed by the peer (within timeout_ms)?
inline bool closed_by_peer(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char c;
    return ::recv(fd, &c, 1, MSG_PEEK) <= 0;
}

}  // namespace zzp::prom::test

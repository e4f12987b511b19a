// Example third-party probe: measures the TCP handshake time to host:port targets.
//
// It shows what a plugin needs and nothing more: a descriptor with a config schema, a probe
// class built on the SDK's C++ helper, one thread between start() and stop(), and samples
// emitted through the host. Connection refused becomes a NET_ERROR sample, a timeout LOST,
// a handshake REPLY with its RTT. Only numeric IPv4/IPv6 literals, to stay short.
#include <zzprobe/plugin.hpp>
#include <zzp_sample_config.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <thread>

namespace {

struct Target {
    std::string text;
    sockaddr_storage addr{};
    socklen_t addr_len = 0;
    uint32_t id = 0;
    uint64_t next_seq = 1;
};

bool parse_endpoint(const std::string& text, Target& t) {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return false;
    std::string host = text.substr(0, colon);
    int port = std::atoi(text.c_str() + colon + 1);
    if (port <= 0 || port > 65535) return false;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    auto* v4 = reinterpret_cast<sockaddr_in*>(&t.addr);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&t.addr);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<uint16_t>(port));
        t.addr_len = sizeof *v4;
        return true;
    }
    if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<uint16_t>(port));
        t.addr_len = sizeof *v6;
        return true;
    }
    return false;
}

int64_t now_ns(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

class TcpConnectProbe : public zzp::Plugin, public zzp::Stateful {
public:
    void configure(const zzp::Config& config) override {
        for (const std::string& text : config.strings("targets")) {
            Target t;
            t.text = text;
            if (!parse_endpoint(text, t))
                throw zzp::config_error("targets", "'" + text + "' is not an IPv4 or [IPv6] literal with a port");
            targets_.push_back(t);
        }
        if (targets_.empty()) throw zzp::config_error("targets", "give at least one host:port");
        double rate = config.number("rate");
        if (rate <= 0 || rate > 100) throw zzp::config_error("rate", "rate must be in (0, 100] attempts per second");
        period_ns_ = static_cast<int64_t>(1e9 / rate);
        timeout_ms_ = static_cast<int>(config.duration("timeout").count() / 1000000);
        if (timeout_ms_ <= 0) throw zzp::config_error("timeout", "timeout must be at least 1ms");
    }

    void start() override {
        for (Target& t : targets_) t.id = host().intern_target(t.text, t.text);
        stopping_ = false;
        worker_ = std::thread([this] { run(); });
    }

    void stop(int64_t) override {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        if (worker_.joinable()) worker_.join();
    }

    // Hot swap hands the sequence counters to the successor.
    uint32_t state_format() const override { return 1; }
    std::string save_state() override {
        zzp::StateWriter w;
        w.u64(targets_.size());
        for (const Target& t : targets_) {
            w.str(t.text);
            w.u64(t.next_seq);
        }
        return w.bytes();
    }
    void load_state(uint32_t, const std::string& bytes) override {
        zzp::StateReader r(bytes);
        for (uint64_t n = r.u64(); n > 0; --n) {
            std::string text = r.str();
            uint64_t seq = r.u64();
            for (Target& t : targets_)
                if (t.text == text) t.next_seq = seq;
        }
    }

private:
    void run() {
        int64_t next = now_ns(CLOCK_MONOTONIC);
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            for (Target& t : targets_) attempt(t);
            lock.lock();
            next += period_ns_;
            int64_t wait = next - now_ns(CLOCK_MONOTONIC);
            if (wait < 0) next = now_ns(CLOCK_MONOTONIC);  // after a stall: no catch-up burst
            else wake_.wait_for(lock, std::chrono::nanoseconds(wait), [this] { return stopping_; });
        }
    }

    void attempt(Target& t) {
        zzp_sample s{};
        s.target_id = t.id;
        s.seq = t.next_seq++;
        s.rtt_ns = -1;
        s.sent_wall_ns = host().wall_now_ns();
        int fd = socket(t.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            s.status = ZZP_SAMPLE_SEND_ERROR;
            s.detail = static_cast<uint32_t>(errno);
            host().emit(&s, 1);
            return;
        }
        int64_t t0 = now_ns(CLOCK_MONOTONIC);
        int rc = connect(fd, reinterpret_cast<sockaddr*>(&t.addr), t.addr_len);
        int err = rc == 0 ? 0 : errno;
        if (rc != 0 && err == EINPROGRESS) {
            pollfd p{fd, POLLOUT, 0};
            int ready = poll(&p, 1, timeout_ms_);  // waits for this one handshake, not a polling loop
            if (ready == 0) {
                err = ETIMEDOUT;
            } else {
                socklen_t len = sizeof err;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            }
        }
        int64_t elapsed = now_ns(CLOCK_MONOTONIC) - t0;
        close(fd);
        if (err == 0) {
            s.status = ZZP_SAMPLE_REPLY;
            s.rtt_ns = elapsed;
        } else if (err == ETIMEDOUT) {
            s.status = ZZP_SAMPLE_LOST;
        } else if (err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH) {
            s.status = ZZP_SAMPLE_NET_ERROR;
            s.detail = static_cast<uint32_t>(err);
        } else {
            s.status = ZZP_SAMPLE_SEND_ERROR;
            s.detail = static_cast<uint32_t>(err);
        }
        host().emit(&s, 1);
    }

    std::vector<Target> targets_;
    int64_t period_ns_ = 1000000000;
    int timeout_ms_ = 1000;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread worker_;
};

const zzp_config_key kKeys[] = {
    zzp::list_key("targets", ZZP_CFG_STRING, nullptr, "host:port endpoints (IPv4 or [IPv6] literals)", ZZP_KEY_REQUIRED),
    zzp::key("rate", ZZP_CFG_FLOAT, "1.0", "connection attempts per second per target"),
    zzp::key("timeout", ZZP_CFG_DURATION, "\"1s\"", "an attempt without an answer by then counts as lost"),
};

const zzp_plugin_descriptor kDescriptor = zzp::describe(
    ZZP_KIND_PROBE, "org.example.tcp-connect", "TCP connect-time probe (example)", "1.0.0",
    "Times the TCP handshake to host:port targets. A third-party example built against the installed SDK.", kKeys,
    zzp_sample_config, "Example Org", "https://example.org/zzprobe-tcp-connect");

}  // namespace

ZZP_PLUGIN_LIBRARY("zzp-example-tcp-connect", "1.0.0", zzp::entry<TcpConnectProbe>(kDescriptor))

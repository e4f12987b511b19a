// Test support: a frame collector for StreamClient callbacks, a raw UDP peer for crafted
// datagrams, and a bounded wait for conditions without a notification of their own.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "loaded_sink.hpp"
#include "stream_client.hpp"

namespace zzp::stream::test {

// Everything one client delivered: every frame revision, the newest revision per interval,
// and the targets.
class Collector {
public:
    using Key = std::pair<uint32_t, int64_t>;  // target, interval start
    void frame(const zzp_frame& f) {
        std::lock_guard lock(mutex_);
        revisions_[std::make_tuple(f.target_id, f.start_wall_ns, f.revision)] = f;
        auto it = latest_.find({f.target_id, f.start_wall_ns});
        if (it == latest_.end() || f.revision >= it->second.revision) latest_[{f.target_id, f.start_wall_ns}] = f;
    }
    void target(const TargetRecord& t) {
        std::lock_guard lock(mutex_);
        targets_[t.id] = t;
    }
    std::map<Key, zzp_frame> latest() const {
        std::lock_guard lock(mutex_);
        return latest_;
    }
    std::map<uint32_t, TargetRecord> targets() const {
        std::lock_guard lock(mutex_);
        return targets_;
    }
    // True when every frame in `frames` arrived with identical contents.
    bool has_all(const std::vector<zzp_frame>& frames) const {
        std::lock_guard lock(mutex_);
        for (const zzp_frame& f : frames) {
            auto it = revisions_.find(std::make_tuple(f.target_id, f.start_wall_ns, f.revision));
            if (it == revisions_.end() || !same_frame(it->second, f)) return false;
        }
        return true;
    }
    bool latest_equals(const std::map<Key, zzp_frame>& expected) const {
        std::lock_guard lock(mutex_);
        if (latest_.size() != expected.size()) return false;
        for (const auto& [key, f] : expected) {
            auto it = latest_.find(key);
            if (it == latest_.end() || !same_frame(it->second, f)) return false;
        }
        return true;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::tuple<uint32_t, int64_t, uint32_t>, zzp_frame> revisions_;
    std::map<Key, zzp_frame> latest_;
    std::map<uint32_t, TargetRecord> targets_;
};

inline std::unique_ptr<StreamClient> make_client(uint16_t port, Collector& into,
                                                 std::shared_ptr<const AuthKey> key = nullptr,
                                                 int64_t history_ns = 3600'000'000'000) {
    ClientOptions o;
    o.server = *parse_udp_address("127.0.0.1:" + std::to_string(port), nullptr);
    o.key = std::move(key);
    o.history_ns = history_ns;
    return std::make_unique<StreamClient>(
        o, [&into](const TargetRecord& t) { into.target(t); }, [&into](const zzp_frame& f) { into.frame(f); });
}

// Bounded wait for state that has no notification (the sink's counters). Test code only.
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

// Frames of `targets` for intervals [first, last): live revision 0 for interval i, and the
// final revision 1 of interval i - 2 (as the host would publish them), in one batch each.
struct Workload {
    std::vector<std::vector<zzp_frame>> batches;
    std::map<Collector::Key, zzp_frame> latest;
    std::vector<zzp_frame> all;
};
inline Workload make_workload(int64_t base, int first, int last, uint32_t targets) {
    Workload w;
    for (int i = first; i < last; ++i) {
        std::vector<zzp_frame> batch;
        for (uint32_t t = 1; t <= targets; ++t) {
            batch.push_back(make_frame(t, base + i * kInterval, 0, false));
            if (i - 2 >= first) batch.push_back(make_frame(t, base + (i - 2) * kInterval, 1, true));
        }
        for (const zzp_frame& f : batch) {
            w.latest[{f.target_id, f.start_wall_ns}] = f;
            w.all.push_back(f);
        }
        w.batches.push_back(std::move(batch));
    }
    return w;
}

// A plain UDP socket on loopback, for datagrams crafted by hand.
class RawPeer {
public:
    explicit RawPeer(uint16_t port) {
        fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port);
        connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        timeval tv{0, 300'000};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~RawPeer() { close(fd_); }
    void send(const std::string& bytes) { ::send(fd_, bytes.data(), bytes.size(), 0); }
    // The next datagram, or "" after 300 ms of silence.
    std::string receive() {
        char buf[2048];
        ssize_t n = recv(fd_, buf, sizeof buf, 0);
        return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
    }

private:
    int fd_ = -1;
};

}  // namespace zzp::stream::test

// Test support: the built udp-stream plugin loaded with dlopen and driven through its C ABI
// (entry, init, create, configure, start, sink extension, stop, destroy), with FakeHost and
// FakeConfig standing in for the host.
#pragma once

#include <zzp_stream/udp_stream_stats.h>
#include <zzprobe/zzprobe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fake_host.hpp"

namespace zzp::stream::test {

class LoadedSink {
public:
    LoadedSink();  // loads the library and creates an instance; ASSERT-style failures throw
    ~LoadedSink();
    LoadedSink(const LoadedSink&) = delete;
    LoadedSink& operator=(const LoadedSink&) = delete;

    // configure with this TOML table; returns the status, error text in last_error()/last_key().
    zzp_status configure(const std::string& toml);
    zzp_status start();
    void stop();

    void target(uint32_t id, const std::string& name, const std::string& address, int64_t interval_ns);
    void write(const std::vector<zzp_frame>& frames);
    zzp_udp_stream_stats stats() const;
    uint16_t port() const { return stats().bound_port; }

    const std::string& last_error() const { return last_error_; }
    const std::string& last_key() const { return last_key_; }
    zzp::test::FakeHost& host() { return host_; }

private:
    void* library_ = nullptr;
    const zzp_plugin_library* table_ = nullptr;
    const zzp_plugin* plugin_ = nullptr;
    const zzp_sink_ext* sink_ = nullptr;
    const zzp_udp_stream_stats_ext* stats_ext_ = nullptr;
    zzp::test::FakeHost host_;
    std::unique_ptr<zzp::test::FakeConfig> config_;
    std::string last_error_, last_key_;
    uint64_t batch_seq_ = 0;
    bool started_ = false;
};

// A frame with deterministic, varied contents (large and negative values included), so a
// field lost or swapped anywhere on the way shows up in a comparison.
zzp_frame make_frame(uint32_t target_id, int64_t start_wall_ns, uint32_t revision, bool final);
bool same_frame(const zzp_frame& a, const zzp_frame& b);

// A base time for synthetic frames: now, aligned to 100 ms.
int64_t aligned_now_ns();
constexpr int64_t kInterval = 100'000'000;

}  // namespace zzp::stream::test

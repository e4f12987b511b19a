// The synthetic probe: one thread that plays an absolute-time send schedule and settles each
// attempt when its (pre-drawn) outcome falls due, without touching the network.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <zzprobe/plugin.hpp>

#include "synthetic_settings.hpp"
#include "wake_timer.hpp"

namespace zzp::synthetic {

class SyntheticProbe : public zzp::Plugin, public zzp::Stateful {
public:
    ~SyntheticProbe() override;

    void configure(const zzp::Config& config) override;
    void start() override;
    void stop(int64_t deadline_mono_ns) override;

    // State for a hot swap: each target's next sequence number, by target name.
    static constexpr uint32_t kStateFormat = 1;
    uint32_t state_format() const override { return kStateFormat; }
    std::string save_state() override;
    void load_state(uint32_t format, const std::string& bytes) override;

    const SyntheticSettings& settings() const { return settings_; }

private:
    void run();
    void join_worker(int64_t flush_at_mono_ns);

    SyntheticSettings settings_;
    std::vector<uint32_t> target_ids_;
    std::vector<uint64_t> next_seq_;  // per target, the seq of the next attempt
    uint64_t seed_ = 0;

    std::unique_ptr<WakeTimer> timer_;
    std::thread worker_;
    std::atomic<bool> stopping_{false};
    // When stopping: the (own CLOCK_MONOTONIC) time at which every attempt still pending is
    // settled with its pre-drawn outcome, so stop() returns before the host's deadline.
    std::atomic<int64_t> flush_at_mono_ns_{0};
    int64_t wall_minus_mono_ns_ = 0;  // converts schedule times to the host's wall clock
};

}  // namespace zzp::synthetic

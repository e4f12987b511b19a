// Decides, at send time, what happens to one synthetic echo attempt: its RTT or its loss.
// Models what users hunt for: random loss, short dropout bursts that lose every attempt for a
// while, and rare RTT spikes on top of a log-normal RTT around the configured median.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "synthetic_settings.hpp"

namespace zzp::synthetic {

struct AttemptOutcome {
    bool replied = false;
    int64_t rtt_ns = -1;  // set when replied
};

class AttemptModel {
public:
    AttemptModel(const SyntheticSettings& settings, size_t target_count, uint64_t seed);

    // The outcome of the attempt target `target` sends at `send_mono_ns` (calls for one target
    // come in increasing send time). An RTT at or above the timeout is a loss.
    AttemptOutcome next(size_t target, int64_t send_mono_ns);

private:
    double uniform() { return uniform_(rng_); }

    std::mt19937_64 rng_;
    std::uniform_real_distribution<double> uniform_{0.0, 1.0};
    std::normal_distribution<double> normal_{0.0, 1.0};
    double median_rtt_ns_;
    double rtt_spread_;
    double loss_;
    double burst_start_probability_;  // per attempt: burst_loss / rate
    int64_t burst_length_ns_;
    double spike_probability_;  // per attempt: spike_rate / rate
    int64_t spike_rtt_ns_;
    int64_t timeout_ns_;
    std::vector<int64_t> burst_until_mono_ns_;  // per target; attempts sent before it are lost
};

}  // namespace zzp::synthetic

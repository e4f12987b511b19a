// The synthetic probe's configuration: read from the validated config and range-checked, so
// the rest of the plugin can trust every value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>
#include <zzprobe/plugin.hpp>

namespace zzp::synthetic {

struct SyntheticSettings {
    std::vector<std::string> targets;
    double rate = 10.0;  // attempts per second per target
    int64_t rtt_ns = 2'000'000;
    double rtt_spread = 0.3;  // log-normal sigma
    double loss = 0.0;        // independent loss probability per attempt
    double burst_loss = 0.0;  // dropout bursts started per second per target
    int64_t burst_length_ns = 300'000'000;
    double spike_rate = 0.0;  // RTT spikes per second per target
    int64_t spike_rtt_ns = 100'000'000;
    int64_t timeout_ns = 1'000'000'000;
    uint64_t seed = 0;  // 0: pick one at random

    static constexpr double kMinRate = 0.1;
    static constexpr double kMaxRate = 100000.0;
};

// Reads and checks every key. Missing optional keys keep the defaults above (the host fills
// the schema defaults, which are the same values; test configs may leave keys out).
// Throws zzp::Error(ZZP_E_CONFIG) naming the key and the accepted range.
SyntheticSettings read_settings(const zzp::Config& config);

}  // namespace zzp::synthetic

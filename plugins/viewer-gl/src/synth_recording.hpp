// Synthetic recordings written straight through zzp_recording's writer (no pipeline), for the
// tests and the benchmark: log-normal RTTs, loss bursts, spikes, and hooks to inject exactly
// what a test probes for.
#pragma once

#include <zzprobe/frame.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace zzp::viewer {

struct SynthSpec {
    std::string directory;
    std::vector<std::string> hosts = {"router", "isp", "dns", "game"};
    int64_t t0_ns = 1'700'000'000'000'000'000;  // 2023-11-14 22:13:20 UTC
    int64_t duration_ns = 3600'000'000'000;
    int64_t interval_ns = 100'000'000;
    int64_t file_span_ns = 3600'000'000'000;  // one file per hour, like the sink
    uint32_t pings_per_frame = 10;
    double burst_rate_per_s = 0.002;  // dropout bursts per second per host
    double spike_rate_per_s = 0.01;
    uint64_t seed = 1;
    int compress_level = 1;
    // Called for every frame after it was generated (host index, frame): inject or erase data.
    // Return false to drop the frame (a gap).
    std::function<bool(size_t host, zzp_frame& f)> hook;
};

// Returns the files written. Throws on I/O errors.
std::vector<std::string> write_synthetic_recording(const SynthSpec& spec);

}  // namespace zzp::viewer

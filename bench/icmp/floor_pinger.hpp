// The machine's floor for a scheduled pinger: the least work any prober that sends each echo at
// its own time must do — sleep until the slot (clock_nanosleep, absolute), one sendto, read what
// replied (non-blocking recv) — with no validation, no bookkeeping, no output. icmp_bench runs it
// next to zzprobe and the peers, so "how far above what this machine allows" is a figure of the
// same run rather than a guess (a wake-up costs 9 us here at 1 kHz, 27 us at 100 Hz: PVM guest).
#pragma once

#include <string>
#include <vector>

namespace zzp::bench {

struct FloorResult {
    double cpu_us_per_echo = 0;
    double late_p50_us = 0, late_p99_us = 0;  // wake-up after the slot: the scheduler's share
    size_t echoes = 0, replies = 0;
    bool ok = false;
    std::string error;
};

// Runs in a child process (its own rusage). `raw`: SOCK_RAW instead of an ICMP datagram socket.
// Targets are IPv4 literals, phase-spread like zzprobe's schedule.
FloorResult run_floor_pinger(const std::vector<std::string>& targets, double rate_per_target, double seconds, bool raw);

}  // namespace zzp::bench

// Reading and checking the udp-echo probe's TOML table into a ProberConfig. Every error is a
// zzp::Error(ZZP_E_CONFIG) naming the key and what to write instead.
#pragma once

#include <zzprobe/plugin.hpp>

#include "prober.hpp"

namespace zzp::udp_echo {

inline constexpr double kMaxRate = 10000;
inline constexpr size_t kMaxTargets = 1024;
inline constexpr double kMaxInFlight = 100000;  // rate x timeout per target (bounds the ring memory)

ProberConfig read_probe_config(const zzp::Config& config);

// Optional keys fall back to these when the host did not fill in defaults.
int64_t duration_or(const zzp::Config& c, const char* key, int64_t fallback_ns);
double number_or(const zzp::Config& c, const char* key, double fallback);
int64_t integer_or(const zzp::Config& c, const char* key, int64_t fallback);
uint64_t size_or(const zzp::Config& c, const char* key, uint64_t fallback);
bool boolean_or(const zzp::Config& c, const char* key, bool fallback);
std::vector<std::string> strings_or(const zzp::Config& c, const char* key, std::vector<std::string> fallback);

}  // namespace zzp::udp_echo

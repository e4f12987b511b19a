#include "synthetic_settings.hpp"

#include <cmath>
#include <set>

namespace zzp::synthetic {
namespace {

std::string describe_duration(int64_t ns) {
    char text[64];
    if (ns % 1'000'000'000 == 0)
        std::snprintf(text, sizeof text, "%llds", static_cast<long long>(ns / 1'000'000'000));
    else if (ns % 1'000'000 == 0)
        std::snprintf(text, sizeof text, "%lldms", static_cast<long long>(ns / 1'000'000));
    else if (ns % 1'000 == 0)
        std::snprintf(text, sizeof text, "%lldus", static_cast<long long>(ns / 1'000));
    else
        std::snprintf(text, sizeof text, "%lldns", static_cast<long long>(ns));
    return text;
}

double number_in(const zzp::Config& config, const char* key, double fallback, double low, double high,
                 const char* unit) {
    if (!config.has(key)) return fallback;
    double value = config.number(key);
    if (!std::isfinite(value) || value < low || value > high) {
        char text[256];
        std::snprintf(text, sizeof text, "'%s' is %g; it must be between %g and %g%s", key, value, low, high, unit);
        throw zzp::config_error(key, text);
    }
    return value;
}

int64_t duration_in(const zzp::Config& config, const char* key, int64_t fallback, int64_t low, int64_t high) {
    if (!config.has(key)) return fallback;
    int64_t value = config.duration(key).count();
    if (value < low || value > high)
        throw zzp::config_error(key, "'" + std::string(key) + "' is " + describe_duration(value) +
                                         "; it must be between " + describe_duration(low) + " and " +
                                         describe_duration(high));
    return value;
}

}  // namespace

SyntheticSettings read_settings(const zzp::Config& config) {
    SyntheticSettings s;
    if (!config.has("targets"))
        throw zzp::config_error("targets", "missing required key 'targets' (a list of target names)");
    s.targets = config.strings("targets");
    if (s.targets.empty())
        throw zzp::config_error("targets", "'targets' is empty; name at least one target, e.g. targets = [\"router\"]");
    std::set<std::string> seen;
    for (size_t i = 0; i < s.targets.size(); ++i) {
        std::string key = "targets[" + std::to_string(i) + "]";
        if (s.targets[i].empty()) throw zzp::config_error(key, "target names must not be empty");
        if (!seen.insert(s.targets[i]).second)
            throw zzp::config_error(key, "target '" + s.targets[i] + "' is listed twice; names must be unique");
    }

    constexpr int64_t kUs = 1'000, kMs = 1'000'000, kS = 1'000'000'000;
    s.rate = number_in(config, "rate", s.rate, SyntheticSettings::kMinRate, SyntheticSettings::kMaxRate,
                       " attempts per second");
    s.rtt_ns = duration_in(config, "rtt", s.rtt_ns, 1 * kUs, 60 * kS);
    s.rtt_spread = number_in(config, "rtt_spread", s.rtt_spread, 0.0, 3.0, " (log-normal sigma)");
    s.loss = number_in(config, "loss", s.loss, 0.0, 1.0, " (a fraction: 0.01 is 1 %)");
    s.burst_loss = number_in(config, "burst_loss", s.burst_loss, 0.0, 100.0, " bursts per second");
    s.burst_length_ns = duration_in(config, "burst_length", s.burst_length_ns, 1 * kMs, 3600 * kS);
    s.spike_rate = number_in(config, "spike_rate", s.spike_rate, 0.0, 100000.0, " spikes per second");
    s.spike_rtt_ns = duration_in(config, "spike_rtt", s.spike_rtt_ns, 1 * kUs, 60 * kS);
    s.timeout_ns = duration_in(config, "timeout", s.timeout_ns, 1 * kMs, 60 * kS);
    if (config.has("seed")) {
        int64_t seed = config.integer("seed");
        if (seed < 0) throw zzp::config_error("seed", "'seed' must be 0 (random) or a positive integer");
        s.seed = static_cast<uint64_t>(seed);
    }
    return s;
}

}  // namespace zzp::synthetic

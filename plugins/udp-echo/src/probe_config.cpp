#include "probe_config.hpp"

#include <cmath>

#include "wire.hpp"

namespace zzp::udp_echo {

int64_t duration_or(const zzp::Config& c, const char* key, int64_t fallback_ns) {
    int64_t v = 0;
    zzp_status s = c.raw()->get_duration(c.raw(), key, &v);
    if (s == ZZP_E_NOT_FOUND) return fallback_ns;
    if (s != ZZP_OK)
        throw config_error(key, std::string("'") + key + "' must be a duration such as \"250ms\" or \"1s\"");
    return v;
}
double number_or(const zzp::Config& c, const char* key, double fallback) {
    double v = 0;
    zzp_status s = c.raw()->get_float(c.raw(), key, &v);
    if (s == ZZP_E_NOT_FOUND) return fallback;
    if (s != ZZP_OK) throw config_error(key, std::string("'") + key + "' must be a number");
    return v;
}
int64_t integer_or(const zzp::Config& c, const char* key, int64_t fallback) {
    int64_t v = 0;
    zzp_status s = c.raw()->get_int(c.raw(), key, &v);
    if (s == ZZP_E_NOT_FOUND) return fallback;
    if (s != ZZP_OK) throw config_error(key, std::string("'") + key + "' must be an integer");
    return v;
}
uint64_t size_or(const zzp::Config& c, const char* key, uint64_t fallback) {
    uint64_t v = 0;
    zzp_status s = c.raw()->get_size(c.raw(), key, &v);
    if (s == ZZP_E_NOT_FOUND) return fallback;
    if (s != ZZP_OK) throw config_error(key, std::string("'") + key + "' must be a size such as 64 or \"1KiB\"");
    return v;
}
bool boolean_or(const zzp::Config& c, const char* key, bool fallback) {
    int v = 0;
    zzp_status s = c.raw()->get_bool(c.raw(), key, &v);
    if (s == ZZP_E_NOT_FOUND) return fallback;
    if (s != ZZP_OK) throw config_error(key, std::string("'") + key + "' must be true or false");
    return v != 0;
}
std::vector<std::string> strings_or(const zzp::Config& c, const char* key, std::vector<std::string> fallback) {
    uint64_t n = 0;
    zzp_status s = c.raw()->get_length(c.raw(), key, &n);
    if (s == ZZP_E_NOT_FOUND) return fallback;
    if (s != ZZP_OK) throw config_error(key, std::string("'") + key + "' must be a list of strings");
    std::vector<std::string> out;
    for (uint64_t i = 0; i < n; ++i) {
        std::string path = std::string(key) + "[" + std::to_string(i) + "]";
        const char* v = nullptr;
        if (c.raw()->get_string(c.raw(), path.c_str(), &v) != ZZP_OK || v == nullptr)
            throw config_error(path, "'" + path + "' must be a string");
        out.emplace_back(v);
    }
    return out;
}

ProberConfig read_probe_config(const zzp::Config& c) {
    ProberConfig p;
    uint64_t count = 0;
    zzp_status s = c.raw()->get_length(c.raw(), "targets", &count);
    if (s == ZZP_E_NOT_FOUND || (s == ZZP_OK && count == 0))
        throw config_error("targets", "'targets' needs at least one \"host:port\" (e.g. [\"127.0.0.1:7790\"])");
    std::vector<std::string> targets = strings_or(c, "targets", {});
    if (targets.size() > kMaxTargets)
        throw config_error("targets",
                           "at most " + std::to_string(kMaxTargets) + " targets per probe instance; split them");
    for (size_t i = 0; i < targets.size(); ++i) {
        std::string key = "targets[" + std::to_string(i) + "]";
        ProbeTargetSpec t;
        t.name = targets[i];
        std::string error;
        if (!parse_endpoint(targets[i], /*resolve=*/true, &t.endpoint, &error)) throw config_error(key, error);
        for (size_t j = 0; j < i; ++j)
            if (p.targets[j].name == t.name) throw config_error(key, "target '" + t.name + "' is listed twice");
        p.targets.push_back(std::move(t));
    }
    p.rate = number_or(c, "rate", 10);
    if (!(p.rate > 0) || p.rate > kMaxRate || !std::isfinite(p.rate))
        throw config_error("rate", "'rate' must be more than 0 and at most 10000 requests per second per target");
    uint64_t size = size_or(c, "payload_size", 64);
    if (size < kHeaderSize || size > kMaxDatagram)
        throw config_error("payload_size", "'payload_size' must be from " + std::to_string(kHeaderSize) +
                                               " (the header) to " + std::to_string(kMaxDatagram) + " bytes, got " +
                                               std::to_string(size));
    p.payload_size = static_cast<size_t>(size);
    p.timeout_ns = duration_or(c, "timeout", 1000000000);
    if (p.timeout_ns < 1000000 || p.timeout_ns > 60000000000)
        throw config_error("timeout", "'timeout' must be from 1ms to 60s");
    if (p.rate * static_cast<double>(p.timeout_ns) / 1e9 > kMaxInFlight)
        throw config_error("timeout",
                           "'timeout' x 'rate' allows more than 100000 requests in flight per target; "
                           "lower one of them");
    int64_t dscp = integer_or(c, "dscp", 0);
    if (dscp < 0 || dscp > 63) throw config_error("dscp", "'dscp' must be from 0 to 63 (e.g. 46 for EF)");
    p.dscp = static_cast<int>(dscp);
    p.stamp = boolean_or(c, "stamp", true);
    return p;
}

}  // namespace zzp::udp_echo

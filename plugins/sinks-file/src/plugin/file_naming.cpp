#include "file_naming.hpp"

#include <cstdio>
#include <ctime>
#include <regex>

namespace zzp::file_sink {

std::string safe_instance(const std::string& instance) {
    std::string out = instance.empty() ? "zzprobe" : instance;
    for (char& c : out)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) c = '_';
    return out;
}

std::string file_name(const std::string& instance, int64_t period_start_ns, unsigned part) {
    int64_t secs = period_start_ns / 1'000'000'000 - (period_start_ns % 1'000'000'000 < 0);
    time_t t = static_cast<time_t>(secs);
    tm utc{};
    gmtime_r(&t, &utc);
    char stamp[80];
    std::snprintf(stamp, sizeof stamp, "%04d%02d%02dT%02d%02d%02dZ", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                  utc.tm_hour, utc.tm_min, utc.tm_sec);
    std::string name = safe_instance(instance) + "-" + stamp;
    if (part > 0) name += "-" + std::to_string(part);
    return name + ".zzr";
}

std::optional<int64_t> period_of(const std::string& name, const std::string& instance) {
    std::string prefix = safe_instance(instance) + "-";
    if (name.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
    static const std::regex re(R"(^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z(-\d+)?\.zzr$)");
    std::smatch m;
    std::string rest = name.substr(prefix.size());
    if (!std::regex_match(rest, m, re)) return std::nullopt;
    tm t{};
    t.tm_year = std::stoi(m[1]) - 1900;
    t.tm_mon = std::stoi(m[2]) - 1;
    t.tm_mday = std::stoi(m[3]);
    t.tm_hour = std::stoi(m[4]);
    t.tm_min = std::stoi(m[5]);
    t.tm_sec = std::stoi(m[6]);
    return static_cast<int64_t>(timegm(&t)) * 1'000'000'000;
}

}  // namespace zzp::file_sink

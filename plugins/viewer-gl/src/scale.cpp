#include "scale.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace zzp::viewer {

const char* scale_name(ScaleMode m) {
    switch (m) {
    case ScaleMode::linear: return "linear";
    case ScaleMode::log: return "log";
    case ScaleMode::power: return "power";
    }
    return "?";
}
const char* range_name(RangeMode m) {
    switch (m) {
    case RangeMode::automatic: return "auto";
    case RangeMode::full: return "full";
    case RangeMode::fixed: return "fixed";
    }
    return "?";
}
bool parse_scale(const std::string& s, ScaleMode& out) {
    if (s == "linear") out = ScaleMode::linear;
    else if (s == "log") out = ScaleMode::log;
    else if (s == "power") out = ScaleMode::power;
    else return false;
    return true;
}

double YScale::norm(double v) const {
    switch (mode) {
    case ScaleMode::linear: return v / hi_ns;
    case ScaleMode::log: return (std::log(std::max(v, 1.0)) - std::log(lo_ns)) / (std::log(hi_ns) - std::log(lo_ns));
    case ScaleMode::power: return std::pow(std::max(v, 0.0) / hi_ns, 1.0 / factor);
    }
    return 0;
}

double YScale::value_at(double n) const {
    switch (mode) {
    case ScaleMode::linear: return n * hi_ns;
    case ScaleMode::log: return std::exp(std::log(lo_ns) + n * (std::log(hi_ns) - std::log(lo_ns)));
    case ScaleMode::power: return hi_ns * std::pow(std::max(n, 0.0), factor);
    }
    return 0;
}

namespace {
double percentile(std::vector<double>& v, double q) {
    if (v.empty()) return 0;
    size_t k = static_cast<size_t>(q * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
    return v[k];
}
}  // namespace

YScale fit_scale(ScaleMode mode, RangeMode range, double factor, double fixed_hi, std::vector<double> maxima,
                 std::vector<double> minima, std::vector<double> upper_quartiles) {
    YScale s;
    s.mode = mode;
    s.factor = std::clamp(factor, 1.0, 8.0);
    double hi = 10e6;
    if (range == RangeMode::fixed && fixed_hi > 0) {
        hi = fixed_hi;
    } else if (!maxima.empty()) {
        double top = *std::max_element(maxima.begin(), maxima.end());
        if (range == RangeMode::full) {
            hi = top * 1.05;
        } else {
            // One spike must not flatten the rest: take the 98th percentile of column maxima,
            // but never cut into the quartile band.
            double robust = percentile(maxima, 0.98);
            double q = upper_quartiles.empty() ? 0 : *std::max_element(upper_quartiles.begin(), upper_quartiles.end());
            hi = std::max(robust, q) * 1.25;
            if (mode == ScaleMode::log) hi = std::max(hi, std::min(top * 1.2, robust * 20));  // log has room
        }
    }
    s.hi_ns = std::max(hi, 20'000.0);
    double lo = minima.empty() ? s.hi_ns / 1000 : *std::min_element(minima.begin(), minima.end()) * 0.7;
    s.lo_ns = std::clamp(lo, 10'000.0, s.hi_ns / 10);
    return s;
}

std::vector<double> reference_lines(const YScale& s) {
    std::vector<double> out;
    for (double decade = 1e4; decade <= 1e11; decade *= 10)
        for (double m : {1.0, 3.0}) {
            double v = decade * m;
            double n = s.norm(v);
            if (n > 0.02 && n < 0.98) out.push_back(v);
        }
    return out;
}

int64_t tick_step(int64_t span, double width_px, double min_px) {
    static const int64_t ms = 1'000'000, sec = 1000 * ms, min = 60 * sec, hour = 60 * min, day = 24 * hour;
    static const int64_t steps[] = {ms, 2 * ms, 5 * ms, 10 * ms, 20 * ms, 50 * ms, 100 * ms, 200 * ms, 500 * ms,
                                    sec, 2 * sec, 5 * sec, 10 * sec, 15 * sec, 30 * sec, min, 2 * min, 5 * min,
                                    10 * min, 15 * min, 30 * min, hour, 2 * hour, 3 * hour, 6 * hour, 12 * hour,
                                    day, 2 * day, 7 * day, 14 * day, 28 * day, 91 * day, 364 * day};
    double per_px = static_cast<double>(span) / std::max(width_px, 1.0);
    for (int64_t s : steps)
        if (static_cast<double>(s) / per_px >= min_px) return s;
    return steps[sizeof steps / sizeof steps[0] - 1];
}

std::vector<TimeTick> time_ticks(int64_t t0, int64_t t1, double width_px, double min_px) {
    std::vector<TimeTick> out;
    if (t1 <= t0) return out;
    int64_t step = tick_step(t1 - t0, width_px, min_px);
    int64_t t = (t0 / step) * step;
    if (t < t0) t += step;
    for (; t < t1 && out.size() < 200; t += step) out.push_back({t, format_time(t, step)});
    return out;
}

std::string format_time(int64_t t, int64_t step) {
    time_t secs = static_cast<time_t>(t / 1'000'000'000);
    int64_t sub = t % 1'000'000'000;
    if (sub < 0) {
        sub += 1'000'000'000;
        --secs;
    }
    struct tm tm {};
    gmtime_r(&secs, &tm);
    char buf[64];
    static const int64_t sec = 1'000'000'000, day = 86400 * sec;
    if (step >= day) std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    else if (step >= 60 * sec && tm.tm_hour == 0 && tm.tm_min == 0)
        std::snprintf(buf, sizeof buf, "%02d-%02d", tm.tm_mon + 1, tm.tm_mday);
    else if (step >= 60 * sec) std::snprintf(buf, sizeof buf, "%02d:%02d", tm.tm_hour, tm.tm_min);
    else if (step >= sec) std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
    else
        std::snprintf(buf, sizeof buf, "%02d:%02d.%03d", tm.tm_min, tm.tm_sec, static_cast<int>(sub / 1'000'000));
    return buf;
}

std::string format_date_time(int64_t t) {
    time_t secs = static_cast<time_t>(t / 1'000'000'000);
    struct tm tm {};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%03d UTC", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>((t / 1'000'000) % 1000));
    return buf;
}

std::string format_rtt(double ns) {
    char buf[32];
    if (ns < 0) return "-";
    if (ns < 1e6) std::snprintf(buf, sizeof buf, "%.0f µs", ns / 1e3);
    else if (ns < 1e8) std::snprintf(buf, sizeof buf, "%.2f ms", ns / 1e6);
    else if (ns < 1e10) std::snprintf(buf, sizeof buf, "%.0f ms", ns / 1e6);
    else std::snprintf(buf, sizeof buf, "%.1f s", ns / 1e9);
    return buf;
}

std::string format_span(int64_t ns) {
    char buf[48];
    double s = static_cast<double>(ns) / 1e9;
    if (s < 1) std::snprintf(buf, sizeof buf, "%.0f ms", s * 1e3);
    else if (s < 120) std::snprintf(buf, sizeof buf, "%.1f s", s);
    else if (s < 7200) std::snprintf(buf, sizeof buf, "%.0f min", s / 60);
    else if (s < 172800) std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
    else std::snprintf(buf, sizeof buf, "%.1f days", s / 86400);
    return buf;
}

}  // namespace zzp::viewer

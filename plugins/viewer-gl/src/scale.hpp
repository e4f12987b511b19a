// Y scales (linear, log, the original tool's power curve "scale factor") and readable time
// axes from milliseconds to months. Pure functions: tested without a GPU.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace zzp::viewer {

enum class ScaleMode { linear, log, power };
enum class RangeMode { automatic, full, fixed };

const char* scale_name(ScaleMode m);
const char* range_name(RangeMode m);
bool parse_scale(const std::string& s, ScaleMode& out);

struct YScale {
    ScaleMode mode = ScaleMode::log;
    double lo_ns = 100'000;       // log only: the value at the bottom
    double hi_ns = 100'000'000;   // the value at the top
    double factor = 2.0;          // power: y = (v / hi)^(1 / factor)
    // 0 at the bottom, 1 at the top (outside [0, 1] when off the range).
    double norm(double v_ns) const;
    double value_at(double norm) const;  // inverse of norm
};

// Auto range: robust against single spikes (a high percentile of column maxima, not the max).
// `maxima`/`minima`: per column envelope values (ns) of every visible host.
YScale fit_scale(ScaleMode mode, RangeMode range, double factor, double fixed_hi_ns, std::vector<double> maxima,
                 std::vector<double> minima, std::vector<double> upper_quartiles);

// Reference lines within a scale: 1, 3, 10, 30, 100, 300 ms ... (values in ns).
std::vector<double> reference_lines(const YScale& s);

struct TimeTick {
    int64_t t_ns;
    std::string label;
};
// Ticks at a "round" step so that labels are at least min_px apart.
std::vector<TimeTick> time_ticks(int64_t t0, int64_t t1, double width_px, double min_px = 110);
int64_t tick_step(int64_t span_ns, double width_px, double min_px);
// "2024-05-01 13:45:07.250" trimmed to what `step_ns` needs (UTC).
std::string format_time(int64_t t_ns, int64_t step_ns);
std::string format_date_time(int64_t t_ns);  // "2024-05-01 13:45:07 UTC"
std::string format_rtt(double ns);           // "3.21 ms", "850 µs"
std::string format_span(int64_t ns);         // "2 h 5 min", "350 ms"

}  // namespace zzp::viewer

#include "console_settings.hpp"

#include <string>

namespace zzp::console {
namespace {

constexpr int64_t kMs = 1'000'000, kS = 1'000'000'000;

int64_t duration_in(const zzp::Config& config, const char* key, int64_t fallback, int64_t low, int64_t high,
                    const char* range_text) {
    if (!config.has(key)) return fallback;
    int64_t value = config.duration(key).count();
    if (value < low || value > high)
        throw zzp::config_error(key, "'" + std::string(key) + "' must be between " + range_text);
    return value;
}

}  // namespace

ConsoleSettings read_console_settings(const zzp::Config& config) {
    ConsoleSettings s;
    s.window_ns = duration_in(config, "window", s.window_ns, 100 * kMs, 3600 * kS, "100ms and 1h");
    s.refresh_ns = duration_in(config, "refresh", s.refresh_ns, 50 * kMs, 3600 * kS, "50ms and 1h");

    std::string format = config.has("format") ? config.string("format") : "auto";
    if (format == "auto")
        s.format = OutputFormat::automatic;
    else if (format == "table")
        s.format = OutputFormat::table;
    else if (format == "lines")
        s.format = OutputFormat::lines;
    else
        throw zzp::config_error("format", "'format' is \"" + format + "\"; use \"auto\", \"table\" or \"lines\"");

    std::string output = config.has("output") ? config.string("output") : "stdout";
    if (output == "stdout")
        s.output = OutputStream::standard_output;
    else if (output == "stderr")
        s.output = OutputStream::standard_error;
    else
        throw zzp::config_error("output", "'output' is \"" + output + "\"; use \"stdout\" or \"stderr\"");
    return s;
}

}  // namespace zzp::console

#include "summary_format.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace zzp::console {
namespace {

std::string printf_string(const char* fmt, double value) {
    char text[64];
    std::snprintf(text, sizeof text, fmt, value);
    return text;
}

std::string format_rate(double per_s) {
    return printf_string("%.1f", per_s);
}

std::string pad_left(const std::string& s, size_t width) {
    return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}
std::string pad_right(const std::string& s, size_t width) {
    return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

}  // namespace

std::string format_rtt(int64_t ns) {
    if (ns < 0) return "-";
    double us = static_cast<double>(ns) / 1e3;
    if (us < 1000) return printf_string("%.0fus", us);
    double ms = us / 1e3;
    if (ms < 10) return printf_string("%.2fms", ms);
    if (ms < 1000) return printf_string("%.1fms", ms);
    return printf_string("%.2fs", ms / 1e3);
}

std::string format_loss(double fraction) {
    if (fraction < 0) return "-";
    double percent = fraction * 100.0;
    if (percent > 0 && percent < 0.1) return printf_string("%.2f%%", percent);
    return printf_string("%.1f%%", percent);
}

std::string format_age(int64_t ns) {
    if (ns < 0) return "never";
    double s = static_cast<double>(ns) / 1e9;
    if (s < 10) return printf_string("%.1fs", s);
    if (s < 60) return printf_string("%.0fs", s);
    auto whole = static_cast<long long>(s);
    char text[64];
    if (whole < 3600)
        std::snprintf(text, sizeof text, "%lldm%02llds", whole / 60, whole % 60);
    else
        std::snprintf(text, sizeof text, "%lldh%02lldm", whole / 3600, (whole % 3600) / 60);
    return text;
}

std::string format_utc(int64_t wall_ns) {
    time_t seconds = static_cast<time_t>(wall_ns / 1'000'000'000);
    tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

std::string render_table(const std::vector<TargetSummary>& rows, int64_t now_wall_ns, int64_t window_ns) {
    static const char* kHeader[] = {"TARGET", "ADDRESS", "SENT/s", "RECV/s", "P50",
                                    "P99~",   "MEAN",    "LOSS",   "LAST",   "INFL"};
    constexpr size_t kColumns = sizeof kHeader / sizeof kHeader[0];
    std::vector<std::vector<std::string>> cells;
    cells.emplace_back(kHeader, kHeader + kColumns);
    for (const TargetSummary& r : rows) {
        if (r.has_data)
            cells.push_back({r.name, r.address, format_rate(r.sent_per_s), format_rate(r.replies_per_s),
                             format_rtt(r.rtt_p50_ns), format_rtt(r.rtt_p99ish_ns), format_rtt(r.rtt_mean_ns),
                             format_loss(r.loss_fraction), format_age(r.since_last_reply_ns),
                             std::to_string(r.in_flight)});
        else
            cells.push_back({r.name, r.address, "no data", "", "", "", "", "", format_age(r.since_last_reply_ns),
                             std::to_string(r.in_flight)});
    }
    size_t width[kColumns] = {};
    for (const auto& row : cells)
        for (size_t c = 0; c < kColumns; ++c)
            if (!(row[2] == "no data" && c >= 2 && c <= 7))
                width[c] = std::max(width[c], std::min<size_t>(row[c].size(), 40));

    std::string out = "zzprobe console  " + format_utc(now_wall_ns) + "  window " + format_age(window_ns) + "\n";
    for (const auto& row : cells) {
        std::string line;
        for (size_t c = 0; c < kColumns; ++c) {
            std::string cell = row[c].size() > 40 ? row[c].substr(0, 39) + "~" : row[c];
            if (c == 2 && cell == "no data") {
                // Spans the statistics columns, so a silent target reads plainly.
                size_t span = 0;
                for (size_t k = 2; k <= 7; ++k) span += width[k] + 2;
                line += pad_right("  " + cell, span);
                c = 7;
                continue;
            }
            if (c < 2)
                line += (c ? "  " : "") + pad_right(cell, width[c]);
            else
                line += "  " + pad_left(cell, width[c]);
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    if (rows.empty()) out += "(no targets yet)\n";
    return out;
}

std::string render_lines(const std::vector<TargetSummary>& rows, int64_t now_wall_ns) {
    const std::string time = format_utc(now_wall_ns);
    std::string out;
    for (const TargetSummary& r : rows) {
        out += time + " " + r.name + " (" + r.address + ")";
        if (r.has_data)
            out += " sent " + format_rate(r.sent_per_s) + "/s recv " + format_rate(r.replies_per_s) + "/s p50 " +
                   format_rtt(r.rtt_p50_ns) + " p99~ " + format_rtt(r.rtt_p99ish_ns) + " mean " +
                   format_rtt(r.rtt_mean_ns) + " loss " + format_loss(r.loss_fraction);
        else
            out += " no data";
        out += " last " + format_age(r.since_last_reply_ns) + " inflight " + std::to_string(r.in_flight) + "\n";
    }
    if (rows.empty()) out += time + " (no targets yet)\n";
    return out;
}

}  // namespace zzp::console

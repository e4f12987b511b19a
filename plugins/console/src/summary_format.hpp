// Turns target summaries into text: an aligned table (for a terminal, redrawn in place) or
// one self-contained line per target (for logs and pipes). Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "frame_window.hpp"

namespace zzp::console {

// "850us", "2.01ms", "12.5ms", "1.20s"; "-" for a negative (unknown) value.
std::string format_rtt(int64_t ns);
// "1.0%", "0.05%" (below 0.1 %), "-" for unknown.
std::string format_loss(double fraction);
// Time since: "0.3s", "42s", "3m04s", "2h05m"; "never" for a negative value.
std::string format_age(int64_t ns);
// "2024-05-01T12:00:03Z"
std::string format_utc(int64_t wall_ns);

// The table: a title line, a header line and one row per target. Every line ends in '\n'.
std::string render_table(const std::vector<TargetSummary>& rows, int64_t now_wall_ns, int64_t window_ns);
// One line per target, each starting with the UTC time. Every line ends in '\n'.
std::string render_lines(const std::vector<TargetSummary>& rows, int64_t now_wall_ns);

}  // namespace zzp::console

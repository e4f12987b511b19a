// Rendering the store as the Prometheus text exposition format 0.0.4 or OpenMetrics 1.0.0,
// and picking one from an HTTP Accept header.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "metrics_store.hpp"

namespace zzp::prom {

enum class Format { Text, OpenMetrics };

// Content-Type header values.
inline constexpr const char* kTextContentType = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr const char* kOpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

// OpenMetrics when the Accept header prefers it (q-values honoured), else the text format
// (also for a missing, wildcard or unsupported Accept: the Prometheus convention).
Format negotiate(std::string_view accept);

struct RenderInfo {
    std::vector<double> bucket_bounds_s;
    std::string static_labels;  // `,site="paris"` or empty
    std::string build_labels;   // `version="1.0.0",...` (without braces)
};

// Appends the whole exposition to `out`.
void render(std::string& out, Format format, const std::vector<TargetSnapshot>& targets, const RenderInfo& info);

// `name="escaped value"` (backslash, double quote and newline escaped).
void append_label(std::string& out, std::string_view name, std::string_view value);
// Shortest exact form; integers get ".0" (1 -> "1.0"); NaN, +Inf, -Inf.
void append_double(std::string& out, double v);

// The metric families, for the README and the tests.
struct FamilyDoc {
    const char* name;  // as exposed in the text format
    const char* type;  // counter, gauge, histogram, summary, info
    const char* help;
};
const std::vector<FamilyDoc>& families();

}  // namespace zzp::prom

#include "exposition.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace zzp::prom {
namespace {

enum Family {
    kRequests,
    kReplies,
    kLost,
    kErrors,
    kLate,
    kDuplicates,
    kRttHistogram,
    kRttSummary,
    kLastRtt,
    kLastReply,
    kUp,
    kBuildInfo,
    kFamilyCount
};

const std::vector<FamilyDoc> kFamilies = {
    {"zzprobe_echo_requests_total", "counter",
     "Echo requests sent, counted once each attempt has settled (reply, loss or error)."},
    {"zzprobe_echo_replies_total", "counter", "Echo requests answered before the timeout."},
    {"zzprobe_echo_lost_total", "counter", "Echo requests without a reply before the timeout."},
    {"zzprobe_echo_errors_total", "counter",
     "Echo requests that failed: not sent (local error) or answered by a network error (ICMP unreachable)."},
    {"zzprobe_echo_late_replies_total", "counter", "Replies that arrived after their request was counted as lost."},
    {"zzprobe_echo_duplicate_replies_total", "counter", "Extra replies to a request that was already answered."},
    {"zzprobe_echo_rtt_seconds", "histogram", "Round-trip time of the replies."},
    {"zzprobe_echo_rtt_window_seconds", "summary",
     "Round-trip time of the replies: quantiles over the sink's summary_window, sum and count since start."},
    {"zzprobe_echo_last_rtt_seconds", "gauge", "Round-trip time of the most recent reply."},
    {"zzprobe_echo_last_reply_timestamp_seconds", "gauge", "Unix time of the most recent reply."},
    {"zzprobe_target_up", "gauge", "1 when the target replied within the sink's up_window, else 0."},
    {"zzprobe_build_info", "info", "Versions of the prometheus sink plugin and of the zzprobe plugin ABI it implements."},
};

void append_u64(std::string& out, uint64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

// The family name OpenMetrics wants in HELP/TYPE/UNIT: without _total (counters) or _info.
std::string_view om_family_name(const FamilyDoc& f) {
    std::string_view n = f.name;
    if (std::strcmp(f.type, "counter") == 0) n.remove_suffix(6);
    if (std::strcmp(f.type, "info") == 0) n.remove_suffix(5);
    return n;
}

void header(std::string& out, Format format, Family which) {
    const FamilyDoc& f = kFamilies[which];
    const bool om = format == Format::OpenMetrics;
    std::string_view name = om ? om_family_name(f) : std::string_view(f.name);
    std::string_view type = f.type;
    if (!om && type == "info") type = "gauge";
    out += "# HELP ";
    out += name;
    out += ' ';
    out += f.help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
    if (om && name.size() > 8 && name.substr(name.size() - 8) == "_seconds") {
        out += "# UNIT ";
        out += name;
        out += " seconds\n";
    }
}

// name{labels[,extra]} value
void sample_prefix(std::string& out, std::string_view name, const std::string& labels, std::string_view extra = {}) {
    out += name;
    out += '{';
    out += labels;
    if (!extra.empty()) {
        if (!labels.empty()) out += ',';
        out += extra;
    }
    out += "} ";
}

}  // namespace

const std::vector<FamilyDoc>& families() { return kFamilies; }

void append_label(std::string& out, std::string_view name, std::string_view value) {
    out += name;
    out += "=\"";
    for (char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    out += '"';
}

void append_double(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "NaN";
        return;
    }
    if (std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
        return;
    }
    char buf[64];
    // Plain decimals where they stay short (le="0.0001", not "1e-04"), exponents beyond.
    const double a = std::fabs(v);
    auto r = (a == 0 || (a >= 1e-6 && a < 1e15)) ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed)
                                                 : std::to_chars(buf, buf + sizeof buf, v);
    std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
    out += s;
    if (s.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

Format negotiate(std::string_view accept) {
    double best_text = -1, best_om = -1;
    size_t pos = 0;
    while (pos <= accept.size()) {
        size_t comma = accept.find(',', pos);
        std::string_view item = accept.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        pos = comma == std::string_view::npos ? accept.size() + 1 : comma + 1;
        // media-range *( ";" parameter )
        auto trim = [](std::string_view s) {
            while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
            while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
            return s;
        };
        size_t semi = item.find(';');
        std::string_view type = trim(item.substr(0, semi));
        double q = 1;
        std::string_view version;
        while (semi != std::string_view::npos) {
            size_t next = item.find(';', semi + 1);
            std::string_view param =
                trim(item.substr(semi + 1, next == std::string_view::npos ? std::string_view::npos : next - semi - 1));
            semi = next;
            size_t eq = param.find('=');
            if (eq == std::string_view::npos) continue;
            std::string_view k = trim(param.substr(0, eq)), v = trim(param.substr(eq + 1));
            if (k == "q" || k == "Q") {
                std::string qs(v);
                char* end = nullptr;
                double parsed = std::strtod(qs.c_str(), &end);
                q = (end && *end == '\0' && parsed >= 0 && parsed <= 1) ? parsed : 0;
            } else if (k == "version") {
                version = v;
            }
        }
        if (q <= 0) continue;
        auto iequals = [](std::string_view a, std::string_view b) {
            if (a.size() != b.size()) return false;
            for (size_t i = 0; i < a.size(); ++i)
                if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
                    return false;
            return true;
        };
        if (iequals(type, "application/openmetrics-text")) {
            if (version.empty() || version == "1.0.0" || version == "0.0.1") best_om = std::max(best_om, q);
        } else if (iequals(type, "text/plain")) {
            if (version.empty() || version == "0.0.4") best_text = std::max(best_text, q);
        } else if (type == "*/*" || iequals(type, "text/*")) {
            best_text = std::max(best_text, q);
        }
    }
    return best_om > 0 && best_om >= best_text ? Format::OpenMetrics : Format::Text;
}

void render(std::string& out, Format format, const std::vector<TargetSnapshot>& targets, const RenderInfo& info) {
    const size_t per_target = 600 + 150 * info.bucket_bounds_s.size() +
                              (targets.empty() ? 0 : 30 * targets.front().labels->size());
    out.reserve(out.size() + 4096 + targets.size() * per_target);

    auto counter = [&](Family f, uint64_t Counters::*member) {
        header(out, format, f);
        for (const TargetSnapshot& t : targets) {
            sample_prefix(out, kFamilies[f].name, *t.labels);
            append_u64(out, t.counters.*member);
            out += '\n';
        }
    };
    counter(kRequests, &Counters::requests);
    counter(kReplies, &Counters::replies);
    counter(kLost, &Counters::lost);
    counter(kErrors, &Counters::errors);
    counter(kLate, &Counters::late);
    counter(kDuplicates, &Counters::duplicates);

    // Histogram: cumulative buckets, then sum and count.
    std::vector<std::string> le;
    for (double b : info.bucket_bounds_s) {
        std::string s = "le=\"";
        append_double(s, b);
        s += '"';
        le.push_back(std::move(s));
    }
    le.push_back("le=\"+Inf\"");
    header(out, format, kRttHistogram);
    for (const TargetSnapshot& t : targets) {
        uint64_t cumulative = 0;
        for (size_t i = 0; i < le.size(); ++i) {
            cumulative += i < t.counters.buckets.size() ? t.counters.buckets[i] : 0;
            sample_prefix(out, "zzprobe_echo_rtt_seconds_bucket", *t.labels, le[i]);
            append_u64(out, cumulative);
            out += '\n';
        }
        sample_prefix(out, "zzprobe_echo_rtt_seconds_sum", *t.labels);
        append_double(out, t.counters.rtt_sum_s);
        out += '\n';
        sample_prefix(out, "zzprobe_echo_rtt_seconds_count", *t.labels);
        append_u64(out, t.counters.rtt_count);
        out += '\n';
    }

    static const char* const kQuantileLabels[] = {"quantile=\"0.5\"", "quantile=\"0.9\"", "quantile=\"0.99\""};
    static_assert(sizeof kQuantileLabels / sizeof kQuantileLabels[0] == kQuantiles.size());
    header(out, format, kRttSummary);
    for (const TargetSnapshot& t : targets) {
        for (size_t i = 0; i < kQuantiles.size(); ++i) {
            sample_prefix(out, "zzprobe_echo_rtt_window_seconds", *t.labels, kQuantileLabels[i]);
            append_double(out, t.quantiles_s[i]);
            out += '\n';
        }
        sample_prefix(out, "zzprobe_echo_rtt_window_seconds_sum", *t.labels);
        append_double(out, t.counters.rtt_sum_s);
        out += '\n';
        sample_prefix(out, "zzprobe_echo_rtt_window_seconds_count", *t.labels);
        append_u64(out, t.counters.rtt_count);
        out += '\n';
    }

    header(out, format, kLastRtt);
    for (const TargetSnapshot& t : targets) {
        if (t.counters.last_rtt_ns < 0) continue;  // no reply yet: no value rather than a made-up one
        sample_prefix(out, kFamilies[kLastRtt].name, *t.labels);
        append_double(out, static_cast<double>(t.counters.last_rtt_ns) / 1e9);
        out += '\n';
    }
    header(out, format, kLastReply);
    for (const TargetSnapshot& t : targets) {
        if (t.counters.last_reply_wall_ns <= 0) continue;
        sample_prefix(out, kFamilies[kLastReply].name, *t.labels);
        append_double(out, static_cast<double>(t.counters.last_reply_wall_ns) / 1e9);
        out += '\n';
    }
    header(out, format, kUp);
    for (const TargetSnapshot& t : targets) {
        sample_prefix(out, kFamilies[kUp].name, *t.labels);
        out += t.up ? "1\n" : "0\n";
    }

    header(out, format, kBuildInfo);
    out += kFamilies[kBuildInfo].name;
    out += '{';
    out += info.build_labels;
    out += info.static_labels;  // leading comma
    out += "} 1\n";

    if (format == Format::OpenMetrics) out += "# EOF\n";
}

}  // namespace zzp::prom

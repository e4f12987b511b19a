#include "frame_window.hpp"

#include <algorithm>
#include <cmath>

namespace zzp::console {
namespace {

constexpr double kQuantileLevels[ZZP_QUANTILE_COUNT] = {0.0, 0.125, 0.25, 0.5, 0.75, 0.875, 1.0};
constexpr int64_t kStaleAfterNs = 1'000'000'000;

int64_t align_up(int64_t t, int64_t interval) {
    if (interval <= 0) return t;
    int64_t down = t - ((t % interval) + interval) % interval;
    return down == t ? t : down + interval;
}

bool has_rtts(const zzp_frame& f) {
    return f.received > 0 && f.rtt_ns[ZZP_Q_MIN] >= 0;
}

// CDF of one frame's RTTs at x: linear between its quantile points.
double frame_cdf(const zzp_frame& f, double x) {
    const int64_t* v = f.rtt_ns;
    if (x < static_cast<double>(v[0])) return 0.0;
    if (x >= static_cast<double>(v[ZZP_QUANTILE_COUNT - 1])) return 1.0;
    for (int j = ZZP_QUANTILE_COUNT - 2; j >= 0; --j) {
        if (x >= static_cast<double>(v[j])) {
            double lo = static_cast<double>(v[j]), hi = static_cast<double>(v[j + 1]);
            if (hi <= lo) return kQuantileLevels[j + 1];
            return kQuantileLevels[j] + (kQuantileLevels[j + 1] - kQuantileLevels[j]) * (x - lo) / (hi - lo);
        }
    }
    return 0.0;
}

}  // namespace

int64_t pooled_rtt_quantile(const std::vector<const zzp_frame*>& frames, double q) {
    double total_weight = 0;
    std::vector<int64_t> points;
    for (const zzp_frame* f : frames) {
        if (!has_rtts(*f)) continue;
        total_weight += f->received;
        points.insert(points.end(), f->rtt_ns, f->rtt_ns + ZZP_QUANTILE_COUNT);
    }
    if (total_weight <= 0) return -1;
    std::sort(points.begin(), points.end());
    points.erase(std::unique(points.begin(), points.end()), points.end());
    auto cdf = [&](double x) {
        double sum = 0;
        for (const zzp_frame* f : frames)
            if (has_rtts(*f)) sum += f->received * frame_cdf(*f, x);
        return sum / total_weight;
    };
    // The first breakpoint where the mixture reaches q (the CDF only rises).
    size_t lo = 0, hi = points.size() - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cdf(static_cast<double>(points[mid])) >= q)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (lo == 0) return points[0];
    // Between two breakpoints the mixture is linear; a step (a value shared by many replies)
    // sits exactly at the breakpoint.
    double x0 = static_cast<double>(points[lo - 1]), x1 = static_cast<double>(points[lo]);
    double f0 = cdf(x0), f1_left = cdf(std::nextafter(x1, x0));
    if (q > f1_left || f1_left <= f0) return points[lo];
    double x = x0 + (x1 - x0) * (q - f0) / (f1_left - f0);
    return std::llround(x);
}

FrameWindow::Target& FrameWindow::target(uint32_t id) {
    auto [it, inserted] = targets_.try_emplace(id);
    if (inserted) {
        it->second.name = "#" + std::to_string(id);  // until on_target names it
        it->second.address = "?";
    }
    return it->second;
}

void FrameWindow::set_target(uint32_t id, const std::string& name, const std::string& address) {
    Target& t = target(id);
    t.name = name;
    t.address = address;
}

void FrameWindow::add(const zzp_frame& f) {
    if (f.interval_ns <= 0 || f.target_id == 0) {
        ++malformed_frames_;
        return;
    }
    Target& t = target(f.target_id);
    const int64_t end = f.start_wall_ns + f.interval_ns;
    t.interval_ns = f.interval_ns;
    t.first_start_ns = std::min(t.first_start_ns, f.start_wall_ns);
    if (f.received > 0) t.last_reply_end_ns = std::max(t.last_reply_end_ns, end);
    data_end_ns_ = std::max(data_end_ns_, end);
    max_interval_ns_ = std::max(max_interval_ns_, f.interval_ns);

    auto [it, inserted] = t.frames.try_emplace(f.start_wall_ns, f);
    if (inserted) return;
    const zzp_frame& kept = it->second;
    bool kept_final = (kept.flags & ZZP_FRAME_F_FINAL) != 0;
    bool new_final = (f.flags & ZZP_FRAME_F_FINAL) != 0;
    // A final frame is never replaced by a live one; otherwise the later revision wins.
    if (new_final || (!kept_final && f.revision >= kept.revision)) it->second = f;
}

std::vector<TargetSummary> FrameWindow::summarize(int64_t now_wall_ns) {
    int64_t window_end = data_end_ns_ == INT64_MIN
                             ? now_wall_ns
                             : std::max(data_end_ns_, now_wall_ns - kStaleAfterNs - max_interval_ns_);
    std::vector<TargetSummary> out;
    out.reserve(targets_.size());
    for (auto& [id, t] : targets_) {
        // Forget frames that left the window (a late revision of one is dropped again here).
        t.frames.erase(t.frames.begin(), t.frames.lower_bound(window_end - window_ns_));
        out.push_back(summarize_target(id, t, window_end, now_wall_ns));
    }
    return out;
}

TargetSummary FrameWindow::summarize_target(uint32_t id, Target& t, int64_t window_end, int64_t now) const {
    TargetSummary s;
    s.id = id;
    s.name = t.name;
    s.address = t.address;
    if (t.last_reply_end_ns != INT64_MIN) s.since_last_reply_ns = std::max<int64_t>(0, now - t.last_reply_end_ns);

    const int64_t window_start = window_end - window_ns_;
    std::vector<const zzp_frame*> frames;
    for (auto it = t.frames.lower_bound(window_start); it != t.frames.end() && it->first < window_end; ++it)
        frames.push_back(&it->second);
    if (frames.empty()) return s;

    // Rates: counts over the time the window covers for this target (less than the window
    // while the target is new).
    int64_t span_start = std::max(align_up(window_start, t.interval_ns), t.first_start_ns);
    double span_s = static_cast<double>(window_end - span_start) / 1e9;
    if (span_s <= 0) return s;
    s.has_data = true;

    uint64_t sent = 0, received = 0, timed_replies = 0;
    double rtt_sum = 0;
    std::vector<const zzp_frame*> with_rtts;
    // Losses only show after the timeout, replies at once: so loss is taken over the frames
    // before the oldest one still pending, where every attempt has settled either way.
    int64_t settled_horizon = window_end;
    for (const zzp_frame* f : frames) {
        sent += f->sent;
        received += f->received;
        s.in_flight += f->pending;
        if (f->pending > 0) settled_horizon = std::min(settled_horizon, f->start_wall_ns);
        if (has_rtts(*f)) {
            with_rtts.push_back(f);
            timed_replies += f->received;
            rtt_sum += static_cast<double>(f->rtt_mean_ns) * f->received;
            s.rtt_p99ish_ns = std::max(s.rtt_p99ish_ns, f->rtt_ns[ZZP_Q_P87]);
        }
    }
    uint64_t failed = 0;
    for (const zzp_frame* f : frames) {
        if (f->start_wall_ns >= settled_horizon) break;
        failed += uint64_t{f->lost} + f->errors;
        s.settled += uint64_t{f->received} + f->lost + f->errors;
    }
    s.sent_per_s = static_cast<double>(sent) / span_s;
    s.replies_per_s = static_cast<double>(received) / span_s;
    if (s.settled > 0) s.loss_fraction = static_cast<double>(failed) / static_cast<double>(s.settled);
    if (timed_replies > 0) {
        s.rtt_mean_ns = std::llround(rtt_sum / static_cast<double>(timed_replies));
        s.rtt_p50_ns = pooled_rtt_quantile(with_rtts, 0.5);
    }
    return s;
}

}  // namespace zzp::console

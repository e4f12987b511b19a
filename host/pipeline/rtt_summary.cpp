#include "pipeline/rtt_summary.hpp"

#include <algorithm>
#include <cmath>

namespace zzp::host {
namespace {

// pos = q·(n−1), linear interpolation between the neighbours, rounded to the nearest ns.
int64_t quantile_of_sorted(const std::vector<int64_t>& v, double q) {
    const double pos = q * static_cast<double>(v.size() - 1);
    const size_t lo = static_cast<size_t>(pos);
    const size_t hi = std::min(lo + 1, v.size() - 1);
    const double frac = pos - static_cast<double>(lo);
    const double value = static_cast<double>(v[lo]) + frac * static_cast<double>(v[hi] - v[lo]);
    return static_cast<int64_t>(std::llround(value));
}

}  // namespace

void summarize_rtt(std::vector<RttPoint>& points, std::vector<int64_t>& scratch, zzp_frame* frame) {
    const size_t n = points.size();
    if (n == 0) {
        std::fill(std::begin(frame->rtt_ns), std::end(frame->rtt_ns), int64_t{-1});
        frame->rtt_mean_ns = -1;
        frame->rtt_jitter_ns = -1;
        return;
    }
    // Replies mostly arrive in sequence order; sort only when they did not.
    auto by_seq = [](const RttPoint& a, const RttPoint& b) { return a.seq < b.seq; };
    if (!std::is_sorted(points.begin(), points.end(), by_seq)) std::sort(points.begin(), points.end(), by_seq);

    scratch.clear();
    long double sum = 0;
    long double jitter_sum = 0;
    for (size_t i = 0; i < n; ++i) {
        scratch.push_back(points[i].rtt_ns);
        sum += points[i].rtt_ns;
        if (i > 0) jitter_sum += std::llabs(points[i].rtt_ns - points[i - 1].rtt_ns);
    }
    frame->rtt_mean_ns = static_cast<int64_t>(std::llround(static_cast<double>(sum / n)));
    frame->rtt_jitter_ns = n < 2 ? -1 : static_cast<int64_t>(std::llround(static_cast<double>(jitter_sum / (n - 1))));

    std::sort(scratch.begin(), scratch.end());
    for (int q = 0; q < ZZP_QUANTILE_COUNT; ++q) frame->rtt_ns[q] = quantile_of_sorted(scratch, kFrameQuantiles[q]);
}

}  // namespace zzp::host

#include "reference_frames.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace zzp::test {

int64_t reference_quantile(std::vector<int64_t> values, double q) {
    std::sort(values.begin(), values.end());
    const double pos = q * static_cast<double>(values.size() - 1);
    const double lo = std::floor(pos);
    const double hi = std::ceil(pos);
    const double a = static_cast<double>(values[static_cast<size_t>(lo)]);
    const double b = static_cast<double>(values[static_cast<size_t>(hi)]);
    return static_cast<int64_t>(std::round(a * (1.0 - (pos - lo)) + b * (pos - lo)));
}

std::map<FrameKey, zzp_frame> reference_frames(const std::vector<zzp_sample>& samples, int64_t interval_ns) {
    struct Acc {
        std::set<uint64_t> attempts;
        std::vector<std::pair<uint64_t, int64_t>> replies;  // seq, rtt
        zzp_frame f{};
    };
    std::map<FrameKey, Acc> acc;
    for (const zzp_sample& s : samples) {
        int64_t start = static_cast<int64_t>(std::floor(static_cast<double>(s.sent_wall_ns) / interval_ns)) * interval_ns;
        while (start > s.sent_wall_ns) start -= interval_ns;
        while (start + interval_ns <= s.sent_wall_ns) start += interval_ns;
        Acc& a = acc[{s.target_id, start}];
        switch (s.status) {
        case ZZP_SAMPLE_SENT: a.attempts.insert(s.seq); break;
        case ZZP_SAMPLE_REPLY:
            a.attempts.insert(s.seq);
            a.replies.push_back({s.seq, s.rtt_ns});
            ++a.f.received;
            if (s.flags & ZZP_SAMPLE_F_REORDERED) ++a.f.reordered;
            break;
        case ZZP_SAMPLE_LOST: a.attempts.insert(s.seq), ++a.f.lost; break;
        case ZZP_SAMPLE_SEND_ERROR:
        case ZZP_SAMPLE_NET_ERROR: a.attempts.insert(s.seq), ++a.f.errors; break;
        case ZZP_SAMPLE_LATE: ++a.f.late; break;
        case ZZP_SAMPLE_DUPLICATE: ++a.f.duplicates; break;
        }
    }
    std::map<FrameKey, zzp_frame> out;
    for (auto& [key, a] : acc) {
        if (a.attempts.empty()) continue;  // events only: their frame is not the reference's concern
        zzp_frame f = a.f;
        f.target_id = key.first;
        f.start_wall_ns = key.second;
        f.interval_ns = interval_ns;
        f.sent = static_cast<uint32_t>(a.attempts.size());
        f.flags = ZZP_FRAME_F_FINAL;
        std::sort(a.replies.begin(), a.replies.end());
        std::vector<int64_t> rtts;
        for (auto& r : a.replies) rtts.push_back(r.second);
        const double qs[ZZP_QUANTILE_COUNT] = {0, 0.125, 0.25, 0.5, 0.75, 0.875, 1};
        for (int q = 0; q < ZZP_QUANTILE_COUNT; ++q) f.rtt_ns[q] = rtts.empty() ? -1 : reference_quantile(rtts, qs[q]);
        if (rtts.empty()) {
            f.rtt_mean_ns = -1;
        } else {
            double sum = 0;
            for (int64_t r : rtts) sum += static_cast<double>(r);
            f.rtt_mean_ns = static_cast<int64_t>(std::round(sum / static_cast<double>(rtts.size())));
        }
        if (rtts.size() < 2) {
            f.rtt_jitter_ns = -1;
        } else {
            double sum = 0;
            for (size_t i = 1; i < rtts.size(); ++i) sum += std::fabs(static_cast<double>(rtts[i] - rtts[i - 1]));
            f.rtt_jitter_ns = static_cast<int64_t>(std::round(sum / static_cast<double>(rtts.size() - 1)));
        }
        out[key] = f;
    }
    return out;
}

}  // namespace zzp::test

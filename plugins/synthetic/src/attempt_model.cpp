#include "attempt_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace zzp::synthetic {

AttemptModel::AttemptModel(const SyntheticSettings& s, size_t target_count, uint64_t seed)
    : rng_(seed),
      median_rtt_ns_(static_cast<double>(s.rtt_ns)),
      rtt_spread_(s.rtt_spread),
      loss_(s.loss),
      burst_start_probability_(std::min(1.0, s.burst_loss / s.rate)),
      burst_length_ns_(s.burst_length_ns),
      spike_probability_(std::min(1.0, s.spike_rate / s.rate)),
      spike_rtt_ns_(s.spike_rtt_ns),
      timeout_ns_(s.timeout_ns),
      burst_until_mono_ns_(target_count, std::numeric_limits<int64_t>::min()) {}

AttemptOutcome AttemptModel::next(size_t target, int64_t send_mono_ns) {
    // Draw every random number on every call, so one knob (say loss) does not shift the
    // sequence the others see: runs with the same seed stay comparable.
    double burst_draw = uniform();
    double loss_draw = uniform();
    double spike_draw = uniform();
    double spread_draw = normal_(rng_);

    int64_t& burst_until = burst_until_mono_ns_[target];
    if (send_mono_ns >= burst_until && burst_draw < burst_start_probability_)
        burst_until = send_mono_ns + burst_length_ns_;
    if (send_mono_ns < burst_until) return {};
    if (loss_draw < loss_) return {};

    double rtt = median_rtt_ns_ * std::exp(rtt_spread_ * spread_draw);
    if (spike_draw < spike_probability_) rtt += static_cast<double>(spike_rtt_ns_);
    int64_t rtt_ns = std::max<int64_t>(1'000, std::llround(std::min(rtt, 1e15)));
    if (rtt_ns >= timeout_ns_) return {};  // too slow: no reply before the timeout
    return {true, rtt_ns};
}

}  // namespace zzp::synthetic

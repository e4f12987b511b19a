// A realistic home network for the recorder benchmark, fast enough to generate a month
// (26 M frames per target) in seconds: per target a slowly drifting base RTT around 3 ms,
// log-normal jitter (sigma 0.25), scattered loss, loss bursts of 50 ms to 5 s, and rare spikes of
// 200-800 ms; 100 echo/s, summarised into 100 ms frames of 10 echo each as the host does.
//
// Speed comes from a splitmix64 generator (one 64-bit draw per ping feeds the jitter and every
// rare-event decision) and a table of the log-normal quantile function with linear
// interpolation, instead of std::normal_distribution + exp() per ping.
#pragma once

#include <zzprobe/frame.h>
#include <zzprobe/sample.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

namespace zzp::bench {

inline constexpr int64_t kFrameInterval = 100'000'000;  // 100 ms
inline constexpr int kPingsPerFrame = 10;               // 100 echo/s

class Splitmix64 {
public:
    explicit Splitmix64(uint64_t seed) : s_(seed) {}
    uint64_t next() {
        uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

private:
    uint64_t s_;
};

// exp(sigma * z) at 4096 equally likely quantiles of the standard normal z (plus both ends).
class LogNormalTable {
public:
    explicit LogNormalTable(double sigma) {
        for (size_t i = 0; i <= kSize; ++i) {
            double u = (static_cast<double>(i) + 0.5) / static_cast<double>(kSize + 1);
            double lo = -8, hi = 8;  // invert the normal CDF by bisection (once, at start-up)
            for (int k = 0; k < 60; ++k) {
                double mid = (lo + hi) / 2;
                (0.5 * std::erfc(-mid / std::sqrt(2.0)) < u ? lo : hi) = mid;
            }
            table_[i] = std::exp(sigma * (lo + hi) / 2);
        }
    }
    // `bits`: 28 random bits (12 pick the cell, 16 interpolate inside it).
    double at(uint64_t bits) const {
        size_t i = static_cast<size_t>(bits >> 16) & (kSize - 1);
        double f = static_cast<double>(bits & 0xffff) * (1.0 / 65536);
        return table_[i] + (table_[i + 1] - table_[i]) * f;
    }

private:
    static constexpr size_t kSize = 4096;
    std::array<double, kSize + 1> table_{};
};

// One target's path.
class Network {
public:
    explicit Network(uint64_t seed) : rng_(seed * 0x2545f4914f6cdd1dull + 1) {}

    // RTT of one ping in ns, or -1 when lost. `base_ns`: the current base RTT.
    int64_t ping(double base_ns) {
        static const LogNormalTable jitter(0.25);
        if (burst_left_ > 0) {
            --burst_left_;
            return -1;
        }
        uint64_t r = rng_.next();
        // The top 36 bits decide the rare events (disjoint ranges of one uniform draw).
        const uint64_t u = r >> 28;
        constexpr double kScale = 68719476736.0;  // 2^36
        constexpr uint64_t kBurst = static_cast<uint64_t>(2e-5 * kScale);     // a 50 ms .. 5 s outage
        constexpr uint64_t kLoss = kBurst + static_cast<uint64_t>(5e-4 * kScale);   // scattered loss
        constexpr uint64_t kSpike = kLoss + static_cast<uint64_t>(1e-4 * kScale);   // 200-800 ms
        if (u < kSpike) {
            if (u < kBurst) {
                burst_left_ = 5 + static_cast<int>(rng_.uniform() * 500);
                return -1;
            }
            if (u < kLoss) return -1;
            return 200'000'000 + static_cast<int64_t>(rng_.uniform() * 600'000'000);
        }
        return std::llround(base_ns * jitter.at(r & 0xfffffff));
    }

    // The frame of interval `index` starting at `start`: 10 pings, quantiles by the SDK rule.
    // With `samples`, also the raw samples (send times with a few µs of scheduling jitter).
    zzp_frame frame(uint32_t target, int64_t start, int64_t index, std::vector<zzp_sample>* samples, uint64_t& seq) {
        zzp_frame f{};
        f.start_wall_ns = start;
        f.interval_ns = kFrameInterval;
        f.target_id = target;
        f.flags = ZZP_FRAME_F_FINAL;
        f.sent = kPingsPerFrame;
        const double base = 3e6 * (1 + 0.3 * std::sin(static_cast<double>(index) / 36000.0));  // ~1 h drift
        int64_t v[kPingsPerFrame];
        int n = 0;
        int64_t jitter = 0, sum = 0;
        for (int k = 0; k < kPingsPerFrame; ++k) {
            int64_t rtt = ping(base);
            if (samples) {
                zzp_sample s{};
                s.seq = ++seq;
                s.sent_wall_ns = start + k * 10'000'000 + static_cast<int64_t>((seq * 2654435761u) % 20000);
                s.sent_wall_ns -= s.sent_wall_ns % 1000;
                s.target_id = target;
                s.status = rtt < 0 ? ZZP_SAMPLE_LOST : ZZP_SAMPLE_REPLY;
                s.rtt_ns = rtt;
                samples->push_back(s);
            }
            if (rtt < 0) {
                ++f.lost;
                continue;
            }
            if (n) jitter += std::llabs(rtt - v[n - 1]);
            sum += rtt;
            v[n++] = rtt;
        }
        f.received = static_cast<uint32_t>(n);
        if (n == 0) {
            for (auto& x : f.rtt_ns) x = -1;
            f.rtt_mean_ns = f.rtt_jitter_ns = -1;
            return f;
        }
        f.rtt_mean_ns = sum / n;
        f.rtt_jitter_ns = n > 1 ? jitter / (n - 1) : -1;
        for (int a = 1; a < n; ++a)  // insertion sort: at most 10 values
            for (int b = a; b > 0 && v[b - 1] > v[b]; --b) std::swap(v[b - 1], v[b]);
        static constexpr double qs[7] = {0, .125, .25, .5, .75, .875, 1};
        for (int q = 0; q < 7; ++q) {
            double pos = qs[q] * (n - 1);
            int lo = static_cast<int>(pos), hi = std::min(lo + 1, n - 1);
            double fr = pos - lo;
            f.rtt_ns[q] = std::llround(static_cast<double>(v[lo]) * (1 - fr) + static_cast<double>(v[hi]) * fr);
        }
        return f;
    }

private:
    Splitmix64 rng_;
    int burst_left_ = 0;
};

}  // namespace zzp::bench

// Synthetic frames and samples for the recorder tests, and a scratch directory.
#pragma once

#include <zzprobe/frame.h>
#include <zzprobe/sample.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "recording/file_io.hpp"

namespace zzp::rec::test {

// A fresh directory under /tmp, removed with its contents at the end of the test.
class ScratchDir {
public:
    ScratchDir() {
        char tmpl[] = "/tmp/zzp-file-test-XXXXXX";
        path_ = ::mkdtemp(tmpl);
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

inline constexpr int64_t kInterval = 100'000'000;

// Final frames as the host builds them: ~10 pings per frame, log-normal RTTs, some loss,
// some frames with no reply at all, a few huge spikes.
inline std::vector<zzp_frame> random_frames(uint32_t target, int64_t start, size_t n, uint32_t seed) {
    std::mt19937_64 rng(seed);
    std::lognormal_distribution<double> rtt(std::log(3e6), 0.4);
    std::vector<zzp_frame> out;
    for (size_t i = 0; i < n; ++i) {
        zzp_frame f{};
        f.start_wall_ns = start + static_cast<int64_t>(i) * kInterval;
        f.interval_ns = kInterval;
        f.target_id = target;
        f.revision = rng() % 3;
        f.flags = ZZP_FRAME_F_FINAL | (rng() % 50 == 0 ? ZZP_FRAME_F_FORCED : 0);
        f.sent = 10;
        f.lost = rng() % 20 == 0 ? static_cast<uint32_t>(rng() % 11) : 0;
        f.errors = rng() % 100 == 0 ? 1 : 0;
        f.received = f.sent - std::min(f.sent, f.lost + f.errors);
        f.late = rng() % 30 == 0;
        f.duplicates = rng() % 40 == 0;
        f.reordered = rng() % 25 == 0;
        std::vector<int64_t> v;
        for (uint32_t k = 0; k < f.received; ++k)
            v.push_back(rng() % 500 == 0 ? 400'000'000 + static_cast<int64_t>(rng() % 1000) : std::llround(rtt(rng)));
        if (v.empty()) {
            for (auto& x : f.rtt_ns) x = -1;
            f.rtt_mean_ns = f.rtt_jitter_ns = -1;
        } else {
            int64_t jitter = 0, sum = 0;
            for (size_t k = 0; k < v.size(); ++k) {
                sum += v[k];
                if (k) jitter += std::llabs(v[k] - v[k - 1]);
            }
            f.rtt_mean_ns = sum / static_cast<int64_t>(v.size());
            f.rtt_jitter_ns = v.size() > 1 ? jitter / static_cast<int64_t>(v.size() - 1) : -1;
            std::sort(v.begin(), v.end());
            const double qs[7] = {0, .125, .25, .5, .75, .875, 1};
            for (int q = 0; q < 7; ++q) {
                double pos = qs[q] * static_cast<double>(v.size() - 1);
                auto lo = static_cast<size_t>(pos);
                auto hi = std::min(lo + 1, v.size() - 1);
                double fr = pos - static_cast<double>(lo);
                f.rtt_ns[q] = std::llround(static_cast<double>(v[lo]) * (1 - fr) + static_cast<double>(v[hi]) * fr);
            }
        }
        out.push_back(f);
    }
    return out;
}

inline std::vector<zzp_sample> random_samples(uint32_t target, int64_t start, size_t n, uint32_t seed, bool micros) {
    std::mt19937_64 rng(seed);
    std::lognormal_distribution<double> rtt(std::log(3e6), 0.4);
    std::vector<zzp_sample> out;
    uint64_t seq = 1000 + seed;
    for (size_t i = 0; i < n; ++i) {
        zzp_sample s{};
        seq += rng() % 100 == 0 ? 2 : 1;
        s.seq = seq;
        s.sent_wall_ns = start + static_cast<int64_t>(i) * 10'000'000 + static_cast<int64_t>(rng() % 40000);
        if (micros) s.sent_wall_ns -= s.sent_wall_ns % 1000;
        s.target_id = target;
        int kind = static_cast<int>(rng() % 100);
        s.status = kind < 90 ? ZZP_SAMPLE_REPLY : kind < 96 ? ZZP_SAMPLE_LOST : kind < 98 ? ZZP_SAMPLE_SEND_ERROR : ZZP_SAMPLE_LATE;
        s.rtt_ns = (s.status == ZZP_SAMPLE_REPLY || s.status == ZZP_SAMPLE_LATE) ? std::llround(rtt(rng)) : -1;
        s.detail = s.status == ZZP_SAMPLE_SEND_ERROR ? 101 : 0;
        s.flags = rng() % 30 == 0 ? ZZP_SAMPLE_F_REORDERED : 0;
        out.push_back(s);
    }
    return out;
}

// Replaces `path` with `bytes`: a recording a test cut, damaged or made by hand. Synced, so a
// test may drop the file from the page cache afterwards (dirty pages would stay).
inline void write_file(const std::string& path, const std::string& bytes) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    pwrite_all(fd.get(), path, bytes.data(), bytes.size(), 0);
    ::fdatasync(fd.get());
}

// |read - written| within the quantizer's bound: p/2 relative plus one ns of rounding.
inline bool within_bound(int64_t written, int64_t read, double p) {
    if (written == -1 || read == -1) return written == read;
    return std::fabs(static_cast<double>(read - written)) <= p / 2 * std::fabs(static_cast<double>(written)) + 1.0;
}

}  // namespace zzp::rec::test

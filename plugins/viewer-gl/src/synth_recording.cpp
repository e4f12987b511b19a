#include "synth_recording.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "recording/file_io.hpp"
#include "recording/file_writer.hpp"

namespace zzp::viewer {

std::vector<std::string> write_synthetic_recording(const SynthSpec& spec) {
    rec::make_directories(spec.directory);
    std::mt19937_64 rng(spec.seed);
    std::normal_distribution<double> noise(0, 0.25);
    std::uniform_real_distribution<double> uni(0, 1);
    std::vector<std::string> files;
    const size_t H = spec.hosts.size();
    std::vector<int64_t> burst_until(H, INT64_MIN);
    std::vector<double> base(H);
    for (size_t h = 0; h < H; ++h) base[h] = 1.5e6 * double(h + 1);
    const int64_t chunk_ns = 10'000'000'000;
    std::vector<zzp_frame> chunk;
    std::vector<double> rtts(spec.pings_per_frame);
    for (int64_t fstart = spec.t0_ns; fstart < spec.t0_ns + spec.duration_ns; fstart += spec.file_span_ns) {
        int64_t fend = std::min(fstart + spec.file_span_ns, spec.t0_ns + spec.duration_ns);
        std::string path = spec.directory + "/synthetic-" + std::to_string(fstart / 1'000'000'000) + ".zzr";
        rec::FileHeader hdr;
        hdr.writer = "viewer-gl synth";
        hdr.instance = "synth";
        hdr.created_wall_ns = fstart;
        hdr.period_start_ns = fstart;
        hdr.frame_interval_ns = spec.interval_ns;
        for (size_t h = 0; h < H; ++h) {
            rec::TargetMeta m;
            m.id = uint32_t(h + 1);
            m.name = spec.hosts[h];
            m.address = "192.0.2." + std::to_string(h + 1);
            m.method = "synthetic";
            m.probe = "synth";
            m.interval_ns = spec.interval_ns;
            hdr.targets.push_back(m);
        }
        auto w = rec::FileWriter::create(path, hdr, spec.compress_level);
        rec::ChunkOrigin origin;
        origin.writer = "viewer-gl synth";
        for (int64_t c0 = fstart; c0 < fend; c0 += chunk_ns) {
            chunk.clear();
            int64_t c1 = std::min(c0 + chunk_ns, fend);
            for (size_t h = 0; h < H; ++h) {
                for (int64_t t = c0; t < c1; t += spec.interval_ns) {
                    zzp_frame f{};
                    f.start_wall_ns = t;
                    f.interval_ns = spec.interval_ns;
                    f.target_id = uint32_t(h + 1);
                    f.flags = ZZP_FRAME_F_FINAL;
                    f.sent = spec.pings_per_frame;
                    double per_s = double(spec.interval_ns) / 1e9;
                    if (uni(rng) < spec.burst_rate_per_s * per_s) burst_until[h] = t + int64_t(uni(rng) * 3e9) + 50'000'000;
                    bool spike = uni(rng) < spec.spike_rate_per_s * per_s;
                    uint32_t n = 0;
                    for (uint32_t i = 0; i < spec.pings_per_frame; ++i) {
                        if (t < burst_until[h] || uni(rng) < 0.001) continue;
                        double r = base[h] * std::exp(noise(rng));
                        if (spike && i == 0) r += 2e8 * (1 + uni(rng));
                        rtts[n++] = r;
                    }
                    f.received = n;
                    f.lost = f.sent - n;
                    if (n == 0) {
                        for (auto& q : f.rtt_ns) q = -1;
                        f.rtt_mean_ns = f.rtt_jitter_ns = -1;
                    } else {
                        std::sort(rtts.begin(), rtts.begin() + n);
                        static const double qs[ZZP_QUANTILE_COUNT] = {0, 0.125, 0.25, 0.5, 0.75, 0.875, 1};
                        double sum = 0;
                        for (uint32_t i = 0; i < n; ++i) sum += rtts[i];
                        for (int q = 0; q < ZZP_QUANTILE_COUNT; ++q) {
                            double pos = qs[q] * double(n - 1);
                            size_t lo = size_t(pos);
                            double v = lo + 1 < n ? rtts[lo] + (rtts[lo + 1] - rtts[lo]) * (pos - double(lo)) : rtts[lo];
                            f.rtt_ns[q] = int64_t(std::llround(v));
                        }
                        f.rtt_mean_ns = int64_t(sum / n);
                        f.rtt_jitter_ns = n > 1 ? int64_t((rtts[n - 1] - rtts[0]) / n) : -1;
                    }
                    if (spec.hook && !spec.hook(h, f)) continue;
                    chunk.push_back(f);
                }
            }
            std::stable_sort(chunk.begin(), chunk.end(),
                             [](const zzp_frame& a, const zzp_frame& b) { return a.start_wall_ns < b.start_wall_ns; });
            if (!chunk.empty()) w->append_frames(origin, chunk);
        }
        w->close();
        files.push_back(path);
    }
    return files;
}

}  // namespace zzp::viewer

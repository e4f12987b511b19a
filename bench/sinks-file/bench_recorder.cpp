// Recorder benchmark (docs/FORMAT.md, "Measured"): a realistic span of 100 ms frames per target
// (10 echo per frame = 100 echo/s, log-normal RTTs around 3 ms, loss bursts, rare spikes of
// hundreds of ms), written as the sink writes it (10 s chunks, hourly files), side by side with
// the same frames as the original tool's FrameDataQ at the same precision.
//
//   zzp-bench-recorder [--days 7] [--targets 4] [--dir /tmp/zzp-bench] [--keep] [--level 3]
//                      [--chunk-frames 100] [--format-version 2] [--read-passes 3]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "recording/file_writer.hpp"
#include "recording/legacy.hpp"
#include "recording/recording.hpp"

namespace {

using namespace zzp::rec;
constexpr int64_t kInterval = 100'000'000;
constexpr int kPingsPerFrame = 10;
int64_t kChunkFrames = 100;  // 10 s at 100 ms: the sink's default fsync interval (--chunk-frames)

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}
double wall_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// One target's network: a slowly drifting base RTT, loss bursts and rare spikes.
class Network {
public:
    explicit Network(uint32_t seed) : rng_(seed), noise_(0.0, 0.25) {}
    // RTT of one ping in ns, or -1 when lost.
    int64_t ping(int64_t frame_index) {
        if (burst_left_ > 0) {
            --burst_left_;
            return -1;
        }
        std::uniform_real_distribution<double> u(0, 1);
        if (u(rng_) < 2e-5) burst_left_ = 5 + static_cast<int>(u(rng_) * 500);  // 50 ms .. 5 s outage
        if (u(rng_) < 5e-4) return -1;                                            // scattered loss
        if (u(rng_) < 1e-4) return 200'000'000 + static_cast<int64_t>(u(rng_) * 600'000'000);  // spike
        double base = 3e6 * (1 + 0.3 * std::sin(static_cast<double>(frame_index) / 36000.0));
        return std::llround(base * std::exp(noise_(rng_)));
    }

private:
    std::mt19937_64 rng_;
    std::normal_distribution<double> noise_;
    int burst_left_ = 0;
};

zzp_frame make_frame(uint32_t target, int64_t start, Network& net, int64_t index, std::vector<zzp_sample>* samples,
                     uint64_t& seq) {
    zzp_frame f{};
    f.start_wall_ns = start;
    f.interval_ns = kInterval;
    f.target_id = target;
    f.flags = ZZP_FRAME_F_FINAL;
    f.sent = kPingsPerFrame;
    int64_t v[kPingsPerFrame];
    int n = 0;
    int64_t jitter = 0, sum = 0;
    for (int k = 0; k < kPingsPerFrame; ++k) {
        int64_t rtt = net.ping(index);
        if (samples) {
            zzp_sample s{};
            s.seq = ++seq;
            // Sender wake-up jitter of a few µs around the 10 ms schedule.
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
    static const double qs[7] = {0, .125, .25, .5, .75, .875, 1};
    for (int q = 0; q < 7; ++q) {
        double pos = qs[q] * (n - 1);
        int lo = static_cast<int>(pos), hi = std::min(lo + 1, n - 1);
        double fr = pos - lo;
        f.rtt_ns[q] = std::llround(static_cast<double>(v[lo]) * (1 - fr) + static_cast<double>(v[hi]) * fr);
    }
    return f;
}

}  // namespace

int main(int argc, char** argv) {
    double days = 7;
    uint32_t targets = 4;
    std::string dir = "/tmp/zzp-bench-recorder";
    bool keep = false;
    int level = 3;
    uint32_t version = kFormatVersion;
    int read_passes = 3;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--days") && i + 1 < argc) days = std::stod(argv[++i]);
        else if (!std::strcmp(argv[i], "--targets") && i + 1 < argc) targets = static_cast<uint32_t>(std::stoul(argv[++i]));
        else if (!std::strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
        else if (!std::strcmp(argv[i], "--keep")) keep = true;
        else if (!std::strcmp(argv[i], "--level") && i + 1 < argc) level = std::stoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--chunk-frames") && i + 1 < argc) kChunkFrames = std::stoll(argv[++i]);
        else if (!std::strcmp(argv[i], "--format-version") && i + 1 < argc) version = static_cast<uint32_t>(std::stoul(argv[++i]));
        else if (!std::strcmp(argv[i], "--read-passes") && i + 1 < argc) read_passes = std::max(1, std::stoi(argv[++i]));
        else {
            std::fprintf(stderr,
                         "usage: %s [--days N] [--targets N] [--dir DIR] [--keep] [--level ZSTD] [--chunk-frames N] "
                         "[--format-version N] [--read-passes N]\n",
                         argv[0]);
            return 2;
        }
    }
    namespace fs = std::filesystem;
    fs::remove_all(dir);
    fs::create_directories(dir);
    const int64_t frames_per_target = static_cast<int64_t>(days * 86400 * 10);
    const int64_t start = 1714521600'000'000'000;  // 2024-05-01T00:00:00Z
    const int64_t hour = 3600'000'000'000;
    std::printf("recorder benchmark: %g days x %u targets = %lld frames (100 ms, %d echo each), precision 0.01, "
                "format version %u, chunks of %lld frames per target, zstd level %d\n",
                days, targets, static_cast<long long>(frames_per_target * targets), kPingsPerFrame, version,
                static_cast<long long>(kChunkFrames), level);

    std::vector<Network> nets;
    for (uint32_t t = 0; t < targets; ++t) nets.emplace_back(t + 1);
    FileHeader header;
    header.writer = "bench";
    header.frame_interval_ns = kInterval;
    header.version = version;
    for (uint32_t t = 1; t <= targets; ++t)
        header.targets.push_back({t, "host" + std::to_string(t), "192.0.2." + std::to_string(t), "icmp", "p", kInterval});

    // ---- write: frames as the sink does (10 s chunks, hourly files) ----
    std::vector<std::vector<zzp_frame>> per_target_for_fdq(targets);  // first day only, for FDQ
    const int64_t fdq_frames = std::min<int64_t>(frames_per_target, 864000);
    double write_cpu = 0;
    uint64_t frame_bytes = 0;
    std::unique_ptr<FileWriter> writer;
    int64_t file_period = INT64_MIN;
    std::vector<zzp_frame> chunk;
    uint64_t seq = 0;
    for (int64_t i = 0; i < frames_per_target; i += kChunkFrames) {
        chunk.clear();
        for (int64_t k = i; k < std::min(i + kChunkFrames, frames_per_target); ++k)
            for (uint32_t t = 0; t < targets; ++t) {
                chunk.push_back(make_frame(t + 1, start + k * kInterval, nets[t], k, nullptr, seq));
                if (k < fdq_frames) per_target_for_fdq[t].push_back(chunk.back());
            }
        int64_t period = floor_div(chunk.front().start_wall_ns, hour) * hour;
        double c0 = thread_cpu_seconds();
        if (period != file_period) {
            if (writer) {
                writer->close();
                frame_bytes += writer->size();
            }
            header.period_start_ns = period;
            char name[64];
            std::snprintf(name, sizeof name, "/bench-%lld.zzr", static_cast<long long>(period / 1'000'000'000));
            writer = FileWriter::create(dir + name, header, level);
            file_period = period;
        }
        writer->append_frames({"bench", 0, 0}, chunk);
        write_cpu += thread_cpu_seconds() - c0;
    }
    {
        double c0 = thread_cpu_seconds();
        writer->close();
        write_cpu += thread_cpu_seconds() - c0;
        frame_bytes += writer->size();
    }
    const double total_frames = static_cast<double>(frames_per_target) * targets;
    const double per_frame_us = write_cpu / total_frames * 1e6;

    // ---- the same frames as FrameDataQ at the same precision (first day, each target) ----
    uint64_t fdq_bytes = 0, fdq_count = 0;
    uint64_t ours_day_bytes = 0;
    for (uint32_t t = 0; t < targets; ++t) {
        fdq_bytes += write_fdq(per_target_for_fdq[t], 0.01).size();
        fdq_count += per_target_for_fdq[t].size();
    }
    for (const auto& e : fs::directory_iterator(dir))
        if (std::stoll(e.path().stem().string().substr(6)) * 1'000'000'000 < start + fdq_frames * kInterval)
            ours_day_bytes += e.file_size();
    double ours_bpf = static_cast<double>(ours_day_bytes) / static_cast<double>(fdq_count);
    double fdq_bpf = static_cast<double>(fdq_bytes) / static_cast<double>(fdq_count);
    std::printf("\nsize (first %.3g day(s), same frames):\n", static_cast<double>(fdq_frames) / 864000.0);
    std::printf("  zzprobe recording   %8.2f bytes/frame (incl. headers, index, pyramid)\n", ours_bpf);
    std::printf("  FrameDataQ p=0.01   %8.2f bytes/frame\n", fdq_bpf);
    std::printf("  ratio               %8.2f  (target <= 0.5)\n", ours_bpf / fdq_bpf);
    std::printf("  whole span          %8.2f bytes/frame, %.1f MB\n", static_cast<double>(frame_bytes) / total_frames,
                static_cast<double>(frame_bytes) / 1e6);

    // ---- raw samples: one target, first day, 10 s chunks ----
    {
        Network net(99);
        std::vector<zzp_sample> samples, part;
        uint64_t sseq = 0;
        std::string path = dir + "/samples.zzr";
        FileHeader h = header;
        h.has_samples = true;
        auto w = FileWriter::create(path, h, 3);
        uint64_t base = w->size();
        int64_t n_frames = std::min<int64_t>(frames_per_target, 864000);
        double c0 = thread_cpu_seconds();
        for (int64_t k = 0; k < n_frames; ++k) {
            make_frame(1, start + k * kInterval, net, k, &part, sseq);
            if (part.size() >= static_cast<size_t>(kChunkFrames * kPingsPerFrame)) {
                w->append_samples({"bench", 0, 0}, part);
                part.clear();
            }
        }
        w->append_samples({"bench", 0, 0}, part);
        double cpu = thread_cpu_seconds() - c0;
        std::printf("\nraw samples: %.2f bytes/ping over %llu pings (target <= 2); generation+encode %.2f us/ping\n",
                    static_cast<double>(w->size() - base) / static_cast<double>(sseq),
                    static_cast<unsigned long long>(sseq), cpu / static_cast<double>(sseq) * 1e6);
        double sample_us = cpu / static_cast<double>(sseq) * 1e6;
        w->close();
        fs::remove(path);
        // 10 targets x 100 echo/s with 100 ms frames = 100 frames/s and 1000 samples/s.
        std::printf("\nwrite cost: %.3f us/frame -> %.4f %% of one core for 10 targets x 100 echo/s (frames only)\n",
                    per_frame_us, per_frame_us * 100 / 1e6 * 100);
        std::printf("            with raw samples too: %.4f %% (upper bound: includes generating the pings)\n",
                    (per_frame_us * 100 + sample_us * 1000) / 1e6 * 100);
    }

    // ---- read: decode every frame chunk on one core (several passes: the machine is shared) ----
    {
        Recording rec({dir});
        std::vector<double> rates;
        uint64_t decoded = 0;
        int64_t checksum = 0;
        double cpu = 0, wall = 0;
        for (int pass = 0; pass < read_passes; ++pass) {
            double w0 = wall_seconds(), c0 = thread_cpu_seconds();
            decoded = 0;
            checksum = 0;
            for (const auto& f : rec.files())
                for (const auto& c : f->chunks()) {
                    if (c.type != RecordType::frames) continue;
                    auto frames = f->read_frames(c);
                    decoded += frames.size();
                    checksum += frames.back().rtt_ns[3];
                }
            cpu = thread_cpu_seconds() - c0;
            wall = wall_seconds() - w0;
            rates.push_back(static_cast<double>(decoded) / cpu / 1e6);
        }
        std::string all;
        for (double r : rates) all += (all.empty() ? "" : " ") + std::to_string(r).substr(0, 4);
        std::printf("\nread: %.1f million frames/s on one core, best of %d passes (all: %s; %llu frames, last pass "
                    "%.2f s CPU, %.2f s wall, checksum %lld)\n",
                    *std::max_element(rates.begin(), rates.end()), read_passes, all.c_str(),
                    static_cast<unsigned long long>(decoded), cpu, wall, static_cast<long long>(checksum % 1000));
    }

    // ---- open + whole-span LOD query (1000 columns per target) ----
    {
        double w0 = wall_seconds(), c0 = thread_cpu_seconds();
        Recording rec({dir});
        double opened = wall_seconds() - w0;
        uint64_t frames = 0;
        for (size_t s = 0; s < rec.series().size(); ++s)
            for (const auto& col : rec.columns(s, rec.t_first(), rec.t_last() + kInterval, 1000)) frames += col.frames;
        double total = wall_seconds() - w0, cpu = thread_cpu_seconds() - c0;
        std::printf("\nopen %zu files + 1000-column LOD query of the whole span for %zu targets: %.3f s "
                    "(%.3f s CPU; open %.3f s; %llu frames covered)\n",
                    rec.files().size(), rec.series().size(), total, cpu, opened, static_cast<unsigned long long>(frames));
    }
    if (!keep) fs::remove_all(dir);
    return 0;
}

// Recorder benchmark (docs/FORMAT.md, "Measured"): a realistic span of 100 ms frames per target
// (synthetic_network.hpp), written as the sink writes it (10 s chunks, a checkpoint attempt at
// each of them as the sink's sync does, hourly files, the last hour left open like the live file),
// side by side with the same frames as the original tool's FrameDataQ at the same precision (one
// file per target and hour, as the original wrote them). Then decode speed, opening the
// unclosed file from its checkpoints vs a scan, and opening the whole recording cold and warm
// in a fresh process with its resident memory.
//
//   zzp-bench-recorder [--quick | --days N (default 1; 30 = a month)] [--targets 4] [--dir DIR]
//                      [--keep] [--level 3] [--chunk-frames 100] [--format-version 2]
//                      [--read-passes 3] [--fdq-days N]
//   zzp-bench-recorder --open-only DIR [--label L]    (what the cold/warm runs execute)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "open_probe.hpp"
#include "recording/file_writer.hpp"
#include "recording/legacy.hpp"
#include "recording/recording.hpp"
#include "synthetic_network.hpp"

namespace {

using namespace zzp::rec;
using zzp::bench::kFrameInterval;
using zzp::bench::kPingsPerFrame;
using zzp::bench::Network;

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}
double wall_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Options {
    double days = 1;
    uint32_t targets = 4;
    std::string dir = "/tmp/zzp-bench-recorder";
    bool keep = false;
    int level = 3;
    int64_t chunk_frames = 100;  // 10 s at 100 ms: the sink's default fsync interval
    uint32_t version = kFormatVersion;
    int read_passes = 3;
    double fdq_days = -1;  // FrameDataQ comparison over this many days (default: all)
};

constexpr int64_t kStart = 1714521600'000'000'000;  // 2024-05-01T00:00:00Z
constexpr int64_t kHour = 3600'000'000'000;

std::string file_name(const std::string& dir, int64_t period) {
    return dir + "/bench-" + std::to_string(period / 1'000'000'000) + ".zzr";
}

// Bytes of the recording by what they hold, from each file's records.
void print_breakdown(const std::vector<std::string>& files, double frames) {
    std::map<std::string, uint64_t> bytes;
    uint64_t total = 0;
    for (const auto& path : files) {
        ScanReport s = scan_file(path, false);
        total += s.file_size;
        bytes["magic, header, targets"] += 8;
        for (size_t i = 0; i < s.records.size(); ++i) {
            const auto& r = s.records[i];
            uint64_t n = r.end() - r.offset;
            switch (r.type) {
            case RecordType::frames: bytes["frame chunks"] += n; break;
            case RecordType::pyramid: bytes["footer pyramid (levels 2-4)"] += n; break;
            case RecordType::index:
                // A footer index is followed by its end record; a checkpoint is not.
                bytes[i + 1 < s.records.size() && s.records[i + 1].type == RecordType::end ? "footer index + end"
                                                                                          : "checkpoints"] += n;
                break;
            case RecordType::end: bytes["footer index + end"] += n; break;
            default: bytes["magic, header, targets"] += n; break;
            }
        }
    }
    std::printf("  where the bytes go (%.2f bytes/frame in all):\n", static_cast<double>(total) / frames);
    for (const auto& [what, n] : bytes)
        std::printf("    %-30s %7.3f bytes/frame  %6.2f %%\n", what.c_str(), static_cast<double>(n) / frames,
                    100.0 * static_cast<double>(n) / static_cast<double>(total));
}

// Open the unclosed file (as the viewer opens the live hour) a few times: best wall time.
void time_unclosed_open(const std::string& path, const char* what) {
    double best = 1e9;
    OpenStats st;
    for (int i = 0; i < 5; ++i) {
        double w0 = wall_seconds();
        FileReader r(path);
        for (const auto& t : r.targets()) r.level_nodes(t.id, 2);
        best = std::min(best, wall_seconds() - w0);
        st = r.open_stats();
    }
    const char* mode = st.mode == OpenStats::Mode::checkpoint ? "checkpoint" : st.mode == OpenStats::Mode::scan ? "scan" : "footer";
    std::printf("  %-26s %7.2f ms (best of 5, warm): opened by %s, %zu checkpoints read, %zu frame chunks decoded\n",
                what, best * 1e3, mode, st.checkpoints, st.chunks_decoded);
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    std::string open_only, label = "open";
    for (int i = 1; i < argc; ++i) {
        auto arg = [&](const char* name) { return !std::strcmp(argv[i], name) && i + 1 < argc; };
        if (arg("--days")) o.days = std::stod(argv[++i]);
        else if (!std::strcmp(argv[i], "--quick")) o.days = 0.1, o.read_passes = 1;
        else if (arg("--targets")) o.targets = static_cast<uint32_t>(std::stoul(argv[++i]));
        else if (arg("--dir")) o.dir = argv[++i];
        else if (!std::strcmp(argv[i], "--keep")) o.keep = true;
        else if (arg("--level")) o.level = std::stoi(argv[++i]);
        else if (arg("--chunk-frames")) o.chunk_frames = std::max<int64_t>(1, std::stoll(argv[++i]));
        else if (arg("--format-version")) o.version = static_cast<uint32_t>(std::stoul(argv[++i]));
        else if (arg("--read-passes")) o.read_passes = std::max(1, std::stoi(argv[++i]));
        else if (arg("--fdq-days")) o.fdq_days = std::stod(argv[++i]);
        else if (arg("--open-only")) open_only = argv[++i];
        else if (arg("--label")) label = argv[++i];
        else {
            std::fprintf(stderr,
                         "usage: %s [--quick | --days N] [--targets N] [--dir DIR] [--keep] [--level ZSTD] "
                         "[--chunk-frames N] [--format-version N] [--read-passes N] [--fdq-days N]\n"
                         "       %s --open-only DIR [--label L]\n",
                         argv[0], argv[0]);
            return 2;
        }
    }
    if (!open_only.empty()) return zzp::bench::open_probe(open_only, label);

    namespace fs = std::filesystem;
    const std::string twin_dir = o.dir + "-twin";  // the live hour again, without checkpoints
    fs::remove_all(o.dir);
    fs::remove_all(twin_dir);
    fs::create_directories(o.dir);
    fs::create_directories(twin_dir);
    const int64_t frames_per_target = static_cast<int64_t>(o.days * 86400 * 10);
    const int64_t fdq_frames = o.fdq_days < 0 ? frames_per_target : static_cast<int64_t>(o.fdq_days * 864000);
    const double total_frames = static_cast<double>(frames_per_target) * o.targets;
    const int64_t last_period = (kStart + (frames_per_target - 1) * kFrameInterval - kStart) / kHour * kHour + kStart;
    std::printf("recorder benchmark: %g days x %u targets = %.0f frames (100 ms, %d echo each), precision 0.01, "
                "format version %u, chunks of %lld frames per target, zstd level %d\n",
                o.days, o.targets, total_frames, kPingsPerFrame, o.version, static_cast<long long>(o.chunk_frames),
                o.level);

    std::vector<Network> nets;
    for (uint32_t t = 0; t < o.targets; ++t) nets.emplace_back(t + 1);
    FileHeader header;
    header.writer = "bench";
    header.frame_interval_ns = kFrameInterval;
    header.version = o.version;
    for (uint32_t t = 1; t <= o.targets; ++t)
        header.targets.push_back({t, "host" + std::to_string(t), "192.0.2." + std::to_string(t), "icmp", "p", kFrameInterval});

    // ---- write: frames as the sink does; FDQ of the same frames per target and hour ----
    double write_cpu = 0, gen_cpu = 0, fdq_cpu = 0;
    uint64_t fdq_bytes = 0, fdq_count = 0, checkpoints = 0;
    std::vector<std::vector<zzp_frame>> fdq_hour(o.targets);
    auto flush_fdq = [&] {
        double c0 = thread_cpu_seconds();
        for (auto& v : fdq_hour) {
            if (!v.empty()) fdq_bytes += write_fdq(v, 0.01).size(), fdq_count += v.size();
            v.clear();
        }
        fdq_cpu += thread_cpu_seconds() - c0;
    };
    std::unique_ptr<FileWriter> writer, twin;
    int64_t file_period = INT64_MIN;
    std::vector<zzp_frame> chunk;
    uint64_t seq = 0;
    const double w_start = wall_seconds();
    for (int64_t i = 0; i < frames_per_target; i += o.chunk_frames) {
        double g0 = thread_cpu_seconds();
        chunk.clear();
        for (uint32_t t = 0; t < o.targets; ++t)
            for (int64_t k = i; k < std::min(i + o.chunk_frames, frames_per_target); ++k)
                chunk.push_back(nets[t].frame(t + 1, kStart + k * kFrameInterval, k, nullptr, seq));
        gen_cpu += thread_cpu_seconds() - g0;
        int64_t period = floor_div(chunk.front().start_wall_ns, kHour) * kHour;
        if (period != file_period) flush_fdq();
        double c0 = thread_cpu_seconds();
        if (period != file_period) {
            if (writer) writer->close();
            header.period_start_ns = period;
            writer = FileWriter::create(file_name(o.dir, period), header, o.level);
            file_period = period;
        }
        writer->append_frames({"bench", 0, 0}, chunk);
        checkpoints += writer->checkpoint();  // what the sink's sync() does every fsync_interval
        write_cpu += thread_cpu_seconds() - c0;
        if (period == last_period) {
            if (!twin) twin = FileWriter::create(file_name(twin_dir, period), header, o.level);
            twin->append_frames({"bench", 0, 0}, chunk);
        }
        if (i < fdq_frames)
            for (const auto& f : chunk)
                if ((f.start_wall_ns - kStart) / kFrameInterval < fdq_frames) fdq_hour[f.target_id - 1].push_back(f);
    }
    flush_fdq();
    writer->sync();  // the live hour stays open: no footer, like the current hour of a running sink
    writer.reset();
    twin.reset();  // no sync: it would write a checkpoint
    std::printf("  generated and written in %.1f s wall (generation %.1f s CPU, recorder %.1f s CPU, FrameDataQ "
                "%.1f s CPU)\n",
                wall_seconds() - w_start, gen_cpu, write_cpu, fdq_cpu);

    std::vector<std::string> files = recording_files(o.dir);
    uint64_t ours = 0;
    for (const auto& f : files) ours += fs::file_size(f);
    const double ours_bpf = static_cast<double>(ours) / total_frames;
    const double fdq_bpf = static_cast<double>(fdq_bytes) / static_cast<double>(fdq_count);
    std::printf("\nsize (%zu hourly files, the last one unclosed with %llu checkpoints in all):\n", files.size(),
                static_cast<unsigned long long>(checkpoints));
    std::printf("  zzprobe recording   %8.2f bytes/frame (incl. header, checkpoints, footer index, pyramid), %.1f MB\n",
                ours_bpf, static_cast<double>(ours) / 1e6);
    std::printf("  FrameDataQ p=0.01   %8.2f bytes/frame (%.3g days, one file per target and hour), %.1f MB\n", fdq_bpf,
                static_cast<double>(fdq_count) / o.targets / 864000.0, static_cast<double>(fdq_bytes) / 1e6);
    std::printf("  ratio               %8.3f  (target <= 0.5)\n", ours_bpf / fdq_bpf);
    print_breakdown(files, total_frames);

    // ---- raw samples: one target, up to a day, 10 s chunks ----
    {
        Network net(99);
        std::vector<zzp_sample> part;
        uint64_t sseq = 0;
        std::string path = o.dir + "-samples.zzr";
        fs::remove(path);
        FileHeader h = header;
        h.has_samples = true;
        auto w = FileWriter::create(path, h, 3);
        uint64_t base = w->size();
        int64_t n_frames = std::min<int64_t>(frames_per_target, 864000);
        double c0 = thread_cpu_seconds();
        for (int64_t k = 0; k < n_frames; ++k) {
            net.frame(1, kStart + k * kFrameInterval, k, &part, sseq);
            if (part.size() >= static_cast<size_t>(o.chunk_frames * kPingsPerFrame)) {
                w->append_samples({"bench", 0, 0}, part);
                part.clear();
            }
        }
        w->append_samples({"bench", 0, 0}, part);
        double cpu = thread_cpu_seconds() - c0;
        double sample_us = cpu / static_cast<double>(sseq) * 1e6;
        std::printf("\nraw samples: %.2f bytes/ping over %llu pings (target <= 2); generation+encode %.3f us/ping\n",
                    static_cast<double>(w->size() - base) / static_cast<double>(sseq),
                    static_cast<unsigned long long>(sseq), sample_us);
        w->close();
        fs::remove(path);
        const double per_frame_us = write_cpu / total_frames * 1e6;
        // 10 targets x 100 echo/s with 100 ms frames = 100 frames/s and 1000 samples/s.
        std::printf("\nencode (write): %.3f us/frame = %.2f M frames/s -> %.4f %% of one core for 10 targets x 100 "
                    "echo/s (frames only; with raw samples too, upper bound: %.4f %%)\n",
                    per_frame_us, 1 / per_frame_us, per_frame_us * 100 / 1e6 * 100,
                    (per_frame_us * 100 + sample_us * 1000) / 1e6 * 100);
    }

    // ---- decode: every frame chunk on one core (several passes: the machine is shared) ----
    {
        Recording rec({o.dir});
        std::vector<double> rates;
        uint64_t decoded = 0;
        int64_t checksum = 0;
        double cpu = 0, wall = 0;
        for (int pass = 0; pass < o.read_passes; ++pass) {
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
        std::printf("\ndecode (read): %.1f M frames/s on one core, best of %d passes (all: %s; %llu frames, last pass "
                    "%.2f s CPU, %.2f s wall, checksum %lld)\n",
                    *std::max_element(rates.begin(), rates.end()), o.read_passes, all.c_str(),
                    static_cast<unsigned long long>(decoded), cpu, wall, static_cast<long long>(checksum % 1000));
    }

    // ---- the unclosed (live) hour: from its checkpoints vs scanning its twin without them ----
    std::printf("\nopening the unclosed last hour and reading its level-2 pyramid:\n");
    time_unclosed_open(file_name(o.dir, last_period), "with checkpoints");
    time_unclosed_open(file_name(twin_dir, last_period), "without (scan)");

    // ---- the whole recording, as the viewer opens it: cold, then warm, in a fresh process ----
    std::printf("\nopen the recording + whole-span LOD query, fresh process (viewer targets: <= 2 s cold, <= 1 s warm, "
                "resident memory <= pyramid + 200 MB):\n");
    double still = zzp::bench::drop_from_page_cache(files);
    std::printf("  page cache dropped for the recording (%.1f %% of its pages still resident)\n", 100 * still);
    zzp::bench::run_self({"--open-only", o.dir, "--label", "cold"});
    zzp::bench::run_self({"--open-only", o.dir, "--label", "warm"});
    if (!o.keep) {
        fs::remove_all(o.dir);
        fs::remove_all(twin_dir);
    }
    return 0;
}

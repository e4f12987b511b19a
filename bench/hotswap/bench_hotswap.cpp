// Hot swap figures (docs/HOT_SWAP.md):
//   1. dispatch pause per swap of the real recorder at 1 000 samples/s (UDP echo on loopback),
//      p50/p99/max over N swaps;
//   2. end-to-end latency (probe send -> recorder took the batch) in the second before the first
//      swap and in the second after the last one (test recorder, which notes when it took each
//      batch);
//   3. time from rename(2) of a rebuilt library into the plugin folder to the new generation
//      being active (inotify + debounce + preflight + swap).
//   0. what the recorder's hand-over costs on a grown file: closing (footer + fsync) and
//      reopening (scan + pyramid rebuild) against release + continuation + adopt;
// Usage: bench_hotswap [--swaps N] [--renames N] [--minutes M]  (M: size of the file in 0.)
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "recording/file_writer.hpp"
#include "swap_harness.hpp"

using namespace zzp::hotswap_test;

namespace {

constexpr int64_t kMs = 1'000'000;
std::string q(const fs::path& p) { return "\"" + p.string() + "\""; }

double pct(std::vector<int64_t> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
    return static_cast<double>(v[i]) / 1e6;
}

std::string pipeline(const fs::path& plugdir, const std::string& target, const std::string& sink) {
    return "[host]\nplugin_dirs = [" + q(plugdir) + "]\nsettle_timeout = \"2s\"\n"
           "[[probe]]\nid = \"responder\"\nplugin = \"udp-echo-responder\"\nlisten = [\"" + target +
           "\"]\nrate_per_source = 0\n"
           "[[probe]]\nid = \"echo\"\nplugin = \"udp-echo\"\ntargets = [\"" + target +
           "\"]\nrate = 1000.0\ntimeout = \"500ms\"\n" + sink;
}

void install_over(const fs::path& src, const fs::path& dst) {
    fs::path tmp = dst.parent_path() / (".install-" + dst.filename().string());
    fs::copy_file(src, tmp, fs::copy_options::overwrite_existing);
    fs::rename(tmp, dst);
}

// A recording of `minutes` of one target at 1 000 samples/s: one frame and one sample chunk
// per second, like the recorder with fsync_interval = "1s". Left open (no footer).
std::unique_ptr<zzp::rec::FileWriter> grown_recording(const fs::path& path, int minutes) {
    namespace rec = zzp::rec;
    const int64_t t0 = 1'700'000'000'000'000'000;
    rec::FileHeader h;
    h.writer = "file bench";
    h.instance = "recorder";
    h.period_start_ns = t0;
    h.has_samples = true;
    h.frame_interval_ns = 100 * kMs;
    h.targets.push_back({1, "t", "127.0.0.1:7", "udp-echo", "echo", 100 * kMs});
    auto w = rec::FileWriter::create(path.string(), h, 3);
    uint64_t seq = 0;
    for (int sec = 0; sec < minutes * 60; ++sec) {
        std::vector<zzp_frame> frames(10);
        std::vector<zzp_sample> samples(1000);
        for (int i = 0; i < 1000; ++i) {
            zzp_sample& x = samples[static_cast<size_t>(i)];
            x = zzp_sample{};
            x.seq = ++seq;
            x.sent_wall_ns = t0 + sec * 1'000 * kMs + i * kMs;
            x.rtt_ns = 50'000 + (i * 7919) % 20'000;
            x.target_id = 1;
            x.status = ZZP_SAMPLE_REPLY;
        }
        for (int i = 0; i < 10; ++i) {
            zzp_frame& f = frames[static_cast<size_t>(i)];
            f = zzp_frame{};
            f.start_wall_ns = t0 + sec * 1'000 * kMs + i * 100 * kMs;
            f.interval_ns = 100 * kMs;
            f.target_id = 1;
            f.flags = ZZP_FRAME_F_FINAL;
            f.sent = f.received = 100;
            for (int q = 0; q < ZZP_QUANTILE_COUNT; ++q) f.rtt_ns[q] = 50'000 + q * 3'000 + (sec % 7) * 100;
            f.rtt_mean_ns = 60'000;
            f.rtt_jitter_ns = 4'000;
        }
        const zzp::rec::ChunkOrigin origin{"file bench", static_cast<uint64_t>(sec + 1), static_cast<uint64_t>(sec + 1)};
        w->append_frames(origin, frames);
        w->append_samples(origin, samples);
    }
    w->sync();
    return w;
}

double ms_since(int64_t t0) { return static_cast<double>(MainLoop::mono_now_ns() - t0) / 1e6; }

}  // namespace

int main(int argc, char** argv) {
    int swaps = 50, renames = 10, minutes = 60;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--swaps")) swaps = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--renames")) renames = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--minutes")) minutes = std::atoi(argv[i + 1]);
    }
    std::string why;

    // 0. The hand-over of a grown file, old way against new way.
    if (minutes > 0) {
        TempDir tmp;
        const fs::path a = tmp.path / "a.zzr", b = tmp.path / "b.zzr";
        grown_recording(a, minutes)->release();
        fs::copy_file(a, b);
        // Old: close (pyramid + index + end, fsync), then the successor reopens (scan + rebuild).
        int64_t t = MainLoop::mono_now_ns();
        auto old_way = zzp::rec::FileWriter::reopen(a.string(), 3);  // (to have a writer to close)
        const double reopen_ms = ms_since(t);
        t = MainLoop::mono_now_ns();
        old_way->close();
        const double close_ms = ms_since(t);
        t = MainLoop::mono_now_ns();
        auto again = zzp::rec::FileWriter::reopen(a.string(), 3);
        const double reopen_after_footer_ms = ms_since(t);
        // New: release + continuation, then the successor adopts.
        auto live = zzp::rec::FileWriter::reopen(b.string(), 3);
        t = MainLoop::mono_now_ns();
        live->release();
        const std::string cont = live->continuation();
        const double save_ms = ms_since(t);
        t = MainLoop::mono_now_ns();
        auto adopted = zzp::rec::FileWriter::adopt(b.string(), 3, cont);
        const double adopt_ms = ms_since(t);
        std::printf("hand-over of a %d-minute recording (%.1f MiB, 1000 samples/s): old way close %.1f ms + reopen %.1f ms "
                    "(%.1f ms on an unclosed file); new way release+continuation %.2f ms (%zu bytes) + adopt %.2f ms\n",
                    minutes, static_cast<double>(fs::file_size(b)) / (1 << 20), close_ms, reopen_after_footer_ms, reopen_ms,
                    save_ms, cont.size(), adopt_ms);
        adopted->close();
        again->close();
    }

    // 1. Recorder swaps under load.
    {
        TempDir tmp;
        const fs::path plugdir = tmp.path / "plugins";
        fs::create_directories(plugdir);
        fs::create_directories(tmp.path / "b");
        fs::copy_file(fs::path(ZZP_PLUGIN_OUTPUT_DIR) / "zzp-udp-echo.so", plugdir / "zzp-udp-echo.so");
        fs::copy_file(fs::path(ZZP_PLUGIN_OUTPUT_DIR) / "zzp-file.so", plugdir / "zzp-file.so");
        // The second build records another version: swaps alternate between two real builds.
        fs::copy_file(ZZP_FILE_V2_PLUGIN, tmp.path / "b" / "zzp-file.so");
        const std::string target = "127.0.0.1:" + std::to_string(free_udp_port());
        SwapHarness h;
        HotSwapOptions o;
        o.probation_ns = 100 * kMs;
        if (!h.start(tmp.path, pipeline(plugdir, target,
                                        "[[sink]]\nid = \"recorder\"\nplugin = \"file\"\ninputs = [\"echo\"]\ndirectory = " +
                                            q(tmp.path / "rec") + "\nsamples = true\n"),
                     o, &why)) {
            std::fprintf(stderr, "bench_hotswap: %s\n", why.c_str());
            return 1;
        }
        h.run_for(1000 * kMs);
        std::vector<int64_t> pauses, quiesce, own;
        for (int i = 0; i < swaps; ++i) {
            SwapResult r = h.swap_and_settle("recorder", i % 2 == 0 ? tmp.path / "b" / "zzp-file.so" : plugdir / "zzp-file.so");
            if (!r.ok) {
                std::fprintf(stderr, "bench_hotswap: %s\n", r.message.c_str());
                return 1;
            }
            pauses.push_back(r.pause_ns);
            quiesce.push_back(r.quiesce_ns);
            own.push_back(r.pause_ns - r.quiesce_ns);
            h.run_for(100 * kMs);
        }
        StopReport rep = h.stop();
        std::printf("recorder swaps at 1000 samples/s: %d swaps, dispatch pause p50 %.1f ms, p99 %.1f ms, max %.1f ms "
                    "(of which waiting for the call in flight: p50 %.1f ms, p99 %.1f ms; the rest, the swap itself: p50 %.1f ms, "
                    "p99 %.1f ms); stop %s\n",
                    swaps, pct(pauses, 0.5), pct(pauses, 0.99), pct(pauses, 1.0), pct(quiesce, 0.5), pct(quiesce, 0.99),
                    pct(own, 0.5), pct(own, 0.99), rep.clean ? "clean" : "with problems");
    }

    // 2. Latency before / after swaps (test recorder notes when it took each batch).
    {
        TempDir tmp;
        const fs::path plugdir = tmp.path / "plugins";
        fs::create_directories(plugdir);
        fs::copy_file(fs::path(ZZP_PLUGIN_OUTPUT_DIR) / "zzp-udp-echo.so", plugdir / "zzp-udp-echo.so");
        const fs::path out = tmp.path / "rec.txt";
        const std::string target = "127.0.0.1:" + std::to_string(free_udp_port());
        SwapHarness h;
        HotSwapOptions o;
        o.probation_ns = 100 * kMs;
        if (!h.start(tmp.path, pipeline(plugdir, target,
                                        "[[sink]]\nid = \"rec\"\nplugin = " + q(test_plugin("zzp-hs-rec-a.so")) +
                                            "\ninputs = [\"echo\"]\npath = " + q(out) + "\n"),
                     o, &why)) {
            std::fprintf(stderr, "bench_hotswap: %s\n", why.c_str());
            return 1;
        }
        h.run_for(1500 * kMs);
        const int64_t first_swap_wall = h.pipeline().clock().wall_ns();
        for (int i = 0; i < 10; ++i) {
            h.swap_and_settle("rec", test_plugin(i % 2 == 0 ? "zzp-hs-rec-b.so" : "zzp-hs-rec-a.so"));
            h.run_for(50 * kMs);
        }
        const int64_t last_swap_wall = h.pipeline().clock().wall_ns();
        h.run_for(1500 * kMs);
        h.stop();
        std::vector<int64_t> before, after;
        for (const auto& s : read_test_recording(out)) {
            if (s.status != ZZP_SAMPLE_REPLY || !s.taken_wall_ns) continue;
            const int64_t lat = s.taken_wall_ns - s.sent_wall_ns;
            if (s.sent_wall_ns < first_swap_wall && s.sent_wall_ns >= first_swap_wall - 1'000'000'000) before.push_back(lat);
            if (s.sent_wall_ns > last_swap_wall + 200 * kMs && s.sent_wall_ns <= last_swap_wall + 1'200 * kMs) after.push_back(lat);
        }
        std::printf("end-to-end latency send->sink: 1 s before the swaps p50 %.2f ms p99 %.2f ms (%zu samples); "
                    "1 s after 10 swaps p50 %.2f ms p99 %.2f ms (%zu samples)\n",
                    pct(before, 0.5), pct(before, 0.99), before.size(), pct(after, 0.5), pct(after, 0.99), after.size());
    }

    // 3. Rename into the plugin folder -> new generation active.
    {
        TempDir tmp;
        const fs::path plugdir = tmp.path / "plugins";
        fs::create_directories(plugdir);
        const fs::path live = plugdir / "zzp-hs-rec.so";
        fs::copy_file(test_plugin("zzp-hs-rec-a.so"), live);
        SwapHarness h;
        HotSwapOptions o;
        o.probation_ns = 50 * kMs;
        if (!h.start(tmp.path,
                     "[host]\nplugin_dirs = [" + q(ZZP_PLUGIN_OUTPUT_DIR) + "]\n[[probe]]\nid = \"synth\"\nplugin = \"synthetic\"\n"
                     "targets = [\"t\"]\nrate = 1000.0\n[[sink]]\nid = \"rec\"\nplugin = " + q(live) + "\npath = " +
                         q(tmp.path / "rec.txt") + "\n",
                     o, &why) ||
            !h.watch({plugdir}, &why)) {
            std::fprintf(stderr, "bench_hotswap: %s\n", why.c_str());
            return 1;
        }
        h.run_for(200 * kMs);
        std::vector<int64_t> lat;
        for (int i = 0; i < renames; ++i) {
            const size_t before = h.count(SwapEvent::Kind::committed);
            const int64_t t0 = MainLoop::mono_now_ns();
            install_over(test_plugin(i % 2 == 0 ? "zzp-hs-rec-b.so" : "zzp-hs-rec-a.so"), live);
            h.run_until([&] { return h.count(SwapEvent::Kind::activated) > static_cast<size_t>(i); }, 5'000 * kMs);
            for (const auto& e : h.events())
                if (e.kind == SwapEvent::Kind::activated && e.mono_ns >= t0) {
                    lat.push_back(e.mono_ns - t0);
                    break;
                }
            h.run_until([&] { return h.count(SwapEvent::Kind::committed) > before; }, 5'000 * kMs);
        }
        h.stop();
        std::printf("rename -> new generation active: %zu renames, p50 %.1f ms, max %.1f ms (watcher debounce 150 ms)\n",
                    lat.size(), pct(lat, 0.5), pct(lat, 1.0));
    }

    // 4. The same with the real recorder under UDP echo load at 1 000 samples/s, its two builds
    //    renamed in turn over the library it was loaded from.
    {
        TempDir tmp;
        const fs::path plugdir = tmp.path / "plugins";
        fs::create_directories(plugdir);
        fs::copy_file(fs::path(ZZP_PLUGIN_OUTPUT_DIR) / "zzp-udp-echo.so", plugdir / "zzp-udp-echo.so");
        const fs::path live = plugdir / "zzp-file.so";
        fs::copy_file(fs::path(ZZP_PLUGIN_OUTPUT_DIR) / "zzp-file.so", live);
        const std::string target = "127.0.0.1:" + std::to_string(free_udp_port());
        SwapHarness h;
        HotSwapOptions o;
        o.probation_ns = 50 * kMs;
        if (!h.start(tmp.path, pipeline(plugdir, target,
                                        "[[sink]]\nid = \"recorder\"\nplugin = \"file\"\ninputs = [\"echo\"]\ndirectory = " +
                                            q(tmp.path / "rec") + "\nsamples = true\n"),
                     o, &why) ||
            !h.watch({plugdir}, &why)) {
            std::fprintf(stderr, "bench_hotswap: %s\n", why.c_str());
            return 1;
        }
        h.run_for(500 * kMs);
        std::vector<int64_t> lat, pauses;
        for (int i = 0; i < renames; ++i) {
            const size_t before = h.count(SwapEvent::Kind::committed);
            const int64_t t0 = MainLoop::mono_now_ns();
            install_over(i % 2 == 0 ? fs::path(ZZP_FILE_V2_PLUGIN) : fs::path(ZZP_PLUGIN_OUTPUT_DIR) / "zzp-file.so", live);
            h.run_until([&] { return h.count(SwapEvent::Kind::activated) > static_cast<size_t>(i); }, 5'000 * kMs);
            for (const auto& e : h.events())
                if (e.kind == SwapEvent::Kind::activated && e.mono_ns >= t0) {
                    lat.push_back(e.mono_ns - t0);
                    pauses.push_back(e.pause_ns);
                    break;
                }
            h.run_until([&] { return h.count(SwapEvent::Kind::committed) > before; }, 5'000 * kMs);
        }
        h.stop();
        std::printf("rename -> new generation active, recorder at 1000 samples/s: %zu renames, p50 %.1f ms, max %.1f ms; "
                    "dispatch pause p50 %.1f ms, max %.1f ms\n",
                    lat.size(), pct(lat, 0.5), pct(lat, 1.0), pct(pauses, 0.5), pct(pauses, 1.0));
    }
    return 0;
}

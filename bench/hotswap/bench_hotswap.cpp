// Hot swap figures (docs/HOT_SWAP.md):
//   1. dispatch pause per swap of the real recorder at 1 000 samples/s (UDP echo on loopback),
//      p50/p99/max over N swaps;
//   2. end-to-end latency (probe send -> recorder took the batch) in the second before the first
//      swap and in the second after the last one (test recorder, which notes when it took each
//      batch);
//   3. time from rename(2) of a rebuilt library into the plugin folder to the new generation
//      being active (inotify + debounce + preflight + swap).
// Usage: bench_hotswap [--swaps N] [--renames N]
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

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

}  // namespace

int main(int argc, char** argv) {
    int swaps = 50, renames = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--swaps")) swaps = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--renames")) renames = std::atoi(argv[i + 1]);
    }
    std::string why;

    // 1. Recorder swaps under load.
    {
        TempDir tmp;
        const fs::path plugdir = tmp.path / "plugins";
        fs::create_directories(plugdir);
        fs::create_directories(tmp.path / "b");
        fs::copy_file(fs::path(ZZP_PLUGIN_OUTPUT_DIR) / "zzp-udp-echo.so", plugdir / "zzp-udp-echo.so");
        fs::copy_file(fs::path(ZZP_PLUGIN_OUTPUT_DIR) / "zzp-file.so", plugdir / "zzp-file.so");
        fs::copy_file(fs::path(ZZP_PLUGIN_OUTPUT_DIR) / "zzp-file.so", tmp.path / "b" / "zzp-file.so");
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
        std::vector<int64_t> pauses;
        for (int i = 0; i < swaps; ++i) {
            SwapResult r = h.swap_and_settle("recorder", i % 2 == 0 ? tmp.path / "b" / "zzp-file.so" : plugdir / "zzp-file.so");
            if (!r.ok) {
                std::fprintf(stderr, "bench_hotswap: %s\n", r.message.c_str());
                return 1;
            }
            pauses.push_back(r.pause_ns);
            h.run_for(100 * kMs);
        }
        StopReport rep = h.stop();
        std::printf("recorder swaps at 1000 samples/s: %d swaps, dispatch pause p50 %.1f ms, p99 %.1f ms, max %.1f ms; "
                    "stop %s\n",
                    swaps, pct(pauses, 0.5), pct(pauses, 0.99), pct(pauses, 1.0), rep.clean ? "clean" : "with problems");
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
    return 0;
}

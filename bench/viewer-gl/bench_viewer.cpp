// zzp-bench-viewer [--days D | --hours H] [--hosts N] [--dir DIR] [--frames N]
// Generates (or reuses) a synthetic recording straight through zzp_recording's writer, then
// measures the viewer in-process through EGL surfaceless at 1280x720.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "app.hpp"
#include "recording/recording.hpp"
#include "synth_recording.hpp"

using namespace zzp::viewer;
namespace fs = std::filesystem;

static double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
static double cpu_s() {
    rusage r{};
    getrusage(RUSAGE_SELF, &r);
    return double(r.ru_utime.tv_sec + r.ru_stime.tv_sec) + double(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}
static long rss_kb(const char* key) {
    std::ifstream s("/proc/self/status");
    std::string line;
    while (std::getline(s, line))
        if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::strlen(key));
    return -1;
}
static double pct(std::vector<double> v, double p) {
    if (v.empty()) return -1;
    std::sort(v.begin(), v.end());
    return v[size_t(p * double(v.size() - 1))];
}

int main(int argc, char** argv) {
    double hours = 24;
    int hosts = 4, frames = 60;
    std::string dir = "/tmp/zzp-bench-viewer";
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--days") hours = std::atof(argv[i + 1]) * 24;
        else if (a == "--hours") hours = std::atof(argv[i + 1]);
        else if (a == "--hosts") hosts = std::atoi(argv[i + 1]);
        else if (a == "--dir") dir = argv[i + 1];
        else if (a == "--frames") frames = std::atoi(argv[i + 1]);
    }
    dir += "-" + std::to_string(int(hours)) + "h-" + std::to_string(hosts);
    SynthSpec spec;
    spec.directory = dir;
    spec.hosts.clear();
    for (int h = 0; h < hosts; ++h) spec.hosts.push_back("host" + std::to_string(h + 1));
    spec.duration_ns = int64_t(hours * 3600e9);
    if (!fs::exists(dir + "/done")) {
        fs::remove_all(dir);
        double t = now_s();
        auto files = write_synthetic_recording(spec);
        std::ofstream(dir + "/done") << "ok";
        std::printf("generated %zu files, %.1f h x %d hosts (%.0f M frames) in %.1f s\n", files.size(), hours, hosts,
                    hours * 36000 * hosts / 1e6, now_s() - t);
    }
    uint64_t bytes = 0;
    std::vector<std::string> files;
    for (auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".zzr") bytes += e.file_size(), files.push_back(e.path());
    std::printf("recording: %zu files, %.1f MB on disk\n", files.size(), double(bytes) / 1e6);

    auto make_opts = [&](int n) {
        Options o;
        o.headless = "egl";
        o.frames = n;
        o.deterministic = true;
        o.source_label = "bench";
        return o;
    };
    auto quiet = [](int, const std::string&) {};
    // 1. First frame, cold (page cache dropped for these files) and warm.
    for (int pass = 0; pass < 2; ++pass) {
        if (pass == 0)
            for (auto& f : files) {
                int fd = ::open(f.c_str(), O_RDONLY);
                if (fd >= 0) ::fdatasync(fd), ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), ::close(fd);
            }
        double t = now_s();
        App app(make_opts(1), [&] { return std::make_shared<FileSource>(std::vector<std::string>{dir}); }, quiet);
        app.run();
        std::printf("first frame (%s): %.3f s   target <= %s\n", pass == 0 ? "cold" : "warm", now_s() - t,
                    pass == 0 ? "2 s" : "1 s");
    }
    // 2. Zoom from the whole span down to seconds and back, panning: frame times and counters.
    std::string script = dir + "/zoom.script";
    {
        std::ofstream s(script);
        for (int i = 0; i < frames; ++i) {
            int x = 200 + (i * 37) % 700;
            if (i < frames / 2) s << "wheel " << x << " 300 " << 1.5 << "\n";
            else if (i % 3 == 0) s << "drag 600 300 " << 450 + i << " 300\n";
            else s << "wheel " << x << " 300 " << -1.5 << "\n";
            s << "frame\n";
        }
    }
    Options o = make_opts(frames);
    o.script = script;
    o.benchmark = false;
    App app(o, [&] { return std::make_shared<FileSource>(std::vector<std::string>{dir}); }, quiet);
    app.run();
    std::vector<double> t, q;
    uint64_t max_plot_v = 0, max_ui_v = 0, max_nodes = 0;
    int width = 0;
    for (const auto& f : app.frame_stats()) {
        t.push_back(f.total_ms), q.push_back(f.query_ms);
        max_plot_v = std::max(max_plot_v, f.plot_vertices);
        max_ui_v = std::max(max_ui_v, f.imgui_vertices);
        max_nodes = std::max(max_nodes, f.nodes_read);
        width = f.columns;
    }
    std::printf("file mode, %d hosts, %zu frames zooming %s..seconds: frame p50 %.1f ms (target <= 33), p95 %.1f ms "
                "(target <= 50), max %.1f ms\n",
                hosts, t.size(), "all", pct(t, 0.5), pct(t, 0.95), pct(t, 1));
    std::printf("query per frame (all hosts): p50 %.3f ms, p95 %.3f ms, max %.3f ms (target <= 1 ms); max nodes %llu\n",
                pct(q, 0.5), pct(q, 0.95), pct(q, 1), (unsigned long long)max_nodes);
    std::printf("plot vertices per frame: max %llu for %d hosts = %.3f per column per host (target <= 10); "
                "text/widget vertices max %llu\n",
                (unsigned long long)max_plot_v, hosts, double(max_plot_v) / double(width) / hosts,
                (unsigned long long)max_ui_v);
    std::printf("memory: VmHWM %ld MB, VmRSS %ld MB (recording %.0f MB on disk; target <= pyramid + 200 MB)\n",
                rss_kb("VmHWM:") / 1024, rss_kb("VmRSS:") / 1024, double(bytes) / 1e6);

    // 3. Idle: a file view with nothing happening; CPU over 5 s.
    {
        Options io = make_opts(0);
        App idle(io, [&] { return std::make_shared<FileSource>(std::vector<std::string>{dir}); }, quiet);
        std::thread th([&] { idle.run(); });
        std::this_thread::sleep_for(std::chrono::seconds(2));
        double c0 = cpu_s(), w0 = now_s();
        std::this_thread::sleep_for(std::chrono::seconds(5));
        double c1 = cpu_s(), w1 = now_s();
        idle.request_stop();
        th.join();
        std::printf("idle CPU (file view, no input): %.2f %% of a core (target <= 5 %%), %lld frames drawn\n",
                    100 * (c1 - c0) / (w1 - w0), (long long)idle.frames_rendered());
    }
    // 4. Live: 8 hosts x 10 frames/s fed in-process; arrival -> on screen.
    {
        auto live = std::make_shared<LiveSource>(3600'000'000'000LL);
        for (uint32_t h = 1; h <= 8; ++h) live->add_target(h, HostInfo{"live" + std::to_string(h), "", "synthetic", "p", 100'000'000});
        Options lo = make_opts(0);
        lo.deterministic = false;
        App lapp(lo, [&] { return live; }, quiet);
        live->set_on_change([&] { lapp.wake(); });
        std::thread th([&] { lapp.run(); });
        std::atomic<bool> stop{false};
        std::thread feeder([&] {
            int64_t t = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
            t -= t % 100'000'000;
            for (int i = 0; !stop; ++i) {
                for (uint32_t h = 1; h <= 8; ++h) {
                    zzp_frame f{};
                    f.start_wall_ns = t + i * 100'000'000LL;
                    f.interval_ns = 100'000'000;
                    f.target_id = h;
                    f.sent = 10, f.received = (i % 50 == 0) ? 7 : 10, f.lost = f.sent - f.received;
                    for (int q = 0; q < ZZP_QUANTILE_COUNT; ++q) f.rtt_ns[q] = 1'000'000 * h + q * 100'000 + (i % 7) * 50'000;
                    timespec ts;
                    clock_gettime(CLOCK_MONOTONIC, &ts);
                    live->add_frame(f, int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec);
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        });
        double c0 = cpu_s(), w0 = now_s();
        std::this_thread::sleep_for(std::chrono::seconds(10));
        double c1 = cpu_s(), w1 = now_s();
        stop = true;
        feeder.join();
        lapp.request_stop();
        th.join();
        live->set_on_change(nullptr);
        std::vector<double> lat, ft;
        for (const auto& f : lapp.frame_stats()) {
            if (f.arrival_latency_ms >= 0) lat.push_back(f.arrival_latency_ms);
            ft.push_back(f.total_ms);
        }
        std::printf("live, 8 hosts x 10 frames/s: %lld redraws in 10 s, frame p50 %.1f ms; arrival -> on screen p50 %.1f ms, "
                    "p95 %.1f ms, max %.1f ms (target <= 100 ms); CPU %.1f %% of a core\n",
                    (long long)lapp.frames_rendered(), pct(ft, 0.5), pct(lat, 0.5), pct(lat, 0.95), pct(lat, 1),
                    100 * (c1 - c0) / (w1 - w0));
    }
    return 0;
}

// zzp-bench-viewer [--days D | --hours H] [--hosts N] [--dir DIR] [--frames N] [--runs N]
//                  [--only first|zoom|idle|live] [--cold]
// Generates (or reuses) a synthetic recording straight through zzp_recording's writer, then
// measures the gl viewer in-process through EGL surfaceless at 1280x720 (llvmpipe): first frame,
// zoom/pan frame times and query cost, vertices, memory, idle CPU, live latency.
//
// The machine is shared: every figure comes with the load it was measured under (load average,
// and how much slower than on an idle core a fixed piece of work ran), and the zoom runs are
// repeated so that the best and the median run can be quoted.
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
#include "file_source.hpp"
#include "live_source.hpp"
#include "recording/file_reader.hpp"
#include "synth_recording.hpp"

using namespace zzp::viewer;
namespace fs = std::filesystem;

namespace {

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
double mono_s() { return double(mono_now_ns()) / 1e9; }
double cpu_s() {
    rusage r{};
    getrusage(RUSAGE_SELF, &r);
    return double(r.ru_utime.tv_sec + r.ru_stime.tv_sec) + double(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}
long status_kb(const char* key) {
    std::ifstream s("/proc/self/status");
    std::string line;
    while (std::getline(s, line))
        if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::strlen(key));
    return -1;
}
double pct(std::vector<double> v, double p) {
    if (v.empty()) return -1;
    std::sort(v.begin(), v.end());
    return v[size_t(p * double(v.size() - 1) + 0.5)];
}
std::string loadavg() {
    std::ifstream s("/proc/loadavg");
    std::string a, b, c;
    s >> a >> b >> c;
    return a + " " + b + " " + c;
}

// How loaded the machine is right now: a fixed CPU-bound job, wall time vs. CPU time, and its
// CPU time vs. the best seen in this process (an idle core runs it at the best).
void report_load(const char* when) {
    static double best = 1e9;
    volatile uint64_t x = 1;
    double w0 = now_s(), c0 = cpu_s();
    for (uint64_t i = 0; i < 60'000'000; ++i) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    double w = now_s() - w0, c = cpu_s() - c0;
    best = std::min(best, c);
    std::printf("load %s: loadavg %s; a fixed 1-core job took %.0f ms wall / %.0f ms CPU (x%.2f of wall; idle core: "
                "wall = CPU)\n",
                when, loadavg().c_str(), w * 1e3, c * 1e3, w / std::max(c, 1e-9));
}

Options make_opts(int n) {
    Options o;
    o.headless = "egl";
    o.frames = n;
    o.deterministic = true;
    o.source_label = "bench";
    return o;
}
void quiet(int, const std::string&) {}

void drop_caches(const std::vector<std::string>& files) {
    sync();
    std::ofstream dc("/proc/sys/vm/drop_caches");
    if (dc && (dc << "3\n")) {
        dc.close();
        std::printf("  (page cache dropped: /proc/sys/vm/drop_caches)\n");
        return;
    }
    for (auto& f : files) {  // not root: at least these files
        int fd = ::open(f.c_str(), O_RDONLY);
        if (fd >= 0) ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), ::close(fd);
    }
    std::printf("  (page cache of the recording dropped with fadvise; not root)\n");
}

// Stored pyramid bytes ('P' records) of the recording: the memory target is pyramid + 200 MB.
uint64_t pyramid_bytes(const std::vector<std::string>& files) {
    uint64_t n = 0;
    for (const auto& f : files)
        for (const auto& r : zzp::rec::scan_file(f, false).records)
            if (r.type == zzp::rec::RecordType::pyramid) n += r.payload_size + zzp::rec::kRecordFrameSize;
    return n;
}

void first_frame(const std::string& dir, const std::vector<std::string>& files, bool cold) {
    if (cold) drop_caches(files);
    report_load(cold ? "before the cold first frame" : "before the warm first frame");
    double t = mono_s();
    Options o = make_opts(0);
    std::atomic<double> open_s{0}, open_cpu_s{0};
    App app(o, [&] {
        double t0 = mono_s(), c0 = cpu_s();
        auto src = std::make_shared<FileSource>(std::vector<std::string>{dir});
        open_s = mono_s() - t0, open_cpu_s = cpu_s() - c0;
        return src;
    }, quiet);
    std::thread th([&] { app.run(); });
    while (app.first_frame_mono_ns() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    double first = double(app.first_frame_mono_ns()) / 1e9 - t;
    double cpu_first = cpu_s();
    long rss = status_kb("VmRSS:"), anon = status_kb("RssAnon:"), file = status_kb("RssFile:");
    app.request_stop();
    th.join();
    const FrameStats& f1 = app.frame_stats().front();
    std::printf("first frame (%s): %.3f s   target <= %s\n", cold ? "cold" : "warm", first, cold ? "2 s" : "1 s");
    std::printf("  of which opening the files %.3f s (CPU %.3f s), first query %.3f s, first frame drawn in %.3f s; "
                "CPU of the process until then %.3f s\n",
                open_s.load(), open_cpu_s.load(), f1.query_ms / 1e3, f1.total_ms / 1e3, cpu_first);
    std::printf("  RSS after the first frame: %ld MB (anon %ld MB, file-backed %ld MB)\n", rss / 1024, anon / 1024,
                file / 1024);
}

// Zoom from the whole span down to seconds and back, panning: frame times and counters.
struct ZoomRun {
    double p50 = 0, p95 = 0, max = 0, cpu50 = 0, cpu95 = 0, q50 = 0, q95 = 0, qmax = 0, pq50 = 0, pq95 = 0, pqmax = 0;
    double decode_max = 0;
    uint64_t max_plot_v = 0, max_ui_v = 0;
    int width = 0, refining = 0, frames = 0;
};

ZoomRun zoom_run(const std::string& dir, int frames, bool print_frames) {
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
    o.benchmark = print_frames;
    o.query_budget_ms = 10;  // as interactively: decoding spread over frames
    App app(o, [&] { return std::make_shared<FileSource>(std::vector<std::string>{dir}); }, quiet);
    app.run();
    ZoomRun r;
    std::vector<double> t, c, q, pq;
    // Frame 1 opens the recording and is the first-frame figure: the zoom starts after it.
    for (size_t i = 1; i < app.frame_stats().size(); ++i) {
        const auto& f = app.frame_stats()[i];
        t.push_back(f.total_ms), c.push_back(f.cpu_ms);
        if (f.queried) q.push_back(f.query_ms), pq.push_back(f.query_ms - f.decode_ms);
        r.decode_max = std::max(r.decode_max, f.decode_ms);
        r.max_plot_v = std::max(r.max_plot_v, f.plot_vertices);
        r.max_ui_v = std::max(r.max_ui_v, f.imgui_vertices);
        r.width = f.columns;
        r.refining += f.pending > 0;
    }
    r.frames = int(t.size());
    r.p50 = pct(t, 0.5), r.p95 = pct(t, 0.95), r.max = pct(t, 1), r.cpu50 = pct(c, 0.5), r.cpu95 = pct(c, 0.95);
    r.q50 = pct(q, 0.5), r.q95 = pct(q, 0.95), r.qmax = pct(q, 1);
    r.pq50 = pct(pq, 0.5), r.pq95 = pct(pq, 0.95), r.pqmax = pct(pq, 1);
    return r;
}

void zoom(const std::string& dir, int hosts, int frames, int runs, bool print_frames) {
    std::vector<ZoomRun> rs;
    for (int i = 0; i < runs; ++i) {
        report_load(("before zoom run " + std::to_string(i + 1)).c_str());
        ZoomRun r = zoom_run(dir, frames, print_frames);
        std::printf("zoom run %d: %d frames, frame p50 %.1f / p95 %.1f / max %.1f ms (CPU p50 %.1f / p95 %.1f ms); "
                    "query p50 %.3f / p95 %.3f / max %.3f ms, of which pyramid+cache p50 %.3f / p95 %.3f / max %.3f ms "
                    "(the rest decodes chunks, <= %.1f ms a frame); %d frames drew a coarser level while refining\n",
                    i + 1, r.frames, r.p50, r.p95, r.max, r.cpu50, r.cpu95, r.q50, r.q95, r.qmax, r.pq50, r.pq95, r.pqmax,
                    r.decode_max, r.refining);
        rs.push_back(r);
    }
    auto best = [&](auto f) {
        double b = 1e18;
        for (auto& r : rs) b = std::min(b, f(r));
        return b;
    };
    auto med = [&](auto f) {
        std::vector<double> v;
        for (auto& r : rs) v.push_back(f(r));
        return pct(v, 0.5);
    };
    std::printf("file mode, %d hosts, zooming all..seconds and panning, %d runs: frame p50 best %.1f / median %.1f ms "
                "(target <= 33), p95 best %.1f / median %.1f ms (target <= 50)\n",
                hosts, runs, best([](auto& r) { return r.p50; }), med([](auto& r) { return r.p50; }),
                best([](auto& r) { return r.p95; }), med([](auto& r) { return r.p95; }));
    std::printf("pyramid+cache query per frame (all hosts): p50 best %.3f / median %.3f ms, p95 best %.3f / median %.3f "
                "ms (target <= 1 ms)\n",
                best([](auto& r) { return r.pq50; }), med([](auto& r) { return r.pq50; }),
                best([](auto& r) { return r.pq95; }), med([](auto& r) { return r.pq95; }));
    const ZoomRun& r = rs.front();
    std::printf("plot vertices per frame: max %llu for %d hosts = %.3f per column per host (target <= 10); "
                "text/widget vertices max %llu\n",
                (unsigned long long)r.max_plot_v, hosts, double(r.max_plot_v) / double(std::max(r.width, 1)) / hosts,
                (unsigned long long)r.max_ui_v);
    std::printf("memory: VmHWM %ld MB, VmRSS %ld MB\n", status_kb("VmHWM:") / 1024, status_kb("VmRSS:") / 1024);
}

void idle(const std::string& dir) {
    Options io = make_opts(0);
    App idle(io, [&] { return std::make_shared<FileSource>(std::vector<std::string>{dir}); }, quiet);
    std::thread th([&] { idle.run(); });
    while (idle.first_frame_mono_ns() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::seconds(1));  // let refinement frames (if any) finish
    int64_t before = idle.frames_rendered();
    double c0 = cpu_s(), w0 = now_s();
    std::this_thread::sleep_for(std::chrono::seconds(5));
    double c1 = cpu_s(), w1 = now_s();
    int64_t drawn = idle.frames_rendered() - before;
    idle.request_stop();
    th.join();
    std::printf("idle CPU (file view, no input, 5 s): %.2f %% of a core (target <= 5 %%), %lld frames drawn\n",
                100 * (c1 - c0) / (w1 - w0), (long long)drawn);
}

void live(int seconds) {
    auto src = std::make_shared<LiveSource>(3600'000'000'000LL);
    for (uint32_t h = 1; h <= 8; ++h) src->add_target(h, HostInfo{"live" + std::to_string(h), "", "synthetic", "p", 100'000'000});
    Options lo = make_opts(0);
    lo.deterministic = false;
    App lapp(lo, [&] { return src; }, quiet);
    src->set_on_change([&] { lapp.wake(); });
    std::thread th([&] { lapp.run(); });
    std::atomic<bool> stop{false};
    std::thread feeder([&] {
        int64_t t = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        t -= t % 100'000'000;
        auto next = std::chrono::steady_clock::now();
        for (int i = 0; !stop; ++i) {
            for (uint32_t h = 1; h <= 8; ++h) {
                zzp_frame f{};
                f.start_wall_ns = t + i * 100'000'000LL;
                f.interval_ns = 100'000'000;
                f.target_id = h;
                f.sent = 10, f.received = (i % 50 == 0) ? 7 : 10, f.lost = f.sent - f.received;
                for (int q = 0; q < ZZP_QUANTILE_COUNT; ++q) f.rtt_ns[q] = 1'000'000 * h + q * 100'000 + (i % 7) * 50'000;
                src->add_frame(f, mono_now_ns());
            }
            next += std::chrono::milliseconds(100);
            std::this_thread::sleep_until(next);
        }
    });
    std::this_thread::sleep_for(std::chrono::seconds(1));
    int64_t f0 = lapp.frames_rendered();
    double c0 = cpu_s(), w0 = now_s();
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    double c1 = cpu_s(), w1 = now_s();
    int64_t drawn = lapp.frames_rendered() - f0;
    stop = true;
    feeder.join();
    lapp.request_stop();
    th.join();
    src->set_on_change(nullptr);
    std::vector<double> lat, ft;
    for (const auto& f : lapp.frame_stats()) {
        if (f.arrival_latency_ms >= 0) lat.push_back(f.arrival_latency_ms);
        ft.push_back(f.total_ms);
    }
    std::printf("live, 8 hosts x 10 frames/s: %lld redraws in %d s, frame p50 %.1f ms; arrival -> on screen p50 %.1f ms, "
                "p95 %.1f ms, max %.1f ms (target <= 100 ms); CPU %.1f %% of a core\n",
                (long long)drawn, seconds, pct(ft, 0.5), pct(lat, 0.5), pct(lat, 0.95), pct(lat, 1),
                100 * (c1 - c0) / (w1 - w0));
}

}  // namespace

int main(int argc, char** argv) {
    double hours = 24;
    int hosts = 4, frames = 60, runs = 3;
    bool cold = false, print_frames = false;
    std::string dir = "/tmp/zzp-bench-viewer", only;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
        if (a == "--days") hours = std::atof(next().c_str()) * 24;
        else if (a == "--hours") hours = std::atof(next().c_str());
        else if (a == "--hosts") hosts = std::atoi(next().c_str());
        else if (a == "--dir") dir = next();
        else if (a == "--frames") frames = std::atoi(next().c_str());
        else if (a == "--runs") runs = std::atoi(next().c_str());
        else if (a == "--only") only = next();
        else if (a == "--cold") cold = true;
        else if (a == "--print-frames") print_frames = true;
        else {
            std::fprintf(stderr, "usage: %s [--days D | --hours H] [--hosts N] [--dir DIR] [--frames N] [--runs N] "
                                 "[--only first|zoom|idle|live] [--cold] [--print-frames]\n", argv[0]);
            return 2;
        }
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
    std::printf("recording: %zu files, %.1f MB on disk, %.1f h x %d hosts x 100 ms frames\n", files.size(),
                double(bytes) / 1e6, hours, hosts);

    if (only.empty() || only == "first") {
        if (cold || only.empty()) first_frame(dir, files, true);
        first_frame(dir, files, false);
        if (only == "first") {
            long hwm = status_kb("VmHWM:") / 1024;
            double pyr = double(pyramid_bytes(files)) / 1e6;
            std::printf("pyramid stored in the recording: %.1f MB; memory target <= pyramid + 200 MB = %.0f MB; "
                        "VmHWM of the first frames %ld MB\n", pyr, pyr + 200, hwm);
        }
    }
    if (only.empty() || only == "zoom") zoom(dir, hosts, frames, runs, print_frames);
    if (only.empty() || only == "idle") idle(dir);
    if (only.empty() || only == "live") {
        report_load("before live");
        live(10);
    }
    report_load("at the end");
    return 0;
}

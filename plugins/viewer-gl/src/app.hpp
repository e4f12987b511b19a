// The viewer application: view state, input, column queries, layout and drawing, pacing (sleep
// until data or input, at most max_fps redraws/s), screenshots, scripts and benchmark figures.
// Runs entirely on the thread that calls run(), which owns the GL context.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "data_source.hpp"
#include "gl.hpp"
#include "scale.hpp"

namespace zzp::viewer {

struct Options {
    std::string headless;  // "" = window, "egl" = EGL surfaceless (no X server)
    int width = 1280, height = 720;
    int64_t frames = 0;        // render this many frames, then stop (0 = until closed)
    std::string screenshot;    // PNG of the last frame
    std::string script;        // file of input events (see README.md)
    bool deterministic = false;
    bool benchmark = false;
    bool stacked = true;
    ScaleMode scale = ScaleMode::log;
    RangeMode range = RangeMode::automatic;
    double scale_factor = 2.0;
    double y_max_ns = 0;       // fixed range top (0 = auto)
    bool follow = true;
    int64_t view_t0 = 0, view_t1 = 0;  // initial view (0 = everything)
    int64_t silence_ns = 3'000'000'000;
    int max_fps = 30;
    // Decoding work per frame (chunks, level 1) before drawing what is not read yet from a
    // coarser level; < 0: 10 ms, or everything at once when deterministic; 0: everything.
    double query_budget_ms = -1;
    bool panel = true;
    std::string title = "zzprobe view";
    std::string source_label;  // "3 files" / "127.0.0.1:7879"
};

// Pixel geometry of the last frame (ImGui coordinates: origin top-left).
struct Rect {
    float x = 0, y = 0, w = 0, h = 0;
    bool contains(float px, float py) const { return px >= x && px < x + w && py >= y && py < y + h; }
};
struct Layout {
    Rect plot;                      // whole data area
    std::vector<Rect> lanes;        // per host (index = host), zero size when hidden
    std::vector<Rect> loss;         // per host loss strip
    YScale scale;
    int64_t t0 = 0, t1 = 0;         // view
};

struct HostSummary {
    double loss_pct = 0, p50_ns = -1, p99_ns = -1;
    uint64_t sent = 0, lost = 0, bursts = 0, frames = 0;
};

struct FrameStats {
    // total: input to finished frame (glFinish); query: column queries, of which decode: reading
    // chunks not seen before; gpu: glFinish (llvmpipe rasterises then); cpu: CPU time of the
    // whole process (all llvmpipe threads) in the frame, which a busy machine does not inflate.
    double total_ms = 0, query_ms = 0, decode_ms = 0, gpu_ms = 0, cpu_ms = 0;
    uint64_t plot_vertices = 0, imgui_vertices = 0, nodes_read = 0, frames_read = 0, chunks_decoded = 0;
    uint64_t pending = 0;  // parts drawn from a coarser level (refined in the next frames)
    bool queried = false;  // the columns were recomputed in this frame
    int columns = 0, hosts = 0, level = 0;
    double arrival_latency_ms = -1;  // live: first unseen arrival -> frame finished
};

class App {
public:
    using LogFn = std::function<void(int level, const std::string&)>;
    // `open_source` runs on the render thread (opening a month of files is not the host's wait).
    App(Options options, std::function<std::shared_ptr<DataSource>()> open_source, LogFn log);
    ~App();

    // Render until the window closes, `frames` are done or request_stop(); returns why.
    std::string run();
    void request_stop();  // thread-safe
    void wake();          // thread-safe: data arrived

    // After run(): what the last frame looked like.
    const Layout& layout() const { return layout_; }
    const std::vector<uint8_t>& last_pixels() const { return pixels_; }
    int pixel_width() const { return px_w_; }
    int pixel_height() const { return px_h_; }
    const std::vector<FrameStats>& frame_stats() const { return stats_; }
    const std::vector<HostSummary>& summaries() const { return summaries_; }
    const std::vector<std::string>& problems_shown() const { return problems_; }
    std::string surface_description() const { return surface_desc_; }
    int64_t frames_rendered() const { return rendered_; }
    // CLOCK_MONOTONIC time the first frame was finished (0 before): for "first frame" figures.
    int64_t first_frame_mono_ns() const { return first_frame_mono_ns_; }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    Options opt_;
    std::function<std::shared_ptr<DataSource>()> open_source_;
    LogFn log_;
    std::atomic<bool> stop_{false};
    std::mutex surface_mutex_;
    Surface* surface_ = nullptr;
    Layout layout_;
    std::vector<uint8_t> pixels_;
    int px_w_ = 0, px_h_ = 0;
    std::vector<FrameStats> stats_;
    std::vector<HostSummary> summaries_;
    std::vector<std::string> problems_;
    std::string surface_desc_;
    std::atomic<int64_t> rendered_{0};
    std::atomic<int64_t> first_frame_mono_ns_{0};
};

// Host colours (shared with tests).
Rgba host_color(size_t i);
inline constexpr Rgba kBackground{0.075f, 0.08f, 0.095f, 1.f};
inline constexpr Rgba kLaneBackground{0.11f, 0.12f, 0.14f, 1.f};
inline constexpr Rgba kPanelBackground{0.06f, 0.06f, 0.065f, 1.f};

// Column summary of a host over a range, the numbers of the panel.
HostSummary summarize(const std::vector<Column>& cols);

}  // namespace zzp::viewer

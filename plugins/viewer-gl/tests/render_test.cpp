// Pixel probes on frames rendered offscreen (EGL surfaceless, no X server), 640x360.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <time.h>

#include "app.hpp"
#include "file_source.hpp"
#include "live_source.hpp"
#include "recording/recording.hpp"
#include "synth_recording.hpp"
#include "test_util.hpp"

namespace zzp::viewer {
namespace {

using test::is_data;
using test::pixel;

const int64_t kT0 = 1'700'000'000'000'000'000;
const int64_t S = 1'000'000'000;

Options small_options() {
    Options o;
    o.headless = "egl";
    o.width = 640;
    o.height = 360;
    o.frames = 1;
    o.deterministic = true;
    o.panel = false;
    o.source_label = "test";
    return o;
}

std::unique_ptr<App> render(Options o, std::function<std::shared_ptr<DataSource>()> src) {
    auto app = std::make_unique<App>(o, std::move(src), [](int, const std::string&) {});
    try {
        app->run();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "render failed: " << e.what();
        return nullptr;
    }
    return app;
}

class RenderTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        SynthSpec s;
        s.directory = test::temp_dir("render");
        s.hosts = {"spiky", "half"};
        s.duration_ns = 600 * S;
        s.file_span_ns = 600 * S;
        s.burst_rate_per_s = 0;
        s.spike_rate_per_s = 0;
        s.hook = [](size_t h, zzp_frame& f) {
            int64_t t = f.start_wall_ns - kT0;
            // No random loss anywhere but where we put it.
            if (f.lost && f.received) f.sent = f.received, f.lost = 0;
            if (f.received == 0) {
                f.received = f.sent;
                f.lost = 0;
                for (int q = 0; q < ZZP_QUANTILE_COUNT; ++q) f.rtt_ns[q] = 2'000'000;
                f.rtt_mean_ns = 2'000'000;
            }
            if (h == 0 && t == 400 * S) f.rtt_ns[ZZP_Q_MAX] = 250'000'000;  // the spike
            bool loss = (t >= 100 * S && t < 102 * S) || (t >= 450 * S && t < 450 * S + 500'000'000);
            if (h == 0 && loss) {
                f.lost = f.sent;
                f.received = 0;
                for (auto& q : f.rtt_ns) q = -1;
                f.rtt_mean_ns = f.rtt_jitter_ns = -1;
            }
            return !(h == 1 && t >= 300 * S);  // host "half" stops sending data at 300 s
        };
        dir_ = new std::string(s.directory);
        write_synthetic_recording(s);
    }
    static void TearDownTestSuite() {
        std::filesystem::remove_all(*dir_);
        delete dir_;
    }
    static std::string* dir_;
};
std::string* RenderTest::dir_;

TEST_F(RenderTest, SpikeLossAndGapLandOnTheExpectedPixels) {
    Options o = small_options();
    o.scale = ScaleMode::log;
    o.y_max_ns = 1e9;  // fixed range: the spike is inside it
    o.view_t0 = kT0;
    o.view_t1 = kT0 + 600 * S;
    o.screenshot = *dir_ + "/probe.png";
    auto app = render(o, [] { return std::make_shared<FileSource>(std::vector<std::string>{*dir_}); });
    ASSERT_TRUE(app);
    const Layout& L = app->layout();
    const auto& img = app->last_pixels();
    int W = app->pixel_width();
    ASSERT_EQ(W, 640);
    ASSERT_EQ(L.lanes.size(), 2u);
    ColumnGrid g{L.t0, L.t1, size_t(L.plot.w)};

    // 1. The spike: in its column, the topmost data pixel is the row of 250 ms on the log scale.
    const Rect& lane = L.lanes[0];
    int x = int(L.plot.x) + int(g.column_of(kT0 + 400 * S));
    double expect_y = lane.y + lane.h - L.scale.norm(250e6) * lane.h;
    int top = -1;
    for (int y = int(lane.y); y < int(lane.y + lane.h); ++y)
        if (is_data(pixel(img, W, x, y))) {
            top = y;
            break;
        }
    EXPECT_NEAR(top, expect_y, 1.5) << "spike column " << x;
    // Neighbouring columns do not reach that high (no smearing).
    for (int dx : {-3, 3}) {
        int y = int(expect_y) + 2;
        EXPECT_FALSE(is_data(pixel(img, W, x + dx, y))) << "dx " << dx;
    }

    // 2. Loss: the strip is red exactly in the columns holding lost frames.
    std::vector<zzp_frame> frames;
    for (const auto& f : rec::recording_files(*dir_)) {
        auto v = rec::FileReader(f).all_frames();
        frames.insert(frames.end(), v.begin(), v.end());
    }
    std::vector<Column> want;
    brute_force_columns(frames, 1, g, want);
    const Rect& strip = L.loss[0];
    int sy = int(strip.y + strip.h / 2);
    int red = 0;
    for (size_t c = 0; c < g.n; ++c) {
        bool lossy = want[c].lost + want[c].spill_lost > 0;
        bool shown = test::is_loss_red(pixel(img, W, int(L.plot.x) + int(c), sy));
        EXPECT_EQ(shown, lossy) << "column " << c;
        red += shown;
    }
    EXPECT_GE(red, 2);

    // 3. The host without data after 300 s: a gap in its lane and "no data" in its strip.
    const Rect& half = L.lanes[1];
    int gap_cols = 0;
    for (size_t c = 0; c < g.n; ++c) {
        if (g.edge(c) < kT0 + 301 * S) continue;
        int px = int(L.plot.x) + int(c);
        for (int y = int(half.y) + 16; y < int(half.y + half.h); ++y)  // below the host label
            ASSERT_FALSE(is_data(pixel(img, W, px, y))) << "column " << c << " y " << y;
        EXPECT_TRUE(test::is_no_data_gray(pixel(img, W, px, int(L.loss[1].y + L.loss[1].h / 2))));
        ++gap_cols;
    }
    EXPECT_GT(gap_cols, 100);
    // ...while before 300 s it has data.
    int lit = 0;
    for (size_t c = 0; c < g.n; ++c)
        if (g.edge(c + 1) < kT0 + 299 * S)
            for (int y = int(half.y) + 16; y < int(half.y + half.h); ++y) lit += is_data(pixel(img, W, int(L.plot.x) + int(c), y));
    EXPECT_GT(lit, 200);
    EXPECT_TRUE(std::filesystem::exists(o.screenshot));
    // Plot cost does not follow data length: 4 vertices per quad.
    ASSERT_FALSE(app->frame_stats().empty());
    EXPECT_LE(app->frame_stats().back().plot_vertices, 10u * uint64_t(L.plot.w) * 2);
}

TEST_F(RenderTest, ScriptZoomsAroundTheCursorAndTogglesHosts) {
    std::string script = *dir_ + "/zoom.script";
    {
        std::ofstream s(script);
        s << "move 300 100\nwheel 300 100 3\nframe\nkey 2\nframe\n";
    }
    Options o = small_options();
    o.view_t0 = kT0;
    o.view_t1 = kT0 + 600 * S;
    o.script = script;
    o.frames = 2;
    auto app = render(o, [] { return std::make_shared<FileSource>(std::vector<std::string>{*dir_}); });
    ASSERT_TRUE(app);
    const Layout& L = app->layout();
    EXPECT_EQ(app->frames_rendered(), 2);
    double span = double(L.t1 - L.t0);
    EXPECT_NEAR(span, 600e9 * std::pow(0.8, 3), 1e9);
    // The time under the cursor stayed under the cursor.
    double f = (300 - L.plot.x) / L.plot.w;
    int64_t before = kT0 + int64_t(600e9 * double(300 - L.plot.x) / L.plot.w);
    EXPECT_NEAR(double(L.t0) + f * span, double(before), 2e9);
    EXPECT_EQ(L.lanes[1].w, 0.f) << "key 2 hid the second host";
}

void lod_vs_raw(const SynthSpec& s, int64_t span, int expect_level) {
    Options o = small_options();
    o.view_t0 = s.t0_ns;
    o.view_t1 = s.t0_ns + span;
    std::vector<uint8_t> img[2];
    Layout layout;
    uint64_t nodes = 0, frames = 0;
    for (int lod = 0; lod < 2; ++lod) {
        auto app = render(o, [&] { return std::make_shared<FileSource>(std::vector<std::string>{s.directory}, lod == 1); });
        ASSERT_TRUE(app);
        img[lod] = app->last_pixels();
        layout = app->layout();
        (lod ? nodes : frames) = lod ? app->frame_stats()[0].nodes_read : app->frame_stats()[0].frames_read;
        if (lod) {
            EXPECT_EQ(app->frame_stats()[0].level, expect_level);
        }
    }
    int W = 640;
    uint64_t lit = 0, diff = 0;
    for (int y = int(layout.plot.y); y < int(layout.plot.y + layout.plot.h); ++y)
        for (int x = int(layout.plot.x); x < int(layout.plot.x + layout.plot.w); ++x) {
            auto a = pixel(img[0], W, x, y), b = pixel(img[1], W, x, y);
            if (!is_data(a) && !is_data(b)) continue;
            ++lit;
            diff += a.r != b.r || a.g != b.g || a.b != b.b;
        }
    double pct = 100.0 * double(diff) / double(lit);
    std::printf("LOD vs raw: %llu of %llu lit pixels differ (%.4f %%); raw read %llu frames, LOD %llu nodes\n",
                (unsigned long long)diff, (unsigned long long)lit, pct, (unsigned long long)frames, (unsigned long long)nodes);
    EXPECT_GT(lit, 10000u);
    EXPECT_LT(pct, 0.1);
    EXPECT_LT(nodes * (expect_level ? 50 : 7), frames);
}

TEST_F(RenderTest, LodRenderMatchesRawRender) {
    SynthSpec s;
    s.directory = test::temp_dir("lod");
    s.hosts = {"a", "b"};
    s.duration_ns = 6 * 3600 * S;
    s.seed = 5;
    write_synthetic_recording(s);
    // 6 h: level 1 (built from frames, format v2 does not store it); 1 h: 8-frame sub-buckets.
    for (int64_t span : {s.duration_ns, 3600 * S}) {
        SCOPED_TRACE("span " + std::to_string(span / S) + " s");
        lod_vs_raw(s, span, span == s.duration_ns ? 1 : 0);
    }
    std::filesystem::remove_all(s.directory);
}

TEST(RenderLive, SilentStreamIsSaidOnScreen) {
    auto live = std::make_shared<LiveSource>(3600 * S);
    HostInfo h{"router", "192.0.2.1", "icmp", "p", 100'000'000};
    live->add_target(1, h);
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t mono = int64_t(ts.tv_sec) * S + ts.tv_nsec;
    for (int i = 0; i < 50; ++i) {
        zzp_frame f{};
        f.start_wall_ns = kT0 + i * 100'000'000LL;
        f.interval_ns = 100'000'000;
        f.target_id = 1;
        f.sent = f.received = 5;
        for (auto& q : f.rtt_ns) q = 3'000'000;
        live->add_frame(f, mono - 10 * S);  // arrived 10 s ago, nothing since
    }
    Options o = small_options();
    o.silence_ns = 3 * S;
    auto app = render(o, [live] { return live; });
    ASSERT_TRUE(app);
    bool said = false;
    for (const auto& p : app->problems_shown()) said |= p.find("stream silent") != std::string::npos;
    EXPECT_TRUE(said);
    EXPECT_EQ(app->summaries().size(), 1u);
}

TEST(RenderCorrupt, DamagedRecordingShowsWhatIsReadable) {
    SynthSpec s;
    s.directory = test::temp_dir("corrupt");
    s.hosts = {"a"};
    s.duration_ns = 1200 * S;
    s.file_span_ns = 600 * S;
    auto files = write_synthetic_recording(s);
    std::filesystem::resize_file(files[1], std::filesystem::file_size(files[1]) * 2 / 3);
    Options o = small_options();
    auto app = render(o, [&] { return std::make_shared<FileSource>(std::vector<std::string>{s.directory}); });
    ASSERT_TRUE(app);
    ASSERT_FALSE(app->problems_shown().empty());
    // The banner is on screen (red text on the plot), and the first file's data is drawn.
    const Layout& L = app->layout();
    int lit = 0;
    for (int x = int(L.plot.x); x < int(L.plot.x + L.plot.w / 3); ++x)
        for (int y = int(L.lanes[0].y + L.lanes[0].h / 2); y < int(L.lanes[0].y + L.lanes[0].h); ++y)
            lit += is_data(pixel(app->last_pixels(), 640, x, y));
    EXPECT_GT(lit, 100);
    std::filesystem::remove_all(s.directory);
}

}  // namespace
}  // namespace zzp::viewer

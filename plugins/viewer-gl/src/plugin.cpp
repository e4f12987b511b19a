// The "gl" viewer plugin: a zzp::Viewer whose render thread runs App. Frames come from the
// pipeline (sink extension), from recordings (`files`) or from a udp-stream (`connect`).
#include <zzprobe/plugin.hpp>
#include <zzp_sample_config.h>

#include <cstdio>
#include <thread>
#include <algorithm>
#include <atomic>
#include <ctime>

#include "app.hpp"
#include "file_source.hpp"
#include "live_source.hpp"
#include "client/stream_client.hpp"

namespace zzp::viewer {
namespace {

class GlViewer final : public zzp::Viewer {
public:
    uint32_t accepts() const override { return ZZP_ACCEPT_FRAMES_LIVE | ZZP_ACCEPT_FRAMES_FINAL; }

    void configure(const zzp::Config& c) override {
        files_ = c.strings("files");
        connect_ = c.string_or("connect", "");
        secret_file_ = c.string_or("secret_file", "");
        history_ns_ = c.duration("history").count();
        opt_.headless = c.string_or("headless", "");
        if (!opt_.headless.empty() && opt_.headless != "egl" && opt_.headless != "x11")
            throw zzp::config_error("headless", "headless must be \"\" (a window), \"egl\" or \"x11\"");
        if (opt_.headless == "x11") opt_.headless.clear();  // a real window, e.g. under Xvfb
        std::string size = c.string_or("size", "1280x720");
        if (std::sscanf(size.c_str(), "%dx%d", &opt_.width, &opt_.height) != 2 || opt_.width < 200 ||
            opt_.height < 150 || opt_.width > 8192 || opt_.height > 8192)
            throw zzp::config_error("size", "size must be WIDTHxHEIGHT, e.g. \"1280x720\" (200x150 to 8192x8192)");
        opt_.frames = c.integer("frames");
        if (opt_.frames < 0) throw zzp::config_error("frames", "frames must be 0 or more");
        opt_.screenshot = c.string_or("screenshot", "");
        opt_.script = c.string_or("script", "");
        opt_.deterministic = c.boolean("deterministic");
        opt_.benchmark = c.boolean("benchmark");
        opt_.stacked = c.boolean("stacked");
        if (!parse_scale(c.string_or("scale", "log"), opt_.scale))
            throw zzp::config_error("scale", "scale must be \"linear\", \"log\" or \"power\"");
        opt_.scale_factor = c.number("scale_factor");
        if (opt_.scale_factor < 1 || opt_.scale_factor > 8)
            throw zzp::config_error("scale_factor", "scale_factor must be between 1 and 8");
        opt_.y_max_ns = double(c.duration("y_max").count());
        opt_.follow = c.boolean("follow");
        opt_.view_t0 = c.integer("view_start_ns");
        opt_.view_t1 = c.integer("view_end_ns");
        opt_.silence_ns = c.duration("silence_after").count();
        opt_.max_fps = int(c.integer("max_fps"));
        if (opt_.max_fps < 1 || opt_.max_fps > 240) throw zzp::config_error("max_fps", "max_fps must be 1 to 240");
        lod_ = c.boolean("lod");
        opt_.panel = c.boolean("panel");
        if (!files_.empty() && !connect_.empty())
            throw zzp::config_error("connect", "give either files or connect, not both");
        if (!connect_.empty()) {
            std::string err;
            auto addr = zzp::stream::parse_udp_address(connect_, &err);
            if (!addr) throw zzp::config_error("connect", "connect: " + err);
            server_ = *addr;
            if (!secret_file_.empty()) {
                try {
                    key_ = std::make_shared<zzp::stream::AuthKey>(zzp::stream::load_secret_file(secret_file_));
                } catch (const std::exception& e) {
                    throw zzp::config_error("secret_file", e.what());
                }
            }
        }
        if (!files_.empty()) opt_.source_label = files_.size() == 1 ? files_[0] : std::to_string(files_.size()) + " recordings";
        else if (!connect_.empty()) opt_.source_label = "stream " + connect_;
        else opt_.source_label = std::string("pipeline (") + host().instance_id() + ")";
        opt_.title = "zzprobe view — " + opt_.source_label;
    }

    void start() override {
        if (files_.empty()) {
            live_ = std::make_shared<LiveSource>(history_ns_ > 0 ? history_ns_ : 3600'000'000'000);
            live_->set_on_change([this] { if (app_) app_->wake(); });
        }
        auto log = [this](int level, const std::string& m) { host().log(zzp_log_level(level), "%s", m.c_str()); };
        app_ = std::make_unique<App>(opt_, [this]() -> std::shared_ptr<DataSource> { return open_source(); }, log);
        thread_ = std::thread([this] {
            std::string reason;
            try {
                reason = app_->run();
            } catch (const std::exception& e) {
                reason = std::string("error: ") + e.what();
                host().log(ZZP_LOG_ERROR, "%s", reason.c_str());
            }
            finished_ = true;
            reason_ = reason;
            if (!stopping_) host().request_stop(("viewer: " + reason).c_str());
        });
    }

    void stop(int64_t) override {
        stopping_ = true;
        if (app_) app_->request_stop();
        if (thread_.joinable()) thread_.join();
        if (client_) client_->stop(true);
        client_.reset();
        if (live_) live_->set_on_change(nullptr);
        if (opt_.benchmark && app_) print_summary();
    }

    void on_target(const zzp_target_info& t) override {
        if (!live_) return;
        HostInfo h;
        h.name = t.name ? t.name : "";
        h.address = t.address ? t.address : "";
        h.method = t.method ? t.method : "";
        h.probe = t.probe ? t.probe : "";
        h.interval_ns = t.interval_ns;
        live_->add_target(t.id, h);
    }

    zzp_status write(const zzp_batch& b) override {
        if (!live_ || b.kind != ZZP_BATCH_FRAMES) return ZZP_OK;
        int64_t now = host().mono_now_ns();
        for (uint32_t i = 0; i < b.count; ++i) live_->add_frame(b.frames[i], now);
        return ZZP_OK;
    }

    void frames_dropped(uint64_t n) override {
        dropped_ += n;
        if (live_) live_->set_problem("dropped", "the viewer fell behind: " + std::to_string(dropped_) + " frames dropped");
    }

private:
    std::shared_ptr<DataSource> open_source() {
        if (!files_.empty()) return std::make_shared<FileSource>(files_, lod_);
        if (!connect_.empty()) {
            zzp::stream::ClientOptions o;
            o.server = server_;
            o.key = key_;
            o.history_ns = history_ns_;
            auto live = live_;
            client_ = std::make_unique<zzp::stream::StreamClient>(
                o,
                [live](const zzp::stream::TargetRecord& t) {
                    HostInfo h{t.name, t.address, t.method, t.probe, t.interval_ns};
                    live->add_target(t.id, h);
                },
                [live](const zzp_frame& f) {
                    timespec ts;
                    clock_gettime(CLOCK_MONOTONIC, &ts);
                    live->add_frame(f, int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec);
                });
            client_->start();
        }
        return live_;
    }

    void print_summary() {
        auto st = app_->frame_stats();
        if (st.empty()) return;
        std::vector<double> t, q, lat;
        for (const auto& f : st) {
            t.push_back(f.total_ms), q.push_back(f.query_ms);
            if (f.arrival_latency_ms >= 0) lat.push_back(f.arrival_latency_ms);
        }
        auto pct = [](std::vector<double> v, double p) {
            if (v.empty()) return -1.0;
            std::sort(v.begin(), v.end());
            return v[size_t(p * double(v.size() - 1))];
        };
        std::printf("summary: frames %zu frame_ms p50 %.2f p95 %.2f max %.2f query_ms p50 %.3f max %.3f "
                    "arrival_to_screen_ms p50 %.1f p95 %.1f max %.1f (%s)\n",
                    st.size(), pct(t, 0.5), pct(t, 0.95), pct(t, 1.0), pct(q, 0.5), pct(q, 1.0), pct(lat, 0.5),
                    pct(lat, 0.95), pct(lat, 1.0), app_->surface_description().c_str());
        std::fflush(stdout);
    }

    Options opt_;
    std::vector<std::string> files_;
    std::string connect_, secret_file_;
    int64_t history_ns_ = 0;
    bool lod_ = true;
    zzp::stream::UdpAddress server_;
    std::shared_ptr<const zzp::stream::AuthKey> key_;
    std::shared_ptr<LiveSource> live_;
    std::unique_ptr<zzp::stream::StreamClient> client_;
    std::unique_ptr<App> app_;
    std::thread thread_;
    std::atomic<bool> finished_{false}, stopping_{false};
    std::string reason_;
    uint64_t dropped_ = 0;
};

const zzp_config_key kKeys[] = {
    zzp::list_key("files", ZZP_CFG_STRING, "[]", "recordings (files or folders) to show instead of the pipeline"),
    zzp::key("connect", ZZP_CFG_STRING, "\"\"", "HOST:PORT of a udp-stream sink to subscribe to"),
    zzp::key("secret_file", ZZP_CFG_STRING, "\"\"", "file with the stream's shared secret"),
    zzp::key("history", ZZP_CFG_DURATION, "\"1h\"", "live history to ask for and keep in memory"),
    zzp::key("headless", ZZP_CFG_STRING, "\"\"", "\"\" = a window, \"egl\" = offscreen without an X server"),
    zzp::key("size", ZZP_CFG_STRING, "\"1280x720\"", "window or offscreen size WIDTHxHEIGHT"),
    zzp::key("frames", ZZP_CFG_INT, "0", "render this many frames, then stop (0 = until closed)"),
    zzp::key("screenshot", ZZP_CFG_STRING, "\"\"", "PNG of the last frame (and of the P key)"),
    zzp::key("script", ZZP_CFG_STRING, "\"\"", "file of input events to replay"),
    zzp::key("deterministic", ZZP_CFG_BOOL, "false", "fixed clock, no timing text"),
    zzp::key("benchmark", ZZP_CFG_BOOL, "false", "print per-frame timings and counters"),
    zzp::key("stacked", ZZP_CFG_BOOL, "true", "one lane per host (false: overlaid)"),
    zzp::key("scale", ZZP_CFG_STRING, "\"log\"", "RTT axis: linear, log or power"),
    zzp::key("scale_factor", ZZP_CFG_FLOAT, "2.0", "power scale: y = (rtt / top)^(1 / factor)"),
    zzp::key("y_max", ZZP_CFG_DURATION, "\"0s\"", "fixed top of the RTT axis (0s = automatic)"),
    zzp::key("follow", ZZP_CFG_BOOL, "true", "live: keep the newest data in view"),
    zzp::key("view_start_ns", ZZP_CFG_INT, "0", "initial view start, Unix ns (0 = everything)"),
    zzp::key("view_end_ns", ZZP_CFG_INT, "0", "initial view end, Unix ns"),
    zzp::key("silence_after", ZZP_CFG_DURATION, "\"3s\"", "live: report a silent stream after this long"),
    zzp::key("max_fps", ZZP_CFG_INT, "30", "redraws per second at most"),
    zzp::key("lod", ZZP_CFG_BOOL, "true", "false: bin every frame (raw render, for comparisons)"),
    zzp::key("panel", ZZP_CFG_BOOL, "true", "show the per-host summary panel"),
};

const zzp_plugin_descriptor kDesc = zzp::describe(
    ZZP_KIND_VIEWER, "gl", "OpenGL viewer", "0.1.0",
    "Plots RTT envelope, quartile band, median and loss per host, live from the pipeline or a "
    "udp-stream, or from recordings of any length through their level-of-detail pyramid.",
    kKeys, zzp_sample_config);

}  // namespace
}  // namespace zzp::viewer

ZZP_PLUGIN_LIBRARY("viewer-gl", "0.1.0", zzp::entry<zzp::viewer::GlViewer>(zzp::viewer::kDesc))

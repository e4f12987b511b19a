#include "app.hpp"

#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <time.h>

namespace zzp::viewer {
namespace {

int64_t mono_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
int64_t wall_ns() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
double ms_since(int64_t t) { return double(mono_ns() - t) / 1e6; }
int64_t cpu_ns() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct ScriptStep {
    bool frame = false;
    std::string screenshot;
    std::vector<InputEvent> events;
};

int parse_key(const std::string& k) {
    if (k.size() == 1) return std::toupper(static_cast<unsigned char>(k[0]));
    if (k == "left") return KeyLeft;
    if (k == "right") return KeyRight;
    if (k == "up") return KeyUp;
    if (k == "down") return KeyDown;
    if (k == "home") return KeyHome;
    if (k == "esc") return KeyEscape;
    if (k == "pgup") return KeyPageUp;
    if (k == "pgdn") return KeyPageDown;
    if (k == "plus") return '+';
    if (k == "minus") return '-';
    return 0;
}

// Script: one event per line; `frame` renders a frame with the events since the last one.
std::vector<ScriptStep> parse_script(const std::string& path, std::string& error) {
    std::vector<ScriptStep> steps(1);
    std::ifstream in(path);
    if (!in) {
        error = "cannot read the script " + path;
        return {};
    }
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        std::istringstream s(line);
        std::string cmd;
        if (!(s >> cmd) || cmd[0] == '#') continue;
        auto& cur = steps.back();
        auto ev = [&](InputEvent::Type t, float x, float y, int b = 0) {
            InputEvent e{t, x, y};
            e.button = b;
            cur.events.push_back(e);
        };
        float x0 = 0, y0 = 0, x1 = 0, y1 = 0, d = 0;
        int b = 0;
        std::string arg;
        if (cmd == "frame") {
            cur.frame = true;
            steps.emplace_back();
        } else if (cmd == "screenshot" && (s >> arg)) {
            cur.screenshot = arg;
        } else if (cmd == "move" && (s >> x0 >> y0)) {
            ev(InputEvent::Move, x0, y0);
        } else if ((cmd == "down" || cmd == "up") && (s >> x0 >> y0)) {
            s >> b;
            ev(cmd == "down" ? InputEvent::Down : InputEvent::Up, x0, y0, b);
        } else if (cmd == "wheel" && (s >> x0 >> y0 >> d)) {
            InputEvent e{InputEvent::Wheel, x0, y0};
            e.delta = d;
            cur.events.push_back(e);
        } else if ((cmd == "drag" || cmd == "box") && (s >> x0 >> y0 >> x1 >> y1)) {
            int button = cmd == "box" ? 1 : 0;
            ev(InputEvent::Move, x0, y0);
            ev(InputEvent::Down, x0, y0, button);
            ev(InputEvent::Move, (x0 + x1) / 2, (y0 + y1) / 2);
            ev(InputEvent::Move, x1, y1);
            ev(InputEvent::Up, x1, y1, button);
        } else if (cmd == "key" && (s >> arg)) {
            InputEvent e{InputEvent::Key};
            e.key = parse_key(arg);
            if (!e.key) {
                error = path + ":" + std::to_string(n) + ": unknown key '" + arg + "'";
                return {};
            }
            cur.events.push_back(e);
        } else {
            error = path + ":" + std::to_string(n) + ": cannot read '" + line +
                    "' (expected frame, screenshot, move, down, up, wheel, drag, box or key)";
            return {};
        }
    }
    if (steps.back().events.empty() && steps.back().screenshot.empty() && !steps.back().frame) steps.pop_back();
    return steps;
}

ImU32 im(Rgba c, float a = 1.f) { return ImGui::GetColorU32(ImVec4(c.r, c.g, c.b, c.a * a)); }

}  // namespace

Rgba host_color(size_t i) {
    static const Rgba palette[] = {{0.30f, 0.62f, 1.00f, 1}, {0.35f, 0.85f, 0.45f, 1}, {0.95f, 0.55f, 0.95f, 1},
                                   {0.30f, 0.85f, 0.85f, 1}, {0.70f, 0.55f, 1.00f, 1}, {0.95f, 0.85f, 0.35f, 1},
                                   {0.55f, 0.75f, 0.55f, 1}, {0.85f, 0.70f, 0.55f, 1}};
    return palette[i % (sizeof palette / sizeof palette[0])];
}

HostSummary summarize(const std::vector<Column>& cols) {
    HostSummary s;
    std::vector<double> med, top;
    bool in_burst = false;
    for (const auto& c : cols) {
        s.sent += c.sent;
        s.lost += c.lost;
        s.frames += c.frames;
        if (c.has_rtt()) {
            med.push_back(c.q50());
            top.push_back(double(c.max));
        }
        bool loss = c.lost > 0 || c.spill_lost > 0;
        if (loss && !in_burst) ++s.bursts;
        if (c.any_frames()) in_burst = loss || c.spill_lost > 0;  // a column without frames neither ends nor starts a burst
    }
    s.loss_pct = s.sent ? 100.0 * double(s.lost) / double(s.sent) : 0;
    auto pct = [](std::vector<double>& v, double q) {
        size_t k = size_t(q * double(v.size() - 1));
        std::nth_element(v.begin(), v.begin() + long(k), v.end());
        return v[k];
    };
    if (!med.empty()) {
        s.p50_ns = pct(med, 0.5);
        s.p99_ns = pct(top, 0.99);
    }
    return s;
}

struct App::Impl {
    Options& opt;
    App& app;
    std::shared_ptr<DataSource> src;
    std::unique_ptr<Surface> surface;
    std::unique_ptr<Renderer> renderer;
    ImGuiContext* imgui = nullptr;

    // view state
    std::vector<HostInfo> hosts;
    std::vector<bool> visible;
    int64_t v0 = 0, v1 = 0;
    bool view_set = false;
    bool follow = true;
    ScaleMode scale;
    RangeMode range;
    double factor;
    double fixed_hi;
    bool stacked;
    bool panel;
    bool dirty = true;
    bool quit = false;
    std::string quit_reason;

    // input state
    float mx = -1, my = -1;
    bool left_down = false, right_down = false, box = false;
    float press_x = 0, press_y = 0;
    int64_t press_v0 = 0, press_v1 = 0;
    float wheel_accum = 0;
    std::string pending_screenshot;

    // query cache
    uint64_t cached_version = UINT64_MAX;
    int64_t cached_t0 = 0, cached_t1 = 0;
    size_t cached_n = 0;
    std::vector<std::vector<Column>> cols;
    QueryStats qstats;
    double query_ms = 0;
    std::vector<std::string> logged_problems;

    Impl(Options& o, App& a) : opt(o), app(a) {
        follow = o.follow;
        scale = o.scale;
        range = o.y_max_ns > 0 ? RangeMode::fixed : o.range;
        factor = o.scale_factor;
        fixed_hi = o.y_max_ns > 0 ? o.y_max_ns : 100e6;
        stacked = o.stacked;
        panel = o.panel;
    }

    int64_t now_wall() {
        if (opt.deterministic) {
            int64_t a, b;
            return src && src->extent(a, b) ? b : 0;
        }
        return wall_ns();
    }

    void view_all() {
        int64_t a, b;
        if (src->extent(a, b)) {
            int64_t pad = std::max<int64_t>((b - a) / 50, 1'000'000);
            v0 = a - pad;
            v1 = b + pad;
            if (src->live()) {
                // A stream that just started has a second of data: follow it over a minute, not
                // over that second (following keeps the span).
                v1 = std::max(v1, now_wall());
                v0 = std::min<int64_t>(v0, v1 - 60'000'000'000LL);
            }
            view_set = true;
        }
    }

    void clamp_view() {
        const int64_t min_span = 100'000'000, max_span = 400LL * 86400 * 1'000'000'000;
        int64_t span = v1 - v0;
        if (span < min_span) {
            int64_t c = v0 + span / 2;
            v0 = c - min_span / 2;
            v1 = v0 + min_span;
        } else if (span > max_span) {
            int64_t c = v0 + span / 2;
            v0 = c - max_span / 2;
            v1 = v0 + max_span;
        }
    }

    int64_t time_at(float x) const {
        const Rect& p = app.layout_.plot;
        double f = (x - p.x) / std::max(p.w, 1.f);
        return v0 + int64_t(double(v1 - v0) * f);
    }

    void zoom_at(float x, double factor_) {
        int64_t tc = time_at(x);
        if (follow && src->live()) tc = v1;
        v0 = tc - int64_t(double(tc - v0) * factor_);
        v1 = tc + int64_t(double(v1 - tc) * factor_);
        clamp_view();
    }

    void pan(double fraction) {
        int64_t d = int64_t(double(v1 - v0) * fraction);
        v0 += d;
        v1 += d;
        follow = false;
    }

    void on_event(const InputEvent& e) {
        dirty = true;
        ImGuiIO& io = ImGui::GetIO();
        const Rect& plot = app.layout_.plot;
        switch (e.type) {
        case InputEvent::Close:
            quit = true;
            quit_reason = "window closed";
            break;
        case InputEvent::Move:
            if (e.x < 0) break;  // refresh / resize
            if (left_down && !box) {
                double dx = (e.x - press_x) / std::max(plot.w, 1.f);
                int64_t d = int64_t(double(press_v1 - press_v0) * dx);
                v0 = press_v0 - d;
                v1 = press_v1 - d;
                if (std::fabs(e.x - press_x) > 2) follow = false;
            }
            mx = e.x, my = e.y;
            io.MousePos = ImVec2(e.x, e.y);
            break;
        case InputEvent::Down:
            mx = e.x, my = e.y;
            io.MousePos = ImVec2(e.x, e.y);
            if (e.button < 3) io.MouseDown[e.button] = true;
            if (!plot.contains(e.x, e.y)) break;
            press_x = e.x, press_y = e.y, press_v0 = v0, press_v1 = v1;
            if (e.button == 1 || (e.button == 0 && e.shift)) box = true, right_down = true;
            else if (e.button == 0) left_down = true;
            break;
        case InputEvent::Up:
            io.MousePos = ImVec2(e.x, e.y);
            if (e.button < 3) io.MouseDown[e.button] = false;
            if (box) {
                float a = std::min(press_x, e.x), b = std::max(press_x, e.x);
                if (b - a >= 3) {
                    int64_t t0 = time_at(a), t1 = time_at(b);
                    v0 = t0, v1 = t1;
                    clamp_view();
                    follow = false;
                }
            }
            box = false, left_down = false, right_down = false;
            break;
        case InputEvent::Wheel:
            io.MouseWheel += e.delta;
            if (plot.contains(e.x, e.y)) zoom_at(e.x, std::pow(0.8, e.delta));
            break;
        case InputEvent::Key:
            on_key(e);
            break;
        }
    }

    void on_key(const InputEvent& e) {
        switch (e.key) {
        case 'L': scale = scale == ScaleMode::linear ? ScaleMode::log : scale == ScaleMode::log ? ScaleMode::power : ScaleMode::linear; break;
        case 'A': range = range == RangeMode::automatic ? RangeMode::full : range == RangeMode::full ? RangeMode::fixed : RangeMode::automatic; break;
        case KeyUp: range = RangeMode::fixed, fixed_hi = app.layout_.scale.hi_ns * 2; break;
        case KeyDown: range = RangeMode::fixed, fixed_hi = std::max(app.layout_.scale.hi_ns / 2, 50e3); break;
        case '[': factor = std::max(1.0, factor - 0.5); break;
        case ']': factor = std::min(8.0, factor + 0.5); break;
        case 'S': stacked = !stacked; break;
        case 'F':
            follow = !follow;
            if (follow && src->live()) {
                int64_t span = v1 - v0;
                v1 = now_wall();
                v0 = v1 - span;
            }
            break;
        case 'T': panel = !panel; break;
        case KeyHome: case '0': view_all(); break;
        case KeyLeft: pan(-0.1); break;
        case KeyRight: pan(0.1); break;
        case KeyPageUp: pan(-0.9); break;
        case KeyPageDown: pan(0.9); break;
        case '+': case '=': zoom_at(app.layout_.plot.x + app.layout_.plot.w / 2, 0.5); break;
        case '-': zoom_at(app.layout_.plot.x + app.layout_.plot.w / 2, 2.0); break;
        case 'P': pending_screenshot = opt.screenshot.empty() ? "zzprobe-view.png" : opt.screenshot; break;
        case 'Q': case KeyEscape: quit = true, quit_reason = "quit by key"; break;
        default:
            if (e.key >= '1' && e.key <= '9') {
                size_t h = size_t(e.key - '1');
                if (h < visible.size()) visible[h] = !visible[h];
            }
        }
    }

    void refresh_hosts() {
        auto h = src->hosts();
        if (h.size() != hosts.size()) visible.resize(h.size(), true);
        hosts = std::move(h);
    }

    // Columns are recomputed only when the view or the data changed, or the last answer was
    // partly drawn from a coarser level (then the next frames refine it).
    bool query(size_t n) {
        uint64_t ver = src->version();
        if (ver == cached_version && v0 == cached_t0 && v1 == cached_t1 && n == cached_n && cols.size() == hosts.size() &&
            qstats.pending == 0)
            return false;
        int64_t t = mono_ns();
        double budget = opt.query_budget_ms >= 0 ? opt.query_budget_ms : opt.deterministic ? 0 : 10;
        qstats = QueryStats{};
        qstats.deadline_ns = budget > 0 ? t + int64_t(budget * 1e6) : 0;
        cols.resize(hosts.size());
        src->begin_query();
        for (size_t h = 0; h < hosts.size(); ++h) {
            ColumnGrid grid{v0, v1, n};
            grid.snap = src->snap_for(h, (v1 - v0) / int64_t(n));
            src->columns(h, grid, cols[h], qstats);
        }
        src->end_query(qstats);
        cached_version = ver, cached_t0 = v0, cached_t1 = v1, cached_n = n;
        query_ms = ms_since(t);
        if (qstats.pending) dirty = true;  // refine in the next frame
        return true;
    }

    std::vector<ColumnTexels> texels(const std::vector<Column>& c, const YScale& s, float lane_h) {
        std::vector<ColumnTexels> out(c.size());
        float prev_med = -1;
        for (size_t i = 0; i < c.size(); ++i) {
            const Column& k = c[i];
            ColumnTexels& t = out[i];
            auto y = [&](double v) { return float(std::clamp(s.norm(v), 0.0, 1.0) * lane_h); };
            uint64_t sent = k.sent + k.spill_sent, lost = k.lost + k.spill_lost, errors = k.errors + k.spill_errors;
            if (!k.any_frames()) t.loss = kLossNoData;
            else if (lost > 0 && sent > 0) t.loss = float(double(lost) / double(sent));
            else if (errors > 0 && !k.has_rtt()) t.loss = kLossErrorsOnly;
            else if (sent == 0) t.loss = kLossNoData;
            else t.loss = 0;
            if (!k.has_rtt()) {
                t.flags = 0;
                prev_med = -1;
                continue;
            }
            t.ymin = y(double(k.min));
            t.ymax = y(double(k.max));
            t.q25 = y(k.q25());
            t.q75 = y(k.q75());
            float m = y(k.q50());
            t.med_lo = prev_med < 0 ? m : std::min(m, prev_med);
            t.med_hi = prev_med < 0 ? m : std::max(m, prev_med);
            prev_med = m;
            t.flags = kFlagRtt + (s.norm(double(k.max)) > 1.0 ? kFlagClipped : 0.f);
        }
        return out;
    }

    void compute_layout(int W, int H) {
        Layout& L = app.layout_;
        float left = 64, top = 26, bottom = 34;
        float right = panel ? std::min(250.f, float(W) * 0.3f) : 8.f;
        L.plot = {left, top, float(W) - left - right, float(H) - top - bottom};
        L.lanes.assign(hosts.size(), Rect{});
        L.loss.assign(hosts.size(), Rect{});
        std::vector<size_t> vis;
        for (size_t i = 0; i < hosts.size(); ++i)
            if (visible[i]) vis.push_back(i);
        const float strip = 8, gap = 6;
        if (vis.empty()) return;
        if (stacked) {
            float lane = (L.plot.h - float(vis.size() - 1) * gap) / float(vis.size());
            float y = L.plot.y;
            for (size_t i : vis) {
                float ph = std::max(lane - strip - 2, 4.f);
                L.lanes[i] = {L.plot.x, std::floor(y), L.plot.w, std::floor(ph)};
                L.loss[i] = {L.plot.x, std::floor(y) + std::floor(ph) + 2, L.plot.w, strip};
                y += lane + gap;
            }
        } else {
            float strips = float(vis.size()) * (strip - 2) + 2;
            float ph = std::floor(L.plot.h - strips);
            for (size_t k = 0; k < vis.size(); ++k) {
                L.lanes[vis[k]] = {L.plot.x, L.plot.y, L.plot.w, ph};
                L.loss[vis[k]] = {L.plot.x, L.plot.y + ph + 2 + float(k) * (strip - 2), L.plot.w, strip - 3};
            }
        }
        L.plot.w = std::floor(L.plot.w);
    }

    void prepare() {
        refresh_hosts();
        if (!view_set) {
            if (opt.view_t1 > opt.view_t0) v0 = opt.view_t0, v1 = opt.view_t1, view_set = true;
            else view_all();
        }
        compute_layout(surface->width(), surface->height());
    }

    void draw_frame(FrameStats& fs) {
        int W = surface->width(), H = surface->height();
        prepare();
        if (follow && src->live() && view_set) {
            int64_t span = v1 - v0;
            int64_t a, b;
            int64_t end = opt.deterministic && src->extent(a, b) ? b : now_wall();
            v1 = end + span / 50;
            v0 = v1 - span;
        }
        if (!view_set) v1 = now_wall(), v0 = v1 - 60'000'000'000LL;
        compute_layout(W, H);
        Layout& L = app.layout_;
        L.t0 = v0, L.t1 = v1;
        size_t n = size_t(std::max(1.f, L.plot.w));
        if (query(n)) {
            fs.query_ms = query_ms;
            fs.decode_ms = double(qstats.decode_ns) / 1e6;
            fs.nodes_read = qstats.nodes_read, fs.frames_read = qstats.frames_read, fs.chunks_decoded = qstats.chunks_decoded;
            fs.pending = qstats.pending;
            fs.queried = true;
        }
        fs.level = qstats.level;
        fs.columns = int(n);

        // Y range from what is visible.
        std::vector<double> maxima, minima, uq;
        for (size_t h = 0; h < hosts.size(); ++h) {
            if (!visible[h]) continue;
            for (const auto& c : cols[h])
                if (c.has_rtt()) maxima.push_back(double(c.max)), minima.push_back(double(c.min)), uq.push_back(c.q75());
        }
        L.scale = fit_scale(scale, range, factor, fixed_hi, std::move(maxima), std::move(minima), std::move(uq));
        if (range != RangeMode::fixed) fixed_hi = L.scale.hi_ns;

        app.summaries_.assign(hosts.size(), HostSummary{});
        for (size_t h = 0; h < hosts.size(); ++h) app.summaries_[h] = summarize(cols[h]);

        // Problems: shown on screen, and said once in the log.
        app.problems_ = src->problems();
        if (!opt.deterministic || true) {
            if (src->live()) {
                int64_t last = src->last_arrival_mono_ns();
                if (last == 0 && !opt.deterministic) app.problems_.push_back("waiting for data from " + opt.source_label + " ...");
                else if (last != 0 && mono_ns() - last > opt.silence_ns)
                    app.problems_.push_back("stream silent: no frame for more than " + format_span(opt.silence_ns) +
                                            " (since " + format_time(wall_ns() - (mono_ns() - last), 1'000'000'000) + " UTC)");
            } else if (hosts.empty()) {
                app.problems_.push_back("no data to show");
            }
        }
        for (const auto& p : app.problems_)
            if (std::find(logged_problems.begin(), logged_problems.end(), p) == logged_problems.end()) {
                logged_problems.push_back(p);
                app.log_(2, p);
            }

        // ---- GL: backgrounds, grid, data lanes.
        renderer->begin(surface->framebuffer(), W, H, kBackground);
        for (size_t h = 0; h < hosts.size(); ++h) {
            if (!visible[h]) continue;
            const Rect& r = L.lanes[h];
            renderer->fill_rect(r.x, r.y, r.w, r.h, kLaneBackground);
            if (!stacked) break;
        }
        if (panel) renderer->fill_rect(L.plot.x + L.plot.w + 6, L.plot.y, float(W) - (L.plot.x + L.plot.w) - 14, L.plot.h, kPanelBackground);
        auto refs = reference_lines(L.scale);
        auto ticks = time_ticks(v0, v1, L.plot.w);
        for (size_t h = 0; h < hosts.size(); ++h) {
            if (!visible[h]) continue;
            const Rect& r = L.lanes[h];
            for (double v : refs) {
                float y = r.y + r.h - float(L.scale.norm(v) * r.h);
                renderer->fill_rect(r.x, std::floor(y), r.w, 1, {0.3f, 0.32f, 0.36f, 1});
            }
            for (const auto& t : ticks) {
                float x = L.plot.x + float(double(t.t_ns - v0) / double(v1 - v0) * L.plot.w);
                renderer->fill_rect(std::floor(x), r.y, 1, r.h, {0.18f, 0.19f, 0.22f, 1});
            }
            if (!stacked) break;
        }
        int slot = 0;
        for (size_t h = 0; h < hosts.size(); ++h) {
            if (!visible[h]) continue;
            const Rect& r = L.lanes[h];
            auto tex = texels(cols[h], L.scale, r.h);
            renderer->draw_lane(slot++, tex, r.x, r.y, r.w, r.h, host_color(h), 0);
            const Rect& s = L.loss[h];
            renderer->draw_lane(slot++, tex, s.x, s.y, s.w, s.h, host_color(h), 1);
        }

        // ---- ImGui: text, axes, tooltip, panel.
        ImGuiIO& io = ImGui::GetIO();
        io.DisplaySize = ImVec2(float(W), float(H));
        io.DeltaTime = 1.f / 30.f;
        ImGui::NewFrame();
        ImDrawList* dl = ImGui::GetBackgroundDrawList();
        ImU32 text = IM_COL32(210, 214, 220, 255), dim = IM_COL32(140, 146, 156, 255);
        // top bar
        char buf[512];
        std::snprintf(buf, sizeof buf, "%s   %s .. %s  (%s)   scale %s%s  range %s   %s%s", opt.source_label.c_str(),
                      format_date_time(v0).c_str(), format_time(v1, 1'000'000'000).c_str(), format_span(v1 - v0).c_str(),
                      scale_name(scale), scale == ScaleMode::power ? (" x" + std::to_string(factor).substr(0, 3)).c_str() : "",
                      range_name(range), stacked ? "stacked" : "overlaid",
                      src->live() ? (follow ? "   LIVE (following)" : "   live (paused: F follows)") : "");
        dl->AddText(ImVec2(8, 5), text, buf);
        // time axis
        float axis_y = L.plot.y + L.plot.h + 4;
        for (const auto& t : ticks) {
            float x = L.plot.x + float(double(t.t_ns - v0) / double(v1 - v0) * L.plot.w);
            dl->AddLine(ImVec2(x, axis_y - 4), ImVec2(x, axis_y), dim);
            ImVec2 sz = ImGui::CalcTextSize(t.label.c_str());
            dl->AddText(ImVec2(x - sz.x / 2, axis_y + 1), dim, t.label.c_str());
        }
        // per lane: reference labels, host name
        for (size_t h = 0; h < hosts.size(); ++h) {
            if (!visible[h]) continue;
            const Rect& r = L.lanes[h];
            if (stacked || h == 0 || true) {
                for (double v : refs) {
                    float y = r.y + r.h - float(L.scale.norm(v) * r.h);
                    std::string lab = format_rtt(v);
                    if (y > r.y + 6 && y < r.y + r.h - 6 && (stacked || h == 0))
                        dl->AddText(ImVec2(4, y - 7), dim, lab.c_str());
                }
            }
            if (stacked) {
                std::snprintf(buf, sizeof buf, "%zu  %s", h + 1, hosts[h].label().c_str());
                dl->AddText(ImVec2(r.x + 6, r.y + 3), im(host_color(h)), buf);
                auto has_data = std::any_of(cols[h].begin(), cols[h].end(), [](const Column& c) { return c.any_frames(); });
                if (!has_data) dl->AddText(ImVec2(r.x + r.w / 2 - 60, r.y + r.h / 2 - 7), dim, "no data in this range");
            }
        }
        // box zoom rectangle
        if (box) {
            dl->AddRectFilled(ImVec2(std::min(press_x, mx), L.plot.y), ImVec2(std::max(press_x, mx), L.plot.y + L.plot.h),
                              IM_COL32(120, 160, 255, 40));
            dl->AddRect(ImVec2(std::min(press_x, mx), L.plot.y), ImVec2(std::max(press_x, mx), L.plot.y + L.plot.h),
                        IM_COL32(120, 160, 255, 160));
        }
        // problems banner
        float py = L.plot.y + 4;
        for (const auto& p : app.problems_) {
            std::string line = "! " + p;
            ImVec2 sz = ImGui::CalcTextSize(line.c_str(), nullptr, false, L.plot.w - 20);
            dl->AddRectFilled(ImVec2(L.plot.x + 6, py - 2), ImVec2(L.plot.x + 14 + sz.x, py + sz.y + 2), IM_COL32(60, 10, 10, 220));
            dl->AddText(nullptr, 0, ImVec2(L.plot.x + 10, py), IM_COL32(255, 120, 110, 255), line.c_str(), nullptr, L.plot.w - 20);
            py += sz.y + 6;
            if (py > L.plot.y + L.plot.h / 2) break;
        }
        // summary panel (before the tooltip, which must cover it)
        if (panel) {
            float pw = float(W) - (L.plot.x + L.plot.w) - 8;
            ImGui::SetNextWindowPos(ImVec2(L.plot.x + L.plot.w + 6, L.plot.y));
            ImGui::SetNextWindowSize(ImVec2(pw, L.plot.h));
            // Its background is an opaque clear (drawn with the lanes): ImGui's is a blended quad
            // of 250x660 px that costs llvmpipe ~2 ms a frame.
            ImGui::Begin("Hosts", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
                                               ImGuiWindowFlags_NoBackground);
            ImGui::TextDisabled("visible range");
            for (size_t h = 0; h < hosts.size(); ++h) {
                const HostSummary& s = app.summaries_[h];
                ImGui::PushID(int(h));
                bool v = visible[h];
                ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(host_color(h).r, host_color(h).g, host_color(h).b, 1));
                if (ImGui::Checkbox(hosts[h].name.c_str(), &v)) visible[h] = v, dirty = true;
                ImGui::PopStyleColor();
                ImGui::Text("loss %.3f%%  (%llu/%llu)", s.loss_pct, (unsigned long long)s.lost, (unsigned long long)s.sent);
                ImGui::Text("p50 %s  p99 %s", format_rtt(s.p50_ns).c_str(), format_rtt(s.p99_ns).c_str());
                ImGui::Text("dropout bursts %llu", (unsigned long long)s.bursts);
                ImGui::PopID();
            }
            ImGui::Separator();
            ImGui::TextDisabled("wheel zoom, drag pan,\nright-drag box zoom,\nL scale, A range, [ ] factor,\nS stack, F follow, 1-9 hosts,\nHome all, P png, Q quit");
            if (!opt.deterministic && !app.stats_.empty())
                ImGui::TextDisabled("frame %.1f ms", app.stats_.back().total_ms);
            ImGui::End();
        }
        // hover: cursor line and tooltip with exact values
        if (L.plot.contains(mx, my) && !left_down && !box) {
            size_t c = size_t(std::clamp(mx - L.plot.x, 0.f, L.plot.w - 1));
            ColumnGrid grid{v0, v1, n};
            grid.snap = src->snap_for(0, (v1 - v0) / int64_t(n));
            dl->AddLine(ImVec2(L.plot.x + float(c) + 0.5f, L.plot.y), ImVec2(L.plot.x + float(c) + 0.5f, L.plot.y + L.plot.h),
                        IM_COL32(255, 255, 255, 60));
            int64_t t = time_at(mx);
            // Opens towards the plot's centre, so it never covers the summary panel on the right
            // nor runs off the bottom of the window.
            const bool right_half = mx > L.plot.x + L.plot.w / 2, lower_half = my > L.plot.y + L.plot.h / 2;
            ImGui::SetNextWindowPos(ImVec2(right_half ? mx - 16 : mx + 16, lower_half ? my - 16 : my + 16), ImGuiCond_Always,
                                    ImVec2(right_half ? 1.f : 0.f, lower_half ? 1.f : 0.f));
            ImGui::BeginTooltip();
            ImGui::Text("%s", format_date_time(t).c_str());
            ImGui::TextDisabled("column %s .. %s (%s)", format_time(grid.edge(c), 1'000'000).c_str(),
                                format_time(grid.edge(c + 1), 1'000'000).c_str(), format_span(grid.edge(c + 1) - grid.edge(c)).c_str());
            for (size_t h = 0; h < hosts.size(); ++h) {
                if (!visible[h] || c >= cols[h].size()) continue;
                const Column& k = cols[h][c];
                ImGui::Separator();
                ImGui::TextColored(ImVec4(host_color(h).r, host_color(h).g, host_color(h).b, 1), "%s", hosts[h].label().c_str());
                auto f = src->frame_at(h, t);
                if (f) {
                    ImGui::Text("frame %s: sent %u  lost %u  errors %u  late %u", format_time(f->start_wall_ns, 1'000'000).c_str(),
                                f->sent, f->lost, f->errors, f->late);
                    if (f->rtt_ns[0] >= 0)
                        ImGui::Text("min %s  p25 %s  p50 %s  p75 %s  max %s", format_rtt(double(f->rtt_ns[0])).c_str(),
                                    format_rtt(double(f->rtt_ns[2])).c_str(), format_rtt(double(f->rtt_ns[3])).c_str(),
                                    format_rtt(double(f->rtt_ns[4])).c_str(), format_rtt(double(f->rtt_ns[6])).c_str());
                    else ImGui::Text("no reply in this frame");
                } else {
                    ImGui::TextDisabled("no frame at the cursor");
                }
                if (k.frames > 1) {
                    ImGui::Text("column: %llu frames, sent %llu, lost %llu (%.2f%%)", (unsigned long long)k.frames,
                                (unsigned long long)k.sent, (unsigned long long)k.lost,
                                k.sent ? 100.0 * double(k.lost) / double(k.sent) : 0.0);
                    if (k.has_rtt())
                        ImGui::Text("min %s  p50 %s  max %s", format_rtt(double(k.min)).c_str(), format_rtt(k.q50()).c_str(),
                                    format_rtt(double(k.max)).c_str());
                }
            }
            ImGui::EndTooltip();
        }
        ImGui::Render();
        renderer->draw_imgui(ImGui::GetDrawData());
        fs.plot_vertices = renderer->plot_vertices;
        fs.imgui_vertices = renderer->imgui_vertices;
        fs.hosts = int(hosts.size());
    }
};

App::App(Options options, std::function<std::shared_ptr<DataSource>()> open_source, LogFn log)
    : opt_(std::move(options)), open_source_(std::move(open_source)), log_(std::move(log)) {}

App::~App() = default;

void App::request_stop() {
    stop_ = true;
    wake();
}

void App::wake() {
    std::lock_guard lock(surface_mutex_);
    if (surface_) surface_->wake();
}

std::string App::run() {
    impl_ = std::make_unique<Impl>(opt_, *this);
    Impl& s = *impl_;
    std::vector<ScriptStep> script;
    if (!opt_.script.empty()) {
        std::string err;
        script = parse_script(opt_.script, err);
        if (!err.empty()) throw std::runtime_error(err);
    }
    {
        auto surf = opt_.headless == "egl" ? make_egl_surface(opt_.width, opt_.height)
                                           : make_window(opt_.width, opt_.height, opt_.title);
        std::lock_guard lock(surface_mutex_);
        s.surface = std::move(surf);
        surface_ = s.surface.get();
    }
    surface_desc_ = s.surface->describe();
    s.imgui = ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.LogFilename = nullptr;
    const char* font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    if (FILE* f = std::fopen(font, "rb")) {
        std::fclose(f);
        static const ImWchar ranges[] = {0x0020, 0x00FF, 0x00B5, 0x00B5, 0x2026, 0x2026, 0};
        io.Fonts->AddFontFromFileTTF(font, 13.f, nullptr, ranges);
    }
    ImGui::StyleColorsDark();
    ImGui::GetStyle().WindowRounding = 0;
    s.renderer = std::make_unique<Renderer>();
    s.src = open_source_();
    s.refresh_hosts();

    const int64_t min_frame_ns = opt_.benchmark ? 0 : 1'000'000'000 / std::max(opt_.max_fps, 1);
    int64_t last_render = 0;
    uint64_t seen_version = s.src->version();
    size_t script_pos = 0;
    std::string last_problem_key;
    auto handler = [&](const InputEvent& e) { s.on_event(e); };
    std::string reason = "stopped";
    bool headless = opt_.headless == "egl";

    for (;;) {
        if (stop_) {
            reason = "stopped by the host";
            break;
        }
        if (s.quit) {
            reason = s.quit_reason;
            break;
        }
        bool script_pending = script_pos < script.size();
        // A headless run renders its frames without waiting for input; a live one waits for data.
        if (!s.src->live() && opt_.frames > 0) s.dirty = true;
        if (script_pending) s.dirty = true;
        uint64_t ver = s.src->version();
        if (ver != seen_version) seen_version = ver, s.dirty = true;
        if (s.src->live()) {
            // The silence banner appears without any data arriving: check it here.
            int64_t last = s.src->last_arrival_mono_ns();
            std::string key = last != 0 && mono_ns() - last > opt_.silence_ns ? "silent" : "ok";
            if (key != last_problem_key) last_problem_key = key, s.dirty = true;
        }
        int64_t now = mono_ns();
        if (!s.dirty) {
            // Idle: sleep until input, data (wake) or the next silence check.
            s.surface->wait(s.src->live() ? 1.0 : 30.0, handler);
            continue;
        }
        if (now - last_render < min_frame_ns) {
            s.surface->wait(double(min_frame_ns - (now - last_render)) / 1e9, handler);
            continue;
        }
        if (!headless) s.surface->wait(0, handler);  // take pending input without blocking
        std::string shot;
        s.prepare();  // input needs the current layout
        if (script_pending) {
            // Apply events up to and including the next `frame`.
            while (script_pos < script.size()) {
                ScriptStep& st = script[script_pos++];
                for (const auto& e : st.events) s.on_event(e);
                if (!st.screenshot.empty()) shot = st.screenshot;
                if (st.frame) break;
            }
        }
        if (!s.pending_screenshot.empty()) shot = s.pending_screenshot, s.pending_screenshot.clear();
        FrameStats fs;
        int64_t t0 = mono_ns(), c0 = cpu_ns();
        int64_t arrival = 0;
        arrival = s.src->take_pending_arrival();
        s.dirty = false;
        s.draw_frame(fs);
        int64_t t1 = mono_ns();
        glFinish();
        int64_t t2 = mono_ns();
        fs.gpu_ms = double(t2 - t1) / 1e6;
        fs.total_ms = double(t2 - t0) / 1e6;
        fs.cpu_ms = double(cpu_ns() - c0) / 1e6;
        if (arrival) fs.arrival_latency_ms = double(t2 - arrival) / 1e6;
        last_render = t2;
        if (rendered_++ == 0) first_frame_mono_ns_ = t2;
        bool last = opt_.frames > 0 && rendered_ >= opt_.frames && script_pos >= script.size();
        if (last || !shot.empty()) {
            px_w_ = s.surface->width(), px_h_ = s.surface->height();
            pixels_ = s.renderer->read_pixels();
        }
        if (!shot.empty()) {
            if (!write_png(shot, px_w_, px_h_, pixels_)) log_(3, "cannot write the screenshot " + shot);
            else log_(1, "screenshot written to " + shot);
        }
        if (opt_.benchmark)
            std::printf("frame %lld: %.2f ms (cpu %.2f ms, query %.3f ms, decode %.3f ms, gpu %.2f ms) level %d columns %d "
                        "hosts %d plot_vertices %llu imgui_vertices %llu nodes %llu frames %llu chunks %llu pending %llu%s\n",
                        (long long)rendered_, fs.total_ms, fs.cpu_ms, fs.query_ms, fs.decode_ms, fs.gpu_ms, fs.level,
                        fs.columns, fs.hosts,
                        (unsigned long long)fs.plot_vertices, (unsigned long long)fs.imgui_vertices,
                        (unsigned long long)fs.nodes_read, (unsigned long long)fs.frames_read,
                        (unsigned long long)fs.chunks_decoded, (unsigned long long)fs.pending,
                        fs.arrival_latency_ms >= 0 ? (" arrival_to_screen " + std::to_string(fs.arrival_latency_ms) + " ms").c_str() : "");
        stats_.push_back(fs);
        s.surface->present();
        if (last) {
            if (!opt_.screenshot.empty() && shot != opt_.screenshot) {
                if (!write_png(opt_.screenshot, px_w_, px_h_, pixels_)) log_(3, "cannot write the screenshot " + opt_.screenshot);
                else log_(1, "screenshot written to " + opt_.screenshot);
            }
            reason = "rendered " + std::to_string(rendered_) + " frames";
            break;
        }
    }
    if (pixels_.empty() && rendered_ > 0) {
        px_w_ = s.surface->width(), px_h_ = s.surface->height();
        pixels_ = s.renderer->read_pixels();
        if (!opt_.screenshot.empty()) write_png(opt_.screenshot, px_w_, px_h_, pixels_);
    }
    s.renderer.reset();
    ImGui::DestroyContext(s.imgui);
    {
        std::lock_guard lock(surface_mutex_);
        surface_ = nullptr;
    }
    s.surface.reset();
    s.src.reset();
    return reason;
}

}  // namespace zzp::viewer

#include "live_source.hpp"

#include <algorithm>

namespace zzp::viewer {

LiveSource::LiveSource(int64_t retain_ns) : retain_ns_(retain_ns) {}

LiveSource::Host& LiveSource::host_for(uint32_t id) {
    for (auto& h : hosts_)
        if (h.id == id) return h;
    hosts_.push_back(Host{});
    hosts_.back().id = id;
    hosts_.back().info.name = "target " + std::to_string(id);
    return hosts_.back();
}

void LiveSource::add_target(uint32_t id, const HostInfo& info) {
    std::function<void()> cb;
    {
        std::lock_guard lock(mutex_);
        Host& h = host_for(id);
        h.info = info;
        if (h.info.interval_ns <= 0) h.info.interval_ns = 100'000'000;
        ++version_;
        cb = on_change_;
    }
    if (cb) cb();
}

void LiveSource::add_frame(const zzp_frame& f, int64_t arrival_mono_ns) {
    std::function<void()> cb;
    {
        std::lock_guard lock(mutex_);
        Host& h = host_for(f.target_id);
        auto& v = h.frames;
        if (v.empty() || v.back().start_wall_ns < f.start_wall_ns) {
            v.push_back(f);
        } else {
            auto it = std::lower_bound(v.begin(), v.end(), f.start_wall_ns,
                                       [](const zzp_frame& a, int64_t t) { return a.start_wall_ns < t; });
            if (it != v.end() && it->start_wall_ns == f.start_wall_ns) {
                if (f.revision >= it->revision || (f.flags & ZZP_FRAME_F_FINAL)) *it = f;
            } else {
                v.insert(it, f);
            }
        }
        // Bound memory: drop what is older than the retention, in batches.
        int64_t cut = v.back().start_wall_ns - retain_ns_;
        if (v.front().start_wall_ns < cut && v.size() > 1024) {
            auto it = std::lower_bound(v.begin(), v.end(), cut,
                                       [](const zzp_frame& a, int64_t t) { return a.start_wall_ns < t; });
            if (it - v.begin() > 256) v.erase(v.begin(), it);
        }
        ++version_;
        last_arrival_ = arrival_mono_ns;
        if (pending_arrival_ == 0) pending_arrival_ = arrival_mono_ns;
        cb = on_change_;
    }
    if (cb) cb();
}

void LiveSource::set_problem(const std::string& key, const std::string& text) {
    std::function<void()> cb;
    {
        std::lock_guard lock(mutex_);
        auto it = problems_.find(key);
        if (text.empty()) {
            if (it == problems_.end()) return;
            problems_.erase(it);
        } else {
            if (it != problems_.end() && it->second == text) return;
            problems_[key] = text;
        }
        ++version_;
        cb = on_change_;
    }
    if (cb) cb();
}

void LiveSource::set_on_change(std::function<void()> f) {
    std::lock_guard lock(mutex_);
    on_change_ = std::move(f);
}

std::vector<HostInfo> LiveSource::hosts() {
    std::lock_guard lock(mutex_);
    std::vector<HostInfo> out;
    for (const auto& h : hosts_) out.push_back(h.info);
    return out;
}

bool LiveSource::extent(int64_t& t0, int64_t& t1) {
    std::lock_guard lock(mutex_);
    bool any = false;
    for (const auto& h : hosts_) {
        if (h.frames.empty()) continue;
        int64_t a = h.frames.front().start_wall_ns, b = h.frames.back().start_wall_ns + h.frames.back().interval_ns;
        t0 = any ? std::min(t0, a) : a;
        t1 = any ? std::max(t1, b) : b;
        any = true;
    }
    return any;
}

void LiveSource::columns(size_t h, const ColumnGrid& grid, std::vector<Column>& out, QueryStats& stats) {
    out.assign(grid.n, Column{});
    std::lock_guard lock(mutex_);
    if (h >= hosts_.size()) return;
    const auto& v = hosts_[h].frames;
    auto it = std::lower_bound(v.begin(), v.end(), grid.t0 - hosts_[h].info.interval_ns,
                               [](const zzp_frame& a, int64_t t) { return a.start_wall_ns < t; });
    ColumnWalker walk(grid, out);
    for (; it != v.end() && it->start_wall_ns < grid.t1; ++it)
        if (walk.add_frame(Node::of(*it))) ++stats.frames_read;
}

std::optional<zzp_frame> LiveSource::frame_at(size_t h, int64_t t) {
    std::lock_guard lock(mutex_);
    if (h >= hosts_.size()) return std::nullopt;
    const auto& v = hosts_[h].frames;
    auto it = std::upper_bound(v.begin(), v.end(), t,
                               [](int64_t x, const zzp_frame& a) { return x < a.start_wall_ns; });
    if (it == v.begin()) return std::nullopt;
    --it;
    if (t < it->start_wall_ns + it->interval_ns) return *it;
    return std::nullopt;
}

std::vector<std::string> LiveSource::problems() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [k, v] : problems_) out.push_back(v);
    return out;
}

uint64_t LiveSource::version() {
    std::lock_guard lock(mutex_);
    return version_;
}

int64_t LiveSource::last_arrival_mono_ns() {
    std::lock_guard lock(mutex_);
    return last_arrival_;
}

int64_t LiveSource::take_pending_arrival() {
    std::lock_guard lock(mutex_);
    int64_t p = pending_arrival_;
    pending_arrival_ = 0;
    return p;
}

}  // namespace zzp::viewer

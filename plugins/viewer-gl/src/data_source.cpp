#include "data_source.hpp"

#include <algorithm>
#include <filesystem>

#include "recording/recording.hpp"

namespace zzp::viewer {

void Column::add(const zzp_frame& f) {
    ++frames;
    sent += f.sent;
    received += f.received;
    lost += f.lost;
    errors += f.errors;
    if (f.rtt_ns[ZZP_Q_MIN] >= 0) {
        min = std::min(min, f.rtt_ns[ZZP_Q_MIN]);
        max = std::max(max, f.rtt_ns[ZZP_Q_MAX]);
        q25_sum += f.rtt_ns[ZZP_Q_P25];
        q50_sum += f.rtt_ns[ZZP_Q_P50];
        q75_sum += f.rtt_ns[ZZP_Q_P75];
        ++q_count;
    }
}

void Column::add_spill(const zzp_frame& f) {
    ++spill_frames;
    spill_sent += f.sent;
    spill_lost += f.lost;
    spill_errors += f.errors;
    if (f.rtt_ns[ZZP_Q_MIN] >= 0) {
        min = std::min(min, f.rtt_ns[ZZP_Q_MIN]);
        max = std::max(max, f.rtt_ns[ZZP_Q_MAX]);
        q25_sum += f.rtt_ns[ZZP_Q_P25];
        q50_sum += f.rtt_ns[ZZP_Q_P50];
        q75_sum += f.rtt_ns[ZZP_Q_P75];
        ++q_count;
    }
}

int add_frame_to_grid(const zzp_frame& f, const ColumnGrid& grid, std::vector<Column>& out) {
    int64_t a = f.start_wall_ns, b = f.start_wall_ns + std::max<int64_t>(f.interval_ns, 1);
    int64_t lo = grid.edge(0), hi = grid.edge(grid.n);
    if (b <= lo || a >= hi) return 0;
    long c0 = grid.column_of(std::max(a, lo));
    long c1 = grid.column_of(std::min(b, hi) - 1);
    long first = grid.column_of(a);
    int n = 0;
    for (long c = c0; c >= 0 && c <= c1; ++c, ++n) {
        if (c == first) out[size_t(c)].add(f);
        else out[size_t(c)].add_spill(f);
    }
    return n;
}

void Column::add(const rec::Summary& s) {
    frames += s.frames;
    sent += s.sent;
    received += s.received;
    lost += s.lost;
    errors += s.errors;
    const auto& lo = s.stat[ZZP_Q_MIN];
    if (lo.count) {
        min = std::min(min, lo.min);
        max = std::max(max, s.stat[ZZP_Q_MAX].max);
        q25_sum += s.stat[ZZP_Q_P25].sum;
        q50_sum += s.stat[ZZP_Q_P50].sum;
        q75_sum += s.stat[ZZP_Q_P75].sum;
        q_count += lo.count;
    }
}

void Column::merge(const Column& o) {
    frames += o.frames;
    sent += o.sent;
    received += o.received;
    lost += o.lost;
    errors += o.errors;
    min = std::min(min, o.min);
    max = std::max(max, o.max);
    q25_sum += o.q25_sum;
    q50_sum += o.q50_sum;
    q75_sum += o.q75_sum;
    q_count += o.q_count;
}

std::string HostInfo::label() const {
    std::string s = name;
    if (!address.empty() && address != name) s += " (" + address + ")";
    if (!method.empty()) s += " " + method;
    return s;
}

int64_t ColumnGrid::edge(size_t i) const {
    __int128 span = static_cast<__int128>(t1) - t0;
    int64_t e = t0 + static_cast<int64_t>(span * static_cast<__int128>(i) / static_cast<__int128>(n));
    if (snap > 1) e = rec::floor_div(e + snap / 2, snap) * snap;
    return e;
}

long ColumnGrid::column_of(int64_t t) const {
    if (t < edge(0) || t >= edge(n)) return -1;
    __int128 k = (static_cast<__int128>(t) - t0) * static_cast<__int128>(n) / (static_cast<__int128>(t1) - t0);
    // edge() rounds down: step back or forward by one where rounding disagrees.
    long c = static_cast<long>(k);
    if (c >= static_cast<long>(n)) c = static_cast<long>(n) - 1;
    while (c > 0 && edge(static_cast<size_t>(c)) > t) --c;
    while (static_cast<size_t>(c) + 1 < n && edge(static_cast<size_t>(c) + 1) <= t) ++c;
    return c;
}

void brute_force_columns(const std::vector<zzp_frame>& frames, uint32_t target_id, const ColumnGrid& grid,
                         std::vector<Column>& out) {
    out.assign(grid.n, Column{});
    for (const auto& f : frames) {
        if (f.target_id != target_id) continue;
        add_frame_to_grid(f, grid, out);
    }
}

// ---- FileSource -------------------------------------------------------------------------------

FileSource::FileSource(const std::vector<std::string>& paths, bool lod) : lod_(lod) {
    namespace fs = std::filesystem;
    std::vector<std::string> good;
    for (const auto& p : paths) {
        std::error_code ec;
        if (!fs::exists(p, ec)) {
            problems_.push_back(p + ": no such file or folder");
            continue;
        }
        auto files = rec::recording_files(p);
        if (files.empty()) problems_.push_back(p + ": no .zzr recordings in this folder");
        for (const auto& f : files) {
            try {
                rec::FileReader r(f);
                if (r.torn())
                    problems_.push_back(f + ": " + std::to_string(r.file_size() - r.valid_end()) +
                                        " bytes from byte " + std::to_string(r.valid_end()) +
                                        " are unreadable (torn or damaged); showing what comes before");
                good.push_back(f);
            } catch (const std::exception& e) {
                problems_.push_back(std::string("cannot read ") + e.what());
            }
        }
    }
    rec_ = std::make_unique<rec::Recording>(good);
    for (const auto& s : rec_->series()) {
        HostInfo h;
        h.name = s.meta.name;
        h.address = s.meta.address;
        h.method = s.meta.method;
        h.probe = s.meta.probe;
        h.interval_ns = s.meta.interval_ns > 0 ? s.meta.interval_ns : 100'000'000;
        hosts_.push_back(h);
    }
}

FileSource::~FileSource() = default;

std::vector<HostInfo> FileSource::hosts() { return hosts_; }

bool FileSource::extent(int64_t& t0, int64_t& t1) {
    if (rec_->t_first() > rec_->t_last()) return false;
    t0 = rec_->t_first();
    t1 = rec_->t_last();
    // t_last is the start of the last frame: include its interval.
    int64_t iv = 0;
    for (const auto& h : hosts_) iv = std::max(iv, h.interval_ns);
    t1 += iv;
    return true;
}

int64_t FileSource::snap_for(size_t h, int64_t column_ns) {
    if (h >= hosts_.size()) return 0;
    int level = level_for(hosts_[h].interval_ns, column_ns);
    return level == 0 ? 0 : rec::level_width(hosts_[h].interval_ns, level);
}

int FileSource::level_for(int64_t interval_ns, int64_t column_ns) {
    int level = 0;
    while (level < rec::kPyramidLevels && rec::level_width(interval_ns, level + 1) * 2 <= column_ns) ++level;
    return level;
}

const std::vector<zzp_frame>& FileSource::chunk_frames(size_t file, size_t chunk, QueryStats& stats) {
    auto key = std::make_pair(file, chunk);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
        it->second.first = ++cache_tick_;
        return it->second.second;
    }
    if (cache_.size() >= 1024) {  // evict the least recently used quarter
        std::vector<std::pair<uint64_t, std::pair<size_t, size_t>>> ages;
        for (auto& [k, v] : cache_) ages.emplace_back(v.first, k);
        std::sort(ages.begin(), ages.end());
        for (size_t i = 0; i < ages.size() / 4; ++i) cache_.erase(ages[i].second);
    }
    std::vector<zzp_frame> frames;
    const auto& reader = *rec_->files()[file];
    try {
        frames = reader.read_frames(reader.chunks()[chunk]);
    } catch (const std::exception& e) {
        std::string m = std::string("skipped a damaged chunk: ") + e.what();
        if (std::find(problems_.begin(), problems_.end(), m) == problems_.end()) problems_.push_back(m);
    }
    ++stats.chunks_decoded;
    auto& slot = cache_[key];
    slot.first = ++cache_tick_;
    slot.second = std::move(frames);
    return slot.second;
}

void FileSource::frames_columns(size_t h, const ColumnGrid& grid, std::vector<Column>& out, QueryStats& stats) {
    for (const auto& [fi, id] : rec_->series()[h].parts) {
        const auto& reader = *rec_->files()[fi];
        if (reader.chunks().empty() || reader.t_last() + hosts_[h].interval_ns <= grid.t0 || reader.t_first() >= grid.t1)
            continue;
        const auto& chunks = reader.chunks();
        for (size_t ci = 0; ci < chunks.size(); ++ci) {
            const auto& c = chunks[ci];
            if (c.type != rec::RecordType::frames || c.t_last + hosts_[h].interval_ns <= grid.t0 || c.t_first >= grid.t1)
                continue;
            for (const auto& f : chunk_frames(fi, ci, stats)) {
                if (f.target_id != id) continue;
                if (add_frame_to_grid(f, grid, out)) ++stats.frames_read;
            }
        }
    }
}

void FileSource::columns(size_t h, const ColumnGrid& grid, std::vector<Column>& out, QueryStats& stats) {
    out.assign(grid.n, Column{});
    if (h >= hosts_.size() || grid.t1 <= grid.t0) return;
    int64_t colw = (grid.t1 - grid.t0) / static_cast<int64_t>(grid.n);
    int level = lod_ ? level_for(hosts_[h].interval_ns, colw) : 0;
    stats.level = level;
    if (level == 0) {
        frames_columns(h, grid, out, stats);
        return;
    }
    int64_t w = rec::level_width(hosts_[h].interval_ns, level);
    for (const auto& [fi, id] : rec_->series()[h].parts) {
        const auto& reader = *rec_->files()[fi];
        if (reader.chunks().empty() || reader.t_last() < grid.t0 - w || reader.t_first() >= grid.t1) continue;
        const std::vector<rec::Summary>* nodes = nullptr;
        try {
            nodes = &reader.level_nodes(id, level);
        } catch (const std::exception& e) {
            std::string m = std::string("pyramid unreadable, that file is not shown at this zoom: ") + e.what();
            if (std::find(problems_.begin(), problems_.end(), m) == problems_.end()) problems_.push_back(m);
            continue;
        }
        // A bucket goes to the column that holds its midpoint: exact when column edges fall on
        // bucket edges, otherwise at most half a bucket (< a quarter column) off.
        int64_t lo = grid.t0 - w / 2;
        auto it = std::lower_bound(nodes->begin(), nodes->end(), lo,
                                   [](const rec::Summary& s, int64_t t) { return s.start_ns < t; });
        for (; it != nodes->end() && it->start_ns < grid.t1; ++it) {
            long col = grid.column_of(it->start_ns + w / 2);
            if (col < 0) continue;
            out[static_cast<size_t>(col)].add(*it);
            ++stats.nodes_read;
        }
    }
}

std::optional<zzp_frame> FileSource::frame_at(size_t h, int64_t t) {
    if (h >= hosts_.size()) return std::nullopt;
    QueryStats dummy;
    for (const auto& [fi, id] : rec_->series()[h].parts) {
        const auto& reader = *rec_->files()[fi];
        if (reader.chunks().empty() || reader.t_last() + hosts_[h].interval_ns <= t || reader.t_first() > t) continue;
        const auto& chunks = reader.chunks();
        for (size_t ci = 0; ci < chunks.size(); ++ci) {
            const auto& c = chunks[ci];
            if (c.type != rec::RecordType::frames || c.t_last + hosts_[h].interval_ns <= t || c.t_first > t) continue;
            for (const auto& f : chunk_frames(fi, ci, dummy))
                if (f.target_id == id && f.start_wall_ns <= t && t < f.start_wall_ns + f.interval_ns) return f;
        }
    }
    return std::nullopt;
}

// ---- LiveSource -------------------------------------------------------------------------------

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
    for (; it != v.end() && it->start_wall_ns < grid.t1; ++it)
        if (add_frame_to_grid(*it, grid, out)) ++stats.frames_read;
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

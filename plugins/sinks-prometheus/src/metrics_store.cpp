#include "metrics_store.hpp"

#include <zzprobe/plugin.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "exposition.hpp"

namespace zzp::prom {
namespace {

constexpr uint64_t kStateMagic = 0x315354534d4f5250ull;  // "PROMSTS1"

uint64_t double_bits(double d) {
    uint64_t u = 0;
    std::memcpy(&u, &d, sizeof u);
    return u;
}
double bits_double(uint64_t u) {
    double d = 0;
    std::memcpy(&d, &u, sizeof d);
    return d;
}

}  // namespace

std::array<double, kQuantiles.size()> window_quantiles(std::vector<int64_t>& v) {
    std::array<double, kQuantiles.size()> out;
    if (v.empty()) {
        out.fill(std::numeric_limits<double>::quiet_NaN());
        return out;
    }
    const size_t n = v.size();
    size_t done = 0;  // v[0..done) holds the smallest `done` values (nth_element invariant)
    for (size_t i = 0; i < kQuantiles.size(); ++i) {
        double pos = kQuantiles[i] * static_cast<double>(n - 1);
        size_t lo = static_cast<size_t>(std::floor(pos));
        double frac = pos - static_cast<double>(lo);
        std::nth_element(v.begin() + static_cast<std::ptrdiff_t>(done), v.begin() + static_cast<std::ptrdiff_t>(lo),
                         v.end());
        done = lo;
        double a = static_cast<double>(v[lo]);
        double value = a;
        if (frac > 0 && lo + 1 < n) {
            double b = static_cast<double>(*std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end()));
            value = a + (b - a) * frac;
        }
        out[i] = std::round(value) / 1e9;  // ns rounded like the frame rule, then seconds
    }
    return out;
}

MetricsStore::MetricsStore(StoreOptions options) : options_(std::move(options)) {
    for (double b : options_.bucket_bounds_s) bounds_ns_.push_back(static_cast<int64_t>(std::llround(b * 1e9)));
}

std::string MetricsStore::identity(const TargetMeta& m) {
    return m.probe + '\x1f' + m.name + '\x1f' + m.address;
}

std::shared_ptr<const std::string> MetricsStore::render_labels(const TargetMeta& m) const {
    std::string s;
    s.reserve(64 + m.probe.size() + m.name.size() + m.address.size() + options_.static_labels.size());
    append_label(s, "probe", m.probe);
    s += ',';
    append_label(s, "target", m.name);
    s += ',';
    append_label(s, "address", m.address);
    s += ',';
    append_label(s, "method", m.method);
    s += options_.static_labels;
    return std::make_shared<const std::string>(std::move(s));
}

std::shared_ptr<MetricsStore::Series> MetricsStore::make_series(const TargetMeta& meta) {
    auto s = std::make_shared<Series>();
    s->meta = meta;
    s->labels = render_labels(meta);
    s->counters.buckets.assign(bounds_ns_.size() + 1, 0);
    by_identity_[identity(meta)] = s;
    std::lock_guard lock(list_mutex_);
    list_.push_back(s);
    return s;
}

void MetricsStore::on_target(uint32_t id, const TargetMeta& meta) {
    auto it = by_id_.find(id);
    if (it != by_id_.end()) {
        Series& s = *it->second;
        if (s.meta.address == meta.address && s.meta.name == meta.name && s.meta.method == meta.method &&
            s.meta.probe == meta.probe)
            return;
        // Same target, new address (or details): same series, new labels.
        by_identity_.erase(identity(s.meta));
        auto labels = render_labels(meta);
        {
            std::lock_guard lock(s.mutex);
            s.meta = meta;
            s.labels = std::move(labels);
        }
        by_identity_[identity(meta)] = it->second;
    } else {
        auto found = by_identity_.find(identity(meta));
        by_id_[id] = found != by_identity_.end() ? found->second : make_series(meta);
        if (found != by_identity_.end()) {
            std::lock_guard lock(found->second->mutex);
            found->second->meta.method = meta.method;
            found->second->labels = render_labels(found->second->meta);
        }
    }
    version_.fetch_add(1, std::memory_order_release);
}

void MetricsStore::observe_reply(Series& s, const zzp_sample& sample) {
    Counters& c = s.counters;
    int64_t rtt = std::max<int64_t>(sample.rtt_ns, 0);
    size_t bucket = static_cast<size_t>(std::lower_bound(bounds_ns_.begin(), bounds_ns_.end(), rtt) - bounds_ns_.begin());
    ++c.buckets[bucket];
    ++c.rtt_count;
    c.rtt_sum_s += static_cast<double>(rtt) / 1e9;
    int64_t at = sample.sent_wall_ns + rtt;
    c.last_rtt_ns = rtt;
    c.last_reply_wall_ns = std::max(c.last_reply_wall_ns, at);
    // The window: drop what fell out of it (by this sample's time) and what exceeds the cap.
    while (!s.window.empty() &&
           (s.window.front().at_wall_ns < at - options_.window_ns || s.window.size() >= options_.window_max_samples))
        s.window.pop_front();
    s.window.push_back({at, rtt});
}

void MetricsStore::apply(const zzp_sample* samples, uint32_t count) {
    Series* current = nullptr;
    uint32_t current_id = 0;
    std::unique_lock<std::mutex> lock;
    for (uint32_t i = 0; i < count; ++i) {
        const zzp_sample& x = samples[i];
        if (!current || x.target_id != current_id) {
            if (lock.owns_lock()) lock.unlock();
            auto it = by_id_.find(x.target_id);
            if (it == by_id_.end()) {
                // No on_target (the host always announces first; a test double may not).
                TargetMeta meta{"", "target-" + std::to_string(x.target_id), "", ""};
                it = by_id_.emplace(x.target_id, make_series(meta)).first;
            }
            current = it->second.get();
            current_id = x.target_id;
            lock = std::unique_lock<std::mutex>(current->mutex);
        }
        Counters& c = current->counters;
        switch (x.status) {
            case ZZP_SAMPLE_REPLY:
                ++c.requests;
                ++c.replies;
                observe_reply(*current, x);
                break;
            case ZZP_SAMPLE_LOST:
                ++c.requests;
                ++c.lost;
                break;
            case ZZP_SAMPLE_SEND_ERROR:
            case ZZP_SAMPLE_NET_ERROR:
                ++c.requests;
                ++c.errors;
                break;
            case ZZP_SAMPLE_LATE:
                ++c.late;
                break;
            case ZZP_SAMPLE_DUPLICATE:
                ++c.duplicates;
                break;
            default:
                break;  // SENT announcements never reach sinks; unknown statuses are ignored
        }
    }
    if (lock.owns_lock()) lock.unlock();
    version_.fetch_add(1, std::memory_order_release);
}

size_t MetricsStore::size() const {
    std::lock_guard lock(list_mutex_);
    return list_.size();
}

std::vector<TargetSnapshot> MetricsStore::snapshot(int64_t now_wall_ns) const {
    std::vector<std::shared_ptr<Series>> list;
    {
        std::lock_guard lock(list_mutex_);
        list = list_;
    }
    std::vector<TargetSnapshot> out;
    out.reserve(list.size());
    std::vector<int64_t> scratch;
    const int64_t window_start = now_wall_ns - options_.window_ns;
    for (const auto& s : list) {
        TargetSnapshot t;
        scratch.clear();
        {
            std::lock_guard lock(s->mutex);
            t.labels = s->labels;
            t.counters = s->counters;
            // Entries are in arrival order; times are nearly sorted, so scan from the back.
            for (auto it = s->window.rbegin(); it != s->window.rend(); ++it) {
                if (it->at_wall_ns < window_start) break;
                scratch.push_back(it->rtt_ns);
            }
        }
        t.window_count = scratch.size();
        t.quantiles_s = window_quantiles(scratch);
        t.up = t.counters.last_reply_wall_ns > 0 && t.counters.last_reply_wall_ns >= now_wall_ns - options_.up_window_ns;
        out.push_back(std::move(t));
    }
    return out;
}

std::string MetricsStore::save() const {
    zzp::StateWriter w;
    w.u64(kStateMagic);
    w.u64(bounds_ns_.size());
    for (int64_t b : bounds_ns_) w.u64(static_cast<uint64_t>(b));
    std::vector<std::shared_ptr<Series>> list;
    {
        std::lock_guard lock(list_mutex_);
        list = list_;
    }
    w.u64(list.size());
    for (const auto& s : list) {
        std::lock_guard lock(s->mutex);
        w.str(s->meta.probe);
        w.str(s->meta.name);
        w.str(s->meta.address);
        w.str(s->meta.method);
        const Counters& c = s->counters;
        for (uint64_t v : {c.requests, c.replies, c.lost, c.errors, c.late, c.duplicates, c.rtt_count}) w.u64(v);
        w.u64(double_bits(c.rtt_sum_s));
        w.u64(static_cast<uint64_t>(c.last_rtt_ns));
        w.u64(static_cast<uint64_t>(c.last_reply_wall_ns));
        w.u64(c.buckets.size());
        for (uint64_t b : c.buckets) w.u64(b);
        w.u64(s->window.size());
        for (const WindowEntry& e : s->window) {
            w.u64(static_cast<uint64_t>(e.at_wall_ns));
            w.u64(static_cast<uint64_t>(e.rtt_ns));
        }
    }
    return w.bytes();
}

void MetricsStore::load(const std::string& bytes) {
    zzp::StateReader r(bytes);
    if (r.u64() != kStateMagic) throw zzp::Error(ZZP_E_INVALID, "not a prometheus sink state (bad magic)");
    uint64_t nb = r.u64();
    if (nb > 64) throw zzp::Error(ZZP_E_INVALID, "state is corrupt (bucket count)");
    std::vector<int64_t> bounds;
    for (uint64_t i = 0; i < nb; ++i) bounds.push_back(static_cast<int64_t>(r.u64()));
    if (bounds != bounds_ns_)
        throw zzp::config_error("buckets",
                                "the predecessor used other histogram buckets; counters of a histogram cannot be "
                                "carried over to new buckets (restart the host to change them)");
    uint64_t n = r.u64();
    if (n > bytes.size()) throw zzp::Error(ZZP_E_INVALID, "state is corrupt (series count)");
    std::vector<std::shared_ptr<Series>> restored;
    for (uint64_t i = 0; i < n; ++i) {
        TargetMeta m;
        m.probe = r.str();
        m.name = r.str();
        m.address = r.str();
        m.method = r.str();
        auto s = std::make_shared<Series>();
        Counters& c = s->counters;
        for (uint64_t* v : {&c.requests, &c.replies, &c.lost, &c.errors, &c.late, &c.duplicates, &c.rtt_count})
            *v = r.u64();
        c.rtt_sum_s = bits_double(r.u64());
        c.last_rtt_ns = static_cast<int64_t>(r.u64());
        c.last_reply_wall_ns = static_cast<int64_t>(r.u64());
        uint64_t k = r.u64();
        if (k != bounds_ns_.size() + 1) throw zzp::Error(ZZP_E_INVALID, "state is corrupt (bucket values)");
        c.buckets.resize(k);
        for (uint64_t& b : c.buckets) b = r.u64();
        uint64_t wn = r.u64();
        if (wn > bytes.size()) throw zzp::Error(ZZP_E_INVALID, "state is corrupt (window size)");
        for (uint64_t j = 0; j < wn; ++j) {
            int64_t at = static_cast<int64_t>(r.u64());
            int64_t rtt = static_cast<int64_t>(r.u64());
            s->window.push_back({at, rtt});
        }
        while (s->window.size() > options_.window_max_samples) s->window.pop_front();
        s->meta = m;
        s->labels = render_labels(m);
        restored.push_back(std::move(s));
    }
    if (!r.at_end()) throw zzp::Error(ZZP_E_INVALID, "state is corrupt (trailing bytes)");
    // Only now that everything parsed: replace the (empty, not started) store's content.
    by_id_.clear();
    by_identity_.clear();
    for (const auto& s : restored) by_identity_[identity(s->meta)] = s;
    std::lock_guard lock(list_mutex_);
    list_ = std::move(restored);
    version_.fetch_add(1, std::memory_order_release);
}

}  // namespace zzp::prom

#include "column.hpp"

#include <algorithm>

#include "recording/pyramid.hpp"

namespace zzp::viewer {

Node Node::of(const zzp_frame& f) {
    Node n;
    n.start_ns = f.start_wall_ns;
    n.width_ns = std::max<int64_t>(f.interval_ns, 1);
    n.frames = 1;
    n.sent = f.sent;
    n.lost = f.lost;
    n.errors = f.errors;
    if (f.rtt_ns[ZZP_Q_MIN] >= 0) {
        n.q_count = 1;
        n.min = f.rtt_ns[ZZP_Q_MIN];
        n.max = f.rtt_ns[ZZP_Q_MAX];
        n.q25_sum = f.rtt_ns[ZZP_Q_P25];
        n.q50_sum = f.rtt_ns[ZZP_Q_P50];
        n.q75_sum = f.rtt_ns[ZZP_Q_P75];
    }
    return n;
}

Node Node::of(const rec::Summary& s, int64_t width_ns) {
    Node n;
    n.start_ns = s.start_ns;
    n.width_ns = width_ns;
    n.frames = static_cast<uint32_t>(s.frames);
    n.sent = s.sent;
    n.lost = s.lost;
    n.errors = s.errors;
    const auto& lo = s.stat[ZZP_Q_MIN];
    if (lo.count) {
        n.q_count = static_cast<uint32_t>(lo.count);
        n.min = lo.min;
        n.max = s.stat[ZZP_Q_MAX].max;
        n.q25_sum = s.stat[ZZP_Q_P25].sum;
        n.q50_sum = s.stat[ZZP_Q_P50].sum;
        n.q75_sum = s.stat[ZZP_Q_P75].sum;
    }
    return n;
}

void Node::merge(const Node& o) {
    frames += o.frames;
    q_count += o.q_count;
    sent += o.sent;
    lost += o.lost;
    errors += o.errors;
    min = std::min(min, o.min);
    max = std::max(max, o.max);
    q25_sum += o.q25_sum;
    q50_sum += o.q50_sum;
    q75_sum += o.q75_sum;
}

void Column::add_rtt(const Node& n) {
    if (!n.q_count) return;
    min = std::min(min, n.min);
    max = std::max(max, n.max);
    q25_sum += n.q25_sum;
    q50_sum += n.q50_sum;
    q75_sum += n.q75_sum;
    q_count += n.q_count;
}

void Column::add(const Node& n) {
    frames += n.frames;
    sent += n.sent;
    lost += n.lost;
    errors += n.errors;
    add_rtt(n);
}

void Column::add_spill(const Node& n) {
    spill_frames += n.frames;
    spill_sent += n.sent;
    spill_lost += n.lost;
    spill_errors += n.errors;
    add_rtt(n);
}

void Column::add(const rec::Summary& s) {
    add(Node::of(s, 0));
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
    // edge() rounds: step back or forward by one where rounding disagrees.
    long c = static_cast<long>(k);
    if (c >= static_cast<long>(n)) c = static_cast<long>(n) - 1;
    while (c > 0 && edge(static_cast<size_t>(c)) > t) --c;
    while (static_cast<size_t>(c) + 1 < n && edge(static_cast<size_t>(c) + 1) <= t) ++c;
    return c;
}

std::vector<int64_t> ColumnGrid::edges() const {
    std::vector<int64_t> e(n + 1);
    for (size_t i = 0; i <= n; ++i) e[i] = edge(i);
    return e;
}

bool ColumnGrid::aligned_to(int64_t w) const {
    if (w <= 1) return true;
    for (size_t i = 0; i <= n; ++i)
        if (rec::floor_div(edge(i), w) * w != edge(i)) return false;
    return true;
}

ColumnWalker::ColumnWalker(const ColumnGrid& grid, std::vector<Column>& out) : e_(grid.edges()), out_(out) {}

long ColumnWalker::seek(int64_t t) {
    const size_t n = e_.size() - 1;
    if (t < e_[0] || t >= e_[n]) return -1;
    if (t < e_[c_]) c_ = 0;  // went back (a new file part): search from the start
    // Sorted nodes usually stay in the column or step to the next: walk a few, else search.
    for (int steps = 0; steps < 4 && c_ + 1 < n && e_[c_ + 1] <= t; ++steps) ++c_;
    if (c_ + 1 < n && e_[c_ + 1] <= t)
        c_ =
            static_cast<size_t>(std::upper_bound(e_.begin() + static_cast<long>(c_), e_.end() - 1, t) - e_.begin()) - 1;
    return static_cast<long>(c_);
}

bool ColumnWalker::add_frame(const Node& f) {
    int64_t a = f.start_ns, b = f.start_ns + f.width_ns;
    if (b <= lo() || a >= hi()) return false;
    long first = a >= lo() ? seek(a) : -1;
    long c0 = first >= 0 ? first : seek(lo());
    size_t keep = c_;
    long c1 = seek(std::min(b, hi()) - 1);
    for (long c = c0; c >= 0 && c <= c1; ++c) {
        if (c == first)
            out_[static_cast<size_t>(c)].add(f);
        else
            out_[static_cast<size_t>(c)].add_spill(f);
    }
    c_ = keep;  // the next frame starts at or after this one's start, not its end
    return true;
}

bool ColumnWalker::add_bucket(const Node& b) {
    long c = seek(b.start_ns + b.width_ns / 2);
    if (c < 0) return false;
    out_[static_cast<size_t>(c)].add(b);
    return true;
}

bool ColumnWalker::add_whole(const Node& b) {
    const int64_t end = b.start_ns + b.width_ns;
    if (b.start_ns < lo() || end > hi()) return false;
    long c = seek(b.start_ns);
    if (c < 0 || e_[static_cast<size_t>(c) + 1] < end) return false;
    out_[static_cast<size_t>(c)].add(b);
    return true;
}

void ColumnWalker::add_stand_in(const Node& b, int64_t lo_t, int64_t hi_t) {
    int64_t a = std::max({b.start_ns, lo_t, lo()}), z = std::min({b.start_ns + b.width_ns, hi_t, hi()});
    if (a >= z) return;
    long c0 = seek(a);
    size_t keep = c_;
    long c1 = seek(z - 1);
    for (long c = c0; c >= 0 && c <= c1; ++c) out_[static_cast<size_t>(c)].add_spill(b);
    c_ = keep;
}

int add_frame_to_grid(const zzp_frame& f, const ColumnGrid& grid, std::vector<Column>& out) {
    Node n = Node::of(f);
    int64_t a = n.start_ns, b = n.start_ns + n.width_ns;
    int64_t lo = grid.edge(0), hi = grid.edge(grid.n);
    if (b <= lo || a >= hi) return 0;
    long c0 = grid.column_of(std::max(a, lo));
    long c1 = grid.column_of(std::min(b, hi) - 1);
    long first = grid.column_of(a);
    int count = 0;
    for (long c = c0; c >= 0 && c <= c1; ++c, ++count) {
        if (c == first)
            out[size_t(c)].add(n);
        else
            out[size_t(c)].add_spill(n);
    }
    return count;
}

void brute_force_columns(const std::vector<zzp_frame>& frames, uint32_t target_id, const ColumnGrid& grid,
                         std::vector<Column>& out) {
    out.assign(grid.n, Column{});
    for (const auto& f : frames) {
        if (f.target_id != target_id) continue;
        add_frame_to_grid(f, grid, out);
    }
}

}  // namespace zzp::viewer

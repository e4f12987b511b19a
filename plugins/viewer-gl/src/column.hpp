// What one pixel column shows, how time maps to columns, and how frames and summary nodes land
// in columns. Shared by every data source and by the brute-force reference, so LOD and raw
// renders bin time identically.
#pragma once

#include <zzprobe/frame.h>

#include <cstdint>
#include <vector>

namespace zzp::rec {
struct Summary;
}

namespace zzp::viewer {

// A compact summary of frames over [start_ns, start_ns + width_ns): one frame (frames = 1,
// width = its interval) or a bucket of a pyramid level. Only what the plot draws, so a month of
// nodes stays small and a query streams through little memory (88 bytes, vs. 136 for a frame
// and 352 for a stored pyramid node; "received" is left out: the plot draws sent, lost, errors).
struct Node {
    int64_t start_ns = 0, width_ns = 0;
    uint32_t frames = 0, q_count = 0;  // q_count: frames with RTT statistics
    uint64_t sent = 0, lost = 0, errors = 0;
    int64_t min = INT64_MAX, max = INT64_MIN;
    int64_t q25_sum = 0, q50_sum = 0, q75_sum = 0;

    static Node of(const zzp_frame& f);
    static Node of(const rec::Summary& s, int64_t width_ns);
    void merge(const Node& o);  // same bucket: counts and statistics compose
};

// What one pixel column of one host shows. Composes exactly from frames and pyramid nodes:
// the envelope is min of minima and max of maxima; the band and the median line are the mean
// of the frames' p25 / p50 / p75 (percentiles do not compose; see docs/VIEWER.md).
struct Column {
    uint64_t frames = 0;
    uint64_t sent = 0, lost = 0, errors = 0;
    int64_t min = INT64_MAX, max = INT64_MIN;
    int64_t q25_sum = 0, q50_sum = 0, q75_sum = 0;
    uint64_t q_count = 0;  // frames with RTT statistics
    // Zoomed in past one frame per column, a frame covers several columns: the first holds its
    // counts, the others see it as "spill" (drawn, but not counted twice in summaries). Data
    // drawn from a coarser level while the exact one is still being read is spill too.
    uint64_t spill_frames = 0, spill_sent = 0, spill_lost = 0, spill_errors = 0;

    void add(const zzp_frame& f) { add(Node::of(f)); }
    void add_spill(const zzp_frame& f) { add_spill(Node::of(f)); }
    void add(const Node& n);
    void add_spill(const Node& n);
    void add(const rec::Summary& s);
    bool any_frames() const { return frames + spill_frames > 0; }
    bool has_rtt() const { return q_count > 0; }
    double q25() const { return static_cast<double>(q25_sum) / static_cast<double>(q_count); }
    double q50() const { return static_cast<double>(q50_sum) / static_cast<double>(q_count); }
    double q75() const { return static_cast<double>(q75_sum) / static_cast<double>(q_count); }
    bool operator==(const Column&) const = default;

private:
    void add_rtt(const Node& n);
};

// Column edges: column i covers [edge(i), edge(i+1)).
struct ColumnGrid {
    int64_t t0 = 0, t1 = 1;
    size_t n = 1;
    // Edges rounded to multiples of `snap` (a pyramid bucket width): every column is then a
    // whole number of buckets, so LOD columns are exact; the time error is < snap / 2.
    int64_t snap = 0;
    int64_t edge(size_t i) const;
    // Column of time t, or -1 outside.
    long column_of(int64_t t) const;
    // Every edge (n + 1): a query walks sorted nodes against these instead of dividing per node.
    std::vector<int64_t> edges() const;
    // True when every edge is a multiple of w (columns are whole buckets of width w).
    bool aligned_to(int64_t w) const;
};

// Places sorted nodes into columns by walking the precomputed edges (nodes must come in
// increasing start order between calls to reset()).
class ColumnWalker {
public:
    ColumnWalker(const ColumnGrid& grid, std::vector<Column>& out);
    void reset() { c_ = 0; }
    // A frame: counts to the column of its start, spill to the others it overlaps. Returns
    // whether it touched a column.
    bool add_frame(const Node& f);
    // A bucket of an exact level: all of it to the column holding its midpoint.
    bool add_bucket(const Node& b);
    // A bucket that lies inside one column (every child of it would go there too): adds it and
    // returns true; otherwise leaves the columns as they were and returns false.
    bool add_whole(const Node& b);
    // A coarser bucket standing in for data not read yet, clipped to [lo, hi): spill to every
    // column it overlaps, so nothing shows as a gap while it is refined.
    void add_stand_in(const Node& b, int64_t lo, int64_t hi);
    int64_t lo() const { return e_.front(); }
    int64_t hi() const { return e_.back(); }

private:
    long seek(int64_t t);  // column holding t (walks forward, or searches when t went back)
    std::vector<int64_t> e_;
    std::vector<Column>& out_;
    size_t c_ = 0;
};

// Add frame f to every column its interval overlaps (counts to the first). Returns columns touched.
int add_frame_to_grid(const zzp_frame& f, const ColumnGrid& grid, std::vector<Column>& out);

// Brute force over frames (the reference the tests compare against, and the "raw" render).
void brute_force_columns(const std::vector<zzp_frame>& frames, uint32_t target_id, const ColumnGrid& grid,
                         std::vector<Column>& out);

}  // namespace zzp::viewer

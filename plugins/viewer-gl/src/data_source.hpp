// Where the viewer's data comes from: recordings (through zzp_recording's pyramid) or live
// frames (a udp-stream subscription or the pipeline itself). The renderer only ever asks for
// one summary per pixel column, so its cost follows the plot width, not the data length.
#pragma once

#include <zzprobe/frame.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace zzp::rec {
class Recording;
struct Summary;
}  // namespace zzp::rec

namespace zzp::viewer {

// What one pixel column of one host shows. Composes exactly from frames and pyramid nodes:
// the envelope is min of minima and max of maxima; the band and the median line are the mean
// of the frames' p25 / p50 / p75 (percentiles do not compose; see docs/VIEWER.md).
struct Column {
    uint64_t frames = 0;
    uint64_t sent = 0, received = 0, lost = 0, errors = 0;
    int64_t min = INT64_MAX, max = INT64_MIN;
    int64_t q25_sum = 0, q50_sum = 0, q75_sum = 0;
    uint64_t q_count = 0;  // frames with RTT statistics
    // Zoomed in past one frame per column, a frame covers several columns: the first holds its
    // counts, the others see it as "spill" (drawn, but not counted twice in summaries).
    uint64_t spill_frames = 0, spill_sent = 0, spill_lost = 0, spill_errors = 0;

    void add(const zzp_frame& f);
    void add_spill(const zzp_frame& f);
    bool any_frames() const { return frames + spill_frames > 0; }
    void add(const rec::Summary& s);
    void merge(const Column& o);
    bool has_rtt() const { return q_count > 0; }
    double q25() const { return static_cast<double>(q25_sum) / static_cast<double>(q_count); }
    double q50() const { return static_cast<double>(q50_sum) / static_cast<double>(q_count); }
    double q75() const { return static_cast<double>(q75_sum) / static_cast<double>(q_count); }
    bool operator==(const Column&) const = default;
};

struct HostInfo {
    std::string name, address, method, probe;
    int64_t interval_ns = 100'000'000;
    std::string label() const;
};

struct QueryStats {
    uint64_t nodes_read = 0;      // pyramid nodes merged
    uint64_t frames_read = 0;     // level-0 frames merged
    uint64_t chunks_decoded = 0;  // frame chunks decoded (cache misses)
    int level = 0;                // pyramid level used (last query)
};

// Column edges: column i covers [edge(i), edge(i+1)). Shared by every source and by the brute
// force reference, so LOD and raw renders bin time identically.
struct ColumnGrid {
    int64_t t0 = 0, t1 = 1;
    size_t n = 1;
    // Edges rounded to multiples of `snap` (a pyramid bucket width): every column is then a
    // whole number of buckets, so LOD columns are exact; the time error is < snap / 2.
    int64_t snap = 0;
    int64_t edge(size_t i) const;
    // Column of time t, or -1 outside.
    long column_of(int64_t t) const;
};

class DataSource {
public:
    virtual ~DataSource() = default;
    virtual std::vector<HostInfo> hosts() = 0;
    // Time span covered by data; false when there is none yet.
    virtual bool extent(int64_t& t0, int64_t& t1) = 0;
    // One column per grid cell for host `h`.
    virtual void columns(size_t h, const ColumnGrid& grid, std::vector<Column>& out, QueryStats& stats) = 0;
    // The frame of host h whose interval holds t (exact values, for the tooltip).
    virtual std::optional<zzp_frame> frame_at(size_t h, int64_t t) = 0;
    // Human-readable problems with the data (damaged files, silent stream), one line each.
    virtual std::vector<std::string> problems() = 0;
    // Bumped whenever new data arrived (live sources).
    virtual uint64_t version() { return 0; }
    // Monotonic time (ns) of the last arrival, 0 if never; live sources only.
    virtual int64_t last_arrival_mono_ns() { return 0; }
    virtual bool live() const { return false; }
    // The edge rounding columns of width column_ns should use for host h (0 = none).
    virtual int64_t snap_for(size_t /*h*/, int64_t /*column_ns*/) { return 0; }
};

// Add frame f to every column its interval overlaps (counts to the first). Returns columns touched.
int add_frame_to_grid(const zzp_frame& f, const ColumnGrid& grid, std::vector<Column>& out);

// Brute force over frames (the reference the tests compare against, and the "raw" render).
void brute_force_columns(const std::vector<zzp_frame>& frames, uint32_t target_id, const ColumnGrid& grid,
                         std::vector<Column>& out);

// Recordings: files, folders; damaged files are opened as far as they are readable and
// unreadable ones are listed in problems() instead of aborting.
class FileSource final : public DataSource {
public:
    // lod = false: every column from decoded frames (the raw render, for tests and comparison).
    explicit FileSource(const std::vector<std::string>& paths, bool lod = true);
    ~FileSource() override;
    std::vector<HostInfo> hosts() override;
    bool extent(int64_t& t0, int64_t& t1) override;
    void columns(size_t h, const ColumnGrid& grid, std::vector<Column>& out, QueryStats& stats) override;
    std::optional<zzp_frame> frame_at(size_t h, int64_t t) override;
    std::vector<std::string> problems() override { return problems_; }
    int64_t snap_for(size_t h, int64_t column_ns) override;
    // Pyramid level the column query uses for a column width (coarsest whose buckets are at
    // most a quarter of a column; 0 = frames).
    static int level_for(int64_t interval_ns, int64_t column_ns);

private:
    const std::vector<zzp_frame>& chunk_frames(size_t file, size_t chunk, QueryStats& stats);
    void frames_columns(size_t h, const ColumnGrid& grid, std::vector<Column>& out, QueryStats& stats);

    std::unique_ptr<rec::Recording> rec_;
    std::vector<HostInfo> hosts_;
    std::vector<std::string> problems_;
    bool lod_;
    // Small cache of decoded chunks, keyed by (file, chunk index).
    std::map<std::pair<size_t, size_t>, std::pair<uint64_t, std::vector<zzp_frame>>> cache_;
    uint64_t cache_tick_ = 0;
};

// Live frames kept in memory per host (bounded by `retain_ns`), newest revision wins.
class LiveSource final : public DataSource {
public:
    explicit LiveSource(int64_t retain_ns);
    // Thread-safe producers (network or pipeline thread).
    void add_target(uint32_t id, const HostInfo& info);
    void add_frame(const zzp_frame& f, int64_t arrival_mono_ns);
    void set_problem(const std::string& key, const std::string& text);  // empty text clears
    void set_on_change(std::function<void()> f);

    std::vector<HostInfo> hosts() override;
    bool extent(int64_t& t0, int64_t& t1) override;
    void columns(size_t h, const ColumnGrid& grid, std::vector<Column>& out, QueryStats& stats) override;
    std::optional<zzp_frame> frame_at(size_t h, int64_t t) override;
    std::vector<std::string> problems() override;
    uint64_t version() override;
    int64_t last_arrival_mono_ns() override;
    bool live() const override { return true; }
    // Earliest arrival (mono ns) of data not yet taken by take_pending_arrival; 0 if none.
    int64_t take_pending_arrival();

private:
    struct Host {
        uint32_t id = 0;
        HostInfo info;
        std::vector<zzp_frame> frames;  // sorted by start
    };
    Host& host_for(uint32_t id);
    mutable std::mutex mutex_;
    int64_t retain_ns_;
    std::vector<Host> hosts_;
    std::map<std::string, std::string> problems_;
    std::function<void()> on_change_;
    uint64_t version_ = 0;
    int64_t last_arrival_ = 0;
    int64_t pending_arrival_ = 0;
};

}  // namespace zzp::viewer

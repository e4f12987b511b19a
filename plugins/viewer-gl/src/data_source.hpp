// Where the viewer's data comes from: recordings (file_source.hpp, through zzp_recording's
// pyramid) or live frames (live_source.hpp: a udp-stream subscription or the pipeline itself).
// The renderer only ever asks for one summary per pixel column, so its cost follows the plot
// width, not the data length.
#pragma once

#include <zzprobe/frame.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "column.hpp"
#include "query_stats.hpp"

namespace zzp::viewer {

struct HostInfo {
    std::string name, address, method, probe;
    int64_t interval_ns = 100'000'000;
    std::string label() const;
};

class DataSource {
public:
    virtual ~DataSource() = default;
    virtual std::vector<HostInfo> hosts() = 0;
    // Time span covered by data; false when there is none yet.
    virtual bool extent(int64_t& t0, int64_t& t1) = 0;
    // A new set of column queries (one frame): what it touches stays cached while it runs.
    virtual void begin_query() {}
    // One column per grid cell for host `h`. Decoding stops at stats.deadline_ns: what was not
    // read by then is drawn from a coarser level (as spill) and counted in stats.pending.
    virtual void columns(size_t h, const ColumnGrid& grid, std::vector<Column>& out, QueryStats& stats) = 0;
    // After the frame's column queries: housekeeping of what they read (counted as decode time).
    virtual void end_query(QueryStats& /*stats*/) {}
    // The frame of host h whose interval holds t (exact values, for the tooltip).
    virtual std::optional<zzp_frame> frame_at(size_t h, int64_t t) = 0;
    // Human-readable problems with the data (damaged files, silent stream), one line each.
    virtual std::vector<std::string> problems() = 0;
    // Bumped whenever new data arrived (live sources).
    virtual uint64_t version() { return 0; }
    // Monotonic time (ns) of the last arrival, 0 if never; live sources only.
    virtual int64_t last_arrival_mono_ns() { return 0; }
    virtual bool live() const { return false; }
    // Earliest arrival (mono ns) of data not yet drawn, then 0 until more arrives; live only.
    virtual int64_t take_pending_arrival() { return 0; }
    // The edge rounding columns of width column_ns should use for host h (0 = none).
    virtual int64_t snap_for(size_t /*h*/, int64_t /*column_ns*/) { return 0; }
};

}  // namespace zzp::viewer

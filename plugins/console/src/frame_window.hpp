// Per-target statistics over the most recent `window` of frames, computed so that every ratio
// compares like with like (the original tool divided ~20 s of losses by ~1 s of replies).
//
// Frames arrive live (revision 0, 1, ...) and again when final; only the latest revision of
// each interval counts. The window ends at the end of the newest frame received (the "data
// clock"), or, when frames stop arriving, at now - (1 s + one interval), so a silent pipeline
// ages out to "no data" instead of freezing its last numbers. Formulas: README.md.
#pragma once

#include <zzprobe/zzprobe.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace zzp::console {

struct TargetSummary {
    uint32_t id = 0;
    std::string name;
    std::string address;
    bool has_data = false;             // at least one frame in the window
    double sent_per_s = 0;             // valid when has_data
    double replies_per_s = 0;          // valid when has_data
    int64_t rtt_p50_ns = -1;           // -1: no replies in the window
    int64_t rtt_p99ish_ns = -1;        // max over the window's frames of their p87.5; -1: no replies
    int64_t rtt_mean_ns = -1;          // -1: no replies
    double loss_fraction = -1;         // (lost + errors) / settled over fully settled frames; -1: none
    uint64_t settled = 0;              // the denominator of loss_fraction
    int64_t since_last_reply_ns = -1;  // -1: never replied
    uint64_t in_flight = 0;            // attempts sent in the window and not settled yet
};

class FrameWindow {
public:
    explicit FrameWindow(int64_t window_ns = 5'000'000'000) : window_ns_(window_ns) {}

    void set_target(uint32_t id, const std::string& name, const std::string& address);
    void add(const zzp_frame& frame);
    // One summary per known target, in id order. Also forgets frames that left the window.
    std::vector<TargetSummary> summarize(int64_t now_wall_ns);

    int64_t window_ns() const { return window_ns_; }
    uint64_t malformed_frames() const { return malformed_frames_; }

private:
    struct Target {
        std::string name;
        std::string address;
        std::map<int64_t, zzp_frame> frames;    // by interval start; the latest revision of each
        int64_t first_start_ns = INT64_MAX;     // the earliest interval ever seen
        int64_t last_reply_end_ns = INT64_MIN;  // end of the newest interval with a reply
        int64_t interval_ns = 0;
    };
    Target& target(uint32_t id);
    TargetSummary summarize_target(uint32_t id, Target& t, int64_t window_end_ns, int64_t now_wall_ns) const;

    int64_t window_ns_;
    std::map<uint32_t, Target> targets_;
    int64_t data_end_ns_ = INT64_MIN;  // end of the newest interval received, any target
    int64_t max_interval_ns_ = 0;
    uint64_t malformed_frames_ = 0;
};

// The q-quantile (0..1) of the RTT distribution of several frames, each described by its 7
// quantiles and weighted by its reply count: the mixture of the frames' piecewise-linear CDFs.
// Exact for one frame; -1 when no frame has replies.
int64_t pooled_rtt_quantile(const std::vector<const zzp_frame*>& frames, double q);

}  // namespace zzp::console

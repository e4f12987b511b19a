// Builds frames (sdk/include/zzprobe/frame.h) from samples (sample.h).
//
// Semantics, in the words of the headers plus the choices they leave open:
//  - Intervals are aligned to interval_ns on the wall clock; an attempt belongs to the frame
//    whose interval holds its send time (sent_wall_ns).
//  - SENT counts the attempt as sent + pending. A settling sample (REPLY, LOST, SEND_ERROR,
//    NET_ERROR) whose SENT was seen turns pending into its outcome; one never announced counts
//    as sent + outcome.
//  - LATE and DUPLICATE events count in the frame of their send time while that frame is not
//    final. Once it is final they (and settles arriving after a final frame) are counted in
//    counters() instead; the pipeline logs those counts once per minute. Stored frames are
//    final and never change, so this is where the line has to be drawn. Probes that announce
//    SENT keep frames open until their attempts settle; a probe that does not announce gets
//    its frames finalised at the first interval end after which nothing is pending.
//  - reordered counts REPLY samples carrying ZZP_SAMPLE_F_REORDERED.
//  - Publication (advance): when an interval ends, every target with attempts in it gets
//    revision 0. If nothing is pending that publication is already FINAL (one frame, the usual
//    case). Otherwise a FINAL revision follows as soon as pending reaches 0, or at interval end
//    + settle_timeout with FINAL|FORCED and the unsettled attempts counted as lost. Between
//    those, changes to a live frame are republished at most once per interval tick.
//  - An interval in which a target had no attempts (e.g. its probe was stopped) gets no frame:
//    a gap, not zeros.
//
// Not thread-safe: one thread (the pipeline's) drives it, or a benchmark directly through
// push() + advance() without threads. No allocation per sample in steady state.
#pragma once

#include <zzprobe/frame.h>
#include <zzprobe/sample.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "pipeline/rtt_summary.hpp"
#include "pipeline/seq_ring.hpp"

namespace zzp::host {

// The largest multiple of step (> 0) not above t, for negative t too.
inline int64_t align_down(int64_t t, int64_t step) {
    const int64_t r = t % step;
    return t - (r < 0 ? r + step : r);
}

struct FrameBuilderOptions {
    int64_t interval_ns = 100'000'000;
    int64_t settle_timeout_ns = 5'000'000'000;
};

// Events that could not be counted in a frame because it was already final, and records the
// builder refused. Monotonic.
struct FrameBuilderCounters {
    uint64_t samples = 0;                 // every record pushed
    uint64_t late_after_final = 0;        // LATE events for a final frame
    uint64_t duplicates_after_final = 0;  // DUPLICATE events for a final frame
    uint64_t settled_after_final = 0;     // SENT or settles for an interval already final
    uint64_t repeated_records = 0;        // a second SENT or settle for the same seq (probe bug)
    uint64_t invalid = 0;                 // target id 0 or an unknown status
    uint64_t untracked_announcements = 0; // SENT with a sequence that went back or jumped > 2^20
    uint64_t forced_frames = 0;           // frames finalised by the settle deadline
};

class FrameBuilder {
public:
    static constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

    explicit FrameBuilder(FrameBuilderOptions options);

    // Account samples (any status; SENT included).
    void push(const zzp_sample* samples, size_t count);

    // Publish what is due at wall time `now` by appending frames to `out`.
    void advance(int64_t now_wall_ns, std::vector<zzp_frame>& out);

    // Finalise every open frame now (FORCED where attempts are still pending): the stop path.
    void finalize_all(std::vector<zzp_frame>& out);

    // Wall time at which advance() has work next (kNever when nothing is open). Samples pushed
    // since the last advance() may make it earlier: call advance() after push().
    int64_t next_deadline() const { return next_deadline_; }

    const FrameBuilderCounters& counters() const { return counters_; }
    size_t open_frames() const;
    int64_t interval_ns() const { return options_.interval_ns; }

    // Start of the interval holding wall time t.
    int64_t interval_start(int64_t t) const { return align_down(t, options_.interval_ns); }

private:
    struct OpenFrame {
        int64_t start_ns = 0;
        uint32_t sent = 0, received = 0, lost = 0, errors = 0, late = 0, duplicates = 0, reordered = 0, pending = 0;
        std::vector<RttPoint> rtts;
        uint32_t next_revision = 0;
        bool published = false;  // revision 0 went out
        bool changed = false;    // modified since the last publication
        int64_t next_revision_ns = 0;
    };
    struct TargetState {
        std::vector<OpenFrame> frames;  // sorted by start, only intervals with attempts
        SeqRing attempts;
        int64_t last_final_start_ns = std::numeric_limits<int64_t>::min();
        bool active = false;  // listed in active_
        bool dirty = false;   // listed in dirty_
    };

    void account(const zzp_sample& s);
    OpenFrame* find_frame(TargetState& t, int64_t start_ns);
    OpenFrame* find_or_open_frame(TargetState& t, uint32_t id, int64_t start_ns);
    void count_outcome(OpenFrame& f, const zzp_sample& s);
    void mark_changed(TargetState& t, uint32_t id, OpenFrame& f);
    int64_t process_target(uint32_t id, int64_t now, std::vector<zzp_frame>& out);
    void publish(uint32_t id, OpenFrame& f, uint32_t flags, std::vector<zzp_frame>& out);
    void force(TargetState& t, OpenFrame& f);
    void retire(TargetState& t, size_t index);

    FrameBuilderOptions options_;
    FrameBuilderCounters counters_;
    std::vector<TargetState> targets_;  // indexed by target id
    std::vector<uint32_t> active_;      // targets with open frames
    std::vector<uint32_t> dirty_;       // targets whose ended frames changed since advance()
    std::vector<std::vector<RttPoint>> rtt_pool_;  // recycled RTT buffers
    std::vector<int64_t> scratch_;
    int64_t last_now_ = std::numeric_limits<int64_t>::min();
    int64_t next_deadline_ = kNever;
};

}  // namespace zzp::host

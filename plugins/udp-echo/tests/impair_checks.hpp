// Compares a probe's samples with the impairing relay's log (its ground truth): what it
// dropped must be LOST, what it delayed past the timeout LOST then LATE, what it duplicated
// must show a DUPLICATE, RTTs must match the delay it added, and replies it reordered must be
// flagged REORDERED. Attempts whose delay is within `margin` of the timeout are ambiguous on a
// loaded machine and skipped.
#pragma once

#include <algorithm>
#include <fstream>
#include <sstream>

#include "sample_checks.hpp"

namespace zzp::udp_echo::test {

struct RelayAction {
    int copies = 0;
    int64_t delay_ns = 0;
};

inline std::map<uint64_t, RelayAction> read_relay_log(const std::string& path) {
    std::map<uint64_t, RelayAction> out;
    std::ifstream in(path);
    uint64_t seq;
    RelayAction a;
    while (in >> seq >> a.copies >> a.delay_ns) out[seq] = a;
    return out;
}

struct ImpairReport {
    size_t checked = 0, skipped = 0;
    size_t dropped = 0, late = 0, duplicated = 0, reordered_expected = 0;
    std::vector<int64_t> rtt_excess;  // rtt - relay delay, per checked reply
    size_t rtt_outliers = 0;          // replies whose excess is beyond the tolerance
    size_t reorder_mismatches = 0;    // REORDERED flag disagrees with a clear-cut prediction
    std::vector<std::string> problems;
};

inline ImpairReport compare_with_relay(const std::vector<zzp_sample>& samples,
                                       const std::map<uint64_t, RelayAction>& relay, int64_t timeout_ns,
                                       int64_t margin_ns, int64_t rtt_tolerance_ns) {
    ImpairReport r;
    Lives lives;
    std::string stream = check_sample_stream(samples, &lives);
    if (!stream.empty()) r.problems.push_back(stream);
    std::map<uint64_t, int64_t> send_wall;  // single target: seq -> send time
    int64_t last_sent_wall = 0;
    for (const zzp_sample& s : samples) {
        if (s.status != ZZP_SAMPLE_SENT) continue;
        send_wall[s.seq] = s.sent_wall_ns;
        last_sent_wall = std::max(last_sent_wall, s.sent_wall_ns);
    }
    // The probe stops once the last attempts time out: a reply due after that is never seen.
    const int64_t observed_until = last_sent_wall + timeout_ns - margin_ns;
    // Predicted arrival of each answered request (send + relay delay); loopback adds ~nothing.
    std::vector<std::pair<int64_t, uint64_t>> arrivals;
    for (const auto& [seq, a] : relay)
        if (a.copies > 0 && a.delay_ns < timeout_ns - margin_ns && send_wall.count(seq))
            arrivals.push_back({send_wall[seq] + a.delay_ns, seq});
    std::sort(arrivals.begin(), arrivals.end());
    for (const auto& [key, life] : lives) {
        uint64_t seq = key.second;
        auto it = relay.find(seq);
        auto problem = [&](const std::string& what) {
            r.problems.push_back("seq " + std::to_string(seq) + ": " + what);
        };
        if (it == relay.end()) {
            // Sent at the very end, after the relay read its last datagram: must be LOST.
            if (life.settle_status != ZZP_SAMPLE_LOST) problem("not in the relay log yet not LOST");
            continue;
        }
        const RelayAction& a = it->second;
        bool near_timeout = std::llabs(a.delay_ns - timeout_ns) < margin_ns ||
                            std::llabs(a.delay_ns + 1000000 - timeout_ns) < margin_ns;
        bool after_the_end = send_wall.count(seq) && send_wall[seq] + a.delay_ns + 1000000 > observed_until;
        if (near_timeout || (after_the_end && a.delay_ns > timeout_ns)) {
            ++r.skipped;
            continue;
        }
        ++r.checked;
        if (a.copies == 0) {
            ++r.dropped;
            if (life.settle_status != ZZP_SAMPLE_LOST || life.late || life.duplicates)
                problem("dropped but not just LOST");
            continue;
        }
        if (a.delay_ns > timeout_ns) {
            ++r.late;
            if (life.settle_status != ZZP_SAMPLE_LOST || life.late != 1)
                problem("delayed past the timeout but not LOST+LATE");
            if (life.duplicates != a.copies - 1) problem("wrong duplicate count after LATE");
            continue;
        }
        if (life.settle_status != ZZP_SAMPLE_REPLY) {
            problem("answered in time but settled " + std::to_string(life.settle_status));
            continue;
        }
        if (a.copies == 2) ++r.duplicated;
        if (life.duplicates != a.copies - 1)
            problem("copies " + std::to_string(a.copies) + " but duplicates " + std::to_string(life.duplicates));
        int64_t excess = life.rtt - a.delay_ns;
        r.rtt_excess.push_back(excess);
        // Never shorter than the delay the relay added. Longer by more than the tolerance only
        // when a process was not scheduled in time (a loaded machine): counted, bounded by callers.
        if (excess < -500000)
            problem("rtt " + std::to_string(life.rtt) + " shorter than the relay delay " + std::to_string(a.delay_ns));
        else if (excess > rtt_tolerance_ns)
            ++r.rtt_outliers;
        // Reordering: certain when a later seq was due to arrive clearly (> 8 ms) earlier;
        // certainly not when every later seq arrives clearly later. The relay itself may be
        // descheduled for a few ms on a loaded machine, hence the margin and a small allowance.
        const int64_t clear = 8000000;
        int64_t mine = send_wall[seq] + a.delay_ns;
        bool certainly_reordered = false, maybe_reordered = false;
        for (const auto& [when, other] : arrivals) {
            if (other <= seq) continue;
            if (when < mine - clear) certainly_reordered = true;
            if (when < mine + clear) maybe_reordered = true;
        }
        bool flagged = life.flags & ZZP_SAMPLE_F_REORDERED;
        if (certainly_reordered) ++r.reordered_expected;
        if ((certainly_reordered && !flagged) || (!maybe_reordered && flagged)) ++r.reorder_mismatches;
    }
    return r;
}

inline int64_t median(std::vector<int64_t> v) {
    if (v.empty()) return -1;
    std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
    return v[v.size() / 2];
}

inline std::string summary(const ImpairReport& r) {
    std::ostringstream s;
    s << "checked " << r.checked << " (skipped " << r.skipped << " near the timeout): dropped " << r.dropped
      << ", late " << r.late << ", duplicated " << r.duplicated << ", reordered " << r.reordered_expected
      << ", median rtt excess " << median(r.rtt_excess) << " ns, rtt outliers " << r.rtt_outliers
      << ", reorder mismatches " << r.reorder_mismatches << "; problems " << r.problems.size();
    for (size_t i = 0; i < r.problems.size() && i < 10; ++i) s << "\n  " << r.problems[i];
    return s.str();
}

}  // namespace zzp::udp_echo::test

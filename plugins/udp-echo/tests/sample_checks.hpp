// Checks on a probe's sample stream that every udp-echo test applies (sample.h semantics):
// per attempt a SENT first, exactly one settling record, then only LATE (after LOST) or
// DUPLICATE (after a reply) events; sequences per target increase without gaps.
#pragma once

#include <zzprobe/sample.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace zzp::udp_echo::test {

struct AttemptLife {
    bool sent = false;
    int settled = 0;
    uint16_t settle_status = 0;
    int late = 0, duplicates = 0;
    int64_t rtt = -1;
    uint16_t flags = 0;
};

using Lives = std::map<std::pair<uint32_t, uint64_t>, AttemptLife>;

// Returns "" when the stream is consistent, else the first problem found.
inline std::string check_sample_stream(const std::vector<zzp_sample>& samples, Lives* lives_out = nullptr) {
    Lives lives;
    std::map<uint32_t, uint64_t> last_sent;
    for (const zzp_sample& s : samples) {
        AttemptLife& a = lives[{s.target_id, s.seq}];
        std::string where = "target " + std::to_string(s.target_id) + " seq " + std::to_string(s.seq) + ": ";
        switch (s.status) {
            case ZZP_SAMPLE_SENT:
                if (a.sent) return where + "SENT twice";
                if (last_sent.count(s.target_id) && s.seq != last_sent[s.target_id] + 1)
                    return where + "sequence gap after " + std::to_string(last_sent[s.target_id]);
                last_sent[s.target_id] = s.seq;
                a.sent = true;
                break;
            case ZZP_SAMPLE_REPLY:
            case ZZP_SAMPLE_LOST:
            case ZZP_SAMPLE_SEND_ERROR:
            case ZZP_SAMPLE_NET_ERROR:
                if (!a.sent) return where + "settled before SENT";
                if (a.settled++) return where + "settled twice";
                a.settle_status = s.status;
                if (s.status == ZZP_SAMPLE_REPLY) {
                    if (s.rtt_ns <= 0) return where + "REPLY without an RTT";
                    a.rtt = s.rtt_ns;
                    a.flags = s.flags;
                } else if (s.rtt_ns != -1) {
                    return where + "rtt set on a non-reply";
                }
                break;
            case ZZP_SAMPLE_LATE:
                if (a.settle_status != ZZP_SAMPLE_LOST || a.late) return where + "LATE not after LOST";
                ++a.late;
                break;
            case ZZP_SAMPLE_DUPLICATE:
                if (a.settle_status != ZZP_SAMPLE_REPLY && !a.late) return where + "DUPLICATE without a reply";
                ++a.duplicates;
                break;
            default:
                return where + "unknown status " + std::to_string(s.status);
        }
    }
    for (const auto& [key, a] : lives)
        if (a.settled != 1)
            return "target " + std::to_string(key.first) + " seq " + std::to_string(key.second) + " never settled";
    if (lives_out) *lives_out = std::move(lives);
    return "";
}

}  // namespace zzp::udp_echo::test

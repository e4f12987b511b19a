// A seeded, realistic sample stream for tests: per target, attempts with SENT announcements
// (most of them), replies with varied RTTs (some reordered), losses with an occasional LATE
// reply, send errors, duplicates. Returned in the order a probe would emit them.
#pragma once

#include <zzprobe/sample.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace zzp::test {

struct WorkloadOptions {
    uint32_t targets = 3;
    uint32_t first_target_id = 1;
    uint32_t attempts_per_target = 200;
    int64_t start_wall_ns = 1'700'000'000'000'000'000;
    int64_t spacing_ns = 20'000'000;  // 50 attempts/s per target
    uint32_t seed = 42;
};

inline std::vector<zzp_sample> make_workload(const WorkloadOptions& o) {
    std::mt19937_64 rng(o.seed);
    struct Timed {
        int64_t emit_at;
        uint64_t order;
        zzp_sample s;
    };
    std::vector<Timed> out;
    uint64_t order = 0;
    auto add = [&](int64_t at, zzp_sample s) { out.push_back({at, order++, s}); };
    for (uint32_t t = 0; t < o.targets; ++t) {
        const uint32_t id = o.first_target_id + t;
        for (uint32_t i = 0; i < o.attempts_per_target; ++i) {
            zzp_sample s{};
            s.seq = 1000 + i;
            s.target_id = id;
            s.sent_wall_ns = o.start_wall_ns + static_cast<int64_t>(i) * o.spacing_ns + static_cast<int64_t>(rng() % 1000);
            s.rtt_ns = -1;
            const bool announce = rng() % 10 != 0;
            if (announce) {
                s.status = ZZP_SAMPLE_SENT;
                add(s.sent_wall_ns, s);
            }
            const uint64_t roll = rng() % 100;
            if (roll < 80) {
                s.status = ZZP_SAMPLE_REPLY;
                s.rtt_ns = 5'000'000 + static_cast<int64_t>(rng() % 40'000'000);
                if (rng() % 8 == 0) s.flags = ZZP_SAMPLE_F_REORDERED;
                add(s.sent_wall_ns + s.rtt_ns, s);
                if (rng() % 20 == 0) {
                    zzp_sample d = s;
                    d.status = ZZP_SAMPLE_DUPLICATE;
                    d.flags = 0;
                    add(s.sent_wall_ns + s.rtt_ns + 1000, d);
                }
            } else if (roll < 95) {
                s.status = ZZP_SAMPLE_LOST;
                add(s.sent_wall_ns + 1'000'000'000, s);
                if (rng() % 4 == 0) {
                    zzp_sample l = s;
                    l.status = ZZP_SAMPLE_LATE;
                    l.rtt_ns = 1'200'000'000;
                    add(s.sent_wall_ns + l.rtt_ns, l);
                }
            } else {
                s.status = roll < 98 ? ZZP_SAMPLE_SEND_ERROR : ZZP_SAMPLE_NET_ERROR;
                s.detail = 101;
                add(s.sent_wall_ns + (s.status == ZZP_SAMPLE_SEND_ERROR ? 0 : 3'000'000), s);
            }
        }
    }
    std::stable_sort(out.begin(), out.end(), [](const Timed& a, const Timed& b) {
        return a.emit_at != b.emit_at ? a.emit_at < b.emit_at : a.order < b.order;
    });
    std::vector<zzp_sample> samples;
    for (auto& t : out) samples.push_back(t.s);
    return samples;
}

inline zzp_sample sample(uint32_t target, uint64_t seq, int64_t sent, zzp_sample_status status, int64_t rtt = -1,
                         uint16_t flags = 0) {
    zzp_sample s{};
    s.target_id = target;
    s.seq = seq;
    s.sent_wall_ns = sent;
    s.status = static_cast<uint16_t>(status);
    s.rtt_ns = rtt;
    s.flags = flags;
    return s;
}

}  // namespace zzp::test

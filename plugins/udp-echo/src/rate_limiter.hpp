// Per-source token buckets in a fixed-size table, so a flood from many (spoofed) sources costs
// no allocation: each source hashes to a small probe window; when the window is full the entry
// seen longest ago is recycled (that source simply starts again with a full bucket).
#pragma once

#include <cstdint>
#include <vector>

#include "net_address.hpp"

namespace zzp::udp_echo {

class RateLimiter {
public:
    // rate_per_s <= 0 disables limiting. burst: bucket depth in datagrams (>= 1).
    RateLimiter(double rate_per_s, double burst, size_t table_size = 4096);

    // Takes one token for `source` at time now_ns; false when the source is over its rate.
    bool admit(const HostKey& source, int64_t now_ns);

private:
    struct Bucket {
        HostKey key{};
        bool used = false;
        double tokens = 0;
        int64_t last_ns = 0;
    };
    static constexpr size_t kProbe = 8;
    double rate_per_ns_;
    double burst_;
    std::vector<Bucket> table_;
};

}  // namespace zzp::udp_echo

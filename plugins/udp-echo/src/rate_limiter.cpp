#include "rate_limiter.hpp"

#include <algorithm>

namespace zzp::udp_echo {
namespace {

size_t hash_key(const HostKey& k) {
    uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
    for (uint8_t b : k) h = (h ^ b) * 0x100000001b3ull;
    return static_cast<size_t>(h ^ (h >> 29));
}

}  // namespace

RateLimiter::RateLimiter(double rate_per_s, double burst, size_t table_size)
    : rate_per_ns_(rate_per_s / 1e9), burst_(std::max(1.0, burst)), table_(std::max(table_size, kProbe)) {}

bool RateLimiter::admit(const HostKey& source, int64_t now_ns) {
    if (rate_per_ns_ <= 0) return true;
    size_t start = hash_key(source) % table_.size();
    Bucket* slot = nullptr;
    Bucket* oldest = nullptr;
    for (size_t i = 0; i < kProbe; ++i) {
        Bucket& b = table_[(start + i) % table_.size()];
        if (b.used && b.key == source) {
            slot = &b;
            break;
        }
        if (!b.used) {
            if (!oldest || oldest->used) oldest = &b;
        } else if (!oldest || (oldest->used && b.last_ns < oldest->last_ns)) {
            oldest = &b;
        }
    }
    if (!slot) {
        slot = oldest;
        slot->used = true;
        slot->key = source;
        slot->tokens = burst_;
        slot->last_ns = now_ns;
    }
    if (now_ns > slot->last_ns) {
        slot->tokens = std::min(burst_, slot->tokens + static_cast<double>(now_ns - slot->last_ns) * rate_per_ns_);
        slot->last_ns = now_ns;
    }
    if (slot->tokens < 1.0) return false;
    slot->tokens -= 1.0;
    return true;
}

}  // namespace zzp::udp_echo

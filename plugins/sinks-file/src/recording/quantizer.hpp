// The linear-log quantizer of the original tool (ZZPING_REFERENCE.md): exact up to L = ceil(1/p)
// units, logarithmic above, so the relative error stays <= p/2 (plus one unit of rounding).
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace zzp::rec {

class Quantizer {
public:
    explicit Quantizer(double precision)
        : p_(precision), linear_limit_(static_cast<int64_t>(std::ceil(1.0 / precision))), g_(std::log1p(precision)) {
        // Decoding runs for every stored RTT; a table of the codes RTTs actually use (up to
        // hours at p = 0.01) keeps it a lookup instead of an exp().
        size_t n = static_cast<size_t>(linear_limit_) + 4096;
        table_.resize(n);
        for (size_t c = 0; c < n; ++c) table_[c] = decode_slow(static_cast<int64_t>(c));
    }

    double precision() const { return p_; }

    int64_t encode(int64_t v) const {
        int64_t a = v < 0 ? -v : v;
        if (a <= linear_limit_) return v;
        auto c = static_cast<int64_t>(std::llround(std::log(static_cast<double>(a) * p_) / g_)) + linear_limit_;
        return v < 0 ? -c : c;
    }
    int64_t decode(int64_t c) const {
        if (c >= 0 && static_cast<uint64_t>(c) < table_.size()) return table_[static_cast<size_t>(c)];
        return decode_slow(c);
    }
    // The decoding table, for bulk decoders: codes 0 .. table_size() − 1 decode to table()[code].
    const int64_t* table() const { return table_.data(); }
    uint64_t table_size() const { return table_.size(); }
    // What a stored value reads back as.
    int64_t round_trip(int64_t v) const { return decode(encode(v)); }

private:
    int64_t decode_slow(int64_t c) const {
        int64_t a = c < 0 ? -c : c;
        if (a <= linear_limit_) return c;
        double x = std::exp(static_cast<double>(a - linear_limit_) * g_) / p_;
        // A corrupt code must not overflow: clamp to the largest time an int64 holds.
        int64_t v = x >= 9.2e18 ? INT64_MAX : static_cast<int64_t>(std::llround(x));
        return c < 0 ? -v : v;
    }

    double p_;
    int64_t linear_limit_;
    double g_;
    std::vector<int64_t> table_;
};

}  // namespace zzp::rec

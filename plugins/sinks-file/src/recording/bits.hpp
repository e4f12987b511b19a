// Bit-level coding of frame columns (format version 2, docs/FORMAT.md "Frame chunks"): bits are
// packed LSB-first into bytes; integers are Rice codes with an escape for outliers.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include "format.hpp"

namespace zzp::rec {

// A Rice code word: q = u >> k zero bits, a one bit, then the low k bits of u. When q would be
// kRiceEscape or more: kRiceEscape zero bits, a one bit, 6 bits holding len − 1 (len = bit
// length of u, 1..64), then the len bits of u.
inline constexpr unsigned kRiceEscape = 16;
inline constexpr unsigned kRiceMaxK = 32;

// Cost in bits of u as a Rice code word with parameter k.
inline uint64_t rice_bits(uint64_t u, unsigned k) {
    uint64_t q = u >> k;
    if (q < kRiceEscape) return q + 1 + k;
    return kRiceEscape + 1 + 6 + static_cast<uint64_t>(64 - __builtin_clzll(u));
}

class BitWriter {
public:
    explicit BitWriter(std::string& out) : out_(out) {}
    // Append the low `bits` bits of v (bits <= 64).
    void put(uint64_t v, unsigned bits) {
        if (bits > 32) {
            put(v & 0xffffffffu, 32);
            put(v >> 32, bits - 32);
            return;
        }
        if (bits == 0) return;
        acc_ |= (v & ((uint64_t{1} << bits) - 1)) << n_;
        n_ += bits;
        while (n_ >= 8) {
            out_.push_back(static_cast<char>(acc_ & 0xff));
            acc_ >>= 8;
            n_ -= 8;
        }
    }
    void zeros(uint64_t count) {
        for (; count > 32; count -= 32) put(0, 32);
        put(0, static_cast<unsigned>(count));
    }
    void rice(uint64_t u, unsigned k) {
        uint64_t q = u >> k;
        if (q < kRiceEscape) {
            zeros(q);
            put(1, 1);
            put(u, k);
        } else {
            zeros(kRiceEscape);
            put(1, 1);
            unsigned len = 64 - static_cast<unsigned>(__builtin_clzll(u));
            put(len - 1, 6);
            put(u, len);
        }
    }
    // Pad the last byte with zero bits.
    void finish() {
        if (n_) out_.push_back(static_cast<char>(acc_ & 0xff));
        acc_ = 0;
        n_ = 0;
    }

private:
    std::string& out_;
    uint64_t acc_ = 0;
    unsigned n_ = 0;
};

// Reads a bit stream of `size` bytes at `data`. The caller guarantees that every byte from data
// up to limit + 8 can be read (the section is copied into a buffer with zero padding), so a
// refill is always one unaligned load. Corrupt input may read on into padding (or the next
// stream) but never past limit + 8; overran() then says so and the caller rejects the chunk.
class BitReader {
public:
    BitReader() = default;
    BitReader(const char* data, size_t size, const char* limit)
        : start_(reinterpret_cast<const uint8_t*>(data)), p_(start_), limit_(reinterpret_cast<const uint8_t*>(limit)),
          size_(size) {}

    uint64_t rice(unsigned k) {
        if (avail_ < kRiceEscape + 1 + kRiceMaxK) refill();
        // The sentinel bit caps the zero run at kRiceEscape.
        auto q = static_cast<unsigned>(__builtin_ctzll(buf_ | (uint64_t{1} << kRiceEscape)));
        if (q < kRiceEscape) [[likely]] {
            buf_ >>= q + 1;
            uint64_t u = (static_cast<uint64_t>(q) << k) | (buf_ & ((uint64_t{1} << k) - 1));
            buf_ >>= k;
            avail_ -= q + 1 + k;
            return u;
        }
        return escape();
    }
    uint64_t bits(unsigned n) {  // n <= 32
        if (avail_ < n) refill();
        uint64_t v = buf_ & ((uint64_t{1} << n) - 1);
        buf_ >>= n;
        avail_ -= n;
        return v;
    }
    // A Rice value for small k through a lookup table of the next kTableBits bits (see
    // rice_table()); falls back to rice() for long code words. Returns the zigzag-decoded value.
    int64_t rice_signed(const uint32_t* table, unsigned k) {
        if (avail_ < 16) refill();
        uint32_t e = table[buf_ & ((1u << kTableBits) - 1)];
        if (e & 0xff) [[likely]] {
            unsigned len = e & 0xff;
            buf_ >>= len;
            avail_ -= len;
            return static_cast<int32_t>(e) >> 8;
        }
        uint64_t u = rice(k);
        return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
    }
    static constexpr unsigned kTableBits = 10;
    static constexpr unsigned kTableMaxK = 8;
    // Table for parameter k <= kTableMaxK: entry = (zigzag-decoded value << 8) | code length,
    // or 0 when the code word is longer than kTableBits.
    static const uint32_t* rice_table(unsigned k) {
        static const auto tables = [] {
            std::array<std::array<uint32_t, 1u << kTableBits>, kTableMaxK + 1> t{};
            for (unsigned kk = 0; kk <= kTableMaxK; ++kk)
                for (uint32_t x = 0; x < (1u << kTableBits); ++x) {
                    auto q = static_cast<unsigned>(__builtin_ctz(x | (1u << kTableBits)));
                    if (q >= kRiceEscape || q + 1 + kk > kTableBits) continue;
                    uint32_t u = (q << kk) | ((x >> (q + 1)) & ((1u << kk) - 1));
                    int32_t v = static_cast<int32_t>(u >> 1) ^ -static_cast<int32_t>(u & 1);
                    t[kk][x] = static_cast<uint32_t>(v * 256) | (q + 1 + kk);
                }
            return t;
        }();
        return tables[k].data();
    }

    uint64_t consumed_bits() const { return static_cast<uint64_t>(p_ - start_) * 8 - avail_; }
    bool overran() const { return consumed_bits() > 8 * static_cast<uint64_t>(size_); }

private:
    void refill() {
        uint64_t w;
        std::memcpy(&w, p_, 8);  // little-endian hosts only (as the SDK requires)
        buf_ |= w << avail_;
        p_ += (63 - avail_) >> 3;
        avail_ |= 56;
        if (p_ > limit_) p_ = limit_;  // only on corrupt input; consumed_bits() then exceeds size
    }
    uint64_t escape() {
        buf_ >>= kRiceEscape + 1;
        avail_ -= kRiceEscape + 1;
        unsigned len = static_cast<unsigned>(bits(6)) + 1;
        if (len <= 32) return bits(len);
        uint64_t lo = bits(32);
        return lo | (bits(len - 32) << 32);
    }

    const uint8_t* start_ = nullptr;
    const uint8_t* p_ = nullptr;
    const uint8_t* limit_ = nullptr;
    size_t size_ = 0;
    uint64_t buf_ = 0;
    unsigned avail_ = 0;
};

}  // namespace zzp::rec

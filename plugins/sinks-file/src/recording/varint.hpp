// LEB128 varints and zigzag, the integer coding inside chunk columns (docs/FORMAT.md).
#pragma once

#include <cstdint>
#include <string>

#include "format.hpp"

namespace zzp::rec {

inline uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

inline void put_varint(std::string& out, uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}
inline void put_svarint(std::string& out, int64_t v) { put_varint(out, zigzag(v)); }

// Reads varints from a byte range; throws FormatError past the end (a corrupt chunk).
class VarintReader {
public:
    VarintReader(const char* data, size_t size) : p_(reinterpret_cast<const uint8_t*>(data)), end_(p_ + size) {}
    uint64_t u() {
        uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (p_ == end_) throw FormatError("column data ends inside a number", 0);
            uint8_t b = *p_++;
            v |= static_cast<uint64_t>(b & 0x7f) << shift;
            if (!(b & 0x80)) return v;
        }
        throw FormatError("a number in column data is longer than 64 bits", 0);
    }
    int64_t s() { return unzigzag(u()); }
    bool at_end() const { return p_ == end_; }

private:
    const uint8_t* p_;
    const uint8_t* end_;
};

}  // namespace zzp::rec

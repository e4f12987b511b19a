// A bounded MessagePack writer and reader for the stream protocol's fixed message shapes.
//
// Why not msgpack-c's unpacker: datagrams arrive from the network, the shapes are fixed and
// small, and history replay decodes ~700k frames a second. A reader that never allocates,
// checks every length against the datagram end and accepts any integer width (as the spec
// allows) is both faster and easier to fuzz. Tests cross-check the output with msgpack-c.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace zzp::stream {

class MsgWriter {
public:
    explicit MsgWriter(std::string& out) : out_(out) {}

    void array(uint32_t n) {
        if (n < 16) {
            byte(0x90 | n);
        } else if (n <= 0xffff) {
            byte(0xdc);
            be(n, 2);
        } else {
            byte(0xdd);
            be(n, 4);
        }
    }
    void nil() { byte(0xc0); }
    void boolean(bool v) { byte(v ? 0xc3 : 0xc2); }
    void uint(uint64_t v) {
        if (v < 128) {
            byte(static_cast<uint8_t>(v));
        } else if (v <= 0xff) {
            byte(0xcc);
            be(v, 1);
        } else if (v <= 0xffff) {
            byte(0xcd);
            be(v, 2);
        } else if (v <= 0xffffffffu) {
            byte(0xce);
            be(v, 4);
        } else {
            byte(0xcf);
            be(v, 8);
        }
    }
    void sint(int64_t v) {
        if (v >= 0) return uint(static_cast<uint64_t>(v));
        if (v >= -32) {
            byte(static_cast<uint8_t>(v));
        } else if (v >= INT8_MIN) {
            byte(0xd0);
            be(static_cast<uint64_t>(v), 1);
        } else if (v >= INT16_MIN) {
            byte(0xd1);
            be(static_cast<uint64_t>(v), 2);
        } else if (v >= INT32_MIN) {
            byte(0xd2);
            be(static_cast<uint64_t>(v), 4);
        } else {
            byte(0xd3);
            be(static_cast<uint64_t>(v), 8);
        }
    }
    void str(std::string_view s) {
        size_t n = s.size();
        if (n < 32) {
            byte(static_cast<uint8_t>(0xa0 | n));
        } else if (n <= 0xff) {
            byte(0xd9);
            be(n, 1);
        } else if (n <= 0xffff) {
            byte(0xda);
            be(n, 2);
        } else {
            byte(0xdb);
            be(n, 4);
        }
        out_.append(s);
    }
    void bin(std::string_view s) {
        size_t n = s.size();
        if (n <= 0xff) {
            byte(0xc4);
            be(n, 1);
        } else if (n <= 0xffff) {
            byte(0xc5);
            be(n, 2);
        } else {
            byte(0xc6);
            be(n, 4);
        }
        out_.append(s);
    }
    // Bytes that already are one complete MessagePack object (a pre-encoded record list).
    void raw(std::string_view encoded) { out_.append(encoded); }

private:
    void byte(uint8_t b) { out_.push_back(static_cast<char>(b)); }
    void be(uint64_t v, int bytes) {
        for (int i = bytes - 1; i >= 0; --i) byte(static_cast<uint8_t>(v >> (8 * i)));
    }
    std::string& out_;
};

// Reads one value at a time; every method returns false (and latches failure) on a type
// mismatch, an out-of-range integer or a length running past the end. Never allocates.
class MsgReader {
public:
    MsgReader(const void* data, size_t size)
        : p_(static_cast<const uint8_t*>(data)), begin_(p_), end_(p_ + size) {}
    explicit MsgReader(std::string_view s) : MsgReader(s.data(), s.size()) {}

    bool ok() const { return ok_; }
    bool at_end() const { return p_ == end_; }
    size_t offset() const { return static_cast<size_t>(p_ - begin_); }
    size_t remaining() const { return static_cast<size_t>(end_ - p_); }

    bool array(uint32_t& n) {
        uint8_t t;
        if (!peek_byte(t)) return fail();
        if ((t & 0xf0) == 0x90) {
            ++p_;
            n = t & 0x0f;
        } else if (t == 0xdc || t == 0xdd) {
            ++p_;
            uint64_t v;
            if (!be(v, t == 0xdc ? 2 : 4)) return fail();
            n = static_cast<uint32_t>(v);
        } else {
            return fail();
        }
        // Each element takes at least one byte: a cheap bound against absurd counts.
        if (n > remaining()) return fail();
        return true;
    }
    bool is_nil() const { return ok_ && p_ < end_ && *p_ == 0xc0; }
    bool nil() {
        if (!is_nil()) return fail();
        ++p_;
        return true;
    }
    bool boolean(bool& v) {
        uint8_t t;
        if (!peek_byte(t) || (t != 0xc2 && t != 0xc3)) return fail();
        ++p_;
        v = t == 0xc3;
        return true;
    }
    bool sint(int64_t& v) {
        uint8_t t;
        if (!peek_byte(t)) return fail();
        if (t < 0x80) {
            ++p_;
            v = t;
            return true;
        }
        if (t >= 0xe0) {
            ++p_;
            v = static_cast<int8_t>(t);
            return true;
        }
        uint64_t raw;
        switch (t) {
        case 0xcc: case 0xcd: case 0xce: case 0xcf: {
            ++p_;
            if (!be(raw, 1 << (t - 0xcc))) return fail();
            if (raw > static_cast<uint64_t>(INT64_MAX)) return fail();
            v = static_cast<int64_t>(raw);
            return true;
        }
        case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
            ++p_;
            int bytes = 1 << (t - 0xd0);
            if (!be(raw, bytes)) return fail();
            // Sign-extend from `bytes` wide.
            int shift = 64 - 8 * bytes;
            v = shift ? static_cast<int64_t>(raw << shift) >> shift : static_cast<int64_t>(raw);
            return true;
        }
        default:
            return fail();
        }
    }
    bool uint(uint64_t& v) {
        uint8_t t;
        if (!peek_byte(t)) return fail();
        if (t >= 0xcc && t <= 0xcf) {
            ++p_;
            return be(v, 1 << (t - 0xcc)) || fail();
        }
        int64_t s;
        if (!sint(s) || s < 0) return fail();
        v = static_cast<uint64_t>(s);
        return true;
    }
    template <class T>
    bool uint_as(T& out, uint64_t max) {
        uint64_t v;
        if (!uint(v) || v > max) return fail();
        out = static_cast<T>(v);
        return true;
    }
    bool str(std::string_view& s) {
        uint8_t t;
        if (!peek_byte(t)) return fail();
        uint64_t n;
        if ((t & 0xe0) == 0xa0) {
            ++p_;
            n = t & 0x1f;
        } else if (t >= 0xd9 && t <= 0xdb) {
            ++p_;
            if (!be(n, 1 << (t - 0xd9))) return fail();
        } else {
            return fail();
        }
        return take(n, s);
    }
    bool bin(std::string_view& s) {
        uint8_t t;
        if (!peek_byte(t) || t < 0xc4 || t > 0xc6) return fail();
        ++p_;
        uint64_t n;
        if (!be(n, 1 << (t - 0xc4))) return fail();
        return take(n, s);
    }
    // Skip one value of any type we produce (used for fields a newer minor may append).
    bool skip(int depth = 0) {
        uint8_t t;
        if (depth > 8 || !peek_byte(t)) return fail();
        if (t == 0xc0 || t == 0xc2 || t == 0xc3) return ++p_, true;
        if (t < 0x80 || t >= 0xe0 || (t >= 0xcc && t <= 0xd3)) {
            int64_t ignored_signed;
            uint64_t ignored_unsigned;
            return (t >= 0xcc && t <= 0xcf) ? uint(ignored_unsigned) : sint(ignored_signed);
        }
        std::string_view ignored;
        if ((t & 0xe0) == 0xa0 || (t >= 0xd9 && t <= 0xdb)) return str(ignored);
        if (t >= 0xc4 && t <= 0xc6) return bin(ignored);
        uint32_t n;
        if (!array(n)) return false;
        for (uint32_t i = 0; i < n; ++i)
            if (!skip(depth + 1)) return false;
        return true;
    }

private:
    bool fail() {
        ok_ = false;
        return false;
    }
    bool peek_byte(uint8_t& t) const {
        if (!ok_ || p_ >= end_) return false;
        t = *p_;
        return true;
    }
    bool be(uint64_t& v, int bytes) {
        if (remaining() < static_cast<size_t>(bytes)) return false;
        v = 0;
        for (int i = 0; i < bytes; ++i) v = (v << 8) | *p_++;
        return true;
    }
    bool take(uint64_t n, std::string_view& s) {
        if (n > remaining()) return fail();
        s = std::string_view(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
        p_ += n;
        return true;
    }

    const uint8_t* p_;
    const uint8_t* begin_;
    const uint8_t* end_;
    bool ok_ = true;
};

}  // namespace zzp::stream

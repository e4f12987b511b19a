// Small checked accessors over msgpack-c objects: a corrupt or foreign payload becomes a
// FormatError with a message, never a crash or an unchecked union read.
#pragma once

#include <msgpack.hpp>

#include <string>
#include <string_view>

#include "format.hpp"

namespace zzp::rec::mp {

inline const msgpack::object_array& array(const msgpack::object& o, const char* what, size_t min_size = 0) {
    if (o.type != msgpack::type::ARRAY || o.via.array.size < min_size)
        throw FormatError(std::string(what) + " is not an array of at least " + std::to_string(min_size) + " items", 0);
    return o.via.array;
}
inline int64_t integer(const msgpack::object& o, const char* what) {
    if (o.type == msgpack::type::POSITIVE_INTEGER) {
        if (o.via.u64 > static_cast<uint64_t>(INT64_MAX)) throw FormatError(std::string(what) + " is out of range", 0);
        return static_cast<int64_t>(o.via.u64);
    }
    if (o.type == msgpack::type::NEGATIVE_INTEGER) return o.via.i64;
    throw FormatError(std::string(what) + " is not an integer", 0);
}
inline uint64_t uinteger(const msgpack::object& o, const char* what) {
    if (o.type != msgpack::type::POSITIVE_INTEGER) throw FormatError(std::string(what) + " is not an unsigned integer", 0);
    return o.via.u64;
}
inline double number(const msgpack::object& o, const char* what) {
    if (o.type == msgpack::type::FLOAT32 || o.type == msgpack::type::FLOAT64) return o.via.f64;
    return static_cast<double>(integer(o, what));
}
inline std::string string(const msgpack::object& o, const char* what) {
    if (o.type != msgpack::type::STR) throw FormatError(std::string(what) + " is not a string", 0);
    return std::string(o.via.str.ptr, o.via.str.size);
}
inline std::string_view bin(const msgpack::object& o, const char* what) {
    if (o.type != msgpack::type::BIN) throw FormatError(std::string(what) + " is not binary data", 0);
    return std::string_view(o.via.bin.ptr, o.via.bin.size);
}
inline bool boolean(const msgpack::object& o, const char* what) {
    if (o.type != msgpack::type::BOOLEAN) throw FormatError(std::string(what) + " is not true/false", 0);
    return o.via.boolean;
}
// A map entry by key, or nullptr.
inline const msgpack::object* find(const msgpack::object& map, std::string_view key) {
    if (map.type != msgpack::type::MAP) return nullptr;
    for (uint32_t i = 0; i < map.via.map.size; ++i) {
        const auto& kv = map.via.map.ptr[i];
        if (kv.key.type == msgpack::type::STR && std::string_view(kv.key.via.str.ptr, kv.key.via.str.size) == key)
            return &kv.val;
    }
    return nullptr;
}
inline const msgpack::object& require(const msgpack::object& map, std::string_view key, const char* what) {
    const msgpack::object* o = find(map, key);
    if (!o) throw FormatError(std::string(what) + " has no '" + std::string(key) + "'", 0);
    return *o;
}
// Unpack one whole payload; trailing bytes or a parse error are FormatErrors. With `reference`,
// strings and binaries point into `bytes` (which must then outlive the handle) instead of
// being copied.
inline msgpack::object_handle unpack(std::string_view bytes, const char* what, bool reference = false) {
    try {
        size_t off = 0;
        auto by_reference = [](msgpack::type::object_type, std::size_t, void*) { return true; };
        msgpack::object_handle h = reference
                                       ? msgpack::unpack(bytes.data(), bytes.size(), off, by_reference)
                                       : msgpack::unpack(bytes.data(), bytes.size(), off);
        if (off != bytes.size()) throw FormatError(std::string(what) + " has trailing bytes", 0);
        return h;
    } catch (const FormatError&) {
        throw;
    } catch (const std::exception& e) {
        throw FormatError(std::string(what) + " is not valid MessagePack (" + e.what() + ")", 0);
    }
}

}  // namespace zzp::rec::mp

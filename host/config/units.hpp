// Durations and sizes as users write them in TOML ("100ms", "1h30m", "64MiB"), parsed exactly
// (integer arithmetic, no floating-point rounding surprises) and printed back for defaults.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace zzp::host {

// A value or the reason it could not be parsed (C++20 has no std::expected yet).
template <typename T>
class Parsed {
public:
    static Parsed success(T value) { return Parsed(std::move(value), {}); }
    static Parsed failure(std::string error) { return Parsed(T{}, std::move(error)); }

    bool ok() const { return error_.empty(); }
    explicit operator bool() const { return ok(); }
    const T& value() const { return value_; }
    const T& operator*() const { return value_; }
    // Empty when ok(); otherwise a sentence fragment such as `missing unit after "100"`.
    const std::string& error() const { return error_; }

private:
    Parsed(T value, std::string error) : value_(std::move(value)), error_(std::move(error)) {}
    T value_;
    std::string error_;
};

// Duration in nanoseconds. Units: ns, us (also µs, μs), ms, s, m or min, h, d. Decimals ("1.5s")
// and compounds from the largest unit to the smallest ("1h30m", "1m30.5s") are accepted;
// whitespace around the value and between parts is ignored. Rejected: empty, missing unit,
// unknown unit, a sign ("-5s"), and anything above INT64_MAX ns (about 292 years).
// Fractions finer than 1 ns are rounded to the nearest nanosecond.
Parsed<int64_t> parse_duration(std::string_view text);

// Size in bytes. Units: B, kB/KB, MB, GB, TB (powers of 1000), KiB, MiB, GiB, TiB (powers of
// 1024); a bare number means bytes. Decimals ("1.5GiB") are rounded to the nearest byte.
// Rejected: empty, unknown unit, a sign, and anything above UINT64_MAX.
Parsed<uint64_t> parse_size(std::string_view text);
// A TOML integer given as a size: bytes, which must not be negative.
Parsed<uint64_t> parse_size(int64_t bytes);

// Shortest exact spelling that parse_duration reads back: "0s", "100ms", "1h30m", "250us", "7ns".
std::string format_duration(int64_t ns);
// Shortest exact spelling that parse_size reads back: "0B", "64MiB", "1kB", "1500B".
std::string format_size(uint64_t bytes);

}  // namespace zzp::host

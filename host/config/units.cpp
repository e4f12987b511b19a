#include "config/units.hpp"

#include <array>
#include <cctype>
#include <limits>

namespace zzp::host {
namespace {

// 128-bit intermediate so that "a very long number times a big unit" is detected as overflow
// instead of wrapping.
using Wide = unsigned __int128;

struct Unit {
    std::string_view name;
    uint64_t scale;  // nanoseconds or bytes per unit
};

constexpr uint64_t kNsPerSecond = 1'000'000'000ULL;

// Longer names first so that "ms" is not read as "m" followed by "s", nor "min" as "m".
constexpr std::array<Unit, 10> kDurationUnits{{
    {"min", 60 * kNsPerSecond},
    {"ns", 1},
    {"us", 1'000},
    {"\xC2\xB5s", 1'000},  // µs, MICRO SIGN
    {"\xCE\xBCs", 1'000},  // μs, GREEK SMALL LETTER MU
    {"ms", 1'000'000},
    {"s", kNsPerSecond},
    {"m", 60 * kNsPerSecond},
    {"h", 3600 * kNsPerSecond},
    {"d", 86400 * kNsPerSecond},
}};

constexpr uint64_t kKiB = 1024;
constexpr std::array<Unit, 10> kSizeUnits{{
    {"KiB", kKiB},
    {"MiB", kKiB* kKiB},
    {"GiB", kKiB* kKiB* kKiB},
    {"TiB", kKiB* kKiB* kKiB* kKiB},
    {"kB", 1'000},
    {"KB", 1'000},
    {"MB", 1'000'000},
    {"GB", 1'000'000'000},
    {"TB", 1'000'000'000'000},
    {"B", 1},
}};

constexpr const char* kDurationUnitList = "ns, us, ms, s, m, h, d";
constexpr const char* kSizeUnitList = "B, kB, MB, GB, TB, KiB, MiB, GiB, TiB";

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_space(char c) {
    return c == ' ' || c == '\t';
}

std::string quoted(std::string_view s) {
    return "\"" + std::string(s) + "\"";
}

void skip_spaces(std::string_view text, size_t& pos) {
    while (pos < text.size() && is_space(text[pos])) ++pos;
}

// A decimal number "12", "1.5", "0.25" at text[pos]: integer part and fraction digits.
struct Number {
    Wide whole = 0;
    Wide fraction = 0;        // the fraction digits as an integer ...
    Wide fraction_scale = 1;  // ... over this power of ten
    bool whole_overflow = false;
    std::string_view spelling;
};

// Fraction digits beyond this many cannot change a nanosecond or byte count but could overflow.
constexpr int kMaxFractionDigits = 24;
constexpr int kMaxWholeDigits = 30;

bool read_number(std::string_view text, size_t& pos, Number& out, std::string& error) {
    size_t start = pos;
    int whole_digits = 0;
    while (pos < text.size() && is_digit(text[pos])) {
        if (++whole_digits > kMaxWholeDigits)
            out.whole_overflow = true;
        else
            out.whole = out.whole * 10 + static_cast<unsigned>(text[pos] - '0');
        ++pos;
    }
    int fraction_digits = 0;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        while (pos < text.size() && is_digit(text[pos])) {
            if (fraction_digits < kMaxFractionDigits) {
                out.fraction = out.fraction * 10 + static_cast<unsigned>(text[pos] - '0');
                out.fraction_scale *= 10;
                ++fraction_digits;
            }
            ++pos;
        }
        if (fraction_digits == 0 || whole_digits == 0) {
            error = "malformed number " + quoted(text.substr(start, pos - start)) + " (write e.g. 1.5 or 0.5)";
            return false;
        }
    }
    if (whole_digits == 0) {
        error = "expected a number at " + quoted(text.substr(start));
        return false;
    }
    out.spelling = text.substr(start, pos - start);
    return true;
}

template <size_t N>
const Unit* read_unit(std::string_view text, size_t& pos, const std::array<Unit, N>& units) {
    for (const Unit& unit : units) {
        if (text.substr(pos, unit.name.size()) == unit.name) {
            size_t end = pos + unit.name.size();
            // A unit must end the token: "5sx" is an unknown unit, not "5s" followed by junk.
            if (end < text.size() && std::isalpha(static_cast<unsigned char>(text[end]))) continue;
            pos = end;
            return &unit;
        }
    }
    return nullptr;
}

// The letters at text[pos] that could not be matched as a unit, for the message.
std::string_view unit_word(std::string_view text, size_t pos) {
    size_t end = pos;
    while (end < text.size() && !is_digit(text[end]) && !is_space(text[end]) && text[end] != '.') ++end;
    return text.substr(pos, end - pos);
}

// number * scale, rounded to the nearest unit of 1.
Wide scaled(const Number& n, uint64_t scale) {
    return n.whole * scale + (n.fraction * scale + n.fraction_scale / 2) / n.fraction_scale;
}

std::string sign_error(std::string_view text, const char* what) {
    return std::string("a ") + what + " cannot be negative or signed, found " + quoted(text);
}

std::string format_duration_magnitude(uint64_t value);

}  // namespace

Parsed<int64_t> parse_duration(std::string_view text) {
    size_t pos = 0;
    skip_spaces(text, pos);
    if (pos == text.size()) return Parsed<int64_t>::failure("empty duration (write e.g. \"100ms\")");
    if (text[pos] == '-' || text[pos] == '+') return Parsed<int64_t>::failure(sign_error(text, "duration"));

    const Wide limit = static_cast<Wide>(std::numeric_limits<int64_t>::max());
    Wide total = 0;
    uint64_t previous_scale = 0;
    while (pos < text.size()) {
        Number number;
        std::string error;
        if (!read_number(text, pos, number, error)) return Parsed<int64_t>::failure(error);
        skip_spaces(text, pos);
        if (pos == text.size()) {
            return Parsed<int64_t>::failure("missing unit after " + quoted(number.spelling) + " (one of " +
                                            kDurationUnitList + "), e.g. \"" + std::string(number.spelling) + "ms\"");
        }
        const Unit* unit = read_unit(text, pos, kDurationUnits);
        if (unit == nullptr && unit_word(text, pos).empty()) {
            return Parsed<int64_t>::failure("unexpected " + quoted(text.substr(pos)) + " after " +
                                            quoted(number.spelling) + " in " + quoted(text));
        }
        if (unit == nullptr) {
            return Parsed<int64_t>::failure("unknown duration unit " + quoted(unit_word(text, pos)) + " (use one of " +
                                            kDurationUnitList + ")");
        }
        if (previous_scale != 0 && unit->scale >= previous_scale) {
            return Parsed<int64_t>::failure(
                "the parts of a compound duration go from the largest unit to the "
                "smallest, each once, e.g. \"1h30m\"; found " +
                quoted(text));
        }
        previous_scale = unit->scale;
        if (number.whole_overflow) return Parsed<int64_t>::failure("duration " + quoted(text) + " is too large");
        total += scaled(number, unit->scale);
        if (total > limit) {
            return Parsed<int64_t>::failure("duration " + quoted(text) +
                                            " is too large (the limit is about 292 years)");
        }
        skip_spaces(text, pos);
    }
    return Parsed<int64_t>::success(static_cast<int64_t>(total));
}

Parsed<uint64_t> parse_size(std::string_view text) {
    size_t pos = 0;
    skip_spaces(text, pos);
    if (pos == text.size()) return Parsed<uint64_t>::failure("empty size (write e.g. \"64MiB\")");
    if (text[pos] == '-' || text[pos] == '+') return Parsed<uint64_t>::failure(sign_error(text, "size"));
    Number number;
    std::string error;
    if (!read_number(text, pos, number, error)) return Parsed<uint64_t>::failure(error);
    skip_spaces(text, pos);
    uint64_t scale = 1;
    if (pos < text.size()) {
        const Unit* unit = read_unit(text, pos, kSizeUnits);
        if (unit == nullptr) {
            return Parsed<uint64_t>::failure("unknown size unit " + quoted(unit_word(text, pos)) + " (use one of " +
                                             kSizeUnitList + ")");
        }
        scale = unit->scale;
        skip_spaces(text, pos);
        if (pos < text.size()) {
            return Parsed<uint64_t>::failure("unexpected " + quoted(text.substr(pos)) +
                                             " after the unit (a size is "
                                             "one number and one unit, e.g. \"64MiB\")");
        }
    }
    Wide total = number.whole_overflow ? ~Wide{0} : scaled(number, scale);
    if (number.whole_overflow || total > std::numeric_limits<uint64_t>::max()) {
        return Parsed<uint64_t>::failure("size " + quoted(text) + " is too large (the limit is 16 EiB)");
    }
    return Parsed<uint64_t>::success(static_cast<uint64_t>(total));
}

Parsed<uint64_t> parse_size(int64_t bytes) {
    if (bytes < 0) return Parsed<uint64_t>::failure("a size cannot be negative, found " + std::to_string(bytes));
    return Parsed<uint64_t>::success(static_cast<uint64_t>(bytes));
}

std::string format_duration(int64_t ns) {
    if (ns == 0) return "0s";
    // Negative values never come from parse_duration but may be printed in logs.
    if (ns < 0) return "-" + format_duration_magnitude(0 - static_cast<uint64_t>(ns));
    return format_duration_magnitude(static_cast<uint64_t>(ns));
}

namespace {
std::string format_duration_magnitude(uint64_t value) {
    if (value % kNsPerSecond != 0) {
        // Sub-second: the largest of ms, us, ns that represents it exactly, as one number.
        if (value % 1'000'000 == 0) return std::to_string(value / 1'000'000) + "ms";
        if (value % 1'000 == 0) return std::to_string(value / 1'000) + "us";
        return std::to_string(value) + "ns";
    }
    // Whole seconds: a compound from days down to seconds, leaving out zero parts.
    uint64_t seconds = value / kNsPerSecond;
    std::string out;
    const std::array<std::pair<uint64_t, const char*>, 4> parts{{{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}}};
    for (const auto& [unit_seconds, name] : parts) {
        if (seconds >= unit_seconds) {
            out += std::to_string(seconds / unit_seconds) + name;
            seconds %= unit_seconds;
        }
    }
    return out;
}
}  // namespace

std::string format_size(uint64_t bytes) {
    if (bytes == 0) return "0B";
    const std::array<Unit, 8> exact_units{{{"TiB", kKiB * kKiB * kKiB * kKiB},
                                           {"GiB", kKiB * kKiB * kKiB},
                                           {"MiB", kKiB * kKiB},
                                           {"KiB", kKiB},
                                           {"TB", 1'000'000'000'000},
                                           {"GB", 1'000'000'000},
                                           {"MB", 1'000'000},
                                           {"kB", 1'000}}};
    for (const Unit& unit : exact_units) {
        if (bytes % unit.scale == 0) return std::to_string(bytes / unit.scale) + std::string(unit.name);
    }
    return std::to_string(bytes) + "B";
}

}  // namespace zzp::host

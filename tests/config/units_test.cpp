// parse_duration / parse_size: every accepted spelling and every rejection, table-driven.
#include "config/units.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace zzp::host {
namespace {

struct DurationCase {
    const char* text;
    int64_t ns;
};

TEST(ParseDuration, AcceptsEveryUnitDecimalsAndCompounds) {
    const DurationCase cases[] = {
        {"7ns", 7},
        {"250us", 250'000},
        {"250\xC2\xB5s", 250'000},  // µs
        {"250\xCE\xBCs", 250'000},  // μs
        {"100ms", 100'000'000},
        {"1s", 1'000'000'000},
        {"1.5s", 1'500'000'000},
        {"0.25ms", 250'000},
        {"10m", 600'000'000'000},
        {"10min", 600'000'000'000},
        {"1h", 3'600'000'000'000},
        {"7d", 604'800'000'000'000},
        {"1h30m", 5'400'000'000'000},
        {"1m30.5s", 90'500'000'000},
        {"1d2h3m4s5ms6us7ns", 93'784'005'006'007},
        {" 100 ms ", 100'000'000},
        {"0s", 0},
        {"0.0000000004s", 0},  // below a nanosecond rounds to nearest
        {"1.0000000006s", 1'000'000'001},
        {"9223372036854775807ns", std::numeric_limits<int64_t>::max()},
    };
    for (const DurationCase& c : cases) {
        Parsed<int64_t> parsed = parse_duration(c.text);
        ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.error();
        EXPECT_EQ(*parsed, c.ns) << c.text;
    }
}

struct RejectCase {
    const char* text;
    const char* message_part;
};

TEST(ParseDuration, RejectsWithAReason) {
    const RejectCase cases[] = {
        {"", "empty"},
        {"   ", "empty"},
        {"100", "missing unit"},
        {"1.5", "missing unit"},
        {"1h30", "missing unit"},
        {"-5s", "negative"},
        {"+5s", "signed"},
        {"5 parsecs", "unknown duration unit \"parsecs\""},
        {"5sx", "unknown duration unit"},
        {"ms", "expected a number"},
        {".5s", "malformed number"},
        {"5.s", "malformed number"},
        {"1.2.3s", "unexpected \".3s\" after \"1.2\""},
        {"30m1h", "largest unit to the smallest"},
        {"1s1s", "largest unit to the smallest"},
        {"9223372036854775808ns", "too large"},
        {"106752d", "too large"},
        {"99999999999999999999999999999999999999h", "too large"},
    };
    for (const RejectCase& c : cases) {
        Parsed<int64_t> parsed = parse_duration(c.text);
        ASSERT_FALSE(parsed.ok()) << "accepted \"" << c.text << "\" as " << *parsed;
        EXPECT_NE(parsed.error().find(c.message_part), std::string::npos) << "\"" << c.text << "\": " << parsed.error();
    }
}

TEST(ParseDuration, MissingUnitSuggestsASpelling) {
    EXPECT_NE(parse_duration("100").error().find("\"100ms\""), std::string::npos);
}

struct SizeCase {
    const char* text;
    uint64_t bytes;
};

TEST(ParseSize, AcceptsBytesDecimalAndBinaryUnits) {
    const SizeCase cases[] = {
        {"0", 0},
        {"512", 512},
        {"512B", 512},
        {"1kB", 1'000},
        {"1KB", 1'000},
        {"2MB", 2'000'000},
        {"3GB", 3'000'000'000},
        {"4TB", 4'000'000'000'000},
        {"1KiB", 1024},
        {"64MiB", 64ULL << 20},
        {"1.5GiB", 3ULL << 29},
        {"2TiB", 2ULL << 40},
        {" 10 MiB ", 10ULL << 20},
        {"0.5B", 1},  // rounds to the nearest byte
        {"18446744073709551615", std::numeric_limits<uint64_t>::max()},
    };
    for (const SizeCase& c : cases) {
        Parsed<uint64_t> parsed = parse_size(c.text);
        ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.error();
        EXPECT_EQ(*parsed, c.bytes) << c.text;
    }
}

TEST(ParseSize, RejectsWithAReason) {
    const RejectCase cases[] = {
        {"", "empty"},
        {"-5MiB", "negative"},
        {"5 furlongs", "unknown size unit \"furlongs\""},
        {"5mb", "unknown size unit"},
        {"5MiB 3", "after the unit"},
        {"MiB", "expected a number"},
        {"18446744073709551616", "too large"},
        {"16777216TiB", "too large"},
    };
    for (const RejectCase& c : cases) {
        Parsed<uint64_t> parsed = parse_size(c.text);
        ASSERT_FALSE(parsed.ok()) << "accepted \"" << c.text << "\" as " << *parsed;
        EXPECT_NE(parsed.error().find(c.message_part), std::string::npos) << "\"" << c.text << "\": " << parsed.error();
    }
}

TEST(ParseSize, IntegerBytesMustNotBeNegative) {
    EXPECT_EQ(*parse_size(int64_t{4096}), 4096u);
    EXPECT_FALSE(parse_size(int64_t{-5}).ok());
    EXPECT_NE(parse_size(int64_t{-5}).error().find("negative"), std::string::npos);
}

TEST(FormatDuration, PrintsTheShortestExactSpelling) {
    EXPECT_EQ(format_duration(0), "0s");
    EXPECT_EQ(format_duration(7), "7ns");
    EXPECT_EQ(format_duration(250'000), "250us");
    EXPECT_EQ(format_duration(100'000'000), "100ms");
    EXPECT_EQ(format_duration(1'500'000'000), "1500ms");
    EXPECT_EQ(format_duration(10'000'000'000), "10s");
    EXPECT_EQ(format_duration(5'400'000'000'000), "1h30m");
    EXPECT_EQ(format_duration(604'800'000'000'000), "7d");
    EXPECT_EQ(format_duration(-100'000'000), "-100ms");
}

TEST(FormatDuration, RoundTripsThroughParse) {
    for (int64_t ns : {int64_t{1}, int64_t{999}, int64_t{1'000'001}, int64_t{90'500'000'000},
                       int64_t{93'784'005'006'007}, std::numeric_limits<int64_t>::max()}) {
        Parsed<int64_t> back = parse_duration(format_duration(ns));
        ASSERT_TRUE(back.ok()) << format_duration(ns) << ": " << back.error();
        EXPECT_EQ(*back, ns) << format_duration(ns);
    }
}

TEST(FormatSize, PrefersExactBinaryThenDecimalUnits) {
    EXPECT_EQ(format_size(0), "0B");
    EXPECT_EQ(format_size(1500), "1500B");
    EXPECT_EQ(format_size(1000), "1kB");
    EXPECT_EQ(format_size(1024), "1KiB");
    EXPECT_EQ(format_size(64ULL << 20), "64MiB");
    EXPECT_EQ(format_size(3'000'000'000), "3GB");
    for (uint64_t bytes :
         {uint64_t{1}, uint64_t{1023}, uint64_t{5'000'000}, uint64_t{3} << 40, std::numeric_limits<uint64_t>::max()}) {
        EXPECT_EQ(*parse_size(format_size(bytes)), bytes) << format_size(bytes);
    }
}

}  // namespace
}  // namespace zzp::host

// [host] swap_probation and swap_probation_batches (docs/CONFIG.md): parsed, validated with the
// key and line at fault; the `zzprobe run` options override them (HotSwapCli).
#include <gtest/gtest.h>

#include <algorithm>

#include "config/pipeline_config.hpp"

namespace zzp::hotswap_test {
namespace {

using namespace zzp::host;

const std::string kRest = "[[probe]]\nplugin = \"synthetic\"\ntargets = [\"t\"]\n";

const ConfigDiagnostic* diagnostic_for(const ParsedPipeline& p, const std::string& key) {
    auto it = std::find_if(p.diagnostics.begin(), p.diagnostics.end(), [&](const ConfigDiagnostic& d) { return d.key == key; });
    return it == p.diagnostics.end() ? nullptr : &*it;
}

TEST(HotSwapConfig, ProbationKeysAreReadFromTheHostTable) {
    ParsedPipeline p = parse_pipeline_text("[host]\nswap_probation = \"5s\"\nswap_probation_batches = 100\n" + kRest,
                                           "pipeline.toml");
    EXPECT_EQ(diagnostic_for(p, "swap_probation"), nullptr);
    EXPECT_EQ(diagnostic_for(p, "swap_probation_batches"), nullptr);
    ASSERT_TRUE(p.config.host.swap_probation.has_value());
    EXPECT_EQ(p.config.host.swap_probation->count(), 5'000'000'000);
    ASSERT_TRUE(p.config.host.swap_probation_batches.has_value());
    EXPECT_EQ(*p.config.host.swap_probation_batches, 100u);
}

TEST(HotSwapConfig, ProbationKeysAreOptional) {
    ParsedPipeline p = parse_pipeline_text("[host]\nsettle_timeout = \"2s\"\n" + kRest, "pipeline.toml");
    EXPECT_FALSE(p.config.host.swap_probation.has_value());
    EXPECT_FALSE(p.config.host.swap_probation_batches.has_value());
}

TEST(HotSwapConfig, BadProbationValuesNameTheKeyAndLine) {
    struct Case {
        std::string line, key, message;
    };
    for (const Case& c : std::vector<Case>{
             {"swap_probation = 5", "swap_probation", "expected a duration"},
             {"swap_probation = \"0s\"", "swap_probation", "out of range"},
             {"swap_probation = \"2h\"", "swap_probation", "out of range"},
             {"swap_probation = \"5 parsecs\"", "swap_probation", ""},
             {"swap_probation_batches = \"100\"", "swap_probation_batches", "expected a whole number"},
             {"swap_probation_batches = -1", "swap_probation_batches", "out of range"},
             {"swap_probation_batches = 1.5", "swap_probation_batches", "expected a whole number"},
         }) {
        ParsedPipeline p = parse_pipeline_text("[host]\n" + c.line + "\n" + kRest, "pipeline.toml");
        const ConfigDiagnostic* d = diagnostic_for(p, c.key);
        ASSERT_NE(d, nullptr) << c.line;
        EXPECT_EQ(d->line, 2) << c.line;
        EXPECT_NE(d->message.find(c.message), std::string::npos) << c.line << ": " << d->message;
        EXPECT_FALSE(p.ok());
        EXPECT_FALSE(p.config.host.swap_probation.has_value() && c.key == "swap_probation") << "a bad value stays unset";
    }
}

TEST(HotSwapConfig, MisspelledProbationKeyGetsASuggestion) {
    ParsedPipeline p = parse_pipeline_text("[host]\nswap_probaton = \"5s\"\n" + kRest, "pipeline.toml");
    const ConfigDiagnostic* d = diagnostic_for(p, "swap_probaton");
    ASSERT_NE(d, nullptr);
    EXPECT_NE(d->hint.find("swap_probation"), std::string::npos) << d->hint;
}

}  // namespace
}  // namespace zzp::hotswap_test

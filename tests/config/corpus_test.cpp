// The malformed-config corpus: every tests/config/corpus/*.toml is one test case. Each file
// states what it must produce in header comments,
//     # expect: LINE:COLUMN: message substring
// and the test parses it, validates each instance against the fake plugin schemas (as
// `zzprobe check` does with real ones) and requires that every expectation is met by an error at
// exactly that position, and that no error goes unexpected.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "config/pipeline_config.hpp"
#include "config/schema_validate.hpp"
#include "fake_descriptors.hpp"

namespace zzp::host {
namespace {

namespace fs = std::filesystem;

struct Expectation {
    int line = 0;
    int column = 0;
    std::string text;
};

// "# expect: 12:5: text" -> {12, 5, "text"}; other lines are ignored. (No std::regex: GCC 12
// warns about its internals under -fsanitize, and -Werror turns that into a failed build.)
std::optional<Expectation> parse_expectation(const std::string& line) {
    const std::string marker = "# expect:";
    if (line.rfind(marker, 0) != 0) return std::nullopt;
    std::istringstream in(line.substr(marker.size()));
    Expectation e;
    char colon1 = 0, colon2 = 0;
    if (!(in >> e.line >> colon1 >> e.column >> colon2) || colon1 != ':' || colon2 != ':') return std::nullopt;
    std::getline(in >> std::ws, e.text);
    if (e.text.empty()) return std::nullopt;
    return e;
}

std::vector<Expectation> read_expectations(const fs::path& path) {
    std::ifstream in(path);
    std::vector<Expectation> out;
    std::string line;
    while (std::getline(in, line)) {
        if (std::optional<Expectation> e = parse_expectation(line)) out.push_back(*e);
    }
    return out;
}

std::vector<fs::path> corpus_files() {
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(ZZP_CONFIG_CORPUS_DIR, ec)) {
        if (entry.path().extension() == ".toml") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

// What `zzprobe check` would report, minus plugin loading: parse, then validate each instance
// whose plugin is one of the fakes.
std::vector<ConfigDiagnostic> check(const fs::path& path) {
    ParsedPipeline parsed = parse_pipeline_file(path);
    std::vector<ConfigDiagnostic> diagnostics = parsed.diagnostics;
    for (InstanceConfig& instance : parsed.config.instances) {
        if (const zzp_plugin_descriptor* d = test::fake_descriptor(instance.plugin)) {
            validate_instance(instance, *d, diagnostics);
        }
    }
    sort_diagnostics(diagnostics);
    return diagnostics;
}

class Corpus : public ::testing::TestWithParam<fs::path> {};

TEST_P(Corpus, ReportsExactlyTheExpectedErrors) {
    const fs::path& path = GetParam();
    const std::vector<Expectation> expectations = read_expectations(path);
    ASSERT_FALSE(expectations.empty()) << path << " has no '# expect: LINE:COL: text' header";
    const std::vector<ConfigDiagnostic> diagnostics = check(path);

    std::string report;
    for (const ConfigDiagnostic& d : diagnostics) report += format_diagnostic(d) + "\n";
    EXPECT_TRUE(has_errors(diagnostics)) << path;

    std::vector<bool> matched(diagnostics.size(), false);
    for (const Expectation& e : expectations) {
        bool found = false;
        for (size_t i = 0; i < diagnostics.size(); ++i) {
            const ConfigDiagnostic& d = diagnostics[i];
            if (d.line == e.line && d.column == e.column && format_diagnostic(d).find(e.text) != std::string::npos) {
                matched[i] = found = true;
            }
        }
        EXPECT_TRUE(found) << "expected " << e.line << ":" << e.column << ": " << e.text << "\ngot:\n" << report;
    }
    for (size_t i = 0; i < diagnostics.size(); ++i) {
        // Every error names the file and a position in it.
        EXPECT_EQ(diagnostics[i].file, path.string());
        EXPECT_GT(diagnostics[i].line, 0) << format_diagnostic(diagnostics[i]);
        EXPECT_FALSE(diagnostics[i].hint.empty()) << "no hint: " << format_diagnostic(diagnostics[i]);
        EXPECT_TRUE(matched[i]) << "unexpected: " << format_diagnostic(diagnostics[i]);
    }
}

std::string case_name(const ::testing::TestParamInfo<fs::path>& info) {
    std::string name = info.param.stem().string();
    for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(Files, Corpus, ::testing::ValuesIn(corpus_files()), case_name);

TEST(CorpusSize, AtLeastTwentyFiveMalformedConfigs) {
    EXPECT_GE(corpus_files().size(), 25u);
}

}  // namespace
}  // namespace zzp::host

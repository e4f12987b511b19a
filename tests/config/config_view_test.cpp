// ConfigView: every zzp_config getter through the C table, the error codes, key paths into
// nested tables and lists, and locate() pointing back at the TOML line.
#include "config/config_view.hpp"

#include <gtest/gtest.h>

#include <string>

namespace zzp::host {
namespace {

constexpr const char* kInstanceToml = R"(rate = 10
jitter = 0.5
name = "lan"
enabled = true
interval = "250ms"
rotate_size = "64MiB"
raw_size = 4096
bad_duration = "soon"
negative_size = -1
tags = ["a", "b", "c"]
[rotate]
keep = 7
[[targets]]
host = "127.0.0.1"
port = 7
[[targets]]
host = "::1"
port = 9
)";

class ConfigViewTest : public ::testing::Test {
protected:
    std::unique_ptr<ConfigView> view = ConfigView::from_text(kInstanceToml, "pipeline.toml");
    const zzp_config* cfg = view->table();
};

TEST_F(ConfigViewTest, TableIsSelfDescribing) {
    EXPECT_EQ(cfg->struct_size, sizeof(zzp_config));
    EXPECT_STREQ(cfg->source_path, "pipeline.toml");
}

TEST_F(ConfigViewTest, GetStringReturnsAStringThatLivesWithTheView) {
    const char* out = nullptr;
    ASSERT_EQ(cfg->get_string(cfg, "name", &out), ZZP_OK);
    EXPECT_STREQ(out, "lan");
    const char* again = nullptr;
    ASSERT_EQ(cfg->get_string(cfg, "targets[1].host", &again), ZZP_OK);
    EXPECT_STREQ(again, "::1");
    EXPECT_STREQ(out, "lan");  // the first pointer is still valid
    EXPECT_EQ(cfg->get_string(cfg, "rate", &out), ZZP_E_INVALID);
    EXPECT_EQ(cfg->get_string(cfg, "missing", &out), ZZP_E_NOT_FOUND);
}

TEST_F(ConfigViewTest, GetIntReadsIntegersOnly) {
    int64_t out = 0;
    ASSERT_EQ(cfg->get_int(cfg, "rate", &out), ZZP_OK);
    EXPECT_EQ(out, 10);
    ASSERT_EQ(cfg->get_int(cfg, "rotate.keep", &out), ZZP_OK);
    EXPECT_EQ(out, 7);
    ASSERT_EQ(cfg->get_int(cfg, "targets[1].port", &out), ZZP_OK);
    EXPECT_EQ(out, 9);
    EXPECT_EQ(cfg->get_int(cfg, "jitter", &out), ZZP_E_INVALID);
    EXPECT_EQ(cfg->get_int(cfg, "name", &out), ZZP_E_INVALID);
    EXPECT_EQ(cfg->get_int(cfg, "targets[2].port", &out), ZZP_E_NOT_FOUND);
}

TEST_F(ConfigViewTest, GetFloatAcceptsIntegers) {
    double out = 0;
    ASSERT_EQ(cfg->get_float(cfg, "jitter", &out), ZZP_OK);
    EXPECT_DOUBLE_EQ(out, 0.5);
    ASSERT_EQ(cfg->get_float(cfg, "rate", &out), ZZP_OK);
    EXPECT_DOUBLE_EQ(out, 10.0);
    EXPECT_EQ(cfg->get_float(cfg, "enabled", &out), ZZP_E_INVALID);
}

TEST_F(ConfigViewTest, GetBool) {
    int out = 0;
    ASSERT_EQ(cfg->get_bool(cfg, "enabled", &out), ZZP_OK);
    EXPECT_EQ(out, 1);
    EXPECT_EQ(cfg->get_bool(cfg, "rate", &out), ZZP_E_INVALID);
}

TEST_F(ConfigViewTest, GetDurationParsesUnits) {
    int64_t ns = 0;
    ASSERT_EQ(cfg->get_duration(cfg, "interval", &ns), ZZP_OK);
    EXPECT_EQ(ns, 250'000'000);
    EXPECT_EQ(cfg->get_duration(cfg, "bad_duration", &ns), ZZP_E_INVALID);
    EXPECT_EQ(cfg->get_duration(cfg, "rate", &ns), ZZP_E_INVALID);  // a bare number has no unit
    EXPECT_EQ(cfg->get_duration(cfg, "nothing", &ns), ZZP_E_NOT_FOUND);
}

TEST_F(ConfigViewTest, GetSizeTakesStringsWithUnitsAndIntegerBytes) {
    uint64_t bytes = 0;
    ASSERT_EQ(cfg->get_size(cfg, "rotate_size", &bytes), ZZP_OK);
    EXPECT_EQ(bytes, 64u << 20);
    ASSERT_EQ(cfg->get_size(cfg, "raw_size", &bytes), ZZP_OK);
    EXPECT_EQ(bytes, 4096u);
    EXPECT_EQ(cfg->get_size(cfg, "negative_size", &bytes), ZZP_E_INVALID);
    EXPECT_EQ(cfg->get_size(cfg, "enabled", &bytes), ZZP_E_INVALID);
}

TEST_F(ConfigViewTest, GetLengthOfListsAndListsOfTables) {
    uint64_t n = 0;
    ASSERT_EQ(cfg->get_length(cfg, "tags", &n), ZZP_OK);
    EXPECT_EQ(n, 3u);
    ASSERT_EQ(cfg->get_length(cfg, "targets", &n), ZZP_OK);
    EXPECT_EQ(n, 2u);
    EXPECT_EQ(cfg->get_length(cfg, "rotate", &n), ZZP_E_INVALID);
    EXPECT_EQ(cfg->get_length(cfg, "nope", &n), ZZP_E_NOT_FOUND);
    const char* tag = nullptr;
    ASSERT_EQ(cfg->get_string(cfg, "tags[2]", &tag), ZZP_OK);
    EXPECT_STREQ(tag, "c");
}

TEST_F(ConfigViewTest, MalformedPathsAreNotFoundAndNullArgumentsInvalid) {
    int64_t out = 0;
    for (const char* path : {"", ".", "rotate.", ".rotate", "rotate..keep", "targets[", "targets[]", "targets[x]",
                             "targets[-1].port", "targets[0]port", "tags[0][0]", "rate.x"}) {
        EXPECT_EQ(cfg->get_int(cfg, path, &out), ZZP_E_NOT_FOUND) << path;
    }
    EXPECT_EQ(cfg->get_int(cfg, nullptr, &out), ZZP_E_INVALID);
    EXPECT_EQ(cfg->get_int(cfg, "rate", nullptr), ZZP_E_INVALID);
    const char* s = nullptr;
    EXPECT_EQ(cfg->get_string(cfg, "name", nullptr), ZZP_E_INVALID);
    EXPECT_EQ(cfg->get_string(nullptr, "name", &s), ZZP_E_INVALID);
}

TEST_F(ConfigViewTest, LocatePointsAtTheKeyOrTheListElement) {
    EXPECT_EQ(view->locate("rate"), "pipeline.toml:1:1");
    EXPECT_EQ(view->locate("rotate.keep"), "pipeline.toml:12:1");
    EXPECT_EQ(view->locate("targets[1].port"), "pipeline.toml:18:1");
    EXPECT_EQ(view->locate("tags[1]"), "pipeline.toml:10:14");
    // Unknown below a known key: the nearest known parent.
    EXPECT_EQ(view->locate("rotate.unknown"), "pipeline.toml:11:2");
    EXPECT_EQ(view->locate("nothing"), "pipeline.toml");
}

TEST(ConfigView, SectionPositionStandsInForKeysWithoutOne) {
    toml::table values;
    values.insert("rate", 10);  // inserted by code: no source position, like a default
    ConfigView view(std::move(values), "p.toml", {}, toml::source_position{4, 1});
    EXPECT_EQ(view.locate("rate"), "p.toml:4:1");
}

}  // namespace
}  // namespace zzp::host

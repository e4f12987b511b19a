// validate_instance against descriptors defined in the test: types, nesting, lists of tables,
// defaults applied (visible through ConfigView), kind mismatch, plugin schema bugs, and
// format_schema.
#include "config/schema_validate.hpp"

#include <gtest/gtest.h>

#include <zzprobe/plugin.hpp>

#include "config/config_view.hpp"
#include "fake_descriptors.hpp"

namespace zzp::host {
namespace {

using test::fake_descriptor;

std::string all_messages(const std::vector<ConfigDiagnostic>& diagnostics) {
    std::string out;
    for (const ConfigDiagnostic& d : diagnostics) out += format_diagnostic(d) + "\n";
    return out;
}

// Parses `text` (a whole pipeline) and validates instance `index` against `plugin`'s fake schema.
struct Validated {
    ParsedPipeline parsed;
    std::vector<ConfigDiagnostic> diagnostics;
    bool ok = false;
    InstanceConfig& instance(size_t i = 0) { return parsed.config.instances.at(i); }
};

Validated validate(const std::string& text, size_t index = 0) {
    Validated v;
    v.parsed = parse_pipeline_text(text, "p.toml", std::filesystem::path("/tmp"));
    EXPECT_TRUE(v.parsed.ok()) << all_messages(v.parsed.diagnostics);
    InstanceConfig& instance = v.parsed.config.instances.at(index);
    const zzp_plugin_descriptor* d = fake_descriptor(instance.plugin);
    EXPECT_NE(d, nullptr) << instance.plugin;
    v.ok = validate_instance(instance, *d, v.diagnostics);
    return v;
}

TEST(ValidateInstance, DefaultsFillEveryAbsentKeyIncludingNestedOnes) {
    Validated v = validate(
        "[[probe]]\nplugin = \"icmp\"\ntargets = [\"127.0.0.1\"]\n"
        "[[probe.hosts]]\naddress = \"::1\"\n[[probe.hosts]]\naddress = \"127.0.0.2\"\nport = 9\n");
    ASSERT_TRUE(v.ok) << all_messages(v.diagnostics);
    ConfigView view(v.instance());
    const zzp_config* cfg = view.table();
    double rate = 0;
    ASSERT_EQ(cfg->get_float(cfg, "rate", &rate), ZZP_OK);
    EXPECT_DOUBLE_EQ(rate, 10.0);
    int64_t timeout = 0;
    ASSERT_EQ(cfg->get_duration(cfg, "timeout", &timeout), ZZP_OK);
    EXPECT_EQ(timeout, 1'000'000'000);
    uint64_t payload = 0;
    ASSERT_EQ(cfg->get_size(cfg, "payload_size", &payload), ZZP_OK);
    EXPECT_EQ(payload, 56u);
    int timestamps = 0;
    ASSERT_EQ(cfg->get_bool(cfg, "timestamps", &timestamps), ZZP_OK);
    EXPECT_EQ(timestamps, 1);
    // An absent optional table gets its fields' defaults.
    int64_t attempts = 0;
    ASSERT_EQ(cfg->get_int(cfg, "retry.attempts", &attempts), ZZP_OK);
    EXPECT_EQ(attempts, 3);
    // Each table of a list of tables gets its defaults; written values stay.
    int64_t port = 0;
    ASSERT_EQ(cfg->get_int(cfg, "hosts[0].port", &port), ZZP_OK);
    EXPECT_EQ(port, 7);
    ASSERT_EQ(cfg->get_int(cfg, "hosts[1].port", &port), ZZP_OK);
    EXPECT_EQ(port, 9);
    const char* label = nullptr;
    ASSERT_EQ(cfg->get_string(cfg, "hosts[1].label", &label), ZZP_OK);
    EXPECT_STREQ(label, "");
    // User values keep their positions; defaults point at the section.
    EXPECT_EQ(view.locate("hosts[1].port"), "p.toml:8:1");
    EXPECT_EQ(view.locate("rate"), "p.toml:1:1");
}

TEST(ValidateInstance, UserValuesWinOverDefaults) {
    Validated v = validate(
        "[[probe]]\nplugin = \"icmp\"\ntargets = [\"127.0.0.1\"]\nrate = 50\n[probe.retry]\n"
        "backoff = \"1s\"\n");
    ASSERT_TRUE(v.ok) << all_messages(v.diagnostics);
    ConfigView view(v.instance());
    double rate = 0;
    ASSERT_EQ(view.table()->get_float(view.table(), "rate", &rate), ZZP_OK);
    EXPECT_DOUBLE_EQ(rate, 50.0);
    int64_t backoff = 0, attempts = 0;
    ASSERT_EQ(view.table()->get_duration(view.table(), "retry.backoff", &backoff), ZZP_OK);
    EXPECT_EQ(backoff, 1'000'000'000);
    ASSERT_EQ(view.table()->get_int(view.table(), "retry.attempts", &attempts), ZZP_OK);
    EXPECT_EQ(attempts, 3);
}

TEST(ValidateInstance, ReportsEveryProblemWithPathAndPosition) {
    Validated v = validate(
        "[[probe]]\n"                     // 1
        "plugin = \"icmp\"\n"             // 2
        "targets = [\"127.0.0.1\", 5]\n"  // 3
        "rate = \"fast\"\n"               // 4
        "tagrets = 1\n"                   // 5
        "timeout = 100\n"                 // 6
        "[[probe.hosts]]\n"               // 7
        "port = \"x\"\n");                // 8
    EXPECT_FALSE(v.ok);
    const std::string text = all_messages(v.diagnostics);
    EXPECT_NE(text.find("p.toml:3:25: error: probe \"icmp\" (plugin icmp): key 'targets[1]': expected a string, "
                        "found integer 5"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("p.toml:4:8: error: probe \"icmp\" (plugin icmp): key 'rate': expected a number, found "
                        "string \"fast\""),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("p.toml:5:1: error: probe \"icmp\" (plugin icmp): key 'tagrets': unknown key 'tagrets'\n"
                        "  hint: did you mean 'targets'?"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("p.toml:6:11: error: probe \"icmp\" (plugin icmp): key 'timeout': expected a duration"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("key 'hosts[0].port': expected an integer, found string \"x\""), std::string::npos) << text;
    EXPECT_NE(text.find("p.toml:7:1: error: probe \"icmp\" (plugin icmp): key 'hosts[0].address': missing required "
                        "key 'address'"),
              std::string::npos)
        << text;
    EXPECT_EQ(v.diagnostics.size(), 6u) << text;
}

TEST(ValidateInstance, MissingRequiredKeyPointsAtTheSection) {
    Validated v = validate("[[sink]]\nplugin = \"file\"\n[[probe]]\nplugin = \"icmp\"\n", 0);
    EXPECT_FALSE(v.ok);
    ASSERT_EQ(v.diagnostics.size(), 1u) << all_messages(v.diagnostics);
    EXPECT_EQ(v.diagnostics[0].line, 1);
    EXPECT_EQ(v.diagnostics[0].key, "directory");
    EXPECT_NE(v.diagnostics[0].hint.find("directory = \"...\""), std::string::npos);
}

TEST(ValidateInstance, SecretValuesAreNeverPrinted) {
    Validated v = validate(
        "[[probe]]\nplugin = \"icmp\"\n[[sink]]\nplugin = \"file\"\ndirectory = \"/d\"\n"
        "token = 12345678\n",
        1);
    ASSERT_EQ(v.diagnostics.size(), 1u);
    EXPECT_EQ(format_diagnostic(v.diagnostics[0]).find("12345678"), std::string::npos);
    EXPECT_NE(v.diagnostics[0].message.find("integer (hidden)"), std::string::npos);
}

TEST(ValidateInstance, KindMismatchNamesBothKinds) {
    Validated v;
    v.parsed = parse_pipeline_text("[[probe]]\nplugin = \"file\"\ndirectory = \"/d\"\n", "p.toml");
    v.ok = validate_instance(v.instance(), *fake_descriptor("file"), v.diagnostics);
    EXPECT_FALSE(v.ok);
    ASSERT_EQ(v.diagnostics.size(), 1u);
    EXPECT_EQ(v.diagnostics[0].message, "plugin 'file' is a sink, but it is configured in [[probe]]");
    EXPECT_EQ(v.diagnostics[0].hint, "move this section to [[sink]]");
}

// A plugin whose schema has bugs: those are reported against the plugin, not the user's file.
constexpr zzp_config_key kBrokenFields[] = {zzp::key("size", ZZP_CFG_SIZE, "\"lots\"", "bad default")};
constexpr zzp_config_key kBrokenKeys[] = {
    zzp::key("rate", ZZP_CFG_FLOAT, "ten", "not TOML"),
    zzp::key("count", ZZP_CFG_INT, "\"3\"", "default of the wrong type"),
    zzp::key("Bad Name", ZZP_CFG_INT, "1", "invalid name"),
    zzp::key("rate", ZZP_CFG_FLOAT, "1", "declared twice"),
    zzp::key("inputs", ZZP_CFG_INT, "1", "reserved"),
    zzp::table_key("rotate", kBrokenFields, "nested bad default"),
    zzp_config_key{"weird", 99, 0, nullptr, "unknown type", 0, 0, nullptr},
};
constexpr zzp_plugin_descriptor kBroken =
    zzp::describe(ZZP_KIND_PROBE, "broken", "Broken", "0.1.0", "schema bugs", kBrokenKeys, "", "Example Ltd");

TEST(ValidateSchema, FindsEveryBugAndBlamesThePlugin) {
    std::vector<ConfigDiagnostic> problems = validate_schema(kBroken);
    const std::string text = all_messages(problems);
    EXPECT_EQ(problems.size(), 7u) << text;
    for (const ConfigDiagnostic& d : problems) {
        EXPECT_TRUE(d.file.empty()) << format_diagnostic(d);
        EXPECT_EQ(d.instance, "plugin broken 0.1.0");
        EXPECT_NE(d.hint.find("bug in the plugin's schema"), std::string::npos);
        EXPECT_NE(d.hint.find("Example Ltd"), std::string::npos);
    }
    EXPECT_NE(text.find("key 'rate': default value `ten` is not a TOML value"), std::string::npos) << text;
    EXPECT_NE(text.find("key 'count': default value `\"3\"`: expected an integer, found string \"3\""),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("key 'rotate.size': default value `\"lots\"`: expected a size"), std::string::npos) << text;
    EXPECT_NE(text.find("key 'rate': declared twice"), std::string::npos) << text;
    EXPECT_NE(text.find("'inputs' is reserved for the host"), std::string::npos) << text;
    EXPECT_NE(text.find("key 'weird': unknown type 99"), std::string::npos) << text;
    EXPECT_NE(text.find("invalid name \"Bad Name\""), std::string::npos) << text;
}

TEST(ValidateSchema, TheFakePluginsAreClean) {
    for (const char* id : {"icmp", "file", "gl", "udp-echo"}) {
        EXPECT_TRUE(validate_schema(*fake_descriptor(id)).empty()) << id;
    }
}

TEST(ValidateSchema, CyclicFieldsAreRefusedNotFollowedForever) {
    static zzp_config_key cyclic[1] = {};
    cyclic[0] = zzp_config_key{"loop", ZZP_CFG_TABLE, 0, nullptr, "points at itself", 0, 1, cyclic};
    zzp_plugin_descriptor d = zzp::describe(ZZP_KIND_SINK, "cyclic", "Cyclic", "1.0.0", "", cyclic, "");
    std::vector<ConfigDiagnostic> problems = validate_schema(d);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].message.find("nest deeper than 8"), std::string::npos);
    // validate_instance refuses to use it rather than recursing.
    ParsedPipeline parsed = parse_pipeline_text("[[probe]]\nplugin=\"x\"\n[[sink]]\nplugin = \"cyclic\"\n", "p.toml");
    std::vector<ConfigDiagnostic> diagnostics;
    EXPECT_FALSE(validate_instance(parsed.config.instances[1], d, diagnostics));
}

TEST(FormatSchema, ListsKeysTypesDefaultsAndNestedFields) {
    const std::string text = format_schema(*fake_descriptor("icmp"));
    EXPECT_NE(text.find("KEY"), std::string::npos) << text;
    EXPECT_NE(text.find("targets"), std::string::npos);
    EXPECT_NE(text.find("list of string"), std::string::npos) << text;
    EXPECT_NE(text.find("required"), std::string::npos);
    EXPECT_NE(text.find("\"1s\""), std::string::npos);
    EXPECT_NE(text.find("  hosts[]"), std::string::npos) << text;
    EXPECT_NE(text.find("\n    address"), std::string::npos) << text;
    EXPECT_NE(text.find("\n    backoff"), std::string::npos) << text;
    const std::string file = format_schema(*fake_descriptor("file"));
    EXPECT_NE(file.find("(secret)"), std::string::npos) << file;
}

}  // namespace
}  // namespace zzp::host

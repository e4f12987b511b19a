// parse_pipeline_text/file on valid pipelines: host settings and their defaults, path
// resolution, ids, inputs, file order, and the instance's own table with positions. (Malformed
// pipelines are the corpus' job, see corpus_test.cpp.)
#include "config/pipeline_config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace zzp::host {
namespace {

std::string all_messages(const ParsedPipeline& parsed) {
    std::string out;
    for (const ConfigDiagnostic& d : parsed.diagnostics) out += format_diagnostic(d) + "\n";
    return out;
}

constexpr const char* kFullPipeline = R"(# a complete pipeline
[host]
plugin_dirs = ["plugins", "/opt/zzprobe/plugins"]
frame_interval = "250ms"
settle_timeout = "30s"
queue_limit = "16MiB"
control_socket = "run/control.sock"

[[sink]]
id = "recorder"
plugin = "file"
inputs = ["lan"]
directory = "/var/lib/zzprobe"

[[probe]]
id = "lan"
plugin = "icmp"
targets = ["127.0.0.1", "::1"]
[[probe]]
plugin = "./custom/zzp-udp-echo.so"
targets = ["127.0.0.1:7"]

[[viewer]]
plugin = "gl"
)";

TEST(PipelineConfig, ParsesHostSettingsAndResolvesPathsAgainstTheFilesFolder) {
    ParsedPipeline parsed = parse_pipeline_text(kFullPipeline, "/etc/zzprobe/pipeline.toml");
    ASSERT_TRUE(parsed.ok()) << all_messages(parsed);
    const HostSettings& host = parsed.config.host;
    ASSERT_EQ(host.plugin_dirs.size(), 2u);
    EXPECT_EQ(host.plugin_dirs[0], "/etc/zzprobe/plugins");
    EXPECT_EQ(host.plugin_dirs[1], "/opt/zzprobe/plugins");
    EXPECT_EQ(host.frame_interval, std::chrono::milliseconds(250));
    EXPECT_EQ(host.settle_timeout, std::chrono::seconds(30));
    EXPECT_EQ(host.queue_limit_bytes, 16u << 20);
    ASSERT_TRUE(host.control_socket.has_value());
    EXPECT_EQ(*host.control_socket, "/etc/zzprobe/run/control.sock");
}

TEST(PipelineConfig, HostDefaultsApplyWhenTheSectionIsAbsent) {
    ParsedPipeline parsed = parse_pipeline_text("[[probe]]\nplugin = \"icmp\"\n", "/tmp/p.toml");
    ASSERT_TRUE(parsed.ok()) << all_messages(parsed);
    EXPECT_TRUE(parsed.config.host.plugin_dirs.empty());
    EXPECT_EQ(parsed.config.host.frame_interval, std::chrono::milliseconds(100));
    EXPECT_EQ(parsed.config.host.settle_timeout, std::chrono::seconds(10));
    EXPECT_EQ(parsed.config.host.queue_limit_bytes, 64u << 20);
    EXPECT_FALSE(parsed.config.host.control_socket.has_value());
}

TEST(PipelineConfig, InstancesKeepFileOrderIdsAndInputs) {
    ParsedPipeline parsed = parse_pipeline_text(kFullPipeline, "/etc/zzprobe/pipeline.toml");
    ASSERT_TRUE(parsed.ok()) << all_messages(parsed);
    const auto& instances = parsed.config.instances;
    ASSERT_EQ(instances.size(), 4u);

    EXPECT_EQ(instances[0].kind, InstanceKind::sink);
    EXPECT_EQ(instances[0].id, "recorder");
    EXPECT_TRUE(instances[0].id_given);
    EXPECT_EQ(instances[0].inputs, std::vector<std::string>{"lan"});
    EXPECT_EQ(instances[0].input_positions.at(0).line, 12u);
    EXPECT_EQ(instances[0].label(), "sink \"recorder\" (plugin file)");

    EXPECT_EQ(instances[1].kind, InstanceKind::probe);
    EXPECT_EQ(instances[1].id, "lan");
    EXPECT_FALSE(instances[1].plugin_path.has_value());

    // A plugin given by path: resolved, and the id made from the file name.
    EXPECT_EQ(instances[2].plugin, "./custom/zzp-udp-echo.so");
    ASSERT_TRUE(instances[2].plugin_path.has_value());
    EXPECT_EQ(*instances[2].plugin_path, "/etc/zzprobe/custom/zzp-udp-echo.so");
    EXPECT_EQ(instances[2].id, "udp-echo");
    EXPECT_FALSE(instances[2].id_given);

    // A viewer without inputs takes every probe, in file order; its id defaults to the plugin.
    EXPECT_EQ(instances[3].id, "gl");
    EXPECT_FALSE(instances[3].inputs_given);
    EXPECT_EQ(instances[3].inputs, (std::vector<std::string>{"lan", "udp-echo"}));
    EXPECT_NE(parsed.config.find("udp-echo"), nullptr);
    EXPECT_EQ(parsed.config.find("nobody"), nullptr);
}

TEST(PipelineConfig, InstanceTableHoldsOnlyThePluginsKeysWithPositions) {
    ParsedPipeline parsed = parse_pipeline_text(kFullPipeline, "pipeline.toml");
    ASSERT_TRUE(parsed.ok()) << all_messages(parsed);
    const InstanceConfig& sink = parsed.config.instances[0];
    EXPECT_FALSE(sink.table.contains("id"));
    EXPECT_FALSE(sink.table.contains("plugin"));
    EXPECT_FALSE(sink.table.contains("inputs"));
    EXPECT_EQ(sink.table["directory"].value_or(std::string()), "/var/lib/zzprobe");
    EXPECT_EQ(sink.section.begin.line, 9u);
    EXPECT_EQ(sink.position_of("directory").line, 13u);
    EXPECT_EQ(sink.position_of("directory").column, 1u);
    const InstanceConfig& lan = parsed.config.instances[1];
    EXPECT_EQ(lan.position_of("targets[1]").line, 18u);
    EXPECT_EQ(lan.position_of("targets[1]").column, 25u);
    // The host's keys keep their positions for messages from the loader ("unknown plugin").
    EXPECT_EQ(sink.position_of("plugin").line, 11u);
    EXPECT_EQ(sink.position_of("id").line, 10u);
    EXPECT_EQ(sink.position_of("inputs[0]").column, 11u);
    // A key without a position of its own (e.g. a default) falls back to the section.
    EXPECT_EQ(lan.position_of("rate").line, 15u);
}

TEST(PipelineConfig, InlineArrayOfTablesIsAcceptedToo) {
    ParsedPipeline parsed =
        parse_pipeline_text("probe = [{ plugin = \"icmp\", targets = [\"127.0.0.1\"] }]\n", "p.toml");
    ASSERT_TRUE(parsed.ok()) << all_messages(parsed);
    ASSERT_EQ(parsed.config.instances.size(), 1u);
    EXPECT_EQ(parsed.config.instances[0].id, "icmp");
}

TEST(PipelineConfig, FormatDiagnosticMatchesTheDocumentedShape) {
    ConfigDiagnostic d{"pipeline.toml",
                       12,
                       15,
                       "sink \"recorder\" (plugin file)",
                       "rotate_size",
                       "expected a size such as \"64MiB\", found integer -5",
                       "sizes are bytes or a unit"};
    EXPECT_EQ(format_diagnostic(d),
              "pipeline.toml:12:15: error: sink \"recorder\" (plugin file): key 'rotate_size': expected a size such "
              "as \"64MiB\", found integer -5\n  hint: sizes are bytes or a unit");
    ConfigDiagnostic bare{"", 0, 0, "plugin icmp 1.0.0", "", "bad schema", ""};
    EXPECT_EQ(format_diagnostic(bare), "error: plugin icmp 1.0.0: bad schema");
}

TEST(PipelineConfig, ErrorsAreCollectedNotStoppedAtTheFirst) {
    ParsedPipeline parsed = parse_pipeline_text(
        "[host]\nframe_interval = 100\nqueue_limit = \"-1MiB\"\n[[probe]]\nid = \"bad id\"\nplugin = \"icmp\"\n",
        "p.toml");
    EXPECT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.diagnostics.size(), 3u) << all_messages(parsed);
}

TEST(PipelineConfig, ReadsFilesAndReportsUnreadableOnes) {
    const std::string path = "/tmp/zzp_config_test_" + std::to_string(::getpid()) + ".toml";
    {
        std::ofstream out(path);
        out << "[[probe]]\nplugin = \"icmp\"\n";
    }
    ParsedPipeline parsed = parse_pipeline_file(path);
    std::remove(path.c_str());
    ASSERT_TRUE(parsed.ok()) << all_messages(parsed);
    EXPECT_EQ(parsed.config.source_path, path);
    EXPECT_EQ(parsed.config.base_dir, "/tmp");

    ParsedPipeline missing = parse_pipeline_file(path);
    ASSERT_EQ(missing.diagnostics.size(), 1u);
    EXPECT_NE(format_diagnostic(missing.diagnostics[0]).find(path + ": error: cannot read the config file: No such"),
              std::string::npos)
        << format_diagnostic(missing.diagnostics[0]);

    ParsedPipeline directory = parse_pipeline_file("/tmp");
    ASSERT_EQ(directory.diagnostics.size(), 1u);
    EXPECT_NE(directory.diagnostics[0].message.find("directory"), std::string::npos);
}

}  // namespace
}  // namespace zzp::host

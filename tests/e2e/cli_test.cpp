// The zzprobe command line end to end: the real binary, the bundled plugins, real files.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <vector>
#include <string>

#include "run_command.hpp"

namespace {

using zzp::test::run_shell;
using zzp::test::TempDir;

const std::string kHost = ZZP_HOST_EXE;

bool has_plugin(const char* file) {
    return std::filesystem::exists(std::string(ZZP_PLUGIN_OUTPUT_DIR) + "/" + file);
}

const char* kSyntheticPipeline = R"(# two synthetic targets into the console summary
[host]
frame_interval = "100ms"

[[probe]]
id = "lab"
plugin = "synthetic"
targets = ["alpha", "beta"]
rate = 50.0
loss = 0.1
seed = 7

[[sink]]
id = "summary"
plugin = "console"
format = "lines"
refresh = "500ms"
)";

TEST(Cli, HelpListsCommandsAndExitsZero) {
    auto r = run_shell(kHost + " --help");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    for (const char* c : {"run", "check", "plugins"}) EXPECT_NE(r.output.find(c), std::string::npos) << c;
}

TEST(Cli, UnknownCommandIsAUsageError) {
    auto r = run_shell(kHost + " frobnicate");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.output.find("unknown command 'frobnicate'"), std::string::npos) << r.output;
}

TEST(Cli, EachCommandHasHelp) {
    for (const char* c : {"run", "check", "plugins"}) {
        auto r = run_shell(kHost + " " + c + " --help");
        EXPECT_EQ(r.exit_code, 0) << c << ": " << r.output;
        EXPECT_NE(r.output.find("usage: zzprobe " + std::string(c)), std::string::npos) << r.output;
    }
}

TEST(Cli, PluginsListsBundledPluginsWithKindVersionAndAbi) {
    if (!has_plugin("zzp-synthetic.so")) GTEST_SKIP() << "synthetic plugin not built";
    auto r = run_shell(kHost + " plugins");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    // One row: id, kind, version, ABI, library path.
    bool found = false;
    std::istringstream lines(r.output);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::string id, kind, version, abi, path;
        words >> id >> kind >> version >> abi >> path;
        if (id == "synthetic") {
            found = true;
            EXPECT_EQ(kind, "probe");
            EXPECT_EQ(abi, "1.0");
            EXPECT_NE(path.find("zzp-synthetic.so"), std::string::npos) << line;
        }
    }
    EXPECT_TRUE(found) << r.output;
}

TEST(Cli, PluginsDescribesOnePluginWithSchemaAndSample) {
    if (!has_plugin("zzp-synthetic.so")) GTEST_SKIP() << "synthetic plugin not built";
    auto r = run_shell(kHost + " plugins synthetic");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("configuration keys"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("targets"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("[[probe]]"), std::string::npos) << r.output;  // the sample config
}

TEST(Cli, PluginsUnknownIdIsAnError) {
    auto r = run_shell(kHost + " plugins no-such-plugin");
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("no-such-plugin"), std::string::npos);
}

TEST(Cli, CheckAcceptsAValidPipeline) {
    if (!has_plugin("zzp-synthetic.so") || !has_plugin("zzp-console.so")) GTEST_SKIP() << "plugins not built";
    TempDir dir;
    dir.write("p.toml", kSyntheticPipeline);
    auto r = run_shell(kHost + " check -c " + dir.file("p.toml"));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("OK: 1 probe, 1 sink, 0 viewers"), std::string::npos) << r.output;
}

TEST(Cli, CheckPointsAtTheMisspeltKeyAndExitsTwo) {
    if (!has_plugin("zzp-synthetic.so")) GTEST_SKIP() << "synthetic plugin not built";
    TempDir dir;
    dir.write("p.toml", "[[probe]]\nplugin = \"synthetic\"\ntargets = [\"a\"]\ntagrets = [\"b\"]\n");
    auto r = run_shell(kHost + " check -c " + dir.file("p.toml"));
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("p.toml:4:1"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("tagrets"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("targets"), std::string::npos) << r.output;  // did you mean
}

TEST(Cli, CheckReportsAnUnknownPluginWithASuggestion) {
    if (!has_plugin("zzp-synthetic.so")) GTEST_SKIP() << "synthetic plugin not built";
    TempDir dir;
    dir.write("p.toml", "[[probe]]\nplugin = \"synthetc\"\ntargets = [\"a\"]\n");
    auto r = run_shell(kHost + " check -c " + dir.file("p.toml"));
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("p.toml:2:"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("did you mean 'synthetic'"), std::string::npos) << r.output;
}

TEST(Cli, CheckAsksThePluginsToo) {
    // A range only the plugin knows (loss is a fraction): check must configure the instance.
    if (!has_plugin("zzp-synthetic.so")) GTEST_SKIP() << "synthetic plugin not built";
    TempDir dir;
    dir.write("p.toml", "[[probe]]\nplugin = \"synthetic\"\ntargets = [\"a\"]\nloss = 1.5\n");
    auto r = run_shell(kHost + " check -c " + dir.file("p.toml"));
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("p.toml:4:"), std::string::npos) << r.output;
}

TEST(Cli, CheckOnAMissingFileExitsTwo) {
    auto r = run_shell(kHost + " check -c /nonexistent/pipeline.toml");
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("/nonexistent/pipeline.toml"), std::string::npos) << r.output;
}

TEST(Cli, RunsASyntheticPipelineForADurationAndPrintsTheSummary) {
    if (!has_plugin("zzp-synthetic.so") || !has_plugin("zzp-console.so")) GTEST_SKIP() << "plugins not built";
    TempDir dir;
    dir.write("p.toml", kSyntheticPipeline);
    auto r = run_shell(kHost + " run -c " + dir.file("p.toml") + " --duration 3s", 60);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("alpha"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("beta"), std::string::npos) << r.output;
}

TEST(Cli, SigtermStopsARunningPipelineCleanly) {
    if (!has_plugin("zzp-synthetic.so") || !has_plugin("zzp-console.so")) GTEST_SKIP() << "plugins not built";
    TempDir dir;
    dir.write("p.toml", kSyntheticPipeline);
    auto r = run_shell("(" + kHost + " run -c " + dir.file("p.toml") + " & pid=$!; sleep 2; kill -TERM $pid; wait $pid)", 60);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("alpha"), std::string::npos) << r.output;
}

TEST(Cli, APluginsConfigureErrorPointsAtTheTomlLine) {
    if (!has_plugin("zzp-synthetic.so")) GTEST_SKIP() << "synthetic plugin not built";
    TempDir dir;
    dir.write("p.toml", "[[probe]]\nplugin = \"synthetic\"\ntargets = [\"a\"]\nloss = 1.5\n");
    auto r = run_shell(kHost + " run -c " + dir.file("p.toml") + " --duration 1s", 60);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("p.toml:4:"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("loss"), std::string::npos) << r.output;
}

// The main data path end to end: the UDP echo probe against its bundled responder on loopback,
// through the host's frame builder, into the recorder; the recording then read back with the
// recorder's own tool. Every attempt must be recorded exactly once, and frames must add up.
TEST(Pipeline, UdpEchoIntoTheRecorderRecordsEverySampleOnce) {
    if (!has_plugin("zzp-udp-echo.so") || !has_plugin("zzp-file.so")) GTEST_SKIP() << "plugins not built";
    const std::string tool = std::string(ZZP_BUILD_DIR) + "/bin/zzprobe-file";
    TempDir dir;
    // The responder runs as its own process (as on a far host), so it outlives the probe's stop
    // and answers the last attempts in flight.
    const std::string responder = std::string(ZZP_BUILD_DIR) + "/bin/zzprobe-udp-responder";
    dir.write("p.toml",
              "[[probe]]\nid = \"echo\"\nplugin = \"udp-echo\"\ntargets = [\"127.0.0.1:47931\"]\nrate = 100.0\n"
              "[[sink]]\nid = \"rec\"\nplugin = \"file\"\ndirectory = \"" + dir.file("rec") +
                  "\"\nsamples = true\n");
    auto run = run_shell("(" + responder + " --listen 127.0.0.1:47931 & r=$!; sleep 0.3; " + kHost + " run -c " +
                             dir.file("p.toml") + " --duration 3s; rc=$?; kill $r; exit $rc)",
                         60);
    ASSERT_EQ(run.exit_code, 0) << run.output;

    auto verify = run_shell(tool + " verify " + dir.file("rec") + "/*.zzr");
    EXPECT_EQ(verify.exit_code, 0) << verify.output;

    // Samples: one row per attempt, sequences 1..N without gap or repeat, all replies.
    auto samples = run_shell(tool + " dump --samples --format csv " + dir.file("rec"));
    ASSERT_EQ(samples.exit_code, 0) << samples.output;
    std::istringstream rows(samples.output);
    std::string line;
    std::getline(rows, line);  // header
    uint64_t expected_seq = 1, replies = 0;
    while (std::getline(rows, line)) {
        std::vector<std::string> cells;
        std::istringstream fields(line);
        for (std::string c; std::getline(fields, c, ',');) cells.push_back(c);
        ASSERT_GE(cells.size(), 5u) << line;
        EXPECT_EQ(std::stoull(cells[1]), expected_seq) << line;
        ++expected_seq;
        if (cells[3] == "reply") ++replies;
    }
    const uint64_t attempts = expected_seq - 1;
    EXPECT_GE(attempts, 200u) << "3 s at 100/s";
    EXPECT_EQ(replies, attempts) << "loopback with our own responder loses nothing";

    // Frames: their sent and received counts add up to the same attempts.
    auto frames = run_shell(tool + " dump --format csv " + dir.file("rec"));
    ASSERT_EQ(frames.exit_code, 0) << frames.output;
    std::istringstream frame_rows(frames.output);
    std::getline(frame_rows, line);
    uint64_t sent = 0, received = 0;
    while (std::getline(frame_rows, line)) {
        std::vector<std::string> cells;
        std::istringstream fields(line);
        for (std::string c; std::getline(fields, c, ',');) cells.push_back(c);
        ASSERT_GE(cells.size(), 6u) << line;
        sent += std::stoull(cells[4]);
        received += std::stoull(cells[5]);
    }
    EXPECT_EQ(sent, attempts);
    EXPECT_EQ(received, attempts);
}

// The third-party story: install zzprobe to a prefix, build the example plugin in
// docs/examples/third-party-probe against that installed SDK only, and run it through the
// installed host against a TCP listener on loopback.
TEST(ThirdParty, ExamplePluginBuildsAgainstTheInstalledSdkAndRuns) {
    if (!has_plugin("zzp-console.so")) GTEST_SKIP() << "console plugin not built";
    TempDir dir;
    const std::string prefix = dir.file("prefix");
    auto install = run_shell(std::string(ZZP_CMAKE_COMMAND) + " --install " + ZZP_BUILD_DIR + " --prefix " + prefix, 300);
    ASSERT_EQ(install.exit_code, 0) << install.output;
    ASSERT_TRUE(std::filesystem::exists(prefix + "/include/zzprobe/zzprobe.h"));
    ASSERT_TRUE(std::filesystem::exists(prefix + "/bin/zzprobe"));

    // Also usable without CMake: the pkg-config file points at the installed headers.
    auto pc = run_shell("PKG_CONFIG_PATH=$(dirname $(find " + prefix +
                        " -name zzprobe-sdk.pc)) pkg-config --cflags zzprobe-sdk | sed -e \"s/^-I//\" -e \"s/ *$//\"");
    ASSERT_EQ(pc.exit_code, 0) << pc.output;
    std::string include_dir = pc.output.substr(0, pc.output.find_first_of("\n"));
    EXPECT_TRUE(std::filesystem::exists(include_dir + "/zzprobe/zzprobe.h")) << pc.output;
    EXPECT_TRUE(std::filesystem::equivalent(include_dir, prefix + "/include")) << pc.output;

    const std::string example = std::string(ZZP_SOURCE_DIR) + "/docs/examples/third-party-probe";
    const std::string build = dir.file("build-example");
    std::string flags = ZZP_SANITIZE_FLAGS;
    auto configure = run_shell(std::string(ZZP_CMAKE_COMMAND) + " -S " + example + " -B " + build +
                                   " -DCMAKE_PREFIX_PATH=" + prefix + " -DCMAKE_CXX_COMPILER=" + ZZP_CXX_COMPILER +
                                   " -DCMAKE_CXX_FLAGS=\"" + flags + "\" -DCMAKE_MODULE_LINKER_FLAGS=\"" + flags + "\"",
                               300);
    ASSERT_EQ(configure.exit_code, 0) << configure.output;
    auto compile = run_shell(std::string(ZZP_CMAKE_COMMAND) + " --build " + build, 300);
    ASSERT_EQ(compile.exit_code, 0) << compile.output;
    auto install_plugin =
        run_shell(std::string(ZZP_CMAKE_COMMAND) + " --install " + build + " --prefix " + dir.file("extra"), 120);
    ASSERT_EQ(install_plugin.exit_code, 0) << install_plugin.output;

    auto listed = run_shell("ZZPROBE_PLUGIN_PATH=" + dir.file("extra/plugins") + " " + prefix +
                            "/bin/zzprobe plugins org.example.tcp-connect");
    ASSERT_EQ(listed.exit_code, 0) << listed.output;
    EXPECT_NE(listed.output.find("TCP connect-time probe"), std::string::npos) << listed.output;

    // A loopback listener for the probe to time, held open for the whole run.
    dir.write("p.toml",
              "[[probe]]\nid = \"tcp\"\nplugin = \"org.example.tcp-connect\"\ntargets = [\"127.0.0.1:47913\"]\nrate = 20.0\n"
              "[[sink]]\nplugin = \"console\"\nformat = \"lines\"\nrefresh = \"500ms\"\n");
    auto run = run_shell("(socat TCP-LISTEN:47913,reuseaddr,fork,bind=127.0.0.1 /dev/null & l=$!; sleep 0.5; "
                         "ZZPROBE_PLUGIN_PATH=" + dir.file("extra/plugins") + " " + prefix + "/bin/zzprobe run -c " +
                             dir.file("p.toml") + " --duration 3s; rc=$?; kill $l; exit $rc)",
                         90);
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("127.0.0.1:47913"), std::string::npos) << run.output;
}

}  // namespace

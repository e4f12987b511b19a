// The console sink run in-process through the C ABI against a FakeHost: configuration, the
// printer thread and what reaches the output stream (stderr redirected to a file here).
#include "console_sink.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fake_host.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "console_descriptor.hpp"
#include "console_settings.hpp"
#include "frame_builder.hpp"

namespace zzp::console {
namespace {

using namespace zzp::console::test;

class Sink {
public:
    Sink() {
        static const zzp::PluginEntry entry = zzp::entry<ConsoleSink>(kConsoleDescriptor);
        plugin_ = zzp::detail::create_instance(entry, host.table(), &error);
        EXPECT_NE(plugin_, nullptr) << error.message;
        ext_ = static_cast<const zzp_sink_ext*>(plugin_->get_extension(plugin_, ZZP_EXT_SINK));
    }
    ~Sink() { plugin_->destroy(plugin_); }
    zzp_status configure(const std::string& toml) {
        zzp::test::FakeConfig config(toml);
        return plugin_->configure(plugin_, config.table(), &error);
    }
    zzp_status start() { return plugin_->start(plugin_, &error); }
    zzp_status stop() { return plugin_->stop(plugin_, host.mono_now_ns_for_test(), &error); }
    void name_target(uint32_t id, const char* name, const char* address) {
        zzp_target_info info{sizeof(zzp_target_info), id, name, address, "synthetic", "probe", kInterval};
        ASSERT_EQ(ext_->on_target(plugin_, &info, &error), ZZP_OK);
    }
    zzp_status write(const std::vector<zzp_frame>& frames) {
        zzp_batch batch{++seq_, ZZP_BATCH_FRAMES, static_cast<uint32_t>(frames.size()), nullptr, frames.data()};
        return ext_->write(plugin_, &batch, &error);
    }
    const zzp_sink_ext* ext() const { return ext_; }
    const zzp_plugin* raw() const { return plugin_; }

    struct Host : zzp::test::FakeHost {
        int64_t mono_now_ns_for_test() const { return table()->mono_now_ns(table()) + 2'000'000'000; }
    } host;
    zzp_error error{sizeof(zzp_error), 0, {}, {}};

private:
    const zzp_plugin* plugin_ = nullptr;
    const zzp_sink_ext* ext_ = nullptr;
    uint64_t seq_ = 0;
};

// Sends stderr to a temporary file for the life of the object.
class CapturedStderr {
public:
    CapturedStderr() {
        std::snprintf(path_, sizeof path_, "/tmp/zzp-console-test-%d-XXXXXX", getpid());
        int fd = mkstemp(path_);
        saved_ = dup(STDERR_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    ~CapturedStderr() {
        restore();
        unlink(path_);
    }
    std::string text() {
        restore();
        std::ifstream in(path_);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }

private:
    void restore() {
        if (saved_ >= 0) {
            dup2(saved_, STDERR_FILENO);
            close(saved_);
            saved_ = -1;
        }
    }
    char path_[64];
    int saved_ = -1;
};

std::vector<zzp_frame> one_percent_loss_frames(uint32_t id) {
    std::vector<zzp_frame> frames;
    for (int64_t i = 0; i < 50; ++i) frames.push_back(make_frame(id, i, 20, i % 5 == 0 ? 19 : 20, i % 5 == 0 ? 1 : 0));
    return frames;
}

TEST(ConsoleSink, AcceptsLiveAndFinalFrames) {
    Sink sink;
    ASSERT_NE(sink.ext(), nullptr);
    EXPECT_EQ(sink.ext()->accepts, ZZP_ACCEPT_FRAMES_LIVE | ZZP_ACCEPT_FRAMES_FINAL);
}

TEST(ConsoleSink, PrintsLinesEveryRefreshAndOnStop) {
    CapturedStderr captured;
    Sink sink;
    sink.host.set_wall_ns(end_of(49) + 50 * kMs);  // the wall clock the summary is taken at
    ASSERT_EQ(sink.configure("output = \"stderr\"\nformat = \"lines\"\nrefresh = \"100ms\""), ZZP_OK);
    ASSERT_EQ(sink.start(), ZZP_OK);
    sink.name_target(1, "router", "synthetic:router");
    sink.name_target(2, "isp", "synthetic:isp");
    ASSERT_EQ(sink.write(one_percent_loss_frames(1)), ZZP_OK);
    std::this_thread::sleep_for(std::chrono::milliseconds(450));
    ASSERT_EQ(sink.stop(), ZZP_OK);
    std::string text = captured.text();

    const std::string router_line =
        "2023-11-14T22:13:25Z router (synthetic:router) sent 200.0/s recv 198.0/s p50 2.00ms p99~ 2.00ms "
        "mean 2.00ms loss 1.0% last 0.1s inflight 0\n";
    const std::string isp_line = "2023-11-14T22:13:25Z isp (synthetic:isp) no data last never inflight 0\n";
    size_t blocks = 0;
    for (size_t at = text.find(router_line); at != std::string::npos; at = text.find(router_line, at + 1)) ++blocks;
    // Every 100 ms for 450 ms plus the last one at stop; generous for a busy machine.
    EXPECT_GE(blocks, 3u) << text;
    EXPECT_LE(blocks, 7u) << text;
    EXPECT_NE(text.find(isp_line), std::string::npos) << text;
    EXPECT_EQ(text.find('\x1b'), std::string::npos) << "no ANSI codes when the output is not a terminal";
}

TEST(ConsoleSink, TableFormatOnAFileHasHeadersAndNoEscapes) {
    CapturedStderr captured;
    Sink sink;
    sink.host.set_wall_ns(end_of(49));
    ASSERT_EQ(sink.configure("output = \"stderr\"\nformat = \"table\"\nrefresh = \"1h\""), ZZP_OK);
    ASSERT_EQ(sink.start(), ZZP_OK);
    sink.name_target(1, "router", "synthetic:router");
    ASSERT_EQ(sink.write(one_percent_loss_frames(1)), ZZP_OK);
    ASSERT_EQ(sink.stop(), ZZP_OK);  // the one block printed at stop
    std::string text = captured.text();
    EXPECT_NE(text.find("TARGET  "), std::string::npos) << text;
    EXPECT_NE(text.find("router  synthetic:router  "), std::string::npos) << text;
    EXPECT_NE(text.find("  1.0%"), std::string::npos) << text;
    EXPECT_EQ(text.find('\x1b'), std::string::npos);
}

TEST(ConsoleSink, AutoFormatOnAFilePrintsLines) {
    CapturedStderr captured;
    Sink sink;
    sink.host.set_wall_ns(end_of(49));
    ASSERT_EQ(sink.configure("output = \"stderr\"\nrefresh = \"1h\""), ZZP_OK);
    ASSERT_EQ(sink.start(), ZZP_OK);
    ASSERT_EQ(sink.write(one_percent_loss_frames(3)), ZZP_OK);
    ASSERT_EQ(sink.stop(), ZZP_OK);
    std::string text = captured.text();
    EXPECT_NE(text.find(" #3 (?) sent 200.0/s"), std::string::npos) << text;
    EXPECT_EQ(text.find("TARGET"), std::string::npos) << text;
}

TEST(ConsoleSink, StopReturnsPromptlyWithALongRefresh) {
    Sink sink;
    ASSERT_EQ(sink.configure("output = \"stderr\"\nrefresh = \"1h\"\nformat = \"lines\""), ZZP_OK);
    CapturedStderr captured;
    ASSERT_EQ(sink.start(), ZZP_OK);
    auto begin = std::chrono::steady_clock::now();
    ASSERT_EQ(sink.stop(), ZZP_OK);
    EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(1));
    EXPECT_NE(captured.text().find("(no targets yet)"), std::string::npos);
}

TEST(ConsoleSink, BadConfigIsAConfigErrorNamingTheKey) {
    struct Case {
        const char* toml;
        const char* key;
    } cases[] = {
        {"format = \"fancy\"", "format"}, {"output = \"printer\"", "output"}, {"window = \"0s\"", "window"},
        {"refresh = \"1ms\"", "refresh"}, {"refresh = 5", "refresh"},
    };
    for (const Case& c : cases) {
        Sink sink;
        EXPECT_EQ(sink.configure(c.toml), ZZP_E_CONFIG) << c.toml;
        EXPECT_STREQ(sink.error.key, c.key) << c.toml;
    }
}

TEST(ConsoleSink, SchemaDefaultsAreTheBuiltInDefaults) {
    std::string toml;
    for (uint32_t i = 0; i < kConsoleDescriptor.config_key_count; ++i)
        toml += std::string(kConsoleDescriptor.config_keys[i].key) + " = " +
                kConsoleDescriptor.config_keys[i].default_value + "\n";
    zzp::test::FakeConfig with_defaults(toml), empty("");
    ConsoleSettings a = read_console_settings(zzp::Config(with_defaults.table()));
    ConsoleSettings b = read_console_settings(zzp::Config(empty.table()));
    EXPECT_EQ(a.window_ns, b.window_ns);
    EXPECT_EQ(a.refresh_ns, b.refresh_ns);
    EXPECT_EQ(a.format, b.format);
    EXPECT_EQ(a.output, b.output);
}

TEST(ConsoleSink, ShippedSampleConfigIsValid) {
    std::ifstream file(ZZP_SOURCE_DIR "/plugins/console/sample.toml");
    std::stringstream text;
    text << file.rdbuf();
    EXPECT_EQ(text.str(), kConsoleDescriptor.sample_config);
    toml::table root = toml::parse(text.str());
    const toml::table* sink_table = root["sink"][0].as_table();
    ASSERT_NE(sink_table, nullptr);
    EXPECT_EQ(sink_table->get("plugin")->value<std::string>(), "console");
    std::stringstream instance;
    instance << *sink_table;
    Sink sink;
    EXPECT_EQ(sink.configure(instance.str()), ZZP_OK) << sink.error.message;
}

}  // namespace
}  // namespace zzp::console

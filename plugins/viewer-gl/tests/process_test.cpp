// The real command: `zzprobe view` on a recording and on a live udp-stream, in a real GLFW
// window under Xvfb (label xvfb) and offscreen through EGL. Each run must exit 0 and write a
// screenshot whose pixels show data.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <stb_image.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "synth_recording.hpp"
#include "test_util.hpp"

extern char** environ;

namespace zzp::viewer {
namespace {

bool have(const char* tool) { return std::system((std::string("command -v ") + tool + " >/dev/null 2>&1").c_str()) == 0; }

struct Shot {
    int w = 0, h = 0;
    std::vector<uint8_t> rgba;
};
Shot load_png(const std::string& path) {
    Shot s;
    int n = 0;
    unsigned char* p = stbi_load(path.c_str(), &s.w, &s.h, &n, 4);
    if (!p) return s;
    s.rgba.assign(p, p + size_t(s.w) * size_t(s.h) * 4);
    stbi_image_free(p);
    return s;
}
// Data pixels in the plot area (the panel and axes excluded), and red loss pixels.
void count(const Shot& s, int& data, int& red) {
    data = red = 0;
    for (int y = 30; y < s.h - 40; ++y)
        for (int x = 70; x < s.w * 2 / 3; ++x) {
            auto p = test::pixel(s.rgba, s.w, x, y);
            data += test::is_data(p);
            red += test::is_loss_red(p);
        }
}

int run(const std::string& cmd) {
    int rc = std::system(cmd.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string view_cmd(bool xvfb, const std::string& args, const std::string& log) {
    std::string base = std::string(ZZP_HOST_EXE) + " view " + args + " --size 640x360 > " + log + " 2>&1";
    if (xvfb) return "timeout 120 xvfb-run -a -s '-screen 0 1280x720x24' " + base;
    return "timeout 120 " + base + " --headless egl";
}

void file_mode(bool xvfb) {
    if (xvfb && !have("xvfb-run")) GTEST_SKIP() << "xvfb-run is not installed";
    SynthSpec s;
    s.directory = test::temp_dir(xvfb ? "xfile" : "efile");
    s.hosts = {"a", "b", "c"};
    s.duration_ns = 1800'000'000'000LL;
    s.burst_rate_per_s = 0.01;
    write_synthetic_recording(s);
    std::string png = s.directory + "/file.png", log = s.directory + "/view.log";
    int rc = run(view_cmd(xvfb, s.directory + " --frames 3 --deterministic --screenshot " + png, log));
    std::ifstream l(log);
    std::string text((std::istreambuf_iterator<char>(l)), {});
    ASSERT_EQ(rc, 0) << text;
    Shot shot = load_png(png);
    ASSERT_EQ(shot.w, 640) << text;
    int data, red;
    count(shot, data, red);
    EXPECT_GT(data, 3000);
    EXPECT_GT(red, 5) << "loss bursts are drawn";
    std::filesystem::remove_all(s.directory);
}

void live_mode(bool xvfb) {
    if (xvfb && !have("xvfb-run")) GTEST_SKIP() << "xvfb-run is not installed";
    std::string dir = test::temp_dir(xvfb ? "xlive" : "elive");
    int port = 20000 + (::getpid() * 2 + (xvfb ? 1 : 0)) % 20000;
    std::string cfg = dir + "/live.toml";
    {
        std::ofstream c(cfg);
        c << "[[probe]]\nid = \"synthetic\"\nplugin = \"synthetic\"\ntargets = [\"router\", \"isp\"]\nrate = 20.0\n"
             "burst_loss = 0.3\nburst_length = \"300ms\"\nspike_rate = 0.2\nseed = 3\n"
             "[[sink]]\nid = \"live\"\nplugin = \"udp-stream\"\nlisten = \"127.0.0.1:"
          << port << "\"\n";
    }
    std::string runlog = dir + "/run.log";
    pid_t pid = 0;
    std::string sh = std::string(ZZP_HOST_EXE) + " run -c " + cfg + " --duration 60s > " + runlog + " 2>&1";
    const char* argv[] = {"/bin/sh", "-c", sh.c_str(), nullptr};
    ASSERT_EQ(posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ), 0);
    std::this_thread::sleep_for(std::chrono::seconds(4));  // some history to show at once
    std::string png = dir + "/live.png", log = dir + "/view.log";
    int rc = run(view_cmd(xvfb, "--connect 127.0.0.1:" + std::to_string(port) + " --frames 4 --screenshot " + png, log));
    ::kill(pid, SIGTERM);
    int st = 0;
    ::waitpid(pid, &st, 0);
    std::ifstream l(log);
    std::string text((std::istreambuf_iterator<char>(l)), {});
    ASSERT_EQ(rc, 0) << text;
    Shot shot = load_png(png);
    ASSERT_EQ(shot.w, 640) << text;
    int data, red;
    count(shot, data, red);
    EXPECT_GT(data, 300) << "the retained history is drawn at once\n" << text;
    std::filesystem::remove_all(dir);
}

TEST(ViewerProcessEgl, FileExitsZeroWithScreenshot) { file_mode(false); }
TEST(ViewerProcessEgl, LiveStreamExitsZeroWithScreenshot) { live_mode(false); }
TEST(ViewerXvfb, FileInRealWindow) { file_mode(true); }
TEST(ViewerXvfb, LiveStreamInRealWindow) { live_mode(true); }

}  // namespace
}  // namespace zzp::viewer

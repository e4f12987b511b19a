// Test and benchmark harness for hot swap: a real pipeline from a TOML config (the same steps as
// `zzprobe run`: prepare_pipeline, config views kept for the run, Pipeline, HotSwap, MainLoop),
// plus readers for what the recorders wrote.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli/prepared_pipeline.hpp"
#include "config/config_view.hpp"
#include "control/hot_swap.hpp"
#include "control/main_loop.hpp"
#include "control/plugin_watcher.hpp"
#include "pipeline/pipeline.hpp"

namespace zzp::hotswap_test {

namespace fs = std::filesystem;
using namespace zzp::host;

// A fresh folder under /tmp, removed by the destructor.
struct TempDir {
    fs::path path;
    TempDir();
    ~TempDir();
};

fs::path bundled_plugin(const std::string& file);  // build/lib/zzprobe/plugins/<file>
fs::path test_plugin(const std::string& file);     // build/test-plugins/hotswap/<file>

// A free UDP port on 127.0.0.1.
int free_udp_port();

class SwapHarness {
public:
    ~SwapHarness();
    // Writes `toml` to dir/pipeline.toml, prepares, opens and starts it. false with *why.
    bool start(const fs::path& dir, const std::string& toml, HotSwapOptions options, std::string* why);
    // Also watch `dirs` like `zzprobe run` does.
    bool watch(std::vector<fs::path> dirs, std::string* why);

    // Run the main loop until `done()` or the timeout; true when done() held.
    bool run_until(const std::function<bool()>& done, int64_t timeout_ns);
    void run_for(int64_t ns);
    // Swap and wait for the probation verdict (committed or rolled back). Returns the result.
    SwapResult swap_and_settle(const std::string& instance, const fs::path& library, int64_t timeout_ns = 10'000'000'000);

    StopReport stop();  // finish probations, stop the pipeline (drains everything)

    Pipeline& pipeline() { return *pipeline_; }
    HotSwap& swaps() { return *swaps_; }
    MainLoop& loop() { return loop_; }
    const std::vector<SwapEvent>& events() const { return events_; }
    size_t count(SwapEvent::Kind kind) const;
    SinkRunnerCounters sink(const std::string& id) const;  // last seen (also after stop)

private:
    PreparedPipeline prepared_;
    std::vector<std::unique_ptr<ConfigView>> views_;
    std::unique_ptr<Pipeline> pipeline_;
    MainLoop loop_;
    std::unique_ptr<HotSwap> swaps_;
    std::unique_ptr<PluginWatcher> watcher_;
    std::vector<SwapEvent> events_;
    std::vector<std::pair<std::string, SinkRunnerCounters>> final_counters_;
    bool stopped_ = false;
};

// What the test recorder wrote: one entry per sample line, with its batch and version.
struct RecordedSample {
    uint64_t batch = 0;
    std::string version;
    uint32_t target = 0;
    uint64_t seq = 0;
    uint16_t status = 0;
    int64_t sent_wall_ns = 0;
    int64_t taken_wall_ns = 0;  // when the recorder took its batch
};
std::vector<RecordedSample> read_test_recording(const fs::path& file);

// Settling records (REPLY, LOST, SEND_ERROR, NET_ERROR): the ones a probe emits exactly once.
bool settles(uint16_t status);

// Process figures for the growth checks.
size_t mapped_private_copies();  // lines of /proc/self/maps naming one of our private copies
size_t open_fds();
size_t rss_kib();

}  // namespace zzp::hotswap_test

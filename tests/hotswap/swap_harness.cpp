#include "swap_harness.hpp"

#include "loader/plugin_instance.hpp"
#include "loopback_port.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace zzp::hotswap_test {

TempDir::TempDir() {
    char tmpl[] = "/tmp/zzp-hotswap-XXXXXX";
    const char* made = mkdtemp(tmpl);
    path = made ? made : "/tmp/zzp-hotswap-failed";
}

TempDir::~TempDir() {
    if (std::getenv("ZZP_KEEP_TMP")) return;
    std::error_code ec;
    fs::remove_all(path, ec);
}

fs::path bundled_plugin(const std::string& file) { return fs::path(ZZP_HARNESS_PLUGIN_OUTPUT_DIR) / file; }
fs::path test_plugin(const std::string& file) { return fs::path(ZZP_HOTSWAP_PLUGIN_DIR) / file; }

int free_udp_port() { return zzp::test::free_loopback_port(SOCK_DGRAM); }

SwapHarness::~SwapHarness() {
    if (!stopped_ && pipeline_) stop();
    watcher_.reset();
    loop_.close();
    swaps_.reset();
    pipeline_.reset();
}

bool SwapHarness::start(const fs::path& dir, const std::string& toml, HotSwapOptions options, std::string* why) {
    const fs::path config = dir / "pipeline.toml";
    {
        std::ofstream out(config);
        out << toml;
    }
    prepared_ = prepare_pipeline(config, {});
    std::string problems;
    for (const auto& d : prepared_.diagnostics) problems += format_diagnostic(d) + "\n";
    if (!prepared_.ok()) {
        *why = "config: " + problems;
        return false;
    }
    std::vector<InstanceSpec> specs;
    for (const ResolvedInstance& r : prepared_.instances) {
        views_.push_back(std::make_unique<ConfigView>(*r.config));
        InstanceSpec spec;
        spec.kind = to_plugin_kind(r.config->kind);
        spec.instance_id = r.config->id;
        spec.plugin_id = r.plugin_id;
        spec.inputs = r.config->inputs;
        spec.config = views_.back()->table();
        spec.create = [library = r.library, plugin_id = r.plugin_id, instance_id = r.config->id](
                          const zzp_host* table, std::string* error) -> std::unique_ptr<InstanceHandle> {
            return library->create(plugin_id, instance_id, table, error);
        };
        specs.push_back(std::move(spec));
    }
    const HostSettings& host = prepared_.parsed.config.host;
    PipelineOptions po;
    po.frame_interval_ns = host.frame_interval.count();
    po.settle_timeout_ns = host.settle_timeout.count();
    po.queue_limit_bytes = host.queue_limit_bytes;
    pipeline_ = std::make_unique<Pipeline>(std::move(specs), po);
    std::vector<PipelineError> errors;
    if (!pipeline_->open(errors)) {
        for (auto& e : errors) *why += e.text() + "\n";
        return false;
    }
    pipeline_->release_factories();
    for (ResolvedInstance& r : prepared_.instances) r.library.reset();
    if (!pipeline_->start(errors)) {
        for (auto& e : errors) *why += e.text() + "\n";
        return false;
    }
    swaps_ = std::make_unique<HotSwap>(*pipeline_, loop_, options);
    swaps_->set_listener([this](const SwapEvent& e) {
        events_.push_back(e);
        loop_.interrupt();
    });
    return true;
}

bool SwapHarness::watch(std::vector<fs::path> dirs, std::string* why) {
    watcher_ = std::make_unique<PluginWatcher>(std::move(dirs), [this](const fs::path& library) {
        loop_.post([this, library] { swaps_->library_changed(library); });
    });
    return watcher_->start(why);
}

bool SwapHarness::run_until(const std::function<bool()>& done, int64_t timeout_ns) {
    const int64_t deadline = MainLoop::mono_now_ns() + timeout_ns;
    while (!done()) {
        if (MainLoop::mono_now_ns() >= deadline) return false;
        loop_.run(deadline);  // returns at each swap event (the listener interrupts it) or the deadline
    }
    return true;
}

void SwapHarness::run_for(int64_t ns) { loop_.run(MainLoop::mono_now_ns() + ns); }

SwapResult SwapHarness::swap_and_settle(const std::string& instance, const fs::path& library, int64_t timeout_ns) {
    const size_t before = count(SwapEvent::Kind::committed) + count(SwapEvent::Kind::rolled_back);
    SwapResult r = swaps_->swap(instance, library);
    if (r.ok)
        run_until([&] { return count(SwapEvent::Kind::committed) + count(SwapEvent::Kind::rolled_back) > before; },
                  timeout_ns);
    return r;
}

StopReport SwapHarness::stop() {
    stopped_ = true;
    loop_.run_ready();
    swaps_->finish_probations();
    StopReport report = pipeline_->stop(pipeline_->clock().mono_ns() + 10'000'000'000);
    final_counters_ = pipeline_->sink_counters();
    return report;
}

size_t SwapHarness::count(SwapEvent::Kind kind) const {
    size_t n = 0;
    for (const auto& e : events_) n += e.kind == kind;
    return n;
}

SinkRunnerCounters SwapHarness::sink(const std::string& id) const {
    auto all = stopped_ ? final_counters_ : pipeline_->sink_counters();
    for (const auto& [sid, c] : all)
        if (sid == id) return c;
    return {};
}

std::vector<RecordedSample> read_test_recording(const fs::path& file) {
    std::vector<RecordedSample> out;
    std::ifstream in(file);
    std::string line;
    uint64_t batch = 0;
    std::string version;
    int64_t taken = 0;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string tag;
        ls >> tag;
        if (tag == "B") {
            ls >> batch >> version >> taken;
        } else if (tag == "s") {
            RecordedSample s;
            s.batch = batch;
            s.version = version;
            s.taken_wall_ns = taken;
            ls >> s.target >> s.seq >> s.status >> s.sent_wall_ns;
            out.push_back(s);
        }
    }
    return out;
}

bool settles(uint16_t status) {
    return status == ZZP_SAMPLE_REPLY || status == ZZP_SAMPLE_LOST || status == ZZP_SAMPLE_SEND_ERROR ||
           status == ZZP_SAMPLE_NET_ERROR;
}

size_t mapped_private_copies() {
    std::ifstream maps("/proc/self/maps");
    std::set<std::string> files;
    std::string line;
    const std::string pid = std::to_string(getpid());
    while (std::getline(maps, line)) {
        size_t slash = line.find('/');
        if (slash == std::string::npos) continue;
        std::string path = line.substr(slash);
        if (path.find("zzprobe-") != std::string::npos && path.find("/gen") != std::string::npos) files.insert(path);
    }
    return files.size();
}

size_t open_fds() {
    size_t n = 0;
    for (auto it = fs::directory_iterator("/proc/self/fd"); it != fs::directory_iterator(); ++it) ++n;
    return n;
}

size_t rss_kib() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
    return 0;
}

}  // namespace zzp::hotswap_test

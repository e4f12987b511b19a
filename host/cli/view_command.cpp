// `zzprobe view FILE... | --connect HOST:PORT`: load the "gl" viewer plugin through the catalog,
// configure it from a table built from the command line, start it with a minimal host table and
// wait until it asks to stop (window closed, N frames rendered) or a signal arrives. Everything
// heavy lives in the plugin (plugins/viewer-gl).
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <time.h>

#include "cli/command_table.hpp"
#include "cli/signal_watch.hpp"
#include "common/log.hpp"
#include "config/config_view.hpp"
#include "config/diagnostic.hpp"
#include "config/pipeline_config.hpp"
#include "config/schema_validate.hpp"
#include "loader/catalog.hpp"
#include "loader/plugin_instance.hpp"
#include "loader/plugin_library.hpp"
#include "pipeline/host_table.hpp"

namespace zzp::host {

namespace po = boost::program_options;

namespace {

// The host side of a lone viewer: clocks, logging (through HostTable) and request_stop.
class ViewServices final : public HostServices {
public:
    uint32_t intern_target(size_t, const zzp_target_desc&) override { return 0; }
    void ingest(size_t, const zzp_sample*, uint32_t) override {}
    int64_t wall_ns() const override { return now(CLOCK_REALTIME); }
    int64_t mono_ns() const override { return now(CLOCK_MONOTONIC); }
    void request_stop(const std::string&, const std::string& reason) override {
        std::lock_guard lock(m_);
        if (!stop_) reason_ = reason;
        stop_ = true;
        cv_.notify_all();
    }
    std::string wait() {
        std::unique_lock lock(m_);
        cv_.wait(lock, [&] { return stop_; });
        return reason_;
    }

private:
    static int64_t now(clockid_t c) {
        timespec ts;
        clock_gettime(c, &ts);
        return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
    }
    std::mutex m_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::string reason_;
};

}  // namespace

int view_command(const std::vector<std::string>& args) {
    po::options_description options("zzprobe view options");
    options.add_options()
        ("files", po::value<std::vector<std::string>>()->composing(), "recordings: files or folders")
        ("connect,C", po::value<std::string>(), "HOST:PORT of a udp-stream sink to subscribe to")
        ("secret-file", po::value<std::string>(), "file holding the stream's shared secret")
        ("history", po::value<std::string>(), "live history to ask for, e.g. \"1h\"")
        ("headless", po::value<std::string>(), "egl: render offscreen without an X server")
        ("size", po::value<std::string>(), "WIDTHxHEIGHT, default 1280x720")
        ("frames", po::value<int64_t>(), "render N frames, then exit")
        ("screenshot", po::value<std::string>(), "write the last frame as PNG")
        ("script", po::value<std::string>(), "replay input events from a file")
        ("deterministic", "fixed clock, no timing text")
        ("benchmark", "print per-frame timings and counters")
        ("overlay", "overlay hosts in one plot instead of stacking them")
        ("scale", po::value<std::string>(), "linear, log (default) or power")
        ("scale-factor", po::value<double>(), "power scale factor (1-8, default 2)")
        ("y-max", po::value<std::string>(), "fixed top of the RTT axis, e.g. \"50ms\"")
        ("view-start-ns", po::value<int64_t>(), "initial view start (Unix ns)")
        ("view-end-ns", po::value<int64_t>(), "initial view end (Unix ns)")
        ("no-lod", "bin every frame instead of using the pyramid (for comparisons)")
        ("plugin-dir,P", po::value<std::vector<std::string>>()->composing(), "also search this folder for plugins");
    po::positional_options_description positional;
    positional.add("files", -1);
    po::variables_map vm;
    int code = 0;
    if (!parse_command_line("view", "zzprobe view FILE|DIR... | --connect HOST:PORT [--secret-file F] [options]", args,
                            options, positional, vm, &code))
        return code;
    bool has_files = vm.count("files") != 0, has_connect = vm.count("connect") != 0;
    if (has_files == has_connect) {
        std::fprintf(stderr, "zzprobe view: give recordings (files or folders) or --connect HOST:PORT, not %s\n",
                     has_files ? "both" : "neither");
        return kExitUsage;
    }

    // The viewer's table, as a [[viewer]] section would give it.
    toml::table t;
    if (has_files) {
        toml::array files;
        for (const auto& f : vm["files"].as<std::vector<std::string>>()) files.push_back(f);
        t.insert("files", files);
    }
    auto str = [&](const char* opt, const char* key) {
        if (vm.count(opt)) t.insert(key, vm[opt].as<std::string>());
    };
    str("connect", "connect");
    str("secret-file", "secret_file");
    str("history", "history");
    str("headless", "headless");
    str("size", "size");
    str("screenshot", "screenshot");
    str("script", "script");
    str("scale", "scale");
    str("y-max", "y_max");
    if (vm.count("frames")) t.insert("frames", vm["frames"].as<int64_t>());
    if (vm.count("view-start-ns")) t.insert("view_start_ns", vm["view-start-ns"].as<int64_t>());
    if (vm.count("view-end-ns")) t.insert("view_end_ns", vm["view-end-ns"].as<int64_t>());
    if (vm.count("scale-factor")) t.insert("scale_factor", vm["scale-factor"].as<double>());
    if (vm.count("deterministic")) t.insert("deterministic", true);
    if (vm.count("benchmark")) t.insert("benchmark", true);
    if (vm.count("overlay")) t.insert("stacked", false);
    if (vm.count("no-lod")) t.insert("lod", false);

    block_stop_signals();
    PluginCatalog catalog = PluginCatalog::scan(plugin_dirs_option(vm));
    const CatalogEntry* entry = catalog.find("gl");
    if (!entry || entry->kind != ZZP_KIND_VIEWER) {
        std::fprintf(stderr, "zzprobe view: the viewer plugin \"gl\" (zzp-gl.so) was not found");
        for (const auto& p : catalog.problems()) std::fprintf(stderr, "\n  %s", p.one_line().c_str());
        std::fprintf(stderr, "\n  hint: build it (plugins/viewer-gl) or point --plugin-dir at it\n");
        return kExitFailure;
    }

    InstanceConfig instance;
    instance.kind = InstanceKind::viewer;
    instance.id = "view";
    instance.plugin = "gl";
    instance.table = std::move(t);
    instance.source_path = "(command line)";
    std::vector<ConfigDiagnostic> diags;
    if (!validate_instance(instance, *entry->descriptor, diags)) {
        for (const auto& d : diags) std::fprintf(stderr, "zzprobe view: %s\n", format_diagnostic(d).c_str());
        return kExitUsage;
    }
    ConfigView view(instance);

    ViewServices services;
    HostTable table(&services, 0, "view", "gl");
    table.set_origin("gl/view");
    std::string why;
    auto inst = entry->library->create("gl", "view", table.table(), &why);
    if (!inst) {
        std::fprintf(stderr, "zzprobe view: cannot create the viewer: %s\n", why.c_str());
        return kExitFailure;
    }
    zzp_error err{};
    if (inst->configure(view.table(), &err) != ZZP_OK) {
        std::fprintf(stderr, "zzprobe view: %s%s%s\n", err.key[0] ? err.key : "", err.key[0] ? ": " : "", err.message);
        return kExitUsage;
    }
    if (inst->start(&err) != ZZP_OK) {
        std::fprintf(stderr, "zzprobe view: cannot start the viewer: %s\n", err.message);
        return kExitFailure;
    }
    SignalWatch signals([&](const char* sig) { services.request_stop("host", std::string("signal ") + sig); });
    std::string reason = services.wait();
    log_info("view", "stopping: " + reason);
    zzp_status st = inst->stop(services.mono_ns() + 5'000'000'000, &err);
    inst.reset();
    if (st != ZZP_OK) {
        std::fprintf(stderr, "zzprobe view: the viewer did not stop cleanly: %s\n", err.message);
        return kExitFailure;
    }
    return reason.find("error") != std::string::npos ? kExitFailure : kExitOk;
}

}  // namespace zzp::host

// `zzprobe run -c FILE`: the daemon. Validates everything first (like `check`), then opens and
// configures every instance, starts the pipeline, and runs until SIGINT/SIGTERM, --duration, or
// a plugin asks to stop (e.g. the viewer window closed). Stopping lets in-flight attempts settle
// or time out and drains every sink before exiting 0.
//
// While it runs, the main thread runs a MainLoop: lifecycle calls are [main], so the control
// socket (`zzprobe status`, `zzprobe swap`) and the plugin watcher (a rebuilt .so renamed into a
// plugin folder) post their work to it, and a stop request quits it (docs/HOT_SWAP.md).
#include <cstdio>
#include <memory>
#include <set>
#include <thread>

#include "cli/command_table.hpp"
#include "cli/prepared_pipeline.hpp"
#include "cli/signal_watch.hpp"
#include "common/log.hpp"
#include "config/config_view.hpp"
#include "config/units.hpp"
#include "control/control_socket.hpp"
#include "control/hot_swap.hpp"
#include "control/main_loop.hpp"
#include "control/plugin_watcher.hpp"
#include "loader/plugin_instance.hpp"
#include "pipeline/pipeline.hpp"

namespace zzp::host {

namespace po = boost::program_options;

int run_command(const std::vector<std::string>& args) {
    po::options_description options("zzprobe run options");
    options.add_options()("config,c", po::value<std::string>()->required(), "the pipeline file (TOML)")(
        "plugin-dir,P", po::value<std::vector<std::string>>()->composing(), "also search this folder for plugins")(
        "duration,d", po::value<std::string>(), "stop by itself after this long, e.g. \"30s\" or \"2h\"")(
        "stop-timeout", po::value<std::string>(),
        "how long stopping may take: settling in-flight attempts, draining sinks (default: [host] settle_timeout + 5s)")(
        "swap-probation", po::value<std::string>(),
        "hot swap: how long a new generation runs before the previous one is unloaded (default: [host] swap_probation, else 2s)")(
        "swap-probation-batches", po::value<uint64_t>(),
        "hot swap: a sink's new generation also passes probation after this many batches (default: [host] "
        "swap_probation_batches, else time only)")(
        "no-watch", "do not watch the plugin folders for rebuilt libraries (swaps only through `zzprobe swap`)");
    po::positional_options_description positional;
    positional.add("config", 1);
    po::variables_map vm;
    int code = 0;
    if (!parse_command_line("run", "zzprobe run -c PIPELINE.toml [--duration D] [--plugin-dir DIR]...", args, options,
                            positional, vm, &code))
        return code;

    int64_t duration_ns = -1;
    if (vm.count("duration")) {
        auto d = parse_duration(vm["duration"].as<std::string>());
        if (!d) {
            std::fprintf(stderr, "zzprobe run: --duration: %s\n", d.error().c_str());
            return kExitUsage;
        }
        duration_ns = *d;
    }

    // Before any thread exists, so every thread inherits the blocked mask.
    block_stop_signals();

    PreparedPipeline prepared = prepare_pipeline(vm["config"].as<std::string>(), plugin_dirs_option(vm));
    for (const std::string& n : prepared.notes) std::fprintf(stderr, "zzprobe: note: %s\n", n.c_str());
    if (size_t errors = print_diagnostics(prepared.diagnostics); errors > 0) {
        std::fprintf(stderr, "%s: %zu error%s; nothing was started\n", prepared.parsed.config.source_path.c_str(), errors,
                     errors == 1 ? "" : "s");
        return kExitUsage;
    }
    const HostSettings& host = prepared.parsed.config.host;
    int64_t stop_timeout_ns = host.settle_timeout.count() + 5'000'000'000LL;
    if (vm.count("stop-timeout")) {
        auto d = parse_duration(vm["stop-timeout"].as<std::string>());
        if (!d) {
            std::fprintf(stderr, "zzprobe run: --stop-timeout: %s\n", d.error().c_str());
            return kExitUsage;
        }
        stop_timeout_ns = *d;
    }

    // Probation: [host] swap_probation / swap_probation_batches, the command line overriding them.
    HotSwapOptions swap_options;
    if (host.swap_probation) swap_options.probation_ns = host.swap_probation->count();
    if (host.swap_probation_batches) swap_options.probation_batches = *host.swap_probation_batches;
    if (vm.count("swap-probation")) {
        auto d = parse_duration(vm["swap-probation"].as<std::string>());
        if (!d) {
            std::fprintf(stderr, "zzprobe run: --swap-probation: %s\n", d.error().c_str());
            return kExitUsage;
        }
        // The range of [host] swap_probation: a zero probation would retire the previous
        // generation before the new one wrote anything.
        if (*d < 1'000'000 || *d > 3'600'000'000'000) {
            std::fprintf(stderr, "zzprobe run: --swap-probation: %s is out of range: expected 1ms to 1h\n",
                         vm["swap-probation"].as<std::string>().c_str());
            return kExitUsage;
        }
        swap_options.probation_ns = *d;
    }
    if (vm.count("swap-probation-batches")) swap_options.probation_batches = vm["swap-probation-batches"].as<uint64_t>();

    // The config views live for the whole run: a hot swap configures its candidate with them.
    PipelineBuild build = build_pipeline(prepared);
    Pipeline pipeline(std::move(build.specs), build.options);
    std::vector<PipelineError> errors;
    if (!pipeline.open(errors)) {
        bool config_error = false;
        report_pipeline_errors(prepared, errors, &config_error);
        pipeline.stop(pipeline.clock().mono_ns() + stop_timeout_ns);
        return config_error ? kExitUsage : kExitFailure;
    }
    // From here on the pipeline's instances hold their libraries; nothing else may, so that a
    // retired generation really unloads.
    pipeline.release_factories();
    std::set<std::filesystem::path> watch_dirs;
    for (ResolvedInstance& r : prepared.instances) {
        if (r.library) watch_dirs.insert(r.library->path().parent_path());
        r.library.reset();
    }

    MainLoop loop;
    SignalWatch signals([&pipeline, &loop](const char* name) {
        pipeline.request_stop("host", std::string(name) + " received");
        loop.quit(std::string(name) + " received");
    });
    if (!pipeline.start(errors)) {
        bool config_error = false;
        report_pipeline_errors(prepared, errors, &config_error);
        return kExitFailure;
    }
    HotSwap swaps(pipeline, loop, swap_options);

    // A stop asked for by a plugin (or a signal) ends the loop; --duration is the loop's deadline.
    std::thread stop_forwarder([&pipeline, &loop] {
        pipeline.wait();
        loop.quit(pipeline.stop_reason());
    });

    const std::filesystem::path socket_path =
        host.control_socket ? *host.control_socket : default_control_socket(prepared.parsed.config.source_path);
    ControlServer control(socket_path, [&loop, &swaps](const std::vector<std::string>& words) {
        return loop.call([&swaps, words] { return swaps.handle_request(words); });
    });
    std::string control_error;
    if (control.start(&control_error)) log_info("host", "control socket " + socket_path.string());
    else log_warn("host", "no control socket (`zzprobe status`/`swap` will not reach this run): " + control_error);

    std::unique_ptr<PluginWatcher> watcher;
    if (!vm.count("no-watch") && !watch_dirs.empty()) {
        watcher = std::make_unique<PluginWatcher>(
            std::vector<std::filesystem::path>(watch_dirs.begin(), watch_dirs.end()),
            [&loop, &swaps](const std::filesystem::path& library) {
                loop.post([&swaps, library] { swaps.library_changed(library); });
            });
        std::string watch_error;
        if (!watcher->start(&watch_error)) {
            log_warn("host", "plugin folders are not watched: " + watch_error);
            watcher.reset();
        }
    }

    log_info("host", "running " + prepared.parsed.config.source_path + " (" + std::to_string(prepared.instances.size()) +
                         " instances); stop with Ctrl-C or SIGTERM");
    const int64_t deadline = duration_ns >= 0 ? MainLoop::mono_now_ns() + duration_ns : -1;
    if (loop.run(deadline).empty() && !pipeline.stop_requested()) pipeline.request_stop("host", "--duration elapsed");
    // No new work: the watcher and the control server stop, queued requests are answered "stopping".
    watcher.reset();
    loop.close();
    stop_forwarder.join();
    swaps.finish_probations();
    StopReport report = pipeline.stop(pipeline.clock().mono_ns() + stop_timeout_ns);
    for (const std::string& p : report.problems) log_error("host", p);
    if (!report.clean) {
        log_error("host", "stopped with problems; " + std::to_string(report.unwritten_records) +
                              " records could not be written");
        return kExitFailure;
    }
    log_info("host", "stopped cleanly");
    return kExitOk;
}

}  // namespace zzp::host

// `zzprobe run -c FILE`: the daemon. Validates everything first (like `check`), then opens and
// configures every instance, starts the pipeline, and runs until SIGINT/SIGTERM, --duration, or
// a plugin asks to stop (e.g. the viewer window closed). Stopping lets in-flight attempts settle
// or time out and drains every sink before exiting 0.
#include <cstdio>
#include <memory>

#include "cli/command_table.hpp"
#include "cli/prepared_pipeline.hpp"
#include "cli/signal_watch.hpp"
#include "common/log.hpp"
#include "config/config_view.hpp"
#include "config/units.hpp"
#include "loader/plugin_instance.hpp"
#include "pipeline/pipeline.hpp"

namespace zzp::host {

namespace po = boost::program_options;

namespace {

const InstanceConfig* find_instance(const PreparedPipeline& prepared, const std::string& id) {
    for (const ResolvedInstance& r : prepared.instances)
        if (r.config->id == id) return r.config;
    return nullptr;
}

// Configure failures that name a key point at its TOML line, like validation errors do.
void report_pipeline_errors(const PreparedPipeline& prepared, const std::vector<PipelineError>& errors,
                            bool* config_error) {
    std::vector<ConfigDiagnostic> located;
    for (const PipelineError& e : errors) {
        const InstanceConfig* instance = find_instance(prepared, e.instance_id);
        if (instance && !e.key.empty()) {
            located.push_back(plugin_error_diagnostic(*instance, e.key.c_str(), e.message.c_str()));
            *config_error = true;
        } else {
            std::fprintf(stderr, "zzprobe: error: %s\n", e.text().c_str());
        }
    }
    sort_diagnostics(located);
    print_diagnostics(located);
}

}  // namespace

int run_command(const std::vector<std::string>& args) {
    po::options_description options("zzprobe run options");
    options.add_options()("config,c", po::value<std::string>()->required(), "the pipeline file (TOML)")(
        "plugin-dir,P", po::value<std::vector<std::string>>()->composing(), "also search this folder for plugins")(
        "duration,d", po::value<std::string>(), "stop by itself after this long, e.g. \"30s\" or \"2h\"")(
        "stop-timeout", po::value<std::string>(),
        "how long stopping may take: settling in-flight attempts, draining sinks (default: [host] settle_timeout + 5s)");
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

    std::vector<std::unique_ptr<ConfigView>> views;
    std::vector<InstanceSpec> specs;
    for (const ResolvedInstance& r : prepared.instances) {
        views.push_back(std::make_unique<ConfigView>(*r.config));
        InstanceSpec spec;
        spec.kind = to_plugin_kind(r.config->kind);
        spec.instance_id = r.config->id;
        spec.plugin_id = r.plugin_id;
        spec.inputs = r.config->inputs;
        spec.config = views.back()->table();
        spec.create = [library = r.library, plugin_id = r.plugin_id, instance_id = r.config->id](
                          const zzp_host* table, std::string* error) -> std::unique_ptr<InstanceHandle> {
            return library->create(plugin_id, instance_id, table, error);
        };
        specs.push_back(std::move(spec));
    }
    PipelineOptions pipeline_options;
    pipeline_options.frame_interval_ns = host.frame_interval.count();
    pipeline_options.settle_timeout_ns = host.settle_timeout.count();
    pipeline_options.queue_limit_bytes = host.queue_limit_bytes;

    Pipeline pipeline(std::move(specs), pipeline_options);
    std::vector<PipelineError> errors;
    if (!pipeline.open(errors)) {
        bool config_error = false;
        report_pipeline_errors(prepared, errors, &config_error);
        pipeline.stop(pipeline.clock().mono_ns() + stop_timeout_ns);
        return config_error ? kExitUsage : kExitFailure;
    }
    SignalWatch signals([&pipeline](const char* name) {
        pipeline.request_stop("host", std::string(name) + " received");
    });
    if (!pipeline.start(errors)) {
        bool config_error = false;
        report_pipeline_errors(prepared, errors, &config_error);
        return kExitFailure;
    }
    log_info("host", "running " + prepared.parsed.config.source_path + " (" + std::to_string(prepared.instances.size()) +
                         " instances); stop with Ctrl-C or SIGTERM");
    if (duration_ns >= 0) {
        if (!pipeline.wait_for_stop_request(duration_ns)) pipeline.request_stop("host", "--duration elapsed");
    } else {
        pipeline.wait();
    }
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

// `zzprobe check -c FILE`: validate a pipeline and its plugins, start nothing. Exit 0 or 2.
#include <cstdio>

#include "cli/command_table.hpp"
#include "cli/prepared_pipeline.hpp"
#include "pipeline/pipeline.hpp"

namespace zzp::host {

namespace po = boost::program_options;

int check_command(const std::vector<std::string>& args) {
    po::options_description options("zzprobe check options");
    options.add_options()("config,c", po::value<std::string>()->required(), "the pipeline file (TOML)")(
        "plugin-dir,P", po::value<std::vector<std::string>>()->composing(), "also search this folder for plugins");
    po::positional_options_description positional;
    positional.add("config", 1);
    po::variables_map vm;
    int code = 0;
    if (!parse_command_line("check", "zzprobe check -c PIPELINE.toml [--plugin-dir DIR]...", args, options, positional, vm,
                            &code))
        return code;

    PreparedPipeline prepared = prepare_pipeline(vm["config"].as<std::string>(), plugin_dirs_option(vm));
    for (const std::string& n : prepared.notes) std::fprintf(stderr, "zzprobe: note: %s\n", n.c_str());
    size_t errors = print_diagnostics(prepared.diagnostics);
    const std::string& path = prepared.parsed.config.source_path;
    if (errors > 0) {
        std::fprintf(stderr, "%s: %zu error%s; nothing was started\n", path.c_str(), errors, errors == 1 ? "" : "s");
        return kExitUsage;
    }
    // Plugins check what only they can (ranges, addresses, privileges) in configure: create and
    // configure every instance, then destroy them. Nothing is started, nothing is sent.
    {
        PipelineBuild build = build_pipeline(prepared);
        Pipeline pipeline(std::move(build.specs), build.options);
        std::vector<PipelineError> errors;
        bool opened = pipeline.open(errors);
        pipeline.stop(pipeline.clock().mono_ns() + 5'000'000'000LL);
        if (!opened) {
            bool config_error = false;
            report_pipeline_errors(prepared, errors, &config_error);
            std::fprintf(stderr, "%s: a plugin refused its configuration; nothing was started\n", path.c_str());
            return config_error ? kExitUsage : kExitFailure;
        }
    }
    size_t probes = 0, sinks = 0, viewers = 0;
    std::string names;
    for (const ResolvedInstance& r : prepared.instances) {
        switch (r.config->kind) {
        case InstanceKind::probe: ++probes; break;
        case InstanceKind::sink: ++sinks; break;
        case InstanceKind::viewer: ++viewers; break;
        }
        names += (names.empty() ? "" : ", ") + std::string(zzp::host::kind_name(r.config->kind)) + " \"" + r.config->id +
                 "\" (" + r.plugin_id + " " + (r.descriptor->version ? r.descriptor->version : "?") + ")";
    }
    std::printf("%s: OK: %zu probe%s, %zu sink%s, %zu viewer%s: %s\n", path.c_str(), probes, probes == 1 ? "" : "s", sinks,
                sinks == 1 ? "" : "s", viewers, viewers == 1 ? "" : "s", names.c_str());
    return kExitOk;
}

}  // namespace zzp::host

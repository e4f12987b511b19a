// The steps `zzprobe check` and `zzprobe run` share, before anything starts: read the pipeline
// file, find every plugin it names (by id in the catalog, or by path), and validate each
// instance's table against its plugin's schema. Every problem becomes a located diagnostic;
// nothing of a plugin runs except its library's entry, init and descriptors.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config/diagnostic.hpp"
#include "config/config_view.hpp"
#include "config/pipeline_config.hpp"
#include "loader/catalog.hpp"
#include "loader/plugin_library.hpp"
#include "pipeline/pipeline.hpp"

namespace zzp::host {

struct ResolvedInstance {
    const InstanceConfig* config = nullptr;           // points into PreparedPipeline::parsed
    std::shared_ptr<PluginLibrary> library;           // null when the plugin was not found
    const zzp_plugin_descriptor* descriptor = nullptr;
    std::string plugin_id;                            // the descriptor's id
};

struct PreparedPipeline {
    ParsedPipeline parsed;
    std::vector<ResolvedInstance> instances;  // parallel to parsed.config.instances
    std::vector<ConfigDiagnostic> diagnostics;
    std::vector<std::string> notes;  // catalog warnings and library problems worth showing
    bool ok() const { return !has_errors(diagnostics); }
};

// `extra_plugin_dirs` (from --plugin-dir) are searched before the config's own.
PreparedPipeline prepare_pipeline(const std::filesystem::path& config_path,
                                  const std::vector<std::filesystem::path>& extra_plugin_dirs);

// What Pipeline needs, built from a validated PreparedPipeline. The config views must outlive
// the pipeline (a hot swap configures its candidate with them).
struct PipelineBuild {
    std::vector<std::unique_ptr<ConfigView>> views;
    std::vector<InstanceSpec> specs;
    PipelineOptions options;
};
PipelineBuild build_pipeline(const PreparedPipeline& prepared);

// Print errors from Pipeline::open/start; those naming a config key point at its TOML line
// (then *config_error is set).
void report_pipeline_errors(const PreparedPipeline& prepared, const std::vector<PipelineError>& errors,
                            bool* config_error);

// Print diagnostics (sorted) to stderr, then a one-line summary; returns the error count.
size_t print_diagnostics(const std::vector<ConfigDiagnostic>& diagnostics);

}  // namespace zzp::host

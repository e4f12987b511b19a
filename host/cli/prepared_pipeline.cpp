#include "cli/prepared_pipeline.hpp"

#include <cstdio>

#include "config/schema_validate.hpp"
#include "loader/plugin_instance.hpp"
#include "config/suggest.hpp"

namespace zzp::host {
namespace {

// A diagnostic at the instance's `plugin = ...` line.
ConfigDiagnostic at_plugin_key(const InstanceConfig& instance, std::string message, std::string hint) {
    ConfigDiagnostic d = instance_diagnostic(instance, "plugin", std::move(message), std::move(hint));
    if (instance.plugin_position) {
        d.line = static_cast<int>(instance.plugin_position.line);
        d.column = static_cast<int>(instance.plugin_position.column);
    }
    return d;
}

std::string kind_word(uint32_t kind) {
    switch (kind) {
    case ZZP_KIND_PROBE: return "probe";
    case ZZP_KIND_SINK: return "sink";
    case ZZP_KIND_VIEWER: return "viewer";
    }
    return "unknown kind";
}

// Finds the plugin an instance names; on failure adds a diagnostic at its `plugin` key.
ResolvedInstance resolve(const InstanceConfig& instance, const PluginCatalog& catalog,
                         std::vector<ConfigDiagnostic>& diagnostics) {
    ResolvedInstance out;
    out.config = &instance;
    if (instance.plugin_path) {
        LoadError err;
        out.library = PluginCatalog::open_explicit(*instance.plugin_path, &err);
        if (!out.library) {
            diagnostics.push_back(at_plugin_key(instance, err.what + (err.detail.empty() ? "" : " (" + err.detail + ")"),
                                                      err.hint));
            return out;
        }
        if (out.library->descriptors().size() != 1) {
            diagnostics.push_back(at_plugin_key(
                instance,
                "library " + instance.plugin_path->string() + " offers " + std::to_string(out.library->descriptors().size()) +
                    " plugins, so a path alone does not say which one",
                "name the plugin by its id and put the library's folder in [host] plugin_dirs"));
            out.library.reset();
            return out;
        }
        out.descriptor = &out.library->descriptors().front();
        out.plugin_id = out.descriptor->id;
        return out;
    }
    const CatalogEntry* entry = catalog.find(instance.plugin);
    if (!entry) {
        std::vector<std::string> known;
        for (const CatalogEntry& e : catalog.entries()) known.push_back(e.plugin_id);
        std::string hint;
        if (auto close = closest_match(instance.plugin, known)) hint = "did you mean '" + *close + "'? ";
        hint += "`zzprobe plugins` lists what is installed; searched:";
        for (const SearchDir& d : catalog.search_dirs())
            hint += " " + d.path.string() + (d.exists ? "" : " (missing)");
        diagnostics.push_back(at_plugin_key(instance, "unknown plugin '" + instance.plugin + "'", hint));
        return out;
    }
    out.library = entry->library;
    out.descriptor = entry->descriptor;
    out.plugin_id = entry->plugin_id;
    return out;
}

}  // namespace

PreparedPipeline prepare_pipeline(const std::filesystem::path& config_path,
                                  const std::vector<std::filesystem::path>& extra_plugin_dirs) {
    PreparedPipeline out;
    out.parsed = parse_pipeline_file(config_path);
    out.diagnostics = out.parsed.diagnostics;
    if (!out.parsed.ok() && out.parsed.config.instances.empty()) return out;

    std::vector<std::filesystem::path> dirs = extra_plugin_dirs;
    for (const auto& d : out.parsed.config.host.plugin_dirs) dirs.push_back(d);
    PluginCatalog catalog = PluginCatalog::scan(dirs);
    // Shadowed plugin ids are already logged by the catalog itself.

    for (InstanceConfig& instance : out.parsed.config.instances) {
        ResolvedInstance r = resolve(instance, catalog, out.diagnostics);
        if (r.descriptor) {
            if (r.descriptor->kind != static_cast<uint32_t>(to_plugin_kind(instance.kind))) {
                out.diagnostics.push_back(at_plugin_key(
                    instance,
                    "plugin '" + r.plugin_id + "' is a " + kind_word(r.descriptor->kind) + ", but it is configured in [[" +
                        std::string(kind_name(instance.kind)) + "]]",
                    "move it to a [[" + kind_word(r.descriptor->kind) + "]] section"));
            } else {
                validate_instance(instance, *r.descriptor, out.diagnostics);
            }
        }
        out.instances.push_back(std::move(r));
    }
    // Library problems matter only when they could explain a missing plugin.
    bool missing = false;
    for (const ResolvedInstance& r : out.instances) missing |= r.descriptor == nullptr;
    if (missing)
        for (const LoadError& p : catalog.problems()) out.notes.push_back(p.one_line());
    sort_diagnostics(out.diagnostics);
    return out;
}

PipelineBuild build_pipeline(const PreparedPipeline& prepared) {
    PipelineBuild out;
    for (const ResolvedInstance& r : prepared.instances) {
        out.views.push_back(std::make_unique<ConfigView>(*r.config));
        InstanceSpec spec;
        spec.kind = to_plugin_kind(r.config->kind);
        spec.instance_id = r.config->id;
        spec.plugin_id = r.plugin_id;
        spec.inputs = r.config->inputs;
        spec.config = out.views.back()->table();
        spec.create = [library = r.library, plugin_id = r.plugin_id, instance_id = r.config->id](
                          const zzp_host* table, std::string* error) -> std::unique_ptr<InstanceHandle> {
            return library->create(plugin_id, instance_id, table, error);
        };
        out.specs.push_back(std::move(spec));
    }
    const HostSettings& host = prepared.parsed.config.host;
    out.options.frame_interval_ns = host.frame_interval.count();
    out.options.settle_timeout_ns = host.settle_timeout.count();
    out.options.queue_limit_bytes = host.queue_limit_bytes;
    out.options.batch_delay_ns = host.batch_delay.count();
    return out;
}

void report_pipeline_errors(const PreparedPipeline& prepared, const std::vector<PipelineError>& errors,
                            bool* config_error) {
    std::vector<ConfigDiagnostic> located;
    for (const PipelineError& e : errors) {
        const InstanceConfig* instance = prepared.parsed.config.find(e.instance_id);
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

size_t print_diagnostics(const std::vector<ConfigDiagnostic>& diagnostics) {
    size_t errors = 0;
    for (const ConfigDiagnostic& d : diagnostics) {
        std::fprintf(stderr, "%s\n", format_diagnostic(d).c_str());
        if (d.severity == Severity::error) ++errors;
    }
    return errors;
}

}  // namespace zzp::host

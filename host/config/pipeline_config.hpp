// The pipeline file: [host] settings and the [[probe]], [[sink]] and [[viewer]] instances, parsed
// and checked for everything that needs no plugin (syntax, sections, ids, the input graph, host
// keys). Each instance's own keys are checked later against its plugin's schema
// (schema_validate.hpp). The format is documented in docs/CONFIG.md.
#pragma once

#include <toml++/toml.h>
#include <zzprobe/plugin.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.hpp"
#include "config/key_path.hpp"

namespace zzp::host {

enum class InstanceKind { probe, sink, viewer };

// "probe", "sink", "viewer" (the section name without brackets).
std::string_view kind_name(InstanceKind kind);
zzp_plugin_kind to_plugin_kind(InstanceKind kind);

// [host] with every default filled in.
struct HostSettings {
    static constexpr std::chrono::nanoseconds kDefaultFrameInterval = std::chrono::milliseconds(100);
    static constexpr std::chrono::nanoseconds kDefaultSettleTimeout = std::chrono::seconds(10);
    static constexpr uint64_t kDefaultQueueLimit = 64ULL << 20;  // 64MiB
    static constexpr std::chrono::nanoseconds kDefaultBatchDelay = std::chrono::seconds(1);
    static constexpr std::chrono::nanoseconds kMaxBatchDelay = std::chrono::seconds(60);

    // Absolute, normalised; relative entries resolved against the config file's folder. Empty
    // when the file names none (the CLI then uses its built-in plugin directory).
    std::vector<std::filesystem::path> plugin_dirs;
    std::chrono::nanoseconds frame_interval = kDefaultFrameInterval;
    std::chrono::nanoseconds settle_timeout = kDefaultSettleTimeout;
    uint64_t queue_limit_bytes = kDefaultQueueLimit;
    // How long final frames and samples may wait before they are handed to sinks when nothing
    // in the pipeline shows frames live (no viewer, no sink taking live frames): fewer wake-ups.
    std::chrono::nanoseconds batch_delay = kDefaultBatchDelay;
    std::optional<std::filesystem::path> control_socket;  // absolute when set
    // Hot swap probation (docs/HOT_SWAP.md): unset, `zzprobe run` uses its defaults (2s, time
    // only); its --swap-probation / --swap-probation-batches options override these.
    std::optional<std::chrono::nanoseconds> swap_probation;
    std::optional<uint64_t> swap_probation_batches;  // 0: time only
};

struct InstanceConfig {
    InstanceKind kind = InstanceKind::probe;
    std::string id;         // unique across all sections
    bool id_given = false;  // false: defaulted from the plugin
    std::string plugin;     // as written: a plugin id ("icmp") or a path ("./zzp-x.so")
    // Set when `plugin` is a path (contains '/' or ends in ".so"): absolute, resolved against
    // the config file's folder.
    std::optional<std::filesystem::path> plugin_path;
    // Probe ids this sink or viewer takes, in the order written; when the key is absent, every
    // probe in file order. Always empty for a probe.
    std::vector<std::string> inputs;
    std::vector<toml::source_position> input_positions;  // parallel to inputs; none when defaulted
    bool inputs_given = false;
    toml::source_position inputs_position;
    // The instance's own keys (no id, plugin, inputs). validate_instance() adds the defaults,
    // turning it into the effective table handed to the plugin.
    toml::table table;

    std::string source_path;      // the config file as the user named it
    toml::source_region section;  // the section header ([[probe]]) or inline table
    KeyLocations key_locations;   // every own key: "targets", "targets[2].port", ...
    toml::source_position id_position;
    toml::source_position plugin_position;

    // For messages: 'sink "recorder" (plugin file)'.
    std::string label() const;
    // Where a key path of this instance is: the key, the nearest parent, or the section.
    toml::source_position position_of(std::string_view key_path) const;
};

struct PipelineConfig {
    std::string source_path;         // the config file as the user named it
    std::filesystem::path base_dir;  // relative paths resolve against this (the file's folder)
    HostSettings host;
    std::vector<InstanceConfig> instances;  // in file order: probes, sinks, viewers as written

    const InstanceConfig* find(std::string_view id) const;
};

struct ParsedPipeline {
    PipelineConfig config;
    std::vector<ConfigDiagnostic> diagnostics;  // sorted by position
    bool ok() const { return !has_errors(diagnostics); }
};

// Reads and checks a pipeline file. Never throws for bad input: every problem found is a
// diagnostic (an unreadable file, a TOML syntax error, and all the checks listed in
// docs/CONFIG.md), and the config holds whatever could be understood.
ParsedPipeline parse_pipeline_file(const std::filesystem::path& path);
// The same for text already in memory. `display_path` names it in messages; relative paths
// resolve against `base_dir`, by default the folder of `display_path`.
ParsedPipeline parse_pipeline_text(std::string_view text, const std::string& display_path,
                                   std::optional<std::filesystem::path> base_dir = std::nullopt);

// A diagnostic about `instance`, at `key_path` (or the section when empty or unknown).
ConfigDiagnostic instance_diagnostic(const InstanceConfig& instance, std::string key_path, std::string message,
                                     std::string hint = {});
// A plugin's configure() failure, pointing at the TOML line of zzp_error.key.
ConfigDiagnostic plugin_error_diagnostic(const InstanceConfig& instance, const char* error_key,
                                         const char* error_message);

}  // namespace zzp::host

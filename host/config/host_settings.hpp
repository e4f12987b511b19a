// The [host] section: its keys, their defaults and ranges.
#pragma once

#include <toml++/toml.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.hpp"
#include "config/pipeline_config.hpp"

namespace zzp::host {

// Names of the [host] keys, for "did you mean" and for top-level keys put outside [host].
const std::vector<std::string>& host_key_names();
bool is_host_key(std::string_view name);

// Reads a [host] node into settings, appending a diagnostic for each bad key; keys in error
// keep their defaults.
class HostSettingsParser {
public:
    HostSettingsParser(HostSettings& settings, const std::filesystem::path& base_dir, const std::string& display_path,
                       std::vector<ConfigDiagnostic>& diagnostics);
    void parse(const toml::node& host_node, toml::source_position section_position);

private:
    void error(toml::source_position where, std::string key, std::string message, std::string hint);
    void read_plugin_dirs(const toml::node& value, toml::source_position where);
    void read_duration(const std::string& key, const toml::node& value, toml::source_position where,
                       std::chrono::nanoseconds& out);
    void read_queue_limit(const toml::node& value, toml::source_position where);
    void read_control_socket(const toml::node& value, toml::source_position where);
    void read_swap_probation_batches(const toml::node& value, toml::source_position where);
    std::filesystem::path resolve(const std::string& path) const;

    HostSettings& settings_;
    const std::filesystem::path& base_dir_;
    const std::string& display_path_;
    std::vector<ConfigDiagnostic>& diagnostics_;
};

}  // namespace zzp::host

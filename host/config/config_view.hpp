// The zzp_config table handed to zzp_plugin.configure: read access to one instance's effective
// (validated, defaults applied) TOML table, plus the way back from a key path to its line in the
// file for messages about a plugin's configure failure.
#pragma once

#include <toml++/toml.h>
#include <zzprobe/config.h>

#include <memory>
#include <string>
#include <string_view>

#include "config/key_path.hpp"

namespace zzp::host {

struct InstanceConfig;

class ConfigView {
public:
    // `effective` is the instance's table; move it in to keep the source positions toml++
    // recorded (copies lose them). `locations` adds positions known from elsewhere; `section`
    // is where keys without a position of their own (defaults) are reported.
    ConfigView(toml::table effective, std::string source_path, KeyLocations locations = {},
               toml::source_position section = {});
    // A view of a parsed (and normally validated) instance; copies its table.
    explicit ConfigView(const InstanceConfig& instance);
    // For tests: a view of a TOML snippet as the instance's table. Throws toml::parse_error.
    static std::unique_ptr<ConfigView> from_text(std::string_view toml_text, std::string display_path = "test.toml");

    // The zzp_config table refers to this object: neither copy nor move it.
    ConfigView(const ConfigView&) = delete;
    ConfigView& operator=(const ConfigView&) = delete;

    // Valid, as is every string it returns, while this view lives.
    const zzp_config* table() const { return &table_; }
    const toml::table& values() const { return values_; }
    const std::string& source_path() const { return source_path_; }

    // "file:line:col" of a key path ("rotate.size", "targets[2].port"), e.g. from
    // zzp_error.key; the nearest enclosing key or the section when the key has no position of
    // its own (a default); just "file" when nothing is known.
    std::string locate(std::string_view key_path) const;
    toml::source_position position_of(std::string_view key_path) const;

private:
    static const toml::node* find(const zzp_config* config, const char* path);
    static zzp_status get_string(const zzp_config* config, const char* path, const char** out);
    static zzp_status get_int(const zzp_config* config, const char* path, int64_t* out);
    static zzp_status get_float(const zzp_config* config, const char* path, double* out);
    static zzp_status get_bool(const zzp_config* config, const char* path, int* out);
    static zzp_status get_duration(const zzp_config* config, const char* path, int64_t* out_ns);
    static zzp_status get_size(const zzp_config* config, const char* path, uint64_t* out_bytes);
    static zzp_status get_length(const zzp_config* config, const char* path, uint64_t* out);

    toml::table values_;
    std::string source_path_;
    KeyLocations locations_;
    toml::source_position section_;
    zzp_config table_{};
};

}  // namespace zzp::host

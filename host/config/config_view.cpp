#include "config/config_view.hpp"

#include "config/pipeline_config.hpp"
#include "config/units.hpp"

namespace zzp::host {

ConfigView::ConfigView(toml::table effective, std::string source_path, KeyLocations locations,
                       toml::source_position section)
    : values_(std::move(effective)),
      source_path_(std::move(source_path)),
      locations_(std::move(locations)),
      section_(section) {
    collect_key_locations(values_, "", locations_);  // adds what the caller did not know
    table_.struct_size = sizeof table_;
    table_.host_data = this;
    table_.source_path = source_path_.c_str();
    table_.get_string = &ConfigView::get_string;
    table_.get_int = &ConfigView::get_int;
    table_.get_float = &ConfigView::get_float;
    table_.get_bool = &ConfigView::get_bool;
    table_.get_duration = &ConfigView::get_duration;
    table_.get_size = &ConfigView::get_size;
    table_.get_length = &ConfigView::get_length;
}

ConfigView::ConfigView(const InstanceConfig& instance)
    : ConfigView(instance.table, instance.source_path, instance.key_locations, instance.section.begin) {}

std::unique_ptr<ConfigView> ConfigView::from_text(std::string_view toml_text, std::string display_path) {
    toml::table parsed = toml::parse(toml_text, std::string_view(display_path));
    return std::make_unique<ConfigView>(std::move(parsed), std::move(display_path));
}

toml::source_position ConfigView::position_of(std::string_view key_path) const {
    toml::source_position where = nearest_location(locations_, key_path);
    return where ? where : section_;
}

std::string ConfigView::locate(std::string_view key_path) const {
    toml::source_position where = position_of(key_path);
    if (!where) return source_path_;
    return source_path_ + ":" + std::to_string(where.line) + ":" + std::to_string(where.column);
}

const toml::node* ConfigView::find(const zzp_config* config, const char* path) {
    if (config == nullptr || path == nullptr) return nullptr;
    const auto* self = static_cast<const ConfigView*>(config->host_data);
    return find_key_path(self->values_, path);
}

// Every getter: ZZP_E_INVALID for a NULL argument or a value of another type, ZZP_E_NOT_FOUND
// for an absent key (the view already holds the defaults).

zzp_status ConfigView::get_string(const zzp_config* config, const char* path, const char** out) {
    if (config == nullptr || path == nullptr || out == nullptr) return ZZP_E_INVALID;
    const toml::node* node = find(config, path);
    if (node == nullptr) return ZZP_E_NOT_FOUND;
    const auto* value = node->as_string();
    if (value == nullptr) return ZZP_E_INVALID;
    *out = value->get().c_str();
    return ZZP_OK;
}

zzp_status ConfigView::get_int(const zzp_config* config, const char* path, int64_t* out) {
    if (config == nullptr || path == nullptr || out == nullptr) return ZZP_E_INVALID;
    const toml::node* node = find(config, path);
    if (node == nullptr) return ZZP_E_NOT_FOUND;
    const auto* value = node->as_integer();
    if (value == nullptr) return ZZP_E_INVALID;
    *out = value->get();
    return ZZP_OK;
}

zzp_status ConfigView::get_float(const zzp_config* config, const char* path, double* out) {
    if (config == nullptr || path == nullptr || out == nullptr) return ZZP_E_INVALID;
    const toml::node* node = find(config, path);
    if (node == nullptr) return ZZP_E_NOT_FOUND;
    if (const auto* value = node->as_floating_point()) {
        *out = value->get();
        return ZZP_OK;
    }
    if (const auto* value = node->as_integer()) {  // "rate = 10" is a fine float
        *out = static_cast<double>(value->get());
        return ZZP_OK;
    }
    return ZZP_E_INVALID;
}

zzp_status ConfigView::get_bool(const zzp_config* config, const char* path, int* out) {
    if (config == nullptr || path == nullptr || out == nullptr) return ZZP_E_INVALID;
    const toml::node* node = find(config, path);
    if (node == nullptr) return ZZP_E_NOT_FOUND;
    const auto* value = node->as_boolean();
    if (value == nullptr) return ZZP_E_INVALID;
    *out = value->get() ? 1 : 0;
    return ZZP_OK;
}

zzp_status ConfigView::get_duration(const zzp_config* config, const char* path, int64_t* out_ns) {
    if (config == nullptr || path == nullptr || out_ns == nullptr) return ZZP_E_INVALID;
    const toml::node* node = find(config, path);
    if (node == nullptr) return ZZP_E_NOT_FOUND;
    const auto* value = node->as_string();
    if (value == nullptr) return ZZP_E_INVALID;
    Parsed<int64_t> parsed = parse_duration(value->get());
    if (!parsed) return ZZP_E_INVALID;
    *out_ns = *parsed;
    return ZZP_OK;
}

zzp_status ConfigView::get_size(const zzp_config* config, const char* path, uint64_t* out_bytes) {
    if (config == nullptr || path == nullptr || out_bytes == nullptr) return ZZP_E_INVALID;
    const toml::node* node = find(config, path);
    if (node == nullptr) return ZZP_E_NOT_FOUND;
    Parsed<uint64_t> parsed = Parsed<uint64_t>::failure("not a size");
    if (const auto* integer = node->as_integer())
        parsed = parse_size(integer->get());
    else if (const auto* text = node->as_string())
        parsed = parse_size(text->get());
    if (!parsed) return ZZP_E_INVALID;
    *out_bytes = *parsed;
    return ZZP_OK;
}

zzp_status ConfigView::get_length(const zzp_config* config, const char* path, uint64_t* out) {
    if (config == nullptr || path == nullptr || out == nullptr) return ZZP_E_INVALID;
    const toml::node* node = find(config, path);
    if (node == nullptr) return ZZP_E_NOT_FOUND;
    const auto* value = node->as_array();
    if (value == nullptr) return ZZP_E_INVALID;
    *out = value->size();
    return ZZP_OK;
}

}  // namespace zzp::host

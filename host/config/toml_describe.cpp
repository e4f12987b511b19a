#include "config/toml_describe.hpp"

#include <cstdio>
#include <sstream>

namespace zzp::host {

std::string toml_type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::string:
            return "string";
        case toml::node_type::integer:
            return "integer";
        case toml::node_type::floating_point:
            return "float";
        case toml::node_type::boolean:
            return "boolean";
        case toml::node_type::array:
            return "array";
        case toml::node_type::table:
            return "table";
        case toml::node_type::date:
            return "date";
        case toml::node_type::time:
            return "time";
        case toml::node_type::date_time:
            return "date-time";
        case toml::node_type::none:
            break;
    }
    return "nothing";
}

std::string describe_value(const toml::node& node, bool secret) {
    const std::string type = toml_type_name(node);
    if (secret) return type + " (hidden)";
    if (const auto* array = node.as_array()) {
        return "array of " + std::to_string(array->size()) + (array->size() == 1 ? " element" : " elements");
    }
    if (node.is_table()) return "table";
    constexpr size_t kMaxShown = 48;
    if (const auto* text = node.as_string()) {
        // Shown as a TOML basic string, the way users write it.
        std::string shown;
        for (char c : text->get().substr(0, kMaxShown)) {
            if (c == '"' || c == '\\') shown += '\\';
            if (static_cast<unsigned char>(c) < 0x20) {
                char escaped[8];
                std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
                shown += escaped;
            } else {
                shown += c;
            }
        }
        if (text->get().size() > kMaxShown) shown += "...";
        return type + " \"" + shown + "\"";
    }
    std::ostringstream value;
    node.visit([&value](const auto& v) { value << v; });  // TOML spelling
    std::string shown = value.str();
    if (shown.size() > kMaxShown) shown = shown.substr(0, kMaxShown) + "...";
    return type + " " + shown;
}

}  // namespace zzp::host

#include "config/schema_walk.hpp"

#include <vector>

#include "config/key_path.hpp"
#include "config/suggest.hpp"
#include "config/toml_describe.hpp"
#include "config/units.hpp"

namespace zzp::host {
namespace {

bool is_secret(const zzp_config_key& key) {
    return (key.flags & ZZP_KEY_SECRET) != 0;
}
bool is_required(const zzp_config_key& key) {
    return (key.flags & ZZP_KEY_REQUIRED) != 0;
}

std::string type_word(uint32_t type) {
    switch (type) {
        case ZZP_CFG_STRING:
            return "string";
        case ZZP_CFG_INT:
            return "integer";
        case ZZP_CFG_FLOAT:
            return "number";
        case ZZP_CFG_BOOL:
            return "boolean";
        case ZZP_CFG_DURATION:
            return "duration";
        case ZZP_CFG_SIZE:
            return "size";
        case ZZP_CFG_LIST:
            return "list";
        case ZZP_CFG_TABLE:
            return "table";
    }
    return "value";
}

const zzp_config_key* find_key(SchemaKeys schema, std::string_view name) {
    for (uint32_t i = 0; i < schema.count; ++i) {
        if (schema.keys[i].key != nullptr && name == schema.keys[i].key) return &schema.keys[i];
    }
    return nullptr;
}

SchemaKeys fields_of(const zzp_config_key& key) {
    return SchemaKeys{key.fields, key.fields ? key.field_count : 0};
}

bool has_required_field(SchemaKeys schema) {
    for (uint32_t i = 0; i < schema.count; ++i) {
        if (is_required(schema.keys[i])) return true;
    }
    return false;
}

// The node moved into `table` under `name`, whatever its type.
void insert_node(toml::table& table, const std::string& name, toml::node&& node) {
    std::move(node).visit([&](auto&& value) { table.insert_or_assign(name, std::move(value)); });
}

toml::source_position position_or(const toml::node& node, toml::source_position fallback) {
    return node.source().begin ? node.source().begin : fallback;
}

}  // namespace

std::string expected_phrase(uint32_t type, uint32_t element_type) {
    switch (type) {
        case ZZP_CFG_STRING:
            return "a string";
        case ZZP_CFG_INT:
            return "an integer";
        case ZZP_CFG_FLOAT:
            return "a number";
        case ZZP_CFG_BOOL:
            return "true or false";
        case ZZP_CFG_DURATION:
            return "a duration such as \"100ms\"";
        case ZZP_CFG_SIZE:
            return "a size such as \"64MiB\"";
        case ZZP_CFG_TABLE:
            return "a table";
        case ZZP_CFG_LIST:
            if (element_type == ZZP_CFG_TABLE) return "a list of tables";
            if (element_type == 0) return "a list";
            return "a list of " + type_word(element_type) + "s";
    }
    return "a value";
}

std::string example_line(const zzp_config_key& key) {
    const std::string name = key.key ? key.key : "key";
    switch (key.type) {
        case ZZP_CFG_STRING:
            return name + " = \"...\"";
        case ZZP_CFG_INT:
            return name + " = 10";
        case ZZP_CFG_FLOAT:
            return name + " = 1.5";
        case ZZP_CFG_BOOL:
            return name + " = true";
        case ZZP_CFG_DURATION:
            return name + " = \"1s\"";
        case ZZP_CFG_SIZE:
            return name + " = \"64MiB\"";
        case ZZP_CFG_TABLE:
            return "a [" + name + "] table";
        case ZZP_CFG_LIST:
            if (key.element_type == ZZP_CFG_TABLE) return "a [[" + name + "]] table";
            if (key.element_type == ZZP_CFG_STRING) return name + " = [\"...\"]";
            return name + " = [...]";
    }
    return name + " = ...";
}

SchemaWalker::SchemaWalker(std::string plugin_id, Reporter report)
    : plugin_id_(std::move(plugin_id)), report_(std::move(report)) {}

void SchemaWalker::check_table(const toml::table& table, SchemaKeys schema, const std::string& prefix,
                               toml::source_position where, int depth) {
    std::vector<std::string> names;
    for (uint32_t i = 0; i < schema.count; ++i) {
        if (schema.keys[i].key != nullptr) names.emplace_back(schema.keys[i].key);
    }
    for (auto&& [name, value] : table) {
        const std::string path = child_path(prefix, name.str());
        const zzp_config_key* key = find_key(schema, name.str());
        if (key == nullptr) {
            std::string hint;
            if (auto match = closest_match(name.str(), names))
                hint = "did you mean '" + *match + "'?";
            else if (names.empty())
                hint = "this table takes no keys";
            else
                hint = "valid keys here: " + quoted_list(names);
            hint += " (`zzprobe plugins " + plugin_id_ + "` describes every key)";
            report_(name.source().begin ? name.source().begin : where, path,
                    "unknown key '" + std::string(name.str()) + "'", hint);
            continue;
        }
        check_value(value, *key, path, position_or(value, where), depth);
    }
    for (uint32_t i = 0; i < schema.count; ++i) {
        const zzp_config_key& key = schema.keys[i];
        if (key.key == nullptr || !is_required(key) || table.contains(key.key)) continue;
        std::string hint = "add " + example_line(key);
        if (key.doc != nullptr && *key.doc != '\0') hint += " (" + std::string(key.key) + ": " + key.doc + ")";
        report_(where, child_path(prefix, key.key), "missing required key '" + std::string(key.key) + "'", hint);
    }
}

void SchemaWalker::check_value(const toml::node& value, const zzp_config_key& key, const std::string& path,
                               toml::source_position where, int depth) {
    const bool secret = is_secret(key);
    auto wrong_type = [&](std::string hint) {
        if (hint.empty()) hint = "write it as e.g. " + example_line(key);
        report_(where, path,
                "expected " + expected_phrase(key.type, key.element_type) + ", found " + describe_value(value, secret),
                std::move(hint));
    };
    switch (key.type) {
        case ZZP_CFG_STRING:
            if (!value.is_string()) wrong_type(value.is_number() ? "put the value in double quotes" : "");
            return;
        case ZZP_CFG_INT:
            if (!value.is_integer())
                wrong_type(value.is_floating_point() ? "write a whole number, without a point" : "");
            return;
        case ZZP_CFG_FLOAT:
            if (!value.is_number()) wrong_type("");
            return;
        case ZZP_CFG_BOOL:
            if (!value.is_boolean()) wrong_type("write true or false, without quotes");
            return;
        case ZZP_CFG_DURATION: {
            const auto* text = value.as_string();
            if (text == nullptr) {
                wrong_type("durations are strings with a unit (ns, us, ms, s, m, h, d): \"100ms\", \"1.5s\"");
                return;
            }
            Parsed<int64_t> parsed = parse_duration(text->get());
            if (!parsed) {
                report_(where, path, "expected a duration such as \"100ms\": " + parsed.error(),
                        "durations are a number and a unit (ns, us, ms, s, m, h, d), e.g. \"100ms\" or \"1h30m\"");
            }
            return;
        }
        case ZZP_CFG_SIZE: {
            Parsed<uint64_t> parsed = Parsed<uint64_t>::failure("");
            if (const auto* integer = value.as_integer())
                parsed = parse_size(integer->get());
            else if (const auto* text = value.as_string())
                parsed = parse_size(text->get());
            else {
                wrong_type("sizes are integer bytes or a string with a unit: \"512KiB\", \"64MiB\", \"1GB\"");
                return;
            }
            if (!parsed) {
                report_(where, path, "expected a size such as \"64MiB\": " + parsed.error(),
                        "sizes are integer bytes or a string with a unit: \"512KiB\", \"64MiB\", \"1GB\"");
            }
            return;
        }
        case ZZP_CFG_TABLE: {
            const toml::table* table = value.as_table();
            if (table == nullptr) {
                wrong_type("write it as a [" + path + "] section or an inline table { ... }");
                return;
            }
            if (depth >= kMaxSchemaDepth) return;  // validate_schema refuses such schemas
            check_table(*table, fields_of(key), path, where, depth + 1);
            return;
        }
        case ZZP_CFG_LIST: {
            const toml::array* array = value.as_array();
            if (array == nullptr) {
                wrong_type(key.element_type == ZZP_CFG_TABLE ? "write each element as a [[" + path + "]] section"
                                                             : "write a list in brackets: [a, b]");
                return;
            }
            for (size_t i = 0; i < array->size(); ++i) {
                const toml::node& element = *array->get(i);
                check_element(element, key, element_path(path, i), position_or(element, where), depth);
            }
            return;
        }
    }
}

void SchemaWalker::check_element(const toml::node& element, const zzp_config_key& key, const std::string& path,
                                 toml::source_position where, int depth) {
    if (key.element_type == 0) return;  // a list of anything
    if (key.element_type == ZZP_CFG_LIST) {
        if (!element.is_array()) {
            report_(where, path, "expected a list, found " + describe_value(element, is_secret(key)), "");
        }
        return;
    }
    // An element is checked as if it were a key of the element type, with the list's fields.
    zzp_config_key element_key = key;
    element_key.type = key.element_type;
    element_key.element_type = 0;
    check_value(element, element_key, path, where, depth);
}

void SchemaWalker::fill_defaults(toml::table& table, SchemaKeys schema, int depth) {
    if (depth > kMaxSchemaDepth) return;
    for (uint32_t i = 0; i < schema.count; ++i) {
        const zzp_config_key& key = schema.keys[i];
        if (key.key == nullptr) continue;
        toml::node* present = table.get(key.key);
        if (present == nullptr && !is_required(key)) {
            if (key.default_value != nullptr) {
                std::string error;
                if (std::optional<toml::table> parsed = parse_default(key, &error)) {
                    if (toml::node* value = parsed->get("v")) insert_node(table, key.key, std::move(*value));
                }
            } else if (key.type == ZZP_CFG_TABLE && !has_required_field(fields_of(key))) {
                // An absent optional table still carries its fields' defaults ("rotate.size").
                table.insert_or_assign(key.key, toml::table{});
            }
            present = table.get(key.key);
        }
        if (present == nullptr) continue;
        if (key.type == ZZP_CFG_TABLE) {
            if (toml::table* nested = present->as_table()) fill_defaults(*nested, fields_of(key), depth + 1);
        } else if (key.type == ZZP_CFG_LIST && key.element_type == ZZP_CFG_TABLE) {
            if (toml::array* array = present->as_array()) {
                for (toml::node& element : *array) {
                    if (toml::table* nested = element.as_table()) fill_defaults(*nested, fields_of(key), depth + 1);
                }
            }
        }
    }
}

std::optional<toml::table> SchemaWalker::parse_default(const zzp_config_key& key, std::string* error) {
    if (key.default_value == nullptr) return std::nullopt;
    try {
        toml::table parsed = toml::parse("v = " + std::string(key.default_value));
        if (parsed.size() != 1) {
            if (error) *error = "the default is more than one TOML value";
            return std::nullopt;
        }
        return parsed;
    } catch (const toml::parse_error& e) {
        if (error) *error = std::string(e.description());
        return std::nullopt;
    }
}

}  // namespace zzp::host

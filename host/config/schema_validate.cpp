#include "config/schema_validate.hpp"

#include <algorithm>
#include <set>

#include "config/schema_walk.hpp"
#include "config/toml_describe.hpp"

namespace zzp::host {
namespace {

constexpr uint32_t kKnownFlags = ZZP_KEY_REQUIRED | ZZP_KEY_SWAP_FIXED | ZZP_KEY_SECRET;

std::string plugin_id(const zzp_plugin_descriptor& d) {
    return d.id != nullptr ? d.id : "(no id)";
}

// How a plugin's own bugs are labelled: 'plugin icmp 1.2.0'.
std::string plugin_label(const zzp_plugin_descriptor& d) {
    std::string out = "plugin " + plugin_id(d);
    if (d.version != nullptr) out += " " + std::string(d.version);
    return out;
}

std::string plugin_bug_hint(const zzp_plugin_descriptor& d) {
    std::string hint = "this is a bug in the plugin's schema, not in your config: report it";
    if (d.vendor != nullptr) hint += " to " + std::string(d.vendor);
    if (d.url != nullptr) hint += " (" + std::string(d.url) + ")";
    return hint;
}

std::string_view kind_word(uint32_t kind) {
    switch (kind) {
        case ZZP_KIND_PROBE:
            return "probe";
        case ZZP_KIND_SINK:
            return "sink";
        case ZZP_KIND_VIEWER:
            return "viewer";
    }
    return "plugin of unknown kind";
}

bool is_valid_key_name(const char* name) {
    if (name == nullptr || *name == '\0') return false;
    for (const char* c = name; *c != '\0'; ++c) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-')) return false;
    }
    return true;
}

bool is_valid_type(uint32_t type) {
    return type >= ZZP_CFG_STRING && type <= ZZP_CFG_TABLE;
}

class SchemaChecker {
public:
    explicit SchemaChecker(const zzp_plugin_descriptor& d) : d_(d) {}

    std::vector<ConfigDiagnostic> run() {
        if (d_.id == nullptr || *d_.id == '\0') bug("", "the descriptor has no id");
        if (d_.kind < ZZP_KIND_PROBE || d_.kind > ZZP_KIND_VIEWER) {
            bug("", "unknown kind " + std::to_string(d_.kind) + " (expected probe, sink or viewer)");
        }
        if (d_.config_key_count > 0 && d_.config_keys == nullptr) {
            bug("", "config_key_count is " + std::to_string(d_.config_key_count) + " but config_keys is NULL");
            return std::move(out_);
        }
        check_keys(SchemaKeys{d_.config_keys, d_.config_key_count}, "", 0, true);
        return std::move(out_);
    }

private:
    void bug(const std::string& path, const std::string& message) {
        out_.push_back(ConfigDiagnostic{"", 0, 0, plugin_label(d_), path, message, plugin_bug_hint(d_)});
    }

    void check_keys(SchemaKeys schema, const std::string& prefix, int depth, bool top_level) {
        if (depth > kMaxSchemaDepth) {
            bug(prefix, "tables nest deeper than " + std::to_string(kMaxSchemaDepth) + " levels (or `fields` loop)");
            return;
        }
        std::set<std::string> seen;
        for (uint32_t i = 0; i < schema.count; ++i) {
            const zzp_config_key& key = schema.keys[i];
            if (!is_valid_key_name(key.key)) {
                bug(prefix, "key #" + std::to_string(i) + " has an invalid name \"" + (key.key ? key.key : "(null)") +
                                "\" (use a-z, 0-9, '_' and '-')");
                continue;
            }
            const std::string path = prefix.empty() ? key.key : prefix + "." + key.key;
            if (!seen.insert(key.key).second) bug(path, "declared twice");
            if (top_level && (std::string_view(key.key) == "id" || std::string_view(key.key) == "plugin" ||
                              std::string_view(key.key) == "inputs")) {
                bug(path, "'" + std::string(key.key) + "' is reserved for the host");
            }
            if (!is_valid_type(key.type)) {
                bug(path, "unknown type " + std::to_string(key.type));
                continue;
            }
            if ((key.flags & ~kKnownFlags) != 0) bug(path, "unknown flags " + std::to_string(key.flags & ~kKnownFlags));
            const bool nested =
                key.type == ZZP_CFG_TABLE || (key.type == ZZP_CFG_LIST && key.element_type == ZZP_CFG_TABLE);
            if (key.type == ZZP_CFG_LIST && key.element_type != 0 && !is_valid_type(key.element_type)) {
                bug(path, "unknown element type " + std::to_string(key.element_type));
                continue;
            }
            if (nested && key.field_count > 0 && key.fields == nullptr) {
                bug(path, "field_count is " + std::to_string(key.field_count) + " but fields is NULL");
                continue;
            }
            if (nested) check_keys(SchemaKeys{key.fields, key.field_count}, path, depth + 1, false);
            check_default(key, path, depth);
        }
    }

    void check_default(const zzp_config_key& key, const std::string& path, int depth) {
        if (key.default_value == nullptr) return;
        std::string error;
        std::optional<toml::table> parsed = SchemaWalker::parse_default(key, &error);
        if (!parsed) {
            bug(path, "default value `" + std::string(key.default_value) + "` is not a TOML value: " + error);
            return;
        }
        SchemaWalker walker(plugin_id(d_), [&](toml::source_position, const std::string& at, const std::string& message,
                                               const std::string&) {
            bug(at, "default value `" + std::string(key.default_value) + "`: " + message);
        });
        walker.check_value(*parsed->get("v"), key, path, {}, depth);
    }

    const zzp_plugin_descriptor& d_;
    std::vector<ConfigDiagnostic> out_;
};

}  // namespace

bool validate_instance(InstanceConfig& instance, const zzp_plugin_descriptor& descriptor,
                       std::vector<ConfigDiagnostic>& diagnostics) {
    const size_t before = diagnostics.size();
    if (descriptor.kind != static_cast<uint32_t>(to_plugin_kind(instance.kind))) {
        const std::string_view actual = kind_word(descriptor.kind);
        diagnostics.push_back(instance_diagnostic(instance, "",
                                                  "plugin '" + plugin_id(descriptor) + "' is a " + std::string(actual) +
                                                      ", but it is configured in [[" +
                                                      std::string(kind_name(instance.kind)) + "]]",
                                                  "move this section to [[" + std::string(actual) + "]]"));
    }
    std::vector<ConfigDiagnostic> schema_problems = validate_schema(descriptor);
    if (!schema_problems.empty()) {
        // Nothing sensible can be checked against a broken schema; the plugin cannot run anyway.
        diagnostics.insert(diagnostics.end(), schema_problems.begin(), schema_problems.end());
        return false;
    }
    const SchemaKeys schema{descriptor.config_keys, descriptor.config_key_count};
    SchemaWalker walker(plugin_id(descriptor), [&](toml::source_position where, const std::string& key_path,
                                                   const std::string& message, const std::string& hint) {
        if (!where) where = instance.position_of(key_path);
        diagnostics.push_back(ConfigDiagnostic{instance.source_path, static_cast<int>(where.line),
                                               static_cast<int>(where.column), instance.label(), key_path, message,
                                               hint});
    });
    walker.check_table(instance.table, schema, "", instance.section.begin, 0);
    // Keys in error are left as written; fill_defaults only adds what is absent.
    SchemaWalker::fill_defaults(instance.table, schema, 0);
    return diagnostics.size() == before;
}

std::vector<ConfigDiagnostic> validate_schema(const zzp_plugin_descriptor& descriptor) {
    return SchemaChecker(descriptor).run();
}

std::string schema_type_name(const zzp_config_key& key) {
    switch (key.type) {
        case ZZP_CFG_STRING:
            return "string";
        case ZZP_CFG_INT:
            return "integer";
        case ZZP_CFG_FLOAT:
            return "float";
        case ZZP_CFG_BOOL:
            return "boolean";
        case ZZP_CFG_DURATION:
            return "duration";
        case ZZP_CFG_SIZE:
            return "size";
        case ZZP_CFG_TABLE:
            return "table";
        case ZZP_CFG_LIST: {
            if (key.element_type == 0) return "list";
            zzp_config_key element{};
            element.type = key.element_type;
            return "list of " + schema_type_name(element);
        }
    }
    return "unknown";
}

namespace {

struct SchemaRow {
    std::string key;
    std::string type;
    std::string requirement;
    std::string doc;
};

void collect_rows(SchemaKeys schema, int depth, std::vector<SchemaRow>& rows) {
    if (depth > kMaxSchemaDepth || (schema.count > 0 && schema.keys == nullptr)) return;
    for (uint32_t i = 0; i < schema.count; ++i) {
        const zzp_config_key& key = schema.keys[i];
        SchemaRow row;
        row.key = std::string(2 * static_cast<size_t>(depth), ' ') + (key.key ? key.key : "(null)");
        if (key.type == ZZP_CFG_LIST && key.element_type == ZZP_CFG_TABLE) row.key += "[]";
        row.type = schema_type_name(key);
        if (key.flags & ZZP_KEY_REQUIRED)
            row.requirement = "required";
        else if (key.default_value && (key.flags & ZZP_KEY_SECRET))
            row.requirement = "(secret)";
        else if (key.default_value)
            row.requirement = key.default_value;
        row.doc = key.doc ? key.doc : "";
        if (key.flags & ZZP_KEY_SWAP_FIXED) row.doc += " [fixed across hot swaps]";
        if (key.flags & ZZP_KEY_SECRET) row.doc += " [secret]";
        rows.push_back(std::move(row));
        const bool nested =
            key.type == ZZP_CFG_TABLE || (key.type == ZZP_CFG_LIST && key.element_type == ZZP_CFG_TABLE);
        if (nested) collect_rows(SchemaKeys{key.fields, key.fields ? key.field_count : 0}, depth + 1, rows);
    }
}

}  // namespace

std::string format_schema(const zzp_plugin_descriptor& descriptor) {
    std::vector<SchemaRow> rows{{"KEY", "TYPE", "DEFAULT", "DESCRIPTION"}};
    collect_rows(SchemaKeys{descriptor.config_keys, descriptor.config_keys ? descriptor.config_key_count : 0}, 0, rows);
    if (rows.size() == 1) return "  (no configuration keys)\n";
    size_t key_width = 0, type_width = 0, requirement_width = 0;
    for (const SchemaRow& row : rows) {
        key_width = std::max(key_width, row.key.size());
        type_width = std::max(type_width, row.type.size());
        requirement_width = std::max(requirement_width, row.requirement.size());
    }
    auto pad = [](const std::string& s, size_t width) { return s + std::string(width - s.size() + 2, ' '); };
    std::string out;
    for (const SchemaRow& row : rows) {
        std::string line = "  " + pad(row.key, key_width) + pad(row.type, type_width) +
                           pad(row.requirement, requirement_width) + row.doc;
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    return out;
}

}  // namespace zzp::host

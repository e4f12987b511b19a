// The schema walker shared by instance validation and the plugin schema check: checks one TOML
// value or table against zzp_config_key entries and fills in defaults. Problems go to a
// reporter, which decides whether they are the user's (a file position) or the plugin's.
#pragma once

#include <toml++/toml.h>
#include <zzprobe/config.h>

#include <functional>
#include <optional>
#include <string>

namespace zzp::host {

// Deeper nesting than this in a schema is refused (and protects against cyclic `fields`).
constexpr int kMaxSchemaDepth = 8;

struct SchemaKeys {
    const zzp_config_key* keys = nullptr;
    uint32_t count = 0;
};

class SchemaWalker {
public:
    using Reporter = std::function<void(toml::source_position where, const std::string& key_path,
                                        const std::string& message, const std::string& hint)>;

    // `plugin_id` names the plugin in hints ("see `zzprobe plugins icmp`").
    SchemaWalker(std::string plugin_id, Reporter report);

    // Check every key of `table` against `schema` (recursively); `where` is the table's own
    // position, used for missing keys.
    void check_table(const toml::table& table, SchemaKeys schema, const std::string& prefix,
                     toml::source_position where, int depth);
    // Check one value against its key's declaration.
    void check_value(const toml::node& value, const zzp_config_key& key, const std::string& path,
                     toml::source_position where, int depth);
    // Insert the default of every absent key that has one (and an absent table whose fields are
    // all optional), recursively, including into each table of a list of tables. Defaults must
    // have been checked (validate_schema) before.
    static void fill_defaults(toml::table& table, SchemaKeys schema, int depth);

    // The default literal of `key` parsed as TOML, or the parse error text.
    static std::optional<toml::table> parse_default(const zzp_config_key& key, std::string* error);

private:
    void check_element(const toml::node& element, const zzp_config_key& key, const std::string& path,
                       toml::source_position where, int depth);
    std::string plugin_id_;
    Reporter report_;
};

// "a string", "an integer", "a duration such as \"100ms\"": what a value of this type looks like.
std::string expected_phrase(uint32_t type, uint32_t element_type);
// One line that shows how to write the key: `rate = 10`, `targets = ["127.0.0.1"]`, `[rotate]`.
std::string example_line(const zzp_config_key& key);

}  // namespace zzp::host

#include "config/pipeline_config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "config/host_settings.hpp"
#include "config/suggest.hpp"
#include "config/toml_describe.hpp"

namespace zzp::host {
namespace fs = std::filesystem;

std::string_view kind_name(InstanceKind kind) {
    switch (kind) {
        case InstanceKind::probe:
            return "probe";
        case InstanceKind::sink:
            return "sink";
        case InstanceKind::viewer:
            return "viewer";
    }
    return "probe";
}

zzp_plugin_kind to_plugin_kind(InstanceKind kind) {
    switch (kind) {
        case InstanceKind::probe:
            return ZZP_KIND_PROBE;
        case InstanceKind::sink:
            return ZZP_KIND_SINK;
        case InstanceKind::viewer:
            return ZZP_KIND_VIEWER;
    }
    return ZZP_KIND_PROBE;
}

std::string InstanceConfig::label() const {
    std::string out(kind_name(kind));
    if (!id.empty()) out += " \"" + id + "\"";
    if (!plugin.empty()) out += " (plugin " + plugin + ")";
    return out;
}

toml::source_position InstanceConfig::position_of(std::string_view key_path) const {
    // The host's own keys were taken out of `table`; their positions are kept separately.
    if (key_path == "plugin" && plugin_position) return plugin_position;
    if (key_path == "id" && id_position) return id_position;
    if (key_path == "inputs" && inputs_position) return inputs_position;
    if (key_path.rfind("inputs[", 0) == 0) {
        size_t index = 0;
        for (char c : key_path.substr(7)) {
            if (c < '0' || c > '9') break;
            index = index * 10 + static_cast<size_t>(c - '0');
        }
        if (index < input_positions.size() && input_positions[index]) return input_positions[index];
        if (inputs_position) return inputs_position;
    }
    toml::source_position where = nearest_location(key_locations, key_path);
    return where ? where : section.begin;
}

const InstanceConfig* PipelineConfig::find(std::string_view id) const {
    for (const InstanceConfig& instance : instances) {
        if (instance.id == id) return &instance;
    }
    return nullptr;
}

ConfigDiagnostic instance_diagnostic(const InstanceConfig& instance, std::string key_path, std::string message,
                                     std::string hint) {
    toml::source_position where = instance.position_of(key_path);
    return ConfigDiagnostic{instance.source_path, static_cast<int>(where.line), static_cast<int>(where.column),
                            instance.label(),     std::move(key_path),          std::move(message),
                            std::move(hint)};
}

ConfigDiagnostic plugin_error_diagnostic(const InstanceConfig& instance, const char* error_key,
                                         const char* error_message) {
    std::string key = error_key != nullptr ? error_key : "";
    std::string message =
        error_message != nullptr && *error_message != '\0' ? error_message : "the plugin refused its configuration";
    return instance_diagnostic(instance, std::move(key), "rejected by the plugin: " + message);
}

namespace {

constexpr size_t kMaxIdLength = 64;

bool is_id_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
}

bool is_valid_id(std::string_view id) {
    return !id.empty() && id.size() <= kMaxIdLength && std::all_of(id.begin(), id.end(), is_id_char);
}

bool looks_like_path(std::string_view plugin) {
    return plugin.find('/') != std::string_view::npos ||
           (plugin.size() > 3 && plugin.substr(plugin.size() - 3) == ".so");
}

// "zzp-icmp.so", "libzzp-icmp.so" -> "icmp": the id an instance of a plugin given by path gets
// when the section names none.
std::string id_from_plugin_path(const fs::path& path) {
    std::string stem = path.filename().string();
    if (size_t so = stem.find(".so"); so != std::string::npos) stem.resize(so);
    for (std::string_view prefix : {"libzzp-", "zzp-", "lib"}) {
        if (stem.rfind(prefix, 0) == 0 && stem.size() > prefix.size()) {
            stem = stem.substr(prefix.size());
            break;
        }
    }
    return stem;
}

std::optional<InstanceKind> kind_of_section(std::string_view name) {
    if (name == "probe") return InstanceKind::probe;
    if (name == "sink") return InstanceKind::sink;
    if (name == "viewer") return InstanceKind::viewer;
    return std::nullopt;
}

class PipelineParser {
public:
    PipelineParser(ParsedPipeline& out, std::string display_path, fs::path base_dir)
        : out_(out), display_path_(std::move(display_path)) {
        out_.config.source_path = display_path_;
        out_.config.base_dir = std::move(base_dir);
    }

    void parse(toml::table& document) {
        for (auto&& [key, node] : document) {
            const std::string name(key.str());
            if (name == "host") {
                HostSettingsParser(out_.config.host, out_.config.base_dir, display_path_, out_.diagnostics)
                    .parse(node, key.source().begin);
            } else if (std::optional<InstanceKind> kind = kind_of_section(name)) {
                parse_section(*kind, node, key.source().begin);
            } else {
                unknown_top_level(name, node, key.source().begin);
            }
        }
        // toml++ keeps keys sorted; the pipeline keeps the order of the file.
        std::stable_sort(out_.config.instances.begin(), out_.config.instances.end(),
                         [](const InstanceConfig& a, const InstanceConfig& b) {
                             return std::pair(a.section.begin.line, a.section.begin.column) <
                                    std::pair(b.section.begin.line, b.section.begin.column);
                         });
        assign_ids();
        resolve_inputs();
        if (!has_probe_) {
            error({1, 1}, "", "", "the pipeline has no [[probe]] section, so it would measure nothing",
                  "add one, e.g.\n    [[probe]]\n    plugin = \"icmp\"\n    targets = [\"127.0.0.1\"]");
        }
    }

private:
    void error(toml::source_position where, std::string instance, std::string key, std::string message,
               std::string hint = {}) {
        out_.diagnostics.push_back(ConfigDiagnostic{display_path_, static_cast<int>(where.line),
                                                    static_cast<int>(where.column), std::move(instance), std::move(key),
                                                    std::move(message), std::move(hint)});
    }

    void unknown_top_level(const std::string& name, const toml::node& node, toml::source_position where) {
        if (node.is_table() || node.is_array()) {
            std::string hint = "the sections are [host], [[probe]], [[sink]] and [[viewer]]";
            if (auto match = closest_match(name, {"host", "probe", "sink", "viewer"})) {
                hint = *match == "host" ? "did you mean [host]?" : "did you mean [[" + *match + "]]?";
            }
            error(where, "", "", "unknown section [" + name + "]", hint);
            return;
        }
        std::string hint = "top-level keys belong in a section: [host], [[probe]], [[sink]] or [[viewer]]";
        if (is_host_key(name))
            hint = "'" + name + "' is a [host] key: move it under [host]";
        else if (name == "id" || name == "plugin" || name == "inputs") {
            hint = "'" + name + "' belongs to an instance: put it under [[probe]], [[sink]] or [[viewer]]";
        }
        error(where, "", name, "unknown top-level key", hint);
    }

    void parse_section(InstanceKind kind, toml::node& node, toml::source_position where) {
        const std::string section(kind_name(kind));
        toml::array* array = node.as_array();
        if (array == nullptr) {
            std::string found = node.is_table() ? "[" + section + "] (a single table)" : describe_value(node);
            error(where, "", "", "[[" + section + "]] must be an array of tables, found " + found,
                  "write each " + section + " as its own [[" + section + "]] section (double brackets)");
            return;
        }
        for (size_t i = 0; i < array->size(); ++i) {
            toml::node& element = *array->get(i);
            toml::table* table = element.as_table();
            if (table == nullptr) {
                toml::source_position at = element.source().begin ? element.source().begin : where;
                error(
                    at, "", "",
                    section + " entry " + std::to_string(i + 1) + " must be a table, found " + describe_value(element),
                    "write each " + section + " as a [[" + section + "]] section");
                continue;
            }
            parse_instance(kind, *table, where);
        }
    }

    void parse_instance(InstanceKind kind, toml::table& table, toml::source_position fallback) {
        InstanceConfig instance;
        instance.kind = kind;
        instance.source_path = display_path_;
        instance.section = table.source();
        if (!instance.section.begin) instance.section.begin = fallback;
        if (kind == InstanceKind::probe) has_probe_ = true;

        read_plugin(instance, table);
        read_id(instance, table);
        read_inputs(instance, table);
        table.erase("id");
        table.erase("plugin");
        table.erase("inputs");
        instance.table = std::move(table);  // a move keeps toml++'s source positions
        collect_key_locations(instance.table, "", instance.key_locations);
        out_.config.instances.push_back(std::move(instance));
    }

    void read_plugin(InstanceConfig& instance, const toml::table& table) {
        auto found = table.find("plugin");
        const std::string section(kind_name(instance.kind));
        if (found == table.end()) {
            error(instance.section.begin, section_label(instance, table), "plugin", "missing required key 'plugin'",
                  "name the plugin this " + section + " runs: plugin = \"" + example_plugin(instance.kind) +
                      "\" (a plugin id, or a path to a .so); `zzprobe plugins` lists them");
            return;
        }
        instance.plugin_position = found->first.source().begin;
        const auto* value = found->second.as_string();
        if (value == nullptr || value->get().empty()) {
            error(found->second.source().begin, section_label(instance, table), "plugin",
                  "expected a plugin id or path as a string, found " + describe_value(found->second),
                  "e.g. plugin = \"" + example_plugin(instance.kind) + "\"");
            return;
        }
        const std::string& plugin = value->get();
        if (looks_like_path(plugin)) {
            fs::path path(plugin);
            if (path.is_relative()) path = out_.config.base_dir / path;
            instance.plugin_path = path.lexically_normal();
        } else if (!is_valid_id(plugin)) {
            error(found->second.source().begin, section_label(instance, table), "plugin",
                  "'" + plugin + "' is neither a plugin id (letters, digits, '_', '.', '-') nor a path",
                  "give a path with a '/' (\"./zzp-x.so\") or an id listed by `zzprobe plugins`");
            return;
        }
        instance.plugin = plugin;
    }

    void read_id(InstanceConfig& instance, const toml::table& table) {
        auto found = table.find("id");
        if (found == table.end()) return;  // defaulted in assign_ids()
        instance.id_position = found->first.source().begin;
        const auto* value = found->second.as_string();
        if (value == nullptr) {
            error(found->second.source().begin, section_label(instance, table), "id",
                  "expected a string, found " + describe_value(found->second), "e.g. id = \"lan\"");
            return;
        }
        if (!is_valid_id(value->get())) {
            error(found->second.source().begin, section_label(instance, table), "id",
                  "invalid id \"" + value->get() + "\": use 1 to " + std::to_string(kMaxIdLength) +
                      " letters, digits, '_', '.' or '-'",
                  "e.g. id = \"lan-gateway\"");
            return;
        }
        instance.id = value->get();
        instance.id_given = true;
    }

    // Instances without an id take their plugin's; ids are unique across all sections.
    void assign_ids() {
        std::map<std::string, const InstanceConfig*> first_with_id;
        std::map<std::string, int> plugin_uses;
        for (const InstanceConfig& instance : out_.config.instances) {
            if (!instance.plugin.empty()) ++plugin_uses[instance.plugin];
        }
        for (InstanceConfig& instance : out_.config.instances) {
            if (!instance.id_given && !instance.plugin.empty()) {
                std::string id = instance.plugin_path ? id_from_plugin_path(*instance.plugin_path) : instance.plugin;
                if (!is_valid_id(id)) {
                    error(instance.section.begin, instance.label(), "id",
                          "this section needs an id: none can be made from the plugin path",
                          "add e.g. id = \"my-" + std::string(kind_name(instance.kind)) + "\"");
                    continue;
                }
                if (plugin_uses[instance.plugin] > 1) {
                    error(instance.section.begin, instance.label(), "id",
                          "plugin '" + instance.plugin + "' is used by " +
                              std::to_string(plugin_uses[instance.plugin]) +
                              " sections, so each needs an id of its own",
                          "add e.g. id = \"" + id + "-2\" (ids name instances in inputs and messages)");
                    continue;
                }
                instance.id = id;
            }
            if (instance.id.empty()) continue;
            auto [it, inserted] = first_with_id.emplace(instance.id, &instance);
            if (!inserted) {
                const InstanceConfig& first = *it->second;
                toml::source_position where = instance.id_position ? instance.id_position : instance.section.begin;
                error(where, instance.label(), "id",
                      "duplicate id \"" + instance.id + "\": already used by the " +
                          std::string(kind_name(first.kind)) + " at line " + std::to_string(first.section.begin.line),
                      instance.id_given ? "ids are unique across [[probe]], [[sink]] and [[viewer]]; rename one"
                                        : "this id comes from the plugin; give this section an id of its own");
                instance.id.clear();  // so that inputs naming it refer to the first one only
            }
        }
    }

    // Syntax of `inputs`, checked while the section is at hand; names are resolved later.
    void read_inputs(InstanceConfig& instance, const toml::table& table) {
        auto found = table.find("inputs");
        if (found == table.end()) return;
        instance.inputs_given = true;
        instance.inputs_position = found->first.source().begin;
        const toml::node& node = found->second;
        const toml::source_position where = instance.inputs_position;
        if (instance.kind == InstanceKind::probe) {
            error(where, section_label(instance, table), "inputs",
                  "a probe takes no inputs (inputs name the probes a sink or viewer receives)",
                  "remove it here, and list this probe in the inputs of the sinks that should get its data");
            return;
        }
        const toml::array* array = node.as_array();
        if (array == nullptr) {
            error(node.source().begin ? node.source().begin : where, section_label(instance, table), "inputs",
                  "expected a list of probe ids, found " + describe_value(node),
                  "e.g. inputs = [\"lan\"]; leave it out to take every probe");
            return;
        }
        if (array->empty()) {
            error(where, section_label(instance, table), "inputs",
                  "empty list: this " + std::string(kind_name(instance.kind)) + " would receive nothing",
                  "list probe ids, or remove the key to take every probe");
            return;
        }
        for (size_t i = 0; i < array->size(); ++i) {
            const toml::node& element = *array->get(i);
            toml::source_position at = element.source().begin ? element.source().begin : where;
            const auto* name = element.as_string();
            if (name == nullptr) {
                error(at, section_label(instance, table), element_path("inputs", i),
                      "expected a probe id as a string, found " + describe_value(element), "e.g. inputs = [\"lan\"]");
                continue;
            }
            instance.inputs.push_back(name->get());
            instance.input_positions.push_back(at);
        }
    }

    // Every input names a probe, once; sinks and viewers without `inputs` take every probe.
    void resolve_inputs() {
        std::vector<std::string> probe_ids;
        for (const InstanceConfig& instance : out_.config.instances) {
            if (instance.kind == InstanceKind::probe && !instance.id.empty()) probe_ids.push_back(instance.id);
        }
        for (InstanceConfig& instance : out_.config.instances) {
            if (instance.kind == InstanceKind::probe) continue;
            if (!instance.inputs_given) {
                instance.inputs = probe_ids;
                instance.input_positions.assign(probe_ids.size(), toml::source_position{});
                continue;
            }
            std::vector<std::string> accepted;
            std::vector<toml::source_position> accepted_positions;
            for (size_t i = 0; i < instance.inputs.size(); ++i) {
                const std::string& id = instance.inputs[i];
                const toml::source_position at = instance.input_positions[i];
                const std::string key = element_path("inputs", i);
                const InstanceConfig* target = out_.config.find(id);
                if (target == nullptr) {
                    std::string hint =
                        probe_ids.empty() ? "no probe has an id yet" : "the probes are " + quoted_list(probe_ids);
                    if (auto match = closest_match(id, probe_ids)) hint = "did you mean '" + *match + "'?";
                    error(at, instance.label(), key, "unknown input '" + id + "': no probe has this id", hint);
                    continue;
                }
                if (target->kind != InstanceKind::probe) {
                    error(at, instance.label(), key,
                          "input '" + id + "' is a " + std::string(kind_name(target->kind)) + "; inputs name probes",
                          probe_ids.empty() ? "" : "the probes are " + quoted_list(probe_ids));
                    continue;
                }
                if (std::find(accepted.begin(), accepted.end(), id) != accepted.end()) {
                    error(at, instance.label(), key, "input '" + id + "' is listed twice", "list each probe once");
                    continue;
                }
                accepted.push_back(id);
                accepted_positions.push_back(at);
            }
            instance.inputs = std::move(accepted);
            instance.input_positions = std::move(accepted_positions);
        }
    }

    // The label for messages before the instance's id is known.
    static std::string section_label(const InstanceConfig& instance, const toml::table& table) {
        std::string out(kind_name(instance.kind));
        if (const auto* id = table.get_as<std::string>("id")) out += " \"" + id->get() + "\"";
        if (const auto* plugin = table.get_as<std::string>("plugin")) out += " (plugin " + plugin->get() + ")";
        return out;
    }

    static std::string example_plugin(InstanceKind kind) {
        switch (kind) {
            case InstanceKind::probe:
                return "icmp";
            case InstanceKind::sink:
                return "file";
            case InstanceKind::viewer:
                return "gl";
        }
        return "icmp";
    }

    ParsedPipeline& out_;
    std::string display_path_;
    bool has_probe_ = false;
};

}  // namespace
}  // namespace zzp::host

namespace zzp::host {
namespace {

// toml++ describes what its parser saw; say what the user most likely meant.
std::string syntax_error_hint(std::string_view description) {
    auto says = [&](std::string_view part) { return description.find(part) != std::string_view::npos; };
    if (says("expected 'inf'") || says("expected 'nan'") || says("expected 'true'") || says("expected 'false'")) {
        return "a bare word is not a TOML value: put strings in double quotes, e.g. plugin = \"icmp\"";
    }
    if (says("redefine")) return "each key and each [table] appears once per section; remove or rename the repeat";
    if (says("bare keys")) return "keys are letters, digits, '_' and '-'; quote anything else";
    return "strings need double quotes (plugin = \"icmp\"), lists brackets (targets = [\"127.0.0.1\"]), and "
           "sections brackets ([[probe]])";
}

}  // namespace

ParsedPipeline parse_pipeline_text(std::string_view text, const std::string& display_path,
                                   std::optional<std::filesystem::path> base_dir) {
    ParsedPipeline out;
    if (!base_dir) {
        std::error_code ec;
        fs::path absolute = fs::absolute(fs::path(display_path), ec);
        base_dir = ec ? fs::path(display_path).parent_path() : absolute.parent_path();
    }
    PipelineParser parser(out, display_path, base_dir->lexically_normal());
    toml::table document;
    try {
        document = toml::parse(text, std::string_view(display_path));
    } catch (const toml::parse_error& e) {
        const toml::source_position where = e.source().begin;
        out.config.source_path = display_path;
        out.diagnostics.push_back(
            ConfigDiagnostic{display_path, static_cast<int>(where.line), static_cast<int>(where.column), "", "",
                             "TOML syntax error: " + std::string(e.description()), syntax_error_hint(e.description())});
        return out;
    }
    parser.parse(document);
    sort_diagnostics(out.diagnostics);
    return out;
}

ParsedPipeline parse_pipeline_file(const std::filesystem::path& path) {
    const std::string display_path = path.string();
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        ParsedPipeline out;
        out.config.source_path = display_path;
        out.diagnostics.push_back(ConfigDiagnostic{display_path, 0, 0, "", "",
                                                   "cannot read the config file: it is "
                                                   "a directory",
                                                   "give the path of a .toml file"});
        return out;
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    if (!in || in.bad()) {
        const int saved_errno = errno;
        ParsedPipeline out;
        out.config.source_path = display_path;
        out.diagnostics.push_back(ConfigDiagnostic{
            display_path, 0, 0, "", "", "cannot read the config file: " + std::string(std::strerror(saved_errno)),
            "check the path given with -c (relative paths start from the current directory)"});
        return out;
    }
    return parse_pipeline_text(text.str(), display_path);
}

}  // namespace zzp::host

#include "config/host_settings.hpp"

#include <algorithm>

#include "config/suggest.hpp"
#include "config/toml_describe.hpp"
#include "config/units.hpp"

namespace zzp::host {
namespace {

using std::chrono::nanoseconds;

constexpr nanoseconds kMinInterval = std::chrono::milliseconds(1);
constexpr nanoseconds kMaxInterval = std::chrono::hours(1);
constexpr uint64_t kMinQueueLimit = 1ULL << 20;  // 1MiB: room for a few batches
constexpr uint64_t kMaxQueueLimit = 1ULL << 40;  // 1TiB
// swap_probation_batches: a billion batches is weeks at any sane rate; beyond is a typo.
constexpr int64_t kMaxProbationBatches = 1'000'000'000;
// sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
constexpr size_t kMaxSocketPath = 107;

constexpr const char* kHost = "[host]";

}  // namespace

const std::vector<std::string>& host_key_names() {
    static const std::vector<std::string> names{"plugin_dirs", "frame_interval", "settle_timeout", "queue_limit",
                                                "control_socket", "batch_delay", "swap_probation",
                                                "swap_probation_batches"};
    return names;
}

bool is_host_key(std::string_view name) {
    const auto& names = host_key_names();
    return std::find(names.begin(), names.end(), name) != names.end();
}

HostSettingsParser::HostSettingsParser(HostSettings& settings, const std::filesystem::path& base_dir,
                                       const std::string& display_path, std::vector<ConfigDiagnostic>& diagnostics)
    : settings_(settings), base_dir_(base_dir), display_path_(display_path), diagnostics_(diagnostics) {}

void HostSettingsParser::error(toml::source_position where, std::string key, std::string message, std::string hint) {
    diagnostics_.push_back(ConfigDiagnostic{display_path_, static_cast<int>(where.line), static_cast<int>(where.column),
                                            kHost, std::move(key), std::move(message), std::move(hint)});
}

void HostSettingsParser::parse(const toml::node& host_node, toml::source_position section_position) {
    const toml::table* table = host_node.as_table();
    if (table == nullptr) {
        std::string found = host_node.is_array() ? "[[host]] (an array of tables)" : describe_value(host_node);
        error(section_position, "", "[host] must be a single table, found " + found,
              "write it once, with single brackets: [host]");
        return;
    }
    for (auto&& [key, value] : *table) {
        const std::string name(key.str());
        const toml::source_position at = value.source().begin ? value.source().begin : key.source().begin;
        if (name == "plugin_dirs")
            read_plugin_dirs(value, at);
        else if (name == "frame_interval")
            read_duration(name, value, at, settings_.frame_interval);
        else if (name == "settle_timeout")
            read_duration(name, value, at, settings_.settle_timeout);
        else if (name == "queue_limit")
            read_queue_limit(value, at);
        else if (name == "batch_delay") {
            read_duration(name, value, at, settings_.batch_delay);
            if (settings_.batch_delay > HostSettings::kMaxBatchDelay) {
                error(at, name, "batch_delay " + format_duration(settings_.batch_delay.count()) + " is above the maximum of 60s",
                      "sinks would hold a minute of data only in memory; e.g. batch_delay = \"1s\"");
                settings_.batch_delay = HostSettings::kDefaultBatchDelay;
            }
        }
        else if (name == "control_socket")
            read_control_socket(value, at);
        else if (name == "swap_probation") {
            // Same form and range as the other durations; left unset (the CLI default) on error.
            nanoseconds probation{-1};
            read_duration(name, value, at, probation);
            if (probation.count() >= 0) settings_.swap_probation = probation;
        } else if (name == "swap_probation_batches")
            read_swap_probation_batches(value, at);
        else {
            std::string hint = "the [host] keys are " + quoted_list(host_key_names());
            if (auto match = closest_match(name, host_key_names())) hint = "did you mean '" + *match + "'?";
            error(key.source().begin, name, "unknown key", hint);
        }
    }
}

std::filesystem::path HostSettingsParser::resolve(const std::string& path) const {
    std::filesystem::path out(path);
    if (out.is_relative()) out = base_dir_ / out;
    return out.lexically_normal();
}

void HostSettingsParser::read_plugin_dirs(const toml::node& value, toml::source_position where) {
    const toml::array* array = value.as_array();
    if (array == nullptr) {
        error(where, "plugin_dirs", "expected a list of directories, found " + describe_value(value),
              "e.g. plugin_dirs = [\"plugins\"] (relative to this file's folder)");
        return;
    }
    std::vector<std::filesystem::path> dirs;
    for (size_t i = 0; i < array->size(); ++i) {
        const toml::node& element = *array->get(i);
        const auto* text = element.as_string();
        toml::source_position at = element.source().begin ? element.source().begin : where;
        if (text == nullptr || text->get().empty()) {
            error(at, element_path("plugin_dirs", i),
                  "expected a directory as a non-empty string, found " + describe_value(element),
                  "e.g. plugin_dirs = [\"plugins\", \"/usr/local/lib/zzprobe\"]");
            continue;
        }
        dirs.push_back(resolve(text->get()));
    }
    settings_.plugin_dirs = std::move(dirs);
}

void HostSettingsParser::read_duration(const std::string& key, const toml::node& value, toml::source_position where,
                                       std::chrono::nanoseconds& out) {
    const auto* text = value.as_string();
    const std::string range = format_duration(kMinInterval.count()) + " to " + format_duration(kMaxInterval.count());
    if (text == nullptr) {
        std::string hint = "durations are strings with a unit: \"100ms\", \"1.5s\", \"1m\"";
        if (value.is_integer() || value.is_floating_point())
            hint = "a duration needs a unit and quotes, e.g. \"100ms\"";
        error(where, key, "expected a duration such as \"100ms\", found " + describe_value(value), hint);
        return;
    }
    Parsed<int64_t> parsed = parse_duration(text->get());
    if (!parsed) {
        error(where, key, parsed.error(), "durations are a number and a unit (ns, us, ms, s, m, h, d): \"100ms\"");
        return;
    }
    nanoseconds duration(*parsed);
    if (duration < kMinInterval || duration > kMaxInterval) {
        error(where, key, "\"" + text->get() + "\" is out of range: expected " + range, "e.g. \"100ms\"");
        return;
    }
    out = duration;
}

void HostSettingsParser::read_queue_limit(const toml::node& value, toml::source_position where) {
    Parsed<uint64_t> parsed = Parsed<uint64_t>::failure("");
    if (const auto* integer = value.as_integer())
        parsed = parse_size(integer->get());
    else if (const auto* text = value.as_string())
        parsed = parse_size(text->get());
    else {
        error(where, "queue_limit", "expected a size such as \"64MiB\", found " + describe_value(value),
              "sizes are integer bytes or a string with a unit: \"512KiB\", \"64MiB\", \"1GB\"");
        return;
    }
    if (!parsed) {
        error(where, "queue_limit", parsed.error(), "e.g. queue_limit = \"64MiB\"");
        return;
    }
    if (*parsed < kMinQueueLimit || *parsed > kMaxQueueLimit) {
        error(where, "queue_limit",
              format_size(*parsed) + " is out of range: expected " + format_size(kMinQueueLimit) + " to " +
                  format_size(kMaxQueueLimit),
              "e.g. queue_limit = \"64MiB\"");
        return;
    }
    settings_.queue_limit_bytes = *parsed;
}

void HostSettingsParser::read_swap_probation_batches(const toml::node& value, toml::source_position where) {
    const auto* integer = value.as_integer();
    if (integer == nullptr) {
        error(where, "swap_probation_batches", "expected a whole number of batches, found " + describe_value(value),
              "a number without quotes, e.g. swap_probation_batches = 100");
        return;
    }
    const int64_t n = integer->get();
    if (n < 0 || n > kMaxProbationBatches) {
        error(where, "swap_probation_batches",
              std::to_string(n) + " is out of range: expected 0 to " + std::to_string(kMaxProbationBatches),
              "0 (or leaving the key out) ends probation by time only (swap_probation)");
        return;
    }
    settings_.swap_probation_batches = static_cast<uint64_t>(n);
}

void HostSettingsParser::read_control_socket(const toml::node& value, toml::source_position where) {
    const auto* text = value.as_string();
    if (text == nullptr || text->get().empty()) {
        error(where, "control_socket", "expected a socket path as a non-empty string, found " + describe_value(value),
              "e.g. control_socket = \"/run/zzprobe/control.sock\"");
        return;
    }
    std::filesystem::path path = resolve(text->get());
    if (path.native().size() > kMaxSocketPath) {
        error(where, "control_socket",
              "the socket path is " + std::to_string(path.native().size()) +
                  " bytes once resolved; a unix socket "
                  "path holds at most " +
                  std::to_string(kMaxSocketPath),
              "use a shorter absolute path, e.g. \"/run/zzprobe/control.sock\"");
        return;
    }
    settings_.control_socket = std::move(path);
}

}  // namespace zzp::host

#include "config/key_path.hpp"

namespace zzp::host {
namespace {

void collect_node(const toml::node& node, const std::string& path, KeyLocations& out);

void collect_array(const toml::array& array, const std::string& path, KeyLocations& out) {
    for (size_t i = 0; i < array.size(); ++i) {
        const toml::node& element = array[i];
        std::string element_key = element_path(path, i);
        if (element.source().begin) out.emplace(element_key, element.source().begin);
        collect_node(element, element_key, out);
    }
}

void collect_node(const toml::node& node, const std::string& path, KeyLocations& out) {
    if (const toml::table* table = node.as_table())
        collect_key_locations(*table, path, out);
    else if (const toml::array* array = node.as_array())
        collect_array(*array, path, out);
}

}  // namespace

std::string child_path(std::string_view prefix, std::string_view key) {
    if (prefix.empty()) return std::string(key);
    std::string out(prefix);
    out += '.';
    out += key;
    return out;
}

std::string element_path(std::string_view prefix, size_t index) {
    return std::string(prefix) + "[" + std::to_string(index) + "]";
}

const toml::node* find_key_path(const toml::table& root, std::string_view path) {
    const toml::node* current = &root;
    size_t pos = 0;
    if (path.empty()) return nullptr;
    while (pos < path.size()) {
        // A name: up to the next '.' or '['.
        size_t end = path.find_first_of(".[]", pos);
        if (end == std::string_view::npos) end = path.size();
        if (end == pos) return nullptr;
        const toml::table* table = current->as_table();
        if (table == nullptr) return nullptr;
        current = table->get(path.substr(pos, end - pos));
        if (current == nullptr) return nullptr;
        pos = end;
        // Any number of "[index]".
        while (pos < path.size() && path[pos] == '[') {
            size_t close = path.find(']', pos);
            if (close == std::string_view::npos || close == pos + 1 || close - pos > 20) return nullptr;
            size_t index = 0;
            for (size_t i = pos + 1; i < close; ++i) {
                if (path[i] < '0' || path[i] > '9') return nullptr;
                index = index * 10 + static_cast<size_t>(path[i] - '0');
            }
            const toml::array* array = current->as_array();
            if (array == nullptr || index >= array->size()) return nullptr;
            current = array->get(index);
            pos = close + 1;
        }
        if (pos < path.size()) {
            if (path[pos] != '.' || pos + 1 == path.size()) return nullptr;
            ++pos;
        }
    }
    return current;
}

void collect_key_locations(const toml::table& table, std::string_view prefix, KeyLocations& out) {
    for (auto&& [key, value] : table) {
        std::string path = child_path(prefix, key.str());
        toml::source_position where = key.source().begin ? key.source().begin : value.source().begin;
        if (where) out.emplace(path, where);
        collect_node(value, path, out);
    }
}

toml::source_position nearest_location(const KeyLocations& locations, std::string_view path) {
    while (!path.empty()) {
        auto found = locations.find(path);
        if (found != locations.end()) return found->second;
        size_t cut = path.find_last_of(".[");
        if (cut == std::string_view::npos) break;
        path = path.substr(0, cut);
    }
    return {};
}

}  // namespace zzp::host

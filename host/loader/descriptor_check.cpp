#include "loader/descriptor_check.hpp"

#include <cstring>
#include <set>

namespace zzp::host {
namespace {

constexpr uint32_t kMaxKeysPerTable = 1024;
constexpr int kMaxTableDepth = 8;
constexpr size_t kMaxIdLength = 128;

bool valid_type(uint32_t t) {
    return t >= ZZP_CFG_STRING && t <= ZZP_CFG_TABLE;
}

bool valid_key_name(const char* key) {
    if (key == nullptr || key[0] == '\0' || std::strlen(key) > kMaxIdLength) return false;
    for (const char* p = key; *p; ++p) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
    }
    return true;
}

}  // namespace

bool valid_plugin_id(const char* id) {
    if (id == nullptr || id[0] == '\0' || std::strlen(id) > kMaxIdLength) return false;
    for (const char* p = id; *p; ++p) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '-';
        if (!ok) return false;
    }
    return true;
}

bool check_config_keys(const zzp_config_key* keys, uint32_t count, const std::string& where, int depth,
                       std::string* why) {
    if (count == 0) return true;
    if (keys == nullptr) {
        *why = where + ": " + std::to_string(count) + " keys declared but the array is NULL";
        return false;
    }
    if (count > kMaxKeysPerTable) {
        *why = where + ": " + std::to_string(count) + " keys declared, more than the " +
               std::to_string(kMaxKeysPerTable) + " allowed (a corrupt count?)";
        return false;
    }
    if (depth > kMaxTableDepth) {
        *why = where + ": tables nested deeper than " + std::to_string(kMaxTableDepth);
        return false;
    }
    std::set<std::string> seen;
    for (uint32_t i = 0; i < count; ++i) {
        const zzp_config_key& k = keys[i];
        std::string at = where + "[" + std::to_string(i) + "]";
        if (!valid_key_name(k.key)) {
            *why = at + ": key name " + (k.key ? "'" + std::string(k.key) + "'" : std::string("NULL")) +
                   " is not made of [a-z0-9_-]";
            return false;
        }
        at = where + "." + k.key;
        if (!seen.insert(k.key).second) {
            *why = at + ": declared twice";
            return false;
        }
        if (!valid_type(k.type)) {
            *why = at + ": unknown type " + std::to_string(k.type);
            return false;
        }
        if (k.type == ZZP_CFG_LIST && !valid_type(k.element_type)) {
            *why = at + ": list with unknown element type " + std::to_string(k.element_type);
            return false;
        }
        bool has_fields = k.type == ZZP_CFG_TABLE || (k.type == ZZP_CFG_LIST && k.element_type == ZZP_CFG_TABLE);
        if (has_fields) {
            if (k.field_count == 0) {
                *why = at + ": table without fields";
                return false;
            }
            if (!check_config_keys(k.fields, k.field_count, at, depth + 1, why)) return false;
        }
    }
    return true;
}

bool check_descriptor(const zzp_plugin_descriptor& d, std::string* why) {
    if (!valid_plugin_id(d.id)) {
        *why = std::string("plugin id ") + (d.id ? "'" + std::string(d.id) + "'" : std::string("NULL")) +
               " is empty or not made of [A-Za-z0-9._-]";
        return false;
    }
    if (d.kind < ZZP_KIND_PROBE || d.kind > ZZP_KIND_VIEWER) {
        *why = "plugin '" + std::string(d.id) + "' has unknown kind " + std::to_string(d.kind) +
               " (1 probe, 2 sink, 3 viewer)";
        return false;
    }
    return check_config_keys(d.config_keys, d.config_key_count, std::string(d.id) + " config keys", 0, why);
}

}  // namespace zzp::host

// Reading a plugin's growable struct safely (docs/PLUGIN_ABI.md rule "append-only growth"):
// copy at most what the plugin declared in struct_size into a zeroed struct of the host's
// size. An older plugin's shorter struct is zero-extended, so members it does not have read as
// NULL / 0 and are never called. A newer plugin's longer struct is accepted only when every
// byte the host does not know is zero; otherwise it is refused with both sizes.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

namespace zzp::host {

template <class T>
bool copy_plugin_struct(const void* from, T* out, const char* what, std::string* error) {
    static_assert(std::is_trivially_copyable_v<T>, "plugin ABI structs are plain C");
    std::memset(static_cast<void*>(out), 0, sizeof(T));
    if (from == nullptr) {
        if (error) *error = std::string(what) + " is NULL";
        return false;
    }
    uint32_t declared = 0;
    std::memcpy(&declared, from, sizeof declared);  // struct_size is always the first member
    if (declared < sizeof(uint32_t)) {
        if (error) *error = std::string(what) + " declares struct_size " + std::to_string(declared) + ", too small";
        return false;
    }
    if (declared > sizeof(T)) {
        const unsigned char* tail = static_cast<const unsigned char*>(from) + sizeof(T);
        for (uint32_t i = 0; i < declared - sizeof(T); ++i) {
            if (tail[i] != 0) {
                if (error)
                    *error = std::string(what) + " is " + std::to_string(declared) + " bytes (a newer ABI minor) and uses " +
                             "members this host (" + std::to_string(sizeof(T)) + " bytes) does not know: non-zero byte at offset " +
                             std::to_string(sizeof(T) + i);
                return false;
            }
        }
    }
    std::memcpy(static_cast<void*>(out), from, declared < sizeof(T) ? declared : sizeof(T));
    return true;
}

}  // namespace zzp::host

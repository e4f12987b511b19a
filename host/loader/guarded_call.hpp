// Every call into plugin code goes through these guards (docs/PLUGIN_ABI.md, "only C crosses"):
// a C++ exception escaping a plugin written without the SDK helper is caught here and becomes
// ZZP_E_INTERNAL with a message, an unknown status becomes ZZP_E_INTERNAL, and the plugin's
// error buffer is always terminated and never left empty on failure. Usage:
//   zzp_error err = fresh_error();
//   zzp_status s = guarded_status("configure", &err, [&] { return p.configure(&p, cfg, &err); });
#pragma once

#include <zzprobe/zzprobe.h>

#include <exception>
#include <string>

namespace zzp::host {

inline zzp_error fresh_error() {
    zzp_error e{};
    e.struct_size = sizeof e;
    return e;
}

inline void set_error(zzp_error* err, const std::string& key, const std::string& message) {
    if (err == nullptr) return;
    zzp_error_set(err, key.empty() ? nullptr : key.c_str(), "%s", message.c_str());
}

// Describes the exception in flight; call only inside a catch block.
inline std::string current_exception_text() {
    try {
        throw;
    } catch (const std::exception& e) {
        return std::string("a C++ exception (") + e.what() + ")";
    } catch (...) {
        return "a C++ exception of unknown type";
    }
}

// Runs a status-returning plugin call. `function` names it in messages ("configure").
template <class F>
zzp_status guarded_status(const char* function, zzp_error* err, F&& call) noexcept {
    zzp_status status;
    try {
        status = call();
    } catch (...) {
        set_error(err, {},
                  current_exception_text() + " escaped the plugin's " + function +
                      " through the C ABI; plugins must return a status (the SDK's C++ helper does this)");
        return ZZP_E_INTERNAL;
    }
    if (err) {
        err->key[ZZP_ERROR_KEY_MAX - 1] = '\0';
        err->message[ZZP_ERROR_MESSAGE_MAX - 1] = '\0';
    }
    int raw = static_cast<int>(status);
    if (raw < ZZP_OK || raw > ZZP_E_NOT_FOUND) {
        set_error(err, {}, std::string(function) + " returned unknown status " + std::to_string(raw));
        return ZZP_E_INTERNAL;
    }
    if (status != ZZP_OK && err && err->message[0] == '\0') {
        set_error(err, err->key,
                  std::string(function) + " failed with status '" + zzp_status_name(status) + "' and gave no message");
    }
    return status;
}

// Runs a plugin call that returns a value; false (and *what) when it threw.
template <class R, class F>
bool guarded_value(F&& call, R* out, std::string* what) noexcept {
    try {
        *out = call();
        return true;
    } catch (...) {
        if (what) *what = current_exception_text();
        return false;
    }
}

// Runs a plugin call that returns nothing; false (and *what) when it threw.
template <class F>
bool guarded_void(F&& call, std::string* what) noexcept {
    try {
        call();
        return true;
    } catch (...) {
        if (what) *what = current_exception_text();
        return false;
    }
}

}  // namespace zzp::host

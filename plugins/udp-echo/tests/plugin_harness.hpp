// Loads the built zzp-udp-echo library through its C entry point (as the host does) and drives
// one instance against a FakeHost: the tests exercise the real ABI path, not the C++ classes.
#pragma once

#include <dlfcn.h>
#include <time.h>
#include <zzprobe/zzprobe.h>

#include <map>
#include <stdexcept>
#include <string>

#include "counters_ext.h"
#include "fake_host.hpp"

namespace zzp::udp_echo::test {

inline int64_t mono_now() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

class Library {
public:
    Library() {
        std::string path = std::string(ZZP_PLUGIN_OUTPUT_DIR) + "/zzp-udp-echo.so";
        handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle_) throw std::runtime_error("dlopen " + path + ": " + dlerror());
        auto entry = reinterpret_cast<zzp_plugin_entry_fn>(dlsym(handle_, ZZP_ENTRY_SYMBOL));
        if (!entry) throw std::runtime_error("no entry symbol in " + path);
        lib_ = entry();
        zzp_host_info info{sizeof info, ZZP_ABI_MAJOR, ZZP_ABI_MINOR, 0, "test", "0"};
        zzp_error err{};
        err.struct_size = sizeof err;
        if (lib_->init(&info, &err) != ZZP_OK) throw std::runtime_error(err.message);
    }
    ~Library() {
        lib_->deinit();
        dlclose(handle_);
    }
    const zzp_plugin_library* table() const { return lib_; }

private:
    void* handle_ = nullptr;
    const zzp_plugin_library* lib_ = nullptr;
};

// One instance; destroys it (after stop when started) on destruction.
class Instance {
public:
    Instance(const Library& lib, const char* plugin_id, zzp::test::FakeHost& host) {
        err_.struct_size = sizeof err_;
        plugin_ = lib.table()->create(plugin_id, host.table(), &err_);
        if (!plugin_) throw std::runtime_error(std::string("create failed: ") + err_.message);
    }
    ~Instance() {
        if (started_) stop();
        plugin_->destroy(plugin_);
    }
    zzp_status configure(const std::string& toml) {
        zzp::test::FakeConfig config(toml);
        err_ = {};
        err_.struct_size = sizeof err_;
        return plugin_->configure(plugin_, config.table(), &err_);
    }
    zzp_status start() {
        zzp_status s = plugin_->start(plugin_, &err_);
        started_ = s == ZZP_OK;
        return s;
    }
    zzp_status stop(int64_t budget_ns = 3000000000) {
        started_ = false;
        return plugin_->stop(plugin_, mono_now() + budget_ns, &err_);
    }
    const zzp_error& error() const { return err_; }
    std::map<std::string, uint64_t> counters() const {
        auto* ext =
            static_cast<const zzp_udp_echo_counters_ext*>(plugin_->get_extension(plugin_, ZZP_UDP_ECHO_EXT_COUNTERS));
        std::map<std::string, uint64_t> out;
        if (!ext) return out;
        const char* names[64];
        uint64_t values[64];
        uint32_t n = ext->read(ext->self, names, values, 64);
        for (uint32_t i = 0; i < n && i < 64; ++i) out[names[i]] = values[i];
        return out;
    }
    const zzp_state_ext* state() const {
        return static_cast<const zzp_state_ext*>(plugin_->get_extension(plugin_, ZZP_EXT_STATE));
    }
    const zzp_plugin* raw() const { return plugin_; }

private:
    const zzp_plugin* plugin_ = nullptr;
    zzp_error err_{};
    bool started_ = false;
};

inline std::map<uint16_t, size_t> count_status(const std::vector<zzp_sample>& samples) {
    std::map<uint16_t, size_t> m;
    for (const zzp_sample& s : samples) ++m[s.status];
    return m;
}

}  // namespace zzp::udp_echo::test

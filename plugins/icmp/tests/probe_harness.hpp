// Running the real zzp-icmp library in-process: dlopen it, create an instance on a FakeHost,
// configure it from a TOML snippet, start, stop. Plus helpers to count samples by status.
#pragma once

#include <dlfcn.h>
#include <zzprobe/zzprobe.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>
#include <zzprobe/plugin.hpp>

#include "fake_host.hpp"

namespace zzp::icmp::test {

inline const zzp_plugin_library* icmp_library() {
    static const zzp_plugin_library* library = [] {
        std::string path = std::string(ZZP_PLUGIN_OUTPUT_DIR) + "/zzp-icmp.so";
        void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) throw std::runtime_error(std::string("dlopen: ") + dlerror());
        auto entry = reinterpret_cast<zzp_plugin_entry_fn>(dlsym(handle, ZZP_ENTRY_SYMBOL));
        if (!entry) throw std::runtime_error("no entry symbol");
        const zzp_plugin_library* lib = entry();
        zzp_host_info info{sizeof info, ZZP_ABI_MAJOR, ZZP_ABI_MINOR, 0, "test", "0"};
        zzp_error err{};
        err.struct_size = sizeof err;
        if (lib->init(&info, &err) != ZZP_OK) throw std::runtime_error(err.message);
        return lib;
    }();
    return library;
}

inline int64_t mono_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// One probe instance on its own FakeHost.
class ProbeRun {
public:
    explicit ProbeRun(const std::string& toml) : config_(toml) {
        err_.struct_size = sizeof err_;
        plugin_ = icmp_library()->create("icmp", host_.table(), &err_);
        if (!plugin_) throw std::runtime_error(err_.message);
    }
    ~ProbeRun() {
        if (started_) stop();
        plugin_->destroy(plugin_);
    }
    zzp_status configure() { return plugin_->configure(plugin_, config_.table(), &err_); }
    zzp_status start() {
        zzp_status s = plugin_->start(plugin_, &err_);
        started_ = s == ZZP_OK;
        return s;
    }
    zzp_status stop(int64_t budget_ns = 5'000'000'000) {
        started_ = false;
        return plugin_->stop(plugin_, mono_ns() + budget_ns, &err_);
    }
    const zzp_error& error() const { return err_; }
    const zzp_plugin* plugin() const { return plugin_; }
    zzp::test::FakeHost& host() { return host_; }

private:
    zzp::test::FakeHost host_;
    zzp::test::FakeConfig config_;
    zzp_error err_{};
    const zzp_plugin* plugin_ = nullptr;
    bool started_ = false;
};

struct Counts {
    std::map<int, size_t> by_status;
    size_t reordered = 0, kernel_ts = 0;
    size_t of(zzp_sample_status s) const {
        auto it = by_status.find(s);
        return it == by_status.end() ? 0 : it->second;
    }
    size_t settled() const {
        return of(ZZP_SAMPLE_REPLY) + of(ZZP_SAMPLE_LOST) + of(ZZP_SAMPLE_SEND_ERROR) + of(ZZP_SAMPLE_NET_ERROR);
    }
};

inline Counts count(const std::vector<zzp_sample>& samples) {
    Counts c;
    for (const zzp_sample& s : samples) {
        ++c.by_status[s.status];
        if (s.flags & ZZP_SAMPLE_F_REORDERED) ++c.reordered;
        if (s.flags & ZZP_SAMPLE_F_KERNEL_TS) ++c.kernel_ts;
    }
    return c;
}

}  // namespace zzp::icmp::test

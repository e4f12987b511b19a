// Test doubles for running one plugin instance in-process without the real host:
//   FakeHost   — a zzp_host that records emitted samples, interned targets and log lines;
//   FakeConfig — a zzp_config over a TOML snippet (no schema validation, no defaults: give every
//                key the plugin reads).
// For end-to-end tests run the real `zzprobe` binary (ZZP_HOST_EXE) instead.
#pragma once

#include <zzprobe/zzprobe.h>

#include <toml++/toml.h>

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace zzp::test {

class FakeHost {
public:
    explicit FakeHost(std::string instance_id = "test");
    FakeHost(const FakeHost&) = delete;
    FakeHost& operator=(const FakeHost&) = delete;

    const zzp_host* table() const { return &table_; }

    std::vector<zzp_sample> samples() const;          // copy of everything emitted so far
    std::vector<std::string> logs() const;            // "level: message"
    std::map<uint32_t, std::string> targets() const;  // id -> "name|address"
    bool stop_requested() const;
    // Block until at least n samples were emitted or timeout_ms passed; returns the count.
    size_t wait_for_samples(size_t n, int timeout_ms) const;

    // Injectable clocks (ns). Unset (< 0) means the real clocks.
    void set_wall_ns(int64_t ns) { wall_override_ = ns; }
    void set_mono_ns(int64_t ns) { mono_override_ = ns; }

private:
    static void log_cb(const zzp_host*, int, const char*);
    static uint32_t intern_cb(const zzp_host*, const zzp_target_desc*);
    static void emit_cb(const zzp_host*, const zzp_sample*, uint32_t);
    static int64_t wall_cb(const zzp_host*);
    static int64_t mono_cb(const zzp_host*);
    static void stop_cb(const zzp_host*, const char*);
    static const void* ext_cb(const zzp_host*, const char*);

    std::string instance_id_;
    zzp_host table_{};
    mutable std::mutex mutex_;
    mutable std::condition_variable cv_;
    std::vector<zzp_sample> samples_;
    std::vector<std::string> logs_;
    std::map<std::string, uint32_t> target_ids_;
    std::map<uint32_t, std::string> targets_;
    bool stop_requested_ = false;
    int64_t wall_override_ = -1;
    int64_t mono_override_ = -1;
};

class FakeConfig {
public:
    // Parses `toml_text` as the instance's table; throws toml::parse_error on bad TOML.
    explicit FakeConfig(const std::string& toml_text);
    FakeConfig(const FakeConfig&) = delete;
    FakeConfig& operator=(const FakeConfig&) = delete;
    const zzp_config* table() const { return &table_; }

private:
    static const toml::node* find(const zzp_config*, const char* path);
    toml::table root_;
    zzp_config table_{};
    mutable std::vector<std::string> strings_;
};

}  // namespace zzp::test

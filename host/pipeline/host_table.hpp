// The zzp_host table of one plugin instance: what the plugin may call back into. Created before
// the instance and destroyed after it (the table must outlive destroy()).
#pragma once

#include <zzprobe/host.h>
#include <zzprobe/host_frames.h>
#include <zzprobe/state.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace zzp::host {

// What a host table forwards to; implemented by Pipeline (and by test doubles).
class HostServices {
public:
    virtual ~HostServices() = default;
    virtual uint32_t intern_target(size_t slot, const zzp_target_desc& desc) = 0;
    virtual void ingest(size_t slot, const zzp_sample* samples, uint32_t count) = 0;
    virtual int64_t wall_ns() const = 0;
    virtual int64_t mono_ns() const = 0;
    virtual void request_stop(const std::string& origin, const std::string& reason) = 0;
    // "zzp.frames/1" (host/pipeline/host_frames_ext.*): frames a probe publishes itself, routed
    // like built ones. Hosts that cannot route frames keep these defaults (no extension offered).
    virtual bool offers_frames() const { return false; }
    virtual zzp_status publish_frames(size_t /*slot*/, const zzp_frame* /*frames*/, uint32_t /*count*/,
                                      uint32_t* /*rejected*/) { return ZZP_E_UNSUPPORTED; }
};

class HostTable {
public:
    HostTable(HostServices* services, size_t slot, std::string instance_id, std::string plugin_id);
    HostTable(const HostTable&) = delete;
    HostTable& operator=(const HostTable&) = delete;

    const zzp_host* table() const { return &table_; }
    const std::string& instance_id() const { return instance_id_; }
    const std::string& plugin_id() const { return plugin_id_; }
    std::string origin() const;
    void set_origin(std::string origin);

    // emit is honoured only between the probe's start and stop.
    void set_accepting(bool accepting) { accepting_.store(accepting, std::memory_order_release); }
    uint64_t ignored_emits() const { return ignored_emits_.load(std::memory_order_relaxed); }
    // Hot swap (host/control/hot_swap.cpp): set while the instance is flushed, stopped and saved
    // to hand its state to a successor; offered as "zzp.handover/1" (zzprobe/state.h).
    void set_handing_over(bool on) { handing_over_.store(on, std::memory_order_release); }
    // zzp.frames/1 publish_frames for this instance (defined in host_frames_ext.cpp).
    zzp_status publish_frames(const zzp_frame* frames, uint32_t count, zzp_error* err);
    uint64_t rejected_frames() const { return rejected_frames_.load(std::memory_order_relaxed); }

private:
    static HostTable* self(const zzp_host* h) { return static_cast<HostTable*>(h->host_data); }
    static void log_cb(const zzp_host*, int, const char*);
    static uint32_t intern_cb(const zzp_host*, const zzp_target_desc*);
    static void emit_cb(const zzp_host*, const zzp_sample*, uint32_t);
    static int64_t wall_cb(const zzp_host*);
    static int64_t mono_cb(const zzp_host*);
    static void stop_cb(const zzp_host*, const char*);
    static const void* ext_cb(const zzp_host*, const char*);
    static int handing_over_cb(const zzp_host*);

    zzp_host table_{};
    HostServices* services_;
    size_t slot_;
    std::string instance_id_;
    std::string plugin_id_;
    mutable std::mutex origin_mutex_;
    std::string origin_;
    std::atomic<bool> accepting_{false};
    std::atomic<uint64_t> ignored_emits_{0};
    std::atomic<bool> handing_over_{false};
    std::atomic<uint64_t> rejected_frames_{0};  // zzp.frames/1 frames refused
};

}  // namespace zzp::host

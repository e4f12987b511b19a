// One live plugin instance as the pipeline (and hot swap) sees it.
//
// Implemented by the loader's PluginInstance (an instance in a loaded library, see
// host/loader/) and by test adapters. Contract for implementations: no method throws; no
// method calls a function pointer the plugin does not provide (a missing optional function is
// a no-op or ZZP_E_UNSUPPORTED); every plugin call is guarded (a C++ exception escaping the
// plugin becomes ZZP_E_INTERNAL with a message); stop() enforces its deadline.
#pragma once

#include <zzprobe/zzprobe.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace zzp::host {

class InstanceHandle {
public:
    virtual ~InstanceHandle() = default;  // destroys the plugin instance (never if it hung in stop)

    virtual const std::string& instance_id() const = 0;
    virtual const std::string& plugin_id() const = 0;
    virtual zzp_plugin_kind kind() const = 0;
    // For every message about this instance: "icmp/probe-1 (/usr/lib/.../zzp-icmp.so gen 1)".
    virtual const std::string& origin() const = 0;
    virtual const zzp_plugin_descriptor& descriptor() const = 0;

    // Lifecycle, [main].
    virtual zzp_status configure(const zzp_config* config, zzp_error* err) = 0;
    virtual zzp_status start(zzp_error* err) = 0;
    // Returns by deadline_mono_ns (+ a short grace) even if the plugin does not: then it
    // reports ZZP_E_INTERNAL "missed its stop deadline" and the instance counts as hung.
    virtual zzp_status stop(int64_t deadline_mono_ns, zzp_error* err) = 0;
    virtual bool hung() const = 0;

    // "zzp.sink/1" (sinks and viewers), [pipeline].
    virtual bool has_sink() const = 0;
    virtual uint32_t sink_accepts() const = 0;
    virtual zzp_status sink_on_target(const zzp_target_info& target, zzp_error* err) = 0;
    virtual zzp_status sink_write(const zzp_batch& batch, zzp_error* err) = 0;
    virtual zzp_status sink_flush(zzp_error* err) = 0;
    virtual uint64_t sink_durable_seq() = 0;

    // "zzp.viewer/1", [pipeline]; a no-op when not offered.
    virtual void viewer_frames_dropped(uint64_t count) = 0;

    // "zzp.state/1", [main].
    virtual bool has_state() const = 0;
    virtual uint32_t state_format() const = 0;
    virtual bool state_accepts(uint32_t format) = 0;
    virtual zzp_status state_save(std::string* out, zzp_error* err) = 0;
    virtual zzp_status state_load(uint32_t format, const std::string& in, zzp_error* err) = 0;
};

// Creates an instance bound to `host` (a table that outlives the instance). Returns nullptr
// and fills *error on failure.
using InstanceFactory = std::function<std::unique_ptr<InstanceHandle>(const zzp_host* host, std::string* error)>;

}  // namespace zzp::host

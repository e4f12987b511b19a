// One plugin instance behind the pipeline's InstanceHandle interface: the only place the host
// calls an instance's function pointers.
//
//   std::string why;
//   auto inst = library->create("icmp", "probe-1", host_table, &why);       // from a library
//   auto inst = PluginInstance::wrap(raw, "probe-1", nullptr, &why);        // in-process (tests)
//   inst->configure(cfg, &err); inst->start(&err); ... inst->stop(deadline, &err);
//
// Guarantees (host/pipeline/instance_handle.hpp): the plugin's tables are copied once with
// copy_plugin_struct (a short table from an older minor is zero-extended, so its missing
// members are never called); every call is guarded (an escaping C++ exception becomes
// ZZP_E_INTERNAL with a message); a NULL function is a no-op (lifecycle) or ZZP_E_UNSUPPORTED
// (extensions); stop() runs the plugin's stop on a worker thread and returns by the deadline
// plus kStopGrace even if the plugin does not — then the instance is "hung": it is never
// destroyed and its library is never unloaded (the plugin may still be running). The instance
// holds a reference to its library, so the library outlives it.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "pipeline/instance_handle.hpp"

namespace zzp::host {

class PluginLibrary;

class PluginInstance final : public InstanceHandle {
public:
    // How long stop() waits past the deadline before it gives up on the plugin.
    static constexpr std::chrono::milliseconds kStopGrace{500};

    // Wraps an instance created by `owner`'s create (or, with owner == nullptr, one created
    // in-process, e.g. by zzp::detail::create_instance). Takes ownership of `raw`: on failure it
    // destroys it and returns nullptr with *error. `descriptor` (optional) is the host's checked
    // copy; without it raw->descriptor is copied and checked.
    static std::unique_ptr<PluginInstance> wrap(const zzp_plugin* raw, const std::string& instance_id,
                                                std::shared_ptr<PluginLibrary> owner, std::string* error,
                                                const zzp_plugin_descriptor* descriptor = nullptr);

    ~PluginInstance() override;
    PluginInstance(const PluginInstance&) = delete;
    PluginInstance& operator=(const PluginInstance&) = delete;

    const std::string& instance_id() const override { return instance_id_; }
    const std::string& plugin_id() const override { return plugin_id_; }
    zzp_plugin_kind kind() const override { return static_cast<zzp_plugin_kind>(descriptor_.kind); }
    const std::string& origin() const override { return origin_; }
    const zzp_plugin_descriptor& descriptor() const override { return descriptor_; }
    const std::shared_ptr<PluginLibrary>& library() const { return owner_; }

    zzp_status configure(const zzp_config* config, zzp_error* err) override;
    zzp_status start(zzp_error* err) override;
    zzp_status stop(int64_t deadline_mono_ns, zzp_error* err) override;
    bool hung() const override { return hung_.load(); }

    bool has_sink() const override { return has_sink_; }
    uint32_t sink_accepts() const override { return has_sink_ ? sink_.accepts : 0; }
    zzp_status sink_on_target(const zzp_target_info& target, zzp_error* err) override;
    zzp_status sink_write(const zzp_batch& batch, zzp_error* err) override;
    zzp_status sink_flush(zzp_error* err) override;
    uint64_t sink_durable_seq() override;

    void viewer_frames_dropped(uint64_t count) override;

    bool has_state() const override { return has_state_; }
    uint32_t state_format() const override { return has_state_ ? state_.format : 0; }
    bool state_accepts(uint32_t format) override;
    zzp_status state_save(std::string* out, zzp_error* err) override;
    zzp_status state_load(uint32_t format, const std::string& in, zzp_error* err) override;

private:
    PluginInstance() = default;
    bool read_extensions(std::string* error);
    // Common frame of every status call: refuses when hung, guards, copies the error out.
    template <class F>
    zzp_status call(const char* function, zzp_error* err, F&& body);

    const zzp_plugin* raw_ = nullptr;
    zzp_plugin table_{};
    zzp_plugin_descriptor descriptor_{};
    std::shared_ptr<PluginLibrary> owner_;
    std::string instance_id_;
    std::string plugin_id_;
    std::string origin_;
    zzp_sink_ext sink_{};
    bool has_sink_ = false;
    zzp_state_ext state_{};
    bool has_state_ = false;
    zzp_viewer_ext viewer_{};
    bool has_viewer_ = false;
    std::atomic<bool> hung_{false};
};

}  // namespace zzp::host

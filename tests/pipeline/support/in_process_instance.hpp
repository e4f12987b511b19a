// InstanceHandle over a plugin instance created in-process from a zzp::entry<T>(descriptor)
// (no shared library): what the loader's PluginInstance does for loaded libraries, reduced to
// what the pipeline tests and benchmarks need. Guards every call (the C++ helper already maps
// exceptions to ZZP_E_INTERNAL) and enforces the stop deadline by running stop on a helper
// thread and abandoning an instance that misses it (hung(): never destroyed).
#pragma once

#include <zzprobe/plugin.hpp>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "pipeline/instance_handle.hpp"

namespace zzp::test {

class InProcessInstance final : public zzp::host::InstanceHandle {
public:
    // Returns nullptr with *error filled when create fails.
    static std::unique_ptr<InProcessInstance> create(const zzp_plugin_descriptor& descriptor, zzp::PluginEntry entry,
                                                     const zzp_host* host, const std::string& instance_id,
                                                     std::string* error) {
        zzp_error err{};
        err.struct_size = sizeof err;
        const zzp_plugin* p = zzp::detail::create_instance(entry, host, &err);
        if (!p) {
            if (error) *error = err.message;
            return nullptr;
        }
        return std::unique_ptr<InProcessInstance>(new InProcessInstance(descriptor, p, instance_id));
    }

    // A factory for InstanceSpec::create.
    static zzp::host::InstanceFactory factory(const zzp_plugin_descriptor& descriptor, zzp::PluginEntry entry,
                                              std::string instance_id) {
        return [&descriptor, entry, instance_id](const zzp_host* host, std::string* error)
                   -> std::unique_ptr<zzp::host::InstanceHandle> {
            return create(descriptor, entry, host, instance_id, error);
        };
    }

    ~InProcessInstance() override {
        if (!hung_) plugin_->destroy(plugin_);
    }

    // The C++ object behind the instance, for tests that inspect a test plugin.
    template <class T>
    T* object() const {
        return dynamic_cast<T*>(static_cast<zzp::detail::Instance*>(plugin_->plugin_data)->impl);
    }

    const std::string& instance_id() const override { return instance_id_; }
    const std::string& plugin_id() const override { return plugin_id_; }
    zzp_plugin_kind kind() const override { return static_cast<zzp_plugin_kind>(descriptor_.kind); }
    const std::string& origin() const override { return origin_; }
    const zzp_plugin_descriptor& descriptor() const override { return descriptor_; }

    zzp_status configure(const zzp_config* config, zzp_error* err) override {
        return plugin_->configure(plugin_, config, err);
    }
    zzp_status start(zzp_error* err) override { return plugin_->start(plugin_, err); }

    zzp_status stop(int64_t deadline_mono_ns, zzp_error* err) override {
        struct Shared {
            std::mutex m;
            std::condition_variable cv;
            bool done = false;
            zzp_status status = ZZP_OK;
            zzp_error err{};
        };
        auto shared = std::make_shared<Shared>();
        shared->err.struct_size = sizeof(zzp_error);
        const zzp_plugin* p = plugin_;
        std::thread worker([p, shared, deadline_mono_ns] {
            zzp_status s = p->stop(p, deadline_mono_ns, &shared->err);
            std::lock_guard lock(shared->m);
            shared->status = s;
            shared->done = true;
            shared->cv.notify_all();
        });
        timespec now{};
        clock_gettime(CLOCK_MONOTONIC, &now);
        const int64_t left = deadline_mono_ns - (int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec) + kGraceNs;
        std::unique_lock lock(shared->m);
        if (!shared->cv.wait_for(lock, std::chrono::nanoseconds(left > 0 ? left : 0), [&] { return shared->done; })) {
            hung_ = true;
            lock.unlock();
            worker.detach();  // the instance is abandoned, never destroyed
            zzp_error_set(err, nullptr, "missed its stop deadline");
            return ZZP_E_INTERNAL;
        }
        lock.unlock();
        worker.join();
        if (shared->status != ZZP_OK && err) *err = shared->err;
        return shared->status;
    }
    bool hung() const override { return hung_; }

    bool has_sink() const override { return sink_ != nullptr; }
    uint32_t sink_accepts() const override { return sink_ ? sink_->accepts : 0; }
    zzp_status sink_on_target(const zzp_target_info& target, zzp_error* err) override {
        return sink_ && sink_->on_target ? sink_->on_target(plugin_, &target, err) : ZZP_E_UNSUPPORTED;
    }
    zzp_status sink_write(const zzp_batch& batch, zzp_error* err) override {
        return sink_ ? sink_->write(plugin_, &batch, err) : ZZP_E_UNSUPPORTED;
    }
    zzp_status sink_flush(zzp_error* err) override {
        return sink_ && sink_->flush ? sink_->flush(plugin_, err) : ZZP_E_UNSUPPORTED;
    }
    uint64_t sink_durable_seq() override { return sink_ && sink_->durable_seq ? sink_->durable_seq(plugin_) : 0; }
    void viewer_frames_dropped(uint64_t count) override {
        if (viewer_ && viewer_->frames_dropped) viewer_->frames_dropped(plugin_, count);
    }

    bool has_state() const override { return false; }
    uint32_t state_format() const override { return 0; }
    bool state_accepts(uint32_t) override { return false; }
    zzp_status state_save(std::string*, zzp_error*) override { return ZZP_E_UNSUPPORTED; }
    zzp_status state_load(uint32_t, const std::string&, zzp_error*) override { return ZZP_E_UNSUPPORTED; }

private:
    static constexpr int64_t kGraceNs = 200'000'000;

    InProcessInstance(const zzp_plugin_descriptor& descriptor, const zzp_plugin* plugin, std::string instance_id)
        : descriptor_(descriptor), plugin_(plugin), instance_id_(std::move(instance_id)), plugin_id_(descriptor.id) {
        origin_ = plugin_id_ + "/" + instance_id_ + " (in-process)";
        sink_ = static_cast<const zzp_sink_ext*>(plugin_->get_extension(plugin_, ZZP_EXT_SINK));
        viewer_ = static_cast<const zzp_viewer_ext*>(plugin_->get_extension(plugin_, ZZP_EXT_VIEWER));
    }

    const zzp_plugin_descriptor& descriptor_;
    const zzp_plugin* plugin_;
    std::string instance_id_;
    std::string plugin_id_;
    std::string origin_;
    const zzp_sink_ext* sink_ = nullptr;
    const zzp_viewer_ext* viewer_ = nullptr;
    bool hung_ = false;
};

}  // namespace zzp::test

#include "loader/plugin_instance.hpp"

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "common/log.hpp"
#include "loader/descriptor_check.hpp"
#include "loader/guarded_call.hpp"
#include "loader/plugin_library.hpp"
#include "loader/struct_copy.hpp"

namespace zzp::host {
namespace {

// The state of one stop call, shared with its worker thread: if the plugin hangs, the worker
// (and this) outlive the PluginInstance.
struct StopCall {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    zzp_status status = ZZP_E_INTERNAL;
    zzp_error error = fresh_error();
};

void copy_error_out(const zzp_error& from, zzp_error* to) {
    if (to == nullptr) return;
    std::memcpy(to->key, from.key, sizeof to->key);
    std::memcpy(to->message, from.message, sizeof to->message);
}

zzp_status string_ostream_write(const zzp_ostream* s, const void* data, uint64_t size) {
    try {
        static_cast<std::string*>(s->host_data)->append(static_cast<const char*>(data), size);
        return ZZP_OK;
    } catch (...) {
        return ZZP_E_IO;
    }
}

struct StringReader {
    const std::string* bytes;
    size_t pos;
};

int64_t string_istream_read(const zzp_istream* s, void* buffer, uint64_t size) {
    auto* r = static_cast<StringReader*>(s->host_data);
    uint64_t left = r->bytes->size() - r->pos;
    uint64_t n = size < left ? size : left;
    std::memcpy(buffer, r->bytes->data() + r->pos, n);
    r->pos += n;
    return static_cast<int64_t>(n);
}

zzp_status not_offered(zzp_error* e, const char* extension) {
    zzp_error_set(e, nullptr, "the plugin does not offer the \"%s\" extension", extension);
    return ZZP_E_UNSUPPORTED;
}

}  // namespace

std::unique_ptr<PluginInstance> PluginInstance::wrap(const zzp_plugin* raw, const std::string& instance_id,
                                                     std::shared_ptr<PluginLibrary> owner, std::string* error,
                                                     const zzp_plugin_descriptor* descriptor) {
    std::string ignored;
    if (error == nullptr) error = &ignored;
    std::unique_ptr<PluginInstance> self(new PluginInstance());
    self->raw_ = raw;
    self->owner_ = std::move(owner);
    self->instance_id_ = instance_id;
    const std::string where = self->owner_ ? self->owner_->origin() : std::string("in-process");
    self->origin_ = "?/" + instance_id + " (" + where + ")";

    std::string why;
    if (!copy_plugin_struct(raw, &self->table_, "the instance table (zzp_plugin)", &why)) {
        // Refused, but still ours to free: destroy sits in the part of the table this host knows.
        *error = self->origin_ + ": " + why;
        if (raw != nullptr && ZZP_STRUCT_HAS(raw, zzp_plugin, destroy) && raw->destroy != nullptr) {
            std::string thrown;
            guarded_void([&] { raw->destroy(raw); }, &thrown);
        }
        self->raw_ = nullptr;
        return nullptr;
    }
    if (descriptor != nullptr) {
        self->descriptor_ = *descriptor;
    } else if (!copy_plugin_struct(self->table_.descriptor, &self->descriptor_, "the instance's descriptor", &why) ||
               !check_descriptor(self->descriptor_, &why)) {
        *error = self->origin_ + ": " + why;
        return nullptr;  // the destructor destroys the instance
    }
    self->plugin_id_ = self->descriptor_.id;
    self->origin_ = self->plugin_id_ + "/" + instance_id + " (" + where + ")";
    if (!self->read_extensions(&why)) {
        *error = self->origin_ + ": " + why;
        return nullptr;
    }
    return self;
}

bool PluginInstance::read_extensions(std::string* error) {
    if (table_.get_extension == nullptr) {
        // An older minor's short table, or a plugin with no extensions at all.
        if (descriptor_.kind != ZZP_KIND_PROBE) {
            *error =
                "a sink or viewer must offer the \"" ZZP_EXT_SINK "\" extension, but the instance has no get_extension";
            return false;
        }
        return true;
    }
    auto fetch = [&](const char* id, const void** out) {
        std::string thrown;
        if (!guarded_value([&] { return table_.get_extension(raw_, id); }, out, &thrown)) {
            *error = std::string("get_extension(\"") + id + "\") threw " + thrown + " through the C ABI";
            return false;
        }
        return true;
    };
    const void* sink = nullptr;
    const void* state = nullptr;
    const void* viewer = nullptr;
    if (!fetch(ZZP_EXT_SINK, &sink) || !fetch(ZZP_EXT_STATE, &state) || !fetch(ZZP_EXT_VIEWER, &viewer)) return false;
    if (sink && !copy_plugin_struct(sink, &sink_, "the \"" ZZP_EXT_SINK "\" extension", error)) return false;
    if (state && !copy_plugin_struct(state, &state_, "the \"" ZZP_EXT_STATE "\" extension", error)) return false;
    if (viewer && !copy_plugin_struct(viewer, &viewer_, "the \"" ZZP_EXT_VIEWER "\" extension", error)) return false;
    has_sink_ = sink != nullptr && sink_.write != nullptr;
    has_state_ = state != nullptr && state_.save != nullptr && state_.load != nullptr;
    has_viewer_ = viewer != nullptr && viewer_.frames_dropped != nullptr;
    if (descriptor_.kind != ZZP_KIND_PROBE && !has_sink_) {
        *error = "a sink or viewer must offer the \"" ZZP_EXT_SINK "\" extension with a write function";
        return false;
    }
    return true;
}

PluginInstance::~PluginInstance() {
    if (raw_ == nullptr) return;
    if (hung_.load()) {
        log_warn(origin_, "not destroyed: it missed its stop deadline and may still be running");
        return;
    }
    if (table_.destroy == nullptr) return;
    std::string thrown;
    if (!guarded_void([&] { table_.destroy(raw_); }, &thrown))
        log_warn(origin_, "destroy threw " + thrown + " through the C ABI");
}

template <class F>
zzp_status PluginInstance::call(const char* function, zzp_error* err, F&& body) {
    if (hung_.load()) {
        if (err) set_error(err, {}, origin_ + ": " + function + " refused: the instance hung in stop");
        return ZZP_E_STATE;
    }
    zzp_error e = fresh_error();
    zzp_status s = guarded_status(function, &e, [&] { return body(&e); });
    if (s != ZZP_OK) copy_error_out(e, err);
    return s;
}

zzp_status PluginInstance::configure(const zzp_config* config, zzp_error* err) {
    if (table_.configure == nullptr) return ZZP_OK;
    zzp_status s = call("configure", err, [&](zzp_error* e) { return table_.configure(raw_, config, e); });
    if (s != ZZP_OK) return s;
    // What a sink accepts may depend on its config (sink.h): read the extensions again.
    std::string why;
    if (!read_extensions(&why)) {
        set_error(err, {}, origin_ + ": after configure: " + why);
        return ZZP_E_INVALID;
    }
    return ZZP_OK;
}

zzp_status PluginInstance::start(zzp_error* err) {
    if (table_.start == nullptr) return ZZP_OK;
    return call("start", err, [&](zzp_error* e) { return table_.start(raw_, e); });
}

zzp_status PluginInstance::stop(int64_t deadline_mono_ns, zzp_error* err) {
    if (hung_.load()) {
        set_error(err, {}, origin_ + ": stop refused: the instance already hung in stop");
        return ZZP_E_STATE;
    }
    if (table_.stop == nullptr) return ZZP_OK;

    auto state = std::make_shared<StopCall>();
    // The worker holds the library too, so its code stays mapped while the call runs.
    std::shared_ptr<PluginLibrary> library = owner_;
    auto stop_fn = table_.stop;
    const zzp_plugin* raw = raw_;
    std::thread worker;
    try {
        worker = std::thread([state, library, stop_fn, raw, deadline_mono_ns] {
            zzp_error e = fresh_error();
            zzp_status s = guarded_status("stop", &e, [&] { return stop_fn(raw, deadline_mono_ns, &e); });
            std::lock_guard lock(state->mutex);
            state->status = s;
            state->error = e;
            state->done = true;
            state->done_cv.notify_all();
        });
    } catch (const std::system_error& e) {
        set_error(err, {}, origin_ + ": cannot start a thread to run stop: " + e.what());
        return ZZP_E_INTERNAL;
    }

    // std::chrono::steady_clock is CLOCK_MONOTONIC on Linux: the clock of deadline_mono_ns.
    auto give_up_at = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline_mono_ns)) + kStopGrace;
    std::unique_lock lock(state->mutex);
    bool returned = state->done_cv.wait_until(lock, give_up_at, [&] { return state->done; });
    if (returned) {
        zzp_status s = state->status;
        zzp_error e = state->error;
        lock.unlock();
        worker.join();
        if (s != ZZP_OK) copy_error_out(e, err);
        return s;
    }
    lock.unlock();
    hung_ = true;
    worker.detach();
    int64_t late_ms = std::chrono::duration_cast<std::chrono::milliseconds>(kStopGrace).count();
    std::string message = origin_ + ": missed its stop deadline (still running " + std::to_string(late_ms) +
                          " ms after it); the instance is abandoned, never destroyed";
    log_error(origin_, "missed its stop deadline; abandoned (not destroyed)" +
                           std::string(owner_ ? ", and its library stays loaded for the rest of the process" : ""));
    if (owner_) owner_->leak_intentionally(plugin_id_ + "/" + instance_id_ + " hung in stop");
    set_error(err, {}, message);
    return ZZP_E_INTERNAL;
}

zzp_status PluginInstance::sink_on_target(const zzp_target_info& target, zzp_error* err) {
    if (!has_sink_) return call("on_target", err, [](zzp_error* e) { return not_offered(e, ZZP_EXT_SINK); });
    if (sink_.on_target == nullptr) return ZZP_OK;
    return call("on_target", err, [&](zzp_error* e) { return sink_.on_target(raw_, &target, e); });
}

zzp_status PluginInstance::sink_write(const zzp_batch& batch, zzp_error* err) {
    if (!has_sink_) return call("write", err, [](zzp_error* e) { return not_offered(e, ZZP_EXT_SINK); });
    return call("write", err, [&](zzp_error* e) { return sink_.write(raw_, &batch, e); });
}

zzp_status PluginInstance::sink_flush(zzp_error* err) {
    if (!has_sink_) return call("flush", err, [](zzp_error* e) { return not_offered(e, ZZP_EXT_SINK); });
    if (sink_.flush == nullptr) return ZZP_OK;
    return call("flush", err, [&](zzp_error* e) { return sink_.flush(raw_, e); });
}

uint64_t PluginInstance::sink_durable_seq() {
    if (!has_sink_ || sink_.durable_seq == nullptr || hung_.load()) return 0;
    uint64_t seq = 0;
    std::string thrown;
    if (!guarded_value([&] { return sink_.durable_seq(raw_); }, &seq, &thrown)) {
        log_error(origin_, "durable_seq threw " + thrown + " through the C ABI; treating nothing as durable");
        return 0;
    }
    return seq;
}

void PluginInstance::viewer_frames_dropped(uint64_t count) {
    if (!has_viewer_ || hung_.load()) return;
    std::string thrown;
    if (!guarded_void([&] { viewer_.frames_dropped(raw_, count); }, &thrown))
        log_error(origin_, "frames_dropped threw " + thrown + " through the C ABI");
}

bool PluginInstance::state_accepts(uint32_t format) {
    if (!has_state_ || state_.accepts_format == nullptr || hung_.load()) return false;
    int accepted = 0;
    std::string thrown;
    if (!guarded_value([&] { return state_.accepts_format(raw_, format); }, &accepted, &thrown)) {
        log_error(origin_, "accepts_format threw " + thrown + " through the C ABI; treating it as a refusal");
        return false;
    }
    return accepted != 0;
}

zzp_status PluginInstance::state_save(std::string* out, zzp_error* err) {
    if (!has_state_) return call("save", err, [](zzp_error* e) { return not_offered(e, ZZP_EXT_STATE); });
    std::string bytes;
    zzp_ostream stream{};
    stream.struct_size = sizeof stream;
    stream.host_data = &bytes;
    stream.write = &string_ostream_write;
    zzp_status s = call("save", err, [&](zzp_error* e) { return state_.save(raw_, &stream, e); });
    if (s == ZZP_OK && out) *out = std::move(bytes);
    return s;
}

zzp_status PluginInstance::state_load(uint32_t format, const std::string& in, zzp_error* err) {
    if (!has_state_) return call("load", err, [](zzp_error* e) { return not_offered(e, ZZP_EXT_STATE); });
    StringReader reader{&in, 0};
    zzp_istream stream{};
    stream.struct_size = sizeof stream;
    stream.host_data = &reader;
    stream.read = &string_istream_read;
    return call("load", err, [&](zzp_error* e) { return state_.load(raw_, format, &stream, e); });
}

}  // namespace zzp::host
